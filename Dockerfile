# orgsync as a container image: the jar, the YAML routes, the SQL and application.properties in the
# working directory (/opt/orgsync), started by bin/orgsync with the JVM settings that keep the Java
# process within 512 MiB. Build the jar first, then the image, and run it (docs/deployment.md):
#   mvn -B package -DskipTests
#   docker build -t orgsync .
#   docker run -p 8080:8080 -p 127.0.0.1:9876:9876 -v orgsync-data:/opt/orgsync/data \
#     -e ORGSYNC_DB_URL=jdbc:postgresql://db:5432/orgsync -e ORGSYNC_DB_PASSWORD=… -e AV_HOST=https://… orgsync
# To change a route or a statement without a rebuild, mount your routes/ over /opt/orgsync/routes.

# JRE_IMAGE: any image with a Java 17+ runtime at "java", useradd and groupadd; the default is
# Eclipse Temurin's. PackagedImageIT builds this file with podman on a JRE image made from Debian's
# packages alone (debootstrap, openjdk-17-jre-headless), as no registry is reachable there.
ARG JRE_IMAGE=eclipse-temurin:17-jre
FROM ${JRE_IMAGE}
RUN groupadd --system --gid 10001 orgsync && useradd --system --uid 10001 --gid orgsync --home-dir /opt/orgsync orgsync
WORKDIR /opt/orgsync
COPY target/orgsync.jar orgsync.jar
COPY bin bin
COPY routes routes
COPY db db
COPY application.properties .
RUN mkdir data && chown orgsync:orgsync data
# the embedded database, spools, archive and audit files when no external ones are configured
VOLUME /opt/orgsync/data
USER 10001:10001
# the management port listens on every interface inside the container so the orchestrator's probes and
# Prometheus reach it: publish only the webhook port to the world
ENV ORGSYNC_MANAGEMENT_HOST=0.0.0.0
EXPOSE 8080 9876
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/orgsync/bin/orgsync"]
