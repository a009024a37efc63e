package io.orgsync;

import java.nio.file.Path;
import java.util.Arrays;

import io.orgsync.dev.DevSender;
import org.apache.camel.main.Main;
import org.slf4j.LoggerFactory;

/**
 * Starts orgsync: camel-main with the YAML routes in {@code ./routes} and
 * {@code ./application.properties} from the working directory (so an integration engineer edits
 * a route, an SQL file or a property and restarts, with no rebuild).
 * <p>
 * {@code java -jar orgsync.jar dev-send FILE…} signs sample events with the development key and
 * posts them to a running instance (see README, "See it work").
 */
public final class OrgsyncMain {

    private OrgsyncMain() {
    }

    public static void main(String... args) throws Exception {
        LogSettings.apply(Path.of("application.properties"), System.getenv());
        if (args.length > 0 && "dev-send".equals(args[0])) {
            System.exit(DevSender.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        try {
            newMain().run(args);
        } catch (Exception e) {
            ConfigurationError error = ConfigurationError.in(e);
            if (error == null) {
                throw e;
            }
            // one line, no stack trace: the key, what is wrong, the fix
            LoggerFactory.getLogger(OrgsyncMain.class).error("orgsync cannot start: {}", error.getMessage());
            System.exit(2);
        }
    }

    /** The application as the jar runs it; tests boot the same thing. */
    public static Main newMain() {
        Main main = new Main();
        main.configure().addConfiguration(OrgsyncConfiguration.class);
        main.setDefaultPropertyPlaceholderLocation("file:application.properties");
        return main;
    }
}
