package io.orgsync.outbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The routing table as written to orgsync_fanout_rules: a target whose delivery route is not there is
 * left out, an empty key means no targets, and with no key at all there is still a table (a 'default'
 * rule without targets): an empty table would make the outbox trigger record dispatch rows, which
 * only the next start plans.
 */
class FanoutRulesTest {

    @Test
    void noKeyAtAllIsADefaultWithoutTargetsAndTargetsWithoutARouteAreLeftOut() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            assertThat(new FanoutRules(context, null, Path.of("no-such-folder")).rules()).containsExactly(Map.entry("default", List.of()));

            Properties p = new Properties();
            p.setProperty("orgsync.fanout.authvital.tenant.created", "archive, stripe");
            p.setProperty("orgsync.fanout.ignored", "");
            context.getPropertiesComponent().setInitialProperties(p);
            // no delivery route runs in this context: every named target is left out, the keys stay
            assertThat(new FanoutRules(context, null, Path.of("no-such-folder")).rules()).containsExactly(
                    Map.entry("authvital.tenant.created", List.of()), Map.entry("ignored", List.of()),
                    Map.entry("default", List.of()));
        }
    }

    @Test
    void aRuleSetOnlyWhereSettingsAreLookedUpOneByOneCountsForEveryTypeWithASchema(@TempDir Path schemas) throws Exception {
        Files.createDirectories(schemas.resolve("authvital"));
        Files.writeString(schemas.resolve("authvital/tenant.suspended.schema.json"), "{}");
        Files.writeString(schemas.resolve("authvital/common.schema.json"), "{}");
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            // as environment variables are: answered when asked for a key, never listed
            context.getPropertiesComponent().addPropertiesSource(new PropertiesSource() {
                @Override
                public String getName() {
                    return "environment-like";
                }

                @Override
                public String getProperty(String name) {
                    return name.equals("orgsync.fanout.authvital.tenant.suspended") || name.equals("orgsync.fanout.default") ? "" : null;
                }
            });
            assertThat(new FanoutRules(context, null, schemas).rules()).containsExactly(
                    Map.entry("authvital.tenant.suspended", List.of()), Map.entry("default", List.of()));
        }
    }
}
