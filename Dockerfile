# orgsync as a container image: the jar, the YAML routes, the SQL and application.properties in the
# working directory (/opt/orgsync), started by bin/orgsync with the JVM settings that keep the Java
# process within 512 MiB. Build and run (docs/deployment.md):
#   docker build -t orgsync .
#   docker run -p 8080:8080 -p 127.0.0.1:9876:9876 -v orgsync-data:/opt/orgsync/data \
#     -e ORGSYNC_DB_URL=jdbc:postgresql://db:5432/orgsync -e ORGSYNC_DB_PASSWORD=… -e AV_HOST=https://… orgsync
# To change a route or a statement without a rebuild, mount your routes/ over /opt/orgsync/routes.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY routes routes
COPY db db
COPY application.properties .
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 orgsync && useradd --system --uid 10001 --gid orgsync --home-dir /opt/orgsync orgsync
WORKDIR /opt/orgsync
COPY --from=build /src/target/orgsync.jar orgsync.jar
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
