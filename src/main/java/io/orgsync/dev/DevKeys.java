package io.orgsync.dev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.security.Signature;
import java.text.ParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;

/**
 * A development stand-in for AuthVital's signing key, used only when {@code orgsync.dev.enabled}
 * is true: an RSA-2048 key kept under {@code ./data/dev}, published by the route {@code dev-jwks}
 * as the JWKS the jar then trusts, and used by {@code dev-send} to sign sample events.
 * Never on by default: whoever can read the key can forge webhooks for that instance.
 */
public class DevKeys {

    static final String FILE = "authvital-dev-key.jwk.json";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path directory;
    private volatile RSAKey key;
    private volatile java.security.interfaces.RSAPublicKey publicKey;

    public DevKeys(Path directory) {
        this.directory = directory;
    }

    /** The public JWKS document, {@code {"keys":[…]}}. */
    public String jwks() throws IOException {
        return new JWKSet(key().toPublicJWK()).toString();
    }

    /** The public key when {@code kid} is the development key's, else null (an unknown key). */
    public java.security.interfaces.RSAPublicKey publicKey(String kid) {
        try {
            RSAKey current = key();
            if (!current.getKeyID().equals(kid)) {
                return null;
            }
            java.security.interfaces.RSAPublicKey made = publicKey;
            if (made == null) {
                // made once: a KeyFactory per verified request cost more than the check itself
                made = current.toRSAPublicKey();
                publicKey = made;
            }
            return made;
        } catch (IOException | JOSEException e) {
            throw new IllegalStateException("The development key is unreadable", e);
        }
    }

    public String keyId() throws IOException {
        return key().getKeyID();
    }

    /** base64 RSA-SHA256 over the bytes. */
    public String sign(byte[] payload) throws IOException {
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key().toRSAPrivateKey());
            signature.update(payload);
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (JOSEException | java.security.GeneralSecurityException e) {
            throw new IOException("Could not sign with the development key", e);
        }
    }

    RSAKey key() throws IOException {
        RSAKey loaded = key;
        return loaded != null ? loaded : load();
    }

    private synchronized RSAKey load() throws IOException {
        if (key != null) {
            return key;
        }
        Path file = directory.resolve(FILE);
        try {
            if (Files.exists(file)) {
                if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                    // whoever reads this key can forge webhooks: readable by its owner only
                    Files.setPosixFilePermissions(file, OWNER_ONLY);
                }
                key = RSAKey.parse(Files.readString(file, StandardCharsets.UTF_8));
            } else {
                String kid = "key_" + System.currentTimeMillis() + "_"
                        + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
                key = new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
                Files.createDirectories(directory);
                // created with mode 0600, whatever the umask, before the key is written into it
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                Files.writeString(file, key.toJSONString(), StandardCharsets.UTF_8);
            }
        } catch (ParseException | JOSEException e) {
            throw new IOException("The development key in " + file + " is unreadable: delete it to make a new one", e);
        }
        return key;
    }
}
