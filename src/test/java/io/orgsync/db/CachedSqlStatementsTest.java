package io.orgsync.db;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

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

    /** A statement given its parameter count (no metadata round trip) has exactly that many parameters. */
    @Test
    void everyParameterCountGivenInTheRoutesMatchesItsStatement() throws Exception {
        List<SqlEndpoint> counted = app.camel().getEndpoints().stream()
                .filter(SqlEndpoint.class::isInstance).map(SqlEndpoint.class::cast)
                .filter(e -> e.getParametersCount() > 0).toList();
        assertThat(counted).extracting(SqlEndpoint::getEndpointUri).anyMatch(uri -> uri.contains("outbox/claim.sql"))
                .anyMatch(uri -> uri.contains("outbox/mark-done.sql"));
        for (SqlEndpoint endpoint : counted) {
            String query = endpoint.getQuery();
            String text = query.startsWith("file:") ? Files.readString(Path.of(query.substring(5))) : query;
            String statement = text.lines().filter(line -> !line.strip().startsWith("--"))
                    .collect(Collectors.joining("\n"));
            // as camel-sql runs it: its placeholder (#) made "?", then the named parameters prepared
            String placed = endpoint.isUsePlaceholder() ? statement.replace(endpoint.getPlaceholder(), "?") : statement;
            String prepared = endpoint.getPrepareStatementStrategy().prepareQuery(placed, true, null);
            assertThat(prepared.chars().filter(c -> c == '?').count())
                    .as("parametersCount of %s", endpoint.getEndpointUri()).isEqualTo(endpoint.getParametersCount());
        }
    }
}
