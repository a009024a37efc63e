package io.orgsync.dev;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Development mode trusts a key on disk and shows the mirror unauthenticated: loopback only, key readable by its owner only. */
class DevModeTest {

    @Test
    void developmentModeRefusesToListenBeyondLoopbackUnlessAllowed() {
        assertThatThrownBy(() -> OrgsyncApp.start(Map.of("orgsync.dev.enabled", "true", "camel.server.host", "0.0.0.0")))
                .rootCause().hasMessageContaining("listens on loopback only").hasMessageContaining("ORGSYNC_HTTP_HOST=127.0.0.1");
    }

    @Test
    void theDevelopmentKeyIsWrittenOwnerOnlyAndAnExistingLooseOneIsTightened() throws Exception {
        Path keys = Files.createTempDirectory("orgsync-dev-keys");
        try (OrgsyncApp app = OrgsyncApp.start(Map.of("orgsync.dev.enabled", "true", "camel.server.host", "127.0.0.1",
                "orgsync.dev.key-dir", keys.toString()))) {
            Path key = keys.resolve(DevKeys.FILE);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
            assertThat(app.send("GET", "/dev/mirror", null, Map.of()).status()).isEqualTo(200);
        }
        Path key = keys.resolve(DevKeys.FILE);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        String kid = new DevKeys(keys).keyId();
        assertThat(kid).startsWith("key_");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    }
}
