package io.orgsync.support;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** One booted application per test class, its tables emptied before each test. */
public abstract class SharedAppTest {

    protected static OrgsyncApp app;

    @BeforeAll
    static void bootApp() {
        app = OrgsyncApp.start();
    }

    @AfterAll
    static void stopApp() {
        app.close();
    }

    @BeforeEach
    void emptyTables() {
        app.truncate();
    }
}
