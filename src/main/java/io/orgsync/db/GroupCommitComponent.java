package io.orgsync.db;

import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;

/**
 * The apply step as an endpoint a route can name: {@code to: groupcommit:authvital/apply-tenant}
 * runs the statement in {@code routes/sql/authvital/apply-tenant.sql} through {@link GroupCommit}
 * (concurrent requests share one execution and one commit).
 * <ul>
 * <li>reads variable {@code events}: a JSON array of canonical events (a Jackson array, or its text);</li>
 * <li>writes the body: the rows the statement returned, one per event that was new (an empty list
 * for a duplicate).</li>
 * </ul>
 * The statement's failures are the exchange's, as a {@code to: sql:…} step's would be.
 */
public class GroupCommitComponent extends DefaultComponent {

    private static final Pattern STATEMENT = Pattern.compile("[a-z0-9_-]+(/[a-z0-9_-]+)*");

    private final GroupCommit groupCommit;
    private final String sqlDir;

    public GroupCommitComponent(GroupCommit groupCommit, String sqlDir) {
        this.groupCommit = groupCommit;
        this.sqlDir = sqlDir;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!STATEMENT.matcher(remaining).matches()) {
            throw new IllegalArgumentException("groupcommit: names a statement under " + sqlDir
                    + " without its .sql ending, such as groupcommit:authvital/apply-tenant (got \"" + remaining + "\")");
        }
        // parametersCount=1: the statement takes one parameter (the events), no metadata round trip
        return new StatementEndpoint(uri, this, "sql:file:" + sqlDir + "/" + remaining + ".sql?parametersCount=1");
    }

    final class StatementEndpoint extends DefaultEndpoint {
        private final String sqlUri;

        StatementEndpoint(String uri, GroupCommitComponent component, String sqlUri) {
            super(uri, component);
            this.sqlUri = sqlUri;
        }

        @Override
        public Producer createProducer() {
            return new DefaultProducer(this) {
                @Override
                public void process(Exchange exchange) throws Exception {
                    Object events = exchange.getVariable("events");
                    exchange.getMessage().setBody(events instanceof JsonNode parsed ? groupCommit.apply(sqlUri, parsed)
                            : groupCommit.apply(sqlUri, exchange.getVariable("events", String.class)));
                }
            };
        }

        @Override
        public Consumer createConsumer(Processor processor) {
            throw new UnsupportedOperationException("groupcommit: endpoints only take messages (to:), they do not send any");
        }
    }
}
