package io.orgsync.authvital;

import java.security.interfaces.RSAPublicKey;

/** Finds AuthVital's public key by its {@code kid}: null when there is no such key. */
@FunctionalInterface
public interface KeyLookup {
    RSAPublicKey find(String kid);
}
