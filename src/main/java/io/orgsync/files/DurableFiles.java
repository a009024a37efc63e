package io.orgsync.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Local files that must outlive a power loss once orgsync has said so: the spool (its 202 tells
 * AuthVital the event is safe), and the local archive and audit files (their outbox rows are then
 * marked done). camel-file 4.18.0 never calls {@code force()} on these paths ({@code forceWrites}
 * is not read when the body is a String or a stream) and does not sync the directory after its
 * rename, so these writes go through here:
 * <ul>
 * <li>{@link #write}: a temporary file in the same folder, its bytes forced to disk, an atomic
 * rename to the final name, then the folder itself forced (the rename is an entry in it), and so
 * every folder this call had to create;</li>
 * <li>{@link #append}: one append forced to disk (and the folder, when the file is new).</li>
 * </ul>
 * A crash before the call returns can leave a temporary {@code .writing-*} file, never a final
 * file with partial content.
 */
public class DurableFiles {

    /** The two calls that make a write durable; tests record them. */
    public interface Disk {
        default void force(FileChannel file, Path path) throws IOException {
            file.force(true);
        }

        /** Forces a folder's entries to disk (Linux and the BSDs allow fsync on a folder opened for reading). */
        default void syncFolder(Path folder) throws IOException {
            try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
                channel.force(true);
            }
        }
    }

    private final Disk disk;

    public DurableFiles() {
        this(new Disk() {
        });
    }

    public DurableFiles(Disk disk) {
        this.disk = disk;
    }

    /** Writes the file unless it exists already; returns false when it was there (never overwritten). */
    public boolean write(String dir, String name, Object body) throws IOException {
        Path folder = Path.of(dir);
        Path target = folder.resolve(name).normalize();
        if (!target.startsWith(folder.normalize())) {
            throw new IllegalArgumentException("A file name must stay inside its folder: " + name);
        }
        makeFolders(target.getParent());
        if (Files.exists(target)) {
            return false;
        }
        Path temp = target.resolveSibling(".writing-" + UUID.randomUUID() + "-" + target.getFileName());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(channel, bytes(body));
                disk.force(channel, temp);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(temp); // a full disk leaves no temporary behind
            throw e;
        }
        disk.syncFolder(target.getParent());
        return true;
    }

    /** Appends to the file (created when missing) and forces the append to disk. */
    public void append(String dir, String name, Object body) throws IOException {
        Path target = Path.of(dir).resolve(name);
        makeFolders(target.getParent());
        boolean created = !Files.exists(target);
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            writeFully(channel, bytes(body));
            disk.force(channel, target);
        }
        if (created) {
            disk.syncFolder(target.getParent());
        }
    }

    /** True while the folder holds fewer than maxFiles files and maxBytes bytes (a spool's cap). */
    public boolean hasRoom(String dir, long maxFiles, long maxBytes) throws IOException {
        Usage usage = usage(Path.of(dir));
        return usage.files() < maxFiles && usage.bytes() < maxBytes;
    }

    /** Files (not folders, not temporaries) directly in the folder, and their total size. */
    private static Usage usage(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return new Usage(0, 0);
        }
        long files = 0;
        long bytes = 0;
        try (Stream<Path> list = Files.list(folder)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")) {
                    files++;
                    bytes += Files.size(p);
                }
            }
        }
        return new Usage(files, bytes);
    }

    private record Usage(long files, long bytes) {
    }

    private void makeFolders(Path folder) throws IOException {
        if (Files.isDirectory(folder)) {
            return;
        }
        makeFolders(folder.toAbsolutePath().getParent());
        try {
            Files.createDirectory(folder);
        } catch (FileAlreadyExistsException raced) {
            return;
        }
        disk.syncFolder(folder.toAbsolutePath().getParent());
    }

    private static void writeFully(FileChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static byte[] bytes(Object body) {
        if (body instanceof byte[] b) {
            return b;
        }
        if (body == null) {
            return new byte[0];
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }
}
