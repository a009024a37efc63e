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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * <li>{@link #append}: one append forced to disk (and the folder, when the file is new); a failed
 * append is cut back to where it started.</li>
 * <li>{@link #writeAll}, {@link #appendAll}: the same for a batch of files (a claim of outbox rows).</li>
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
        return writeAll(dir, Map.of(name, body == null ? new byte[0] : body)) == 1;
    }

    /**
     * Writes each file of {@code files} (name in {@code dir} → content) that does not exist yet, as
     * {@link #write} does, but each step for all of them at once: every temporary written, then every
     * one forced, then renamed, then each folder forced once (on a journalling file system the first
     * force usually commits the others' entries too, and each folder is forced once, not once per file).
     * Returns how many were written. A failure leaves no temporary behind; the files renamed before it stay.
     */
    public int writeAll(String dir, Map<String, ?> files) throws IOException {
        Path folder = Path.of(dir).normalize();
        List<Path[]> written = new ArrayList<>();
        List<FileChannel> open = new ArrayList<>();
        try {
            for (Map.Entry<String, ?> file : files.entrySet()) {
                Path target = folder.resolve(file.getKey()).normalize();
                if (!target.startsWith(folder)) {
                    throw new IllegalArgumentException("A file name must stay inside its folder: " + file.getKey());
                }
                makeFolders(target.getParent());
                if (Files.exists(target)) {
                    continue;
                }
                Path temp = target.resolveSibling(".writing-" + UUID.randomUUID() + "-" + target.getFileName());
                written.add(new Path[] {temp, target});
                FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                open.add(channel);
                writeFully(channel, bytes(file.getValue()));
            }
            for (int i = 0; i < open.size(); i++) {
                disk.force(open.get(i), written.get(i)[0]);
            }
            closeAll(open);
            Set<Path> folders = new LinkedHashSet<>();
            for (Path[] file : written) {
                Files.move(file[0], file[1], StandardCopyOption.ATOMIC_MOVE);
                folders.add(file[1].getParent());
            }
            for (Path changed : folders) {
                disk.syncFolder(changed);
            }
            return written.size();
        } catch (IOException | RuntimeException e) {
            try {
                closeAll(open);
            } catch (IOException alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            for (Path[] file : written) {
                Files.deleteIfExists(file[0]); // a full disk leaves no temporary behind
            }
            throw e;
        }
    }

    private static void closeAll(List<FileChannel> channels) throws IOException {
        IOException first = null;
        for (FileChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        channels.clear();
        if (first != null) {
            throw first;
        }
    }

    /**
     * Appends each content of {@code files} (name in {@code dir} → text) to its file, as {@link #append}
     * does (one forced append per file), all or nothing: when one fails, the files appended before it
     * are cut back to their length before the call, so a batch delivered again after a failure does not
     * repeat its lines. Appends of one instance take turns (a cut must not remove another's lines).
     */
    public synchronized void appendAll(String dir, Map<String, ?> files) throws IOException {
        List<FileChannel> open = new ArrayList<>();
        List<Long> lengths = new ArrayList<>();
        try {
            for (Map.Entry<String, ?> file : files.entrySet()) {
                Path target = Path.of(dir).resolve(file.getKey());
                makeFolders(target.getParent());
                boolean created = !Files.exists(target);
                FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                open.add(channel);
                lengths.add(channel.size());
                writeFully(channel, bytes(file.getValue()));
                disk.force(channel, target);
                if (created) {
                    disk.syncFolder(target.getParent());
                }
            }
            closeAll(open);
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < open.size(); i++) {
                try {
                    open.get(i).truncate(lengths.get(i));
                    open.get(i).force(true);
                } catch (IOException alsoFailed) {
                    e.addSuppressed(alsoFailed);
                }
            }
            try {
                closeAll(open);
            } catch (IOException alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            throw e;
        }
    }

    /** Appends to the file (created when missing) and forces the append to disk; a failed append is cut back. */
    public void append(String dir, String name, Object body) throws IOException {
        appendAll(dir, Map.of(name, body == null ? new byte[0] : body));
    }

    /**
     * A file another part of orgsync may read: a regular file whose name does not start with a dot
     * (a write in progress, or one a crash interrupted, is a {@code .writing-*} temporary beside it).
     */
    public static boolean isFinished(Path file) {
        return Files.isRegularFile(file) && !file.getFileName().toString().startsWith(".");
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
                if (isFinished(p)) {
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
