package io.orgsync.support;

import java.net.URI;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** A real S3 server in-process (s3proxy over an in-memory blob store), stoppable and restartable on its port. */
public final class S3Server implements AutoCloseable {

    public static final String ACCESS_KEY = "orgsync-test";
    public static final String SECRET_KEY = "orgsync-test-secret";

    private final BlobStore store = ContextBuilder.newBuilder("transient").credentials("identity", "credential")
            .build(BlobStoreContext.class).getBlobStore();
    public final int port = OrgsyncApp.freePort();
    private S3Proxy proxy;

    public S3Server() {
        start();
    }

    public void start() {
        proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        try {
            proxy.start();
            while (!"STARTED".equals(proxy.getState())) {
                Thread.sleep(10);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public void stop() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** A client as a user would read the bucket with. */
    public S3Client client() {
        return S3Client.builder().endpointOverride(URI.create(endpoint())).forcePathStyle(true).region(Region.US_EAST_1)
                .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    public java.util.Map<String, String> properties(String bucket) {
        return java.util.Map.of("orgsync.s3.bucket", bucket, "orgsync.s3.endpoint", endpoint(),
                "orgsync.s3.access-key", ACCESS_KEY, "orgsync.s3.secret-key", SECRET_KEY);
    }

    @Override
    public void close() {
        stop();
    }

}
