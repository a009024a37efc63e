package io.orgsync.reconcile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Which files of a local archive day folder a rebuild reads. */
class ArchiveRebuildTest {

    @TempDir
    Path archive;

    @Test
    void aDayFolderListsItsDocumentsInNameOrderButNotTheTemporaryOfAnInterruptedWrite() throws Exception {
        Path day = Files.createDirectories(archive.resolve("authvital/2026/12/01"));
        Files.writeString(day.resolve("evt_b.json"), "{}");
        Files.writeString(day.resolve("evt_a.json"), "{}");
        // what a crash between a batch's writes and its renames leaves: a partial document under a temporary name
        Files.writeString(day.resolve(".writing-0b6c1a4e-7f0e-4a53-9d3c-2f1e8c7b5a10-evt_c.json"), "{\"raw_bo");
        Files.writeString(day.resolve("notes.txt"), "not a document");
        Files.createDirectories(day.resolve("nested.json"));
        ArchiveRebuild rebuild = new ArchiveRebuild(null, "", archive, Clock.systemUTC(), 366);

        assertThat(rebuild.keys("authvital/2026/12/01/")).containsExactly("authvital/2026/12/01/evt_a.json", "authvital/2026/12/01/evt_b.json");
        assertThat(rebuild.keys("authvital/2026/12/02/")).isEmpty();
    }
}
