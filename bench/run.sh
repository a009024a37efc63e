#!/usr/bin/env bash
# The throughput benchmark (README, "Throughput"). From the repository root:
#   bench/run.sh [--source authvital|clerk] [--events 50000] [--tenants 1000] [--connections 32]
#                [--threads 2] [--no-group-commit]
# Builds the jar if needed, installs wrk (Debian) if missing, starts the jar on a fresh embedded
# PostgreSQL with durable settings (fsync and synchronous_commit on) and its development JWKS,
# generates the signed events, sends each once at a fixed concurrency, checks the database against
# the expected final state and prints one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

SOURCE=authvital EVENTS=50000 TENANTS=1000 CONNECTIONS=32 THREADS=2 GROUP_COMMIT=true
while [ $# -gt 0 ]; do
  case "$1" in
    --source) SOURCE=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --tenants) TENANTS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --no-group-commit) GROUP_COMMIT=false; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

[ -f target/orgsync.jar ] || mvn -B -q package -DskipTests
if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi

WORK=$(mktemp -d /tmp/orgsync-bench.XXXXXX)
PORT=$(( 20000 + RANDOM % 20000 )); MGMT=$(( PORT + 1 ))
CLERK_SECRET="whsec_$(head -c 24 /dev/urandom | base64)"
START=$(date +%s%N)
ORGSYNC_HTTP_PORT=$PORT ORGSYNC_MANAGEMENT_PORT=$MGMT ORGSYNC_DEV_ENABLED=true \
ORGSYNC_DB_EMBEDDED_DIR=$WORK/pg ORGSYNC_DEV_KEY_DIR=$WORK/dev ORGSYNC_SPOOL_DIR=$WORK/spool \
ORGSYNC_ARCHIVE_DIR=$WORK/archive ORGSYNC_AUDIT_DIR=$WORK/audit ORGSYNC_PROVISIONING_DIR=$WORK/tenants \
ORGSYNC_DB_GROUP_COMMIT=$GROUP_COMMIT CLERK_WEBHOOK_SECRET=$CLERK_SECRET ORGSYNC_DB_POOL_SIZE=${POOL:-16} \
  java -Xms256m -Xmx256m -XX:+UseSerialGC ${JAVA_OPTS:-} -jar target/orgsync.jar > "$WORK/orgsync.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
until grep -q "started in" "$WORK/orgsync.log"; do
  kill -0 $PID 2>/dev/null || { cat "$WORK/orgsync.log"; exit 1; }
  sleep 0.05
done
READY_MS=$(( ($(date +%s%N) - START) / 1000000 ))
DB_URL=$(grep -o 'jdbc:postgresql://localhost:[0-9]*/postgres' "$WORK/orgsync.log" | head -1)

if [ "$SOURCE" = authvital ]; then KEY="$WORK/dev/authvital-dev-key.jwk.json"; else KEY=$CLERK_SECRET; fi
java -cp target/orgsync.jar bench/BenchTool.java generate "$SOURCE" "$KEY" "$WORK" "$EVENTS" "$TENANTS"

# wrk stops each thread once all its events are answered; the duration is only a safety cap
CAP=$(( 60 + EVENTS / 500 ))
wrk -t"$THREADS" -c"$CONNECTIONS" -d${CAP}s --timeout 30s -s bench/replay.lua "http://127.0.0.1:$PORT" -- "$WORK/requests.tsv" "$THREADS" > "$WORK/wrk.txt" &
WRK=$!
# wrk always runs its full duration: stop it (SIGINT, it then reports) once every event is recorded
SPAN=$(java -cp target/orgsync.jar bench/BenchTool.java wait "$DB_URL" "$EVENTS" "$CAP")
sleep 0.5
kill -INT $WRK 2>/dev/null || true
wait $WRK || true
grep -E 'Socket errors|Non-2xx' "$WORK/wrk.txt" || true
RESULT=$(grep '^RESULT' "$WORK/wrk.txt")
RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
RSS_MIB=$(( RSS_KB / 1024 ))
CHECK=$(java -cp target/orgsync.jar bench/BenchTool.java check "$SOURCE" "$DB_URL" "$WORK")
MISMATCHES=$(echo "$CHECK" | awk '/^MISMATCHES/ {print $2}')
echo "$CHECK" | grep '^mismatch' || true

# throughput: events recorded over the span between the first and the last one's receipt (server side)
recorded=$(echo "$SPAN" | awk '{print $2}')
seconds=$(echo "$SPAN" | awk '{print $3}')
eps=$(awk -v e="$recorded" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? e / s : 0) }')
echo "$RESULT" | sed -E "s/^RESULT /SUMMARY source=$SOURCE group_commit=$GROUP_COMMIT connections=$CONNECTIONS events_per_s=$eps span_s=$seconds /; s/ seconds=[0-9.]+//; s/$/ mismatches=$MISMATCHES peak_rss_mib=$RSS_MIB ready_ms=$READY_MS/"
