package io.orgsync;

/**
 * A setting that orgsync cannot run with. Start-up stops with one line, the key, what is wrong and
 * the fix, and no stack trace ({@link OrgsyncMain}); exit status 2.
 */
public class ConfigurationError extends RuntimeException {

    private final String key;

    /** @param key the property (and its environment variable, in the message) that is wrong */
    public ConfigurationError(String key, String problemAndFix) {
        super(key + ": " + problemAndFix);
        this.key = key;
    }

    public String key() {
        return key;
    }

    /** The ConfigurationError among this throwable and its causes, or null. */
    public static ConfigurationError in(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof ConfigurationError error) {
                return error;
            }
        }
        return null;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // never printed
    }
}
