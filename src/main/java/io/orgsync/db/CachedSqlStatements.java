package io.orgsync.db;

import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.component.sql.DefaultSqlPrepareStatementStrategy;
import org.apache.camel.component.sql.SqlEndpoint;
import org.apache.camel.spi.EndpointStrategy;

/**
 * camel-sql's statement preparation, remembered per query. camel-sql rewrites a query's named
 * parameters ({@code :#${variable.events}}) into {@code ?} with regular expressions on every
 * exchange; the apply statements are a few kilobytes long and run thousands of times a second, so
 * that scan was a measurable share of the CPU (docs/throughput.md). The result depends only on
 * the query text, except for {@code :#in:} parameters, whose placeholder count depends on the
 * value: those are prepared by camel-sql as before. Installed on every sql endpoint that has no
 * strategy of its own (an {@link EndpointStrategy}), so the YAML routes need no option for it.
 */
public final class CachedSqlStatements extends DefaultSqlPrepareStatementStrategy implements EndpointStrategy {

    private static final int MAX_QUERIES = 512;

    private final Map<String, String> prepared = new ConcurrentHashMap<>();
    private final Map<String, Boolean> named = new ConcurrentHashMap<>();

    @Override
    public String prepareQuery(String query, boolean allowNamedParameters, Exchange exchange) throws SQLException {
        if (!allowNamedParameters || query.contains(":?in:")) {
            return super.prepareQuery(query, allowNamedParameters, exchange);
        }
        String answer = prepared.get(query);
        if (answer == null) {
            answer = super.prepareQuery(query, true, exchange);
            if (prepared.size() < MAX_QUERIES) {
                prepared.put(query, answer);
            }
        }
        return answer;
    }

    @Override
    protected boolean hasNamedParameters(String query) {
        Boolean answer = named.get(query);
        if (answer == null) {
            answer = super.hasNamedParameters(query);
            if (named.size() < MAX_QUERIES) {
                named.put(query, answer);
            }
        }
        return answer;
    }

    @Override
    public Endpoint registerEndpoint(String uri, Endpoint endpoint) {
        if (endpoint instanceof SqlEndpoint sql && sql.getPrepareStatementStrategy() == null) {
            sql.setPrepareStatementStrategy(this);
        }
        return endpoint;
    }
}
