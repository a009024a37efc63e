package io.orgsync.authvital;

import java.time.Duration;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.orgsync.support.AuthVitalSigner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Only AuthVital's own keys, from AuthVital itself: https, no redirects, keys fit for RS256 signatures. */
class AuthVitalKeysTest {

    final WireMockServer authvital = new WireMockServer(options().dynamicPort());
    final WireMockServer elsewhere = new WireMockServer(options().dynamicPort());

    @AfterEach
    void stop() {
        authvital.stop();
        elsewhere.stop();
    }

    AuthVitalKeys keys(String host, boolean allowHttp) {
        return new AuthVitalKeys(host, Duration.ofSeconds(300), Duration.ofSeconds(0), Duration.ofMillis(2000), Duration.ofSeconds(60),
                allowHttp);
    }

    @Test
    void anHttpHostIsRefusedUnlessExplicitlyAllowed() {
        assertThatThrownBy(() -> keys("http://authvital.example", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AV_HOST must be an https:// URL")
                .hasMessageContaining("ORGSYNC_AUTHVITAL_ALLOW_INSECURE_HTTP");
        assertThat(keys("https://authvital.example", false)).isNotNull();
        assertThat(keys("http://localhost:1", true)).isNotNull();
    }

    @Test
    void aRedirectIsNotFollowedToAnotherHost() {
        authvital.start();
        elsewhere.start();
        RSAKey attackers = AuthVitalSigner.newKey();
        elsewhere.stubFor(get(urlEqualTo("/.well-known/jwks.json")).willReturn(okJson(new JWKSet(attackers.toPublicJWK()).toString())));
        authvital.stubFor(get(urlEqualTo("/.well-known/jwks.json"))
                .willReturn(aResponse().withStatus(302).withHeader("Location", elsewhere.baseUrl() + "/.well-known/jwks.json")));
        AuthVitalKeys keys = keys(authvital.baseUrl(), true);

        assertThat(keys.load()).isFalse();
        assertThatThrownBy(() -> keys.find(attackers.getKeyID())).isInstanceOf(KeysUnavailable.class)
                .hasFieldOrPropertyWithValue("code", "jwks_unavailable");
        elsewhere.verify(0, getRequestedFor(urlEqualTo("/.well-known/jwks.json")));
    }

    @Test
    void onlyRsaSignatureKeysOfAtLeast2048BitsForRs256AreUsed() throws Exception {
        authvital.start();
        RSAKey good = new RSAKeyGenerator(2048).keyID("key_good").keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
        RSAKey unstated = new RSAKeyGenerator(2048).keyID("key_unstated").generate();
        RSAKey small = new RSAKeyGenerator(1024, true).keyID("key_small").keyUse(KeyUse.SIGNATURE).generate();
        RSAKey encryption = new RSAKeyGenerator(2048).keyID("key_enc").keyUse(KeyUse.ENCRYPTION).generate();
        RSAKey otherAlg = new RSAKeyGenerator(2048).keyID("key_ps256").algorithm(JWSAlgorithm.PS256).generate();
        authvital.stubFor(get(urlEqualTo("/.well-known/jwks.json")).willReturn(okJson(new JWKSet(java.util.List.of(
                good.toPublicJWK(), unstated.toPublicJWK(), small.toPublicJWK(), encryption.toPublicJWK(), otherAlg.toPublicJWK())).toString())));
        AuthVitalKeys keys = keys(authvital.baseUrl(), true);
        assertThat(keys.load()).isTrue();

        Map<String, Boolean> usable = new java.util.TreeMap<>();
        for (String kid : new String[] {"key_good", "key_unstated", "key_small", "key_enc", "key_ps256"}) {
            usable.put(kid, keys.find(kid) != null);
        }
        assertThat(usable).containsExactlyInAnyOrderEntriesOf(Map.of("key_good", true, "key_unstated", true,
                "key_small", false, "key_enc", false, "key_ps256", false));
    }
}
