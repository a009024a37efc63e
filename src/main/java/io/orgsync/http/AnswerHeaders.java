package io.orgsync.http;

import org.apache.camel.support.DefaultHeaderFilterStrategy;

/**
 * The headers a route's answer may carry: every one it sets, but Camel's own and those the HTTP
 * server writes itself (length, encoding, connection). platform-http's default strategy also drops
 * Cache-Control, Pragma and a few more; the read API's max-age and the console's no-store must get
 * through. Routes choose it with {@code headerFilterStrategy: "#answerHeaders"}.
 */
public class AnswerHeaders extends DefaultHeaderFilterStrategy {

    public AnswerHeaders() {
        setLowerCase(true);
        setOutFilterStartsWith(CAMEL_FILTER_STARTS_WITH);
        setInFilterStartsWith(CAMEL_FILTER_STARTS_WITH);
        getOutFilter().addAll(java.util.List.of("content-length", "transfer-encoding", "connection", "host", "upgrade", "trailer"));
    }
}
