package io.orgsync.jar;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console in a real headless Chromium (Debian's chromium, driven by its chromedriver): with the
 * admin token typed in, it shows the dead letter a failing audit sink produced, with its raw body and
 * its error; once the sink is back, Replay delivers it and the row is gone. A raw body that holds
 * HTML is shown as text, never run. A quarantined event is listed, shown and discarded with the
 * reason typed into the page's prompt. Screenshots: target/console-screenshots/.
 */
class ConsoleIT {

    static final String TOKEN = "console-it-admin-token-0123456789abcdef";
    static final String HOSTILE = "<img src=x onerror=\"document.title='pwned'\">";
    static final Path SHOTS = Path.of("target/console-screenshots");

    @Test
    void aDeadLetterIsSeenShownReplayedAndGone() throws Exception {
        WireMockServer siem = new WireMockServer(options().dynamicPort());
        siem.start();
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(500).withBody("SIEM is down")));
        WebDriver browser = null;
        try (OrgsyncApp app = OrgsyncApp.start(Map.of("orgsync.admin.token", TOKEN, "orgsync.audit.url", siem.baseUrl() + "/audit",
                "orgsync.target.audit-sink.max-attempts", "1"))) {
            ObjectNode event = Fixtures.seed("tenant.created");
            ((ObjectNode) event.get("data")).put("name", HOSTILE);
            assertThat(app.postSync(event).status()).isEqualTo(200);
            OrgsyncApp.await("the dead letter", () -> app.outbox("audit-sink", "dead") == 1, Duration.ofSeconds(30));
            // an authentic event with no tenant anywhere: refused 400 and quarantined
            ObjectNode orphan = Fixtures.seed("tenant.updated");
            orphan.put("id", "evt_orphan1").remove("tenant_id");
            ((ObjectNode) orphan.get("data")).remove("tenant_id");
            byte[] body = Fixtures.bytes(orphan);
            java.util.Map<String, String> headers = new java.util.HashMap<>(app.signer.syncHeaders(body, "evt_orphan1", "tenant.updated",
                    io.orgsync.support.AuthVitalSigner.now()));
            assertThat(app.post(body, headers).status()).isEqualTo(400);
            assertThat(app.count("orgsync_quarantine WHERE status = 'held'")).isEqualTo(1);

            browser = chromium();
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
            browser.get("http://localhost:" + app.managementPort + "/console");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "admin token"));
            shot(browser, "1-not-connected");
            assertThat(browser.findElements(By.cssSelector("#dead-letters tbody tr td")).stream().map(WebElement::getText))
                    .as("nothing is shown without the token").doesNotContain("audit-sink");

            browser.findElement(By.id("token")).sendKeys(TOKEN);
            browser.findElement(By.id("connect")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("dead-letters"), "evt_test001"));
            WebElement row = browser.findElement(By.cssSelector("#dead-letters tbody tr"));
            assertThat(row.getText()).contains("audit-sink").contains("tenant.created").contains("exhausted").contains("500");
            assertThat(browser.findElement(By.id("backlog")).getText()).contains("audit-sink");
            shot(browser, "2-dead-letter");

            row.findElement(By.xpath(".//button[text()='Show']")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("detail")));
            assertThat(browser.findElement(By.id("detail-body")).getText()).contains("evt_test001").contains(HOSTILE.replace("\"", "\\\""));
            assertThat(browser.findElement(By.id("detail-errors")).getText()).contains("exhausted").contains("500");
            assertThat(browser.findElement(By.id("detail-headers")).getText()).contains("X-AuthVital-Event-Type");
            assertThat(browser.getTitle()).as("the raw body's HTML did not run").isEqualTo("orgsync console");
            assertThat(browser.findElements(By.cssSelector("#detail img"))).isEmpty();
            shot(browser, "3-detail");

            siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(200)));
            browser.findElement(By.cssSelector("#dead-letters tbody tr")).findElement(By.xpath(".//button[text()='Replay']")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Replayed dead letter"));
            OrgsyncApp.await("the replayed delivery", () -> app.outbox("audit-sink", "done") == 1, Duration.ofSeconds(30));
            browser.findElement(By.id("dl-refresh")).click();
            wait.until(ExpectedConditions.textToBe(By.cssSelector("#dead-letters tbody tr td"), "None"));
            shot(browser, "4-replayed");

            // the quarantined event: listed, shown, discarded with a reason typed into the prompt
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("quarantine"), "evt_orphan1"));
            WebElement held = browser.findElement(By.cssSelector("#quarantine tbody tr"));
            assertThat(held.getText()).contains("tenant.updated").contains("held");
            held.findElement(By.xpath(".//button[text()='Show']")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-title"), "Quarantined"));
            assertThat(browser.findElement(By.id("detail-body")).getText()).contains("evt_orphan1");
            assertThat(browser.findElement(By.id("detail-headers")).getText()).contains("verification");
            shot(browser, "5-quarantined");
            browser.findElement(By.cssSelector("#quarantine tbody tr")).findElement(By.xpath(".//button[text()='Discard']")).click();
            org.openqa.selenium.Alert prompt = wait.until(ExpectedConditions.alertIsPresent());
            prompt.sendKeys("test data, no tenant");
            prompt.accept();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Discarded quarantined event"));
            wait.until(ExpectedConditions.textToBe(By.cssSelector("#quarantine tbody tr td"), "None"));
            assertThat(app.row("SELECT status, discard_reason FROM orgsync_quarantine"))
                    .containsEntry("status", "discarded").containsEntry("discard_reason", "test data, no tenant");
            assertThat(app.outbox("audit-sink", "dead")).isZero();
            siem.verify(2, postRequestedFor(urlEqualTo("/audit")));
        } finally {
            if (browser != null) {
                browser.quit();
            }
            siem.stop();
        }
    }

    static WebDriver chromium() throws IOException {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(Path.of("/usr/bin/chromium").toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", "--user-data-dir=" + Files.createTempDirectory("orgsync-chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    static void shot(WebDriver browser, String name) throws IOException {
        Files.createDirectories(SHOTS);
        Path png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(png, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
