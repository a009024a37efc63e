package io.orgsync.db;

import java.util.Map;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A groupcommit: endpoint names a statement under routes/sql, and nothing outside it. */
class GroupCommitComponentTest {

    @Test
    void anEndpointNamesAStatementFileUnderTheSqlFolderOnly() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            GroupCommitComponent component = new GroupCommitComponent(null, "routes/sql");
            component.setCamelContext(context);
            assertThat(component.createEndpoint("groupcommit:authvital/apply-tenant")).isNotNull();
            for (String bad : new String[] {"../secrets", "authvital/apply-tenant.sql", "/etc/passwd", "authvital//x", "Apply"}) {
                assertThatThrownBy(() -> component.createEndpoint("groupcommit:" + bad, bad, Map.of())).as(bad)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("groupcommit:authvital/apply-tenant");
            }
        }
    }
}
