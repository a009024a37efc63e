package io.orgsync.db;

import java.util.List;

import io.orgsync.support.SharedAppTest;
import org.apache.camel.Exchange;
import org.apache.camel.component.sql.DefaultSqlPrepareStatementStrategy;
import org.apache.camel.component.sql.SqlEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The remembered statement preparation gives camel-sql's own answers, and is installed on the routes' sql endpoints. */
class CachedSqlStatementsTest extends SharedAppTest {

    @Test
    void preparesNamedParametersAsCamelSqlDoesAndRemembersThem() throws Exception {
        CachedSqlStatements cached = new CachedSqlStatements();
        String query = "SELECT * FROM t WHERE a = CAST(:?${variable.events} AS jsonb) AND b = :?name";
        String expected = new DefaultSqlPrepareStatementStrategy().prepareQuery(query, true, null);
        assertThat(expected).isEqualTo("SELECT * FROM t WHERE a = CAST(? AS jsonb) AND b = ?");
        assertThat(cached.prepareQuery(query, true, null)).isEqualTo(expected);
        assertThat(cached.prepareQuery(query, true, null)).isSameAs(cached.prepareQuery(query, true, null));
        // without named parameters allowed the query is used as written
        assertThat(cached.prepareQuery(query, false, null)).isEqualTo(query);
    }

    @Test
    void inParametersArePreparedForEachValue() throws Exception {
        CachedSqlStatements cached = new CachedSqlStatements();
        String query = "SELECT * FROM t WHERE id IN (:?in:ids)";
        Exchange three = new DefaultExchange(new DefaultCamelContext());
        three.getMessage().setHeader("ids", List.of(1, 2, 3));
        Exchange one = new DefaultExchange(new DefaultCamelContext());
        one.getMessage().setHeader("ids", List.of(1));
        assertThat(cached.prepareQuery(query, true, three)).isEqualTo("SELECT * FROM t WHERE id IN (?,?,?)");
        assertThat(cached.prepareQuery(query, true, one)).isEqualTo("SELECT * FROM t WHERE id IN (?)");
    }

    @Test
    void everySqlEndpointOfTheRoutesUsesIt() {
        List<SqlEndpoint> endpoints = app.camel().getEndpoints().stream()
                .filter(SqlEndpoint.class::isInstance).map(SqlEndpoint.class::cast).toList();
        assertThat(endpoints).isNotEmpty();
        assertThat(endpoints).allSatisfy(e -> assertThat(e.getPrepareStatementStrategy()).isInstanceOf(CachedSqlStatements.class));
    }
}
