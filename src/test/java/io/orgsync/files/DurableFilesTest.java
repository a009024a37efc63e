package io.orgsync.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What makes a spool, archive or audit write survive a power loss, in the order that matters: the
 * bytes forced while the file still has its temporary name, then the rename, then the folder forced
 * (and every folder the write created). Recorded through the real calls, which still run.
 */
class DurableFilesTest {

    @TempDir
    Path root;

    final List<String> calls = new ArrayList<>();
    final DurableFiles files = new DurableFiles(new DurableFiles.Disk() {
        @Override
        public void force(FileChannel file, Path path) throws IOException {
            DurableFiles.Disk.super.force(file, path);
            calls.add("force " + root.relativize(path).toString().replaceAll("\\.writing-[0-9a-f-]+-", ".writing-"));
        }

        @Override
        public void syncFolder(Path folder) throws IOException {
            DurableFiles.Disk.super.syncFolder(folder);
            calls.add("sync " + root.relativize(folder.toAbsolutePath()) + " " + listing(folder));
        }
    });

    @Test
    void aWriteForcesTheTemporaryFileThenRenamesThenForcesEachFolderItCreatedAndItsOwn() throws Exception {
        assertThat(files.write(root.resolve("archive").toString(), "authvital/2026/11/30/evt_1.json", "{\"a\":1}")).isTrue();

        assertThat(Files.readString(root.resolve("archive/authvital/2026/11/30/evt_1.json"))).isEqualTo("{\"a\":1}");
        assertThat(calls).containsExactly(
                "sync  [archive]",
                "sync archive [authvital]",
                "sync archive/authvital [2026]",
                "sync archive/authvital/2026 [11]",
                "sync archive/authvital/2026/11 [30]",
                "force archive/authvital/2026/11/30/.writing-evt_1.json",
                "sync archive/authvital/2026/11/30 [evt_1.json]");
    }

    @Test
    void anExistingFileIsNeverOverwrittenAndNoTemporaryIsLeft() throws Exception {
        String dir = root.resolve("spool").toString();
        assertThat(files.write(dir, "a.json", "first")).isTrue();
        calls.clear();
        assertThat(files.write(dir, "a.json", "second")).isFalse();
        assertThat(Files.readString(root.resolve("spool/a.json"))).isEqualTo("first");
        assertThat(calls).isEmpty();
        assertThat(listing(root.resolve("spool"))).isEqualTo("[a.json]");
    }

    @Test
    void anAppendIsForcedAndANewFileAlsoForcesItsFolder() throws Exception {
        String dir = root.resolve("audit").toString();
        files.append(dir, "audit-2026-11-30.jsonl", "{\"n\":1}\n");
        files.append(dir, "audit-2026-11-30.jsonl", "{\"n\":2}\n");
        assertThat(Files.readString(root.resolve("audit/audit-2026-11-30.jsonl"))).isEqualTo("{\"n\":1}\n{\"n\":2}\n");
        assertThat(calls).containsExactly(
                "sync  [audit]",
                "force audit/audit-2026-11-30.jsonl",
                "sync audit [audit-2026-11-30.jsonl]",
                "force audit/audit-2026-11-30.jsonl");
    }

    @Test
    void aBatchForcesEveryTemporaryBeforeAnyRenameAndEachFolderOnceAfterwardsLeavingExistingFilesAlone() throws Exception {
        String dir = root.resolve("archive").toString();
        files.write(dir, "a/1.json", "kept");
        calls.clear();
        Map<String, String> batch = new LinkedHashMap<>();
        batch.put("a/1.json", "not written: there already");
        batch.put("a/2.json", "two");
        batch.put("b/3.json", "three");
        batch.put("a/4.json", "four");

        assertThat(files.writeAll(dir, batch)).isEqualTo(3);

        assertThat(Files.readString(root.resolve("archive/a/1.json"))).isEqualTo("kept");
        assertThat(Files.readString(root.resolve("archive/a/2.json"))).isEqualTo("two");
        assertThat(Files.readString(root.resolve("archive/b/3.json"))).isEqualTo("three");
        assertThat(Files.readString(root.resolve("archive/a/4.json"))).isEqualTo("four");
        assertThat(calls).containsExactly(
                "sync archive [a, b]",
                "force archive/a/.writing-2.json",
                "force archive/b/.writing-3.json",
                "force archive/a/.writing-4.json",
                "sync archive/a [1.json, 2.json, 4.json]",
                "sync archive/b [3.json]");
    }

    @Test
    void aBatchThatFailsWritesNothingAndLeavesNoTemporaryBehind() throws Exception {
        Path archive = root.resolve("archive");
        Files.createDirectories(archive.resolve("a"));
        Files.writeString(archive.resolve("a/plain"), "a file where a folder should be");
        Map<String, String> batch = new LinkedHashMap<>();
        batch.put("a/ok.json", "ok");
        batch.put("a/plain/x.json", "cannot be written under a file");
        assertThatThrownBy(() -> files.writeAll(archive.toString(), batch)).isInstanceOf(IOException.class);
        assertThat(listing(archive.resolve("a"))).isEqualTo("[plain]");
    }

    @Test
    void aBatchOfAppendsForcesOnceForEachFile() throws Exception {
        String dir = root.resolve("audit").toString();
        Map<String, String> batch = new LinkedHashMap<>();
        batch.put("audit-2026-11-30.jsonl", "{\"n\":1}\n{\"n\":2}\n");
        batch.put("audit-2026-12-01.jsonl", "{\"n\":3}\n");
        files.appendAll(dir, batch);
        assertThat(Files.readString(root.resolve("audit/audit-2026-11-30.jsonl"))).isEqualTo("{\"n\":1}\n{\"n\":2}\n");
        assertThat(calls).containsExactly(
                "sync  [audit]",
                "force audit/audit-2026-11-30.jsonl",
                "sync audit [audit-2026-11-30.jsonl]",
                "force audit/audit-2026-12-01.jsonl",
                "sync audit [audit-2026-11-30.jsonl, audit-2026-12-01.jsonl]");
    }

    @Test
    void aBatchOfAppendsThatFailsCutsBackWhatItAppendedSoADeliveryAgainDoesNotRepeatLines() throws Exception {
        Path audit = root.resolve("audit");
        files.append(audit.toString(), "audit-2026-11-30.jsonl", "{\"n\":0}\n");
        Files.writeString(audit.resolve("blocked"), "a file where a folder should be");
        Map<String, String> batch = new LinkedHashMap<>();
        batch.put("audit-2026-11-30.jsonl", "{\"n\":1}\n");
        batch.put("blocked/audit-2026-12-01.jsonl", "{\"n\":2}\n");
        assertThatThrownBy(() -> files.appendAll(audit.toString(), batch)).isInstanceOf(IOException.class);
        assertThat(Files.readString(audit.resolve("audit-2026-11-30.jsonl"))).isEqualTo("{\"n\":0}\n");
    }

    @Test
    void aNameCannotLeaveItsFolderAndTheCapCountsFilesAndBytes() throws Exception {
        String dir = root.resolve("spool").toString();
        assertThatThrownBy(() -> files.write(dir, "../escaped.json", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThat(files.hasRoom(dir, 2, 100)).isTrue();
        files.write(dir, "1.json", "0123456789");
        assertThat(files.hasRoom(dir, 2, 100)).isTrue();
        assertThat(files.hasRoom(dir, 2, 10)).as("bytes").isFalse();
        files.write(dir, "2.json", "x");
        assertThat(files.hasRoom(dir, 2, 100)).as("files").isFalse();
    }

    static String listing(Path folder) {
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList().toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
