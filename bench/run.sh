#!/usr/bin/env bash
# The throughput benchmark (docs/throughput.md). From the repository root:
#   bench/run.sh [--source authvital|clerk] [--events 50000] [--tenants 1000] [--connections 32]
#                [--threads 2] [--no-group-commit] [--warmup N] [--profile FILE] [--drain] [--sql-cost]
#                [--sizes SECONDS] [--reference DIR [--events8 N] [--fanout-idle]]
# Builds the jar if needed, installs wrk (Debian) if missing, starts the jar on a fresh embedded
# PostgreSQL with durable settings (fsync and synchronous_commit on) and its development JWKS,
# generates the signed events, sends each once at a fixed concurrency, checks the database against
# the expected final state and prints one summary line. --drain also waits for the fan-out to
# deliver every event (after the warm-up too, so the measured phase starts on an empty outbox) and
# adds fanout_events_per_s: the measured events over the span from the first receipt to the last delivery.
# --sql-cost then runs the tenant apply statement alone on the same database at batches of 1, 4, 16
# and 64 events and prints a SQLCOST line each: wall time and PostgreSQL CPU per statement and per event.
# --sizes S waits S seconds after the run (retention passes, with ORGSYNC_RETENTION_* set) and prints
# a SIZES line: rows and on-disk size of the event log and the outbox.
# --reference DIR compares orgsync with the reference receiver in DIR (an Express + node-postgres
# receiver with its package.json, server.js and schema.sql; docs/throughput.md) in one run, on the same
# PostgreSQL and the same signed events: both warmed up with --warmup events (default 10,000), then
# --events (default 20,000) at 32 connections and --events8 (default 8,000) at 8, the phases taking
# turns; orgsync as shipped, its fan-out drained after each phase and its end-to-end rate counted. Prints
# one COMPARE line with both figures and the ratios, and the CPU each event cost each process (orgsync's
# JVM and the reference's Node.js, and PostgreSQL for each) in the phase at 32 connections.
# --fanout-idle (with --reference) runs orgsync with its fan-out idle (ORGSYNC_OUTBOX_POLL_MS=3600000, no
# drain): the bound any fan-out design stays under, as the fan-out's cost is then nil.
# JAVA_OPTS=… adds JVM settings to those bin/orgsync starts the jar with (it never replaces them).
set -euo pipefail
cd "$(dirname "$0")/.."

SOURCE=authvital EVENTS= TENANTS=1000 CONNECTIONS=32 THREADS=2 GROUP_COMMIT=true WARMUP= PROFILE= DRAIN=false SQL_COST=false SIZES=
REFERENCE= EVENTS8=8000 FANOUT_IDLE=false
while [ $# -gt 0 ]; do
  case "$1" in
    --source) SOURCE=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --tenants) TENANTS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --no-group-commit) GROUP_COMMIT=false; shift ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --profile) PROFILE=$(realpath -m "$2"); shift 2 ;;
    --drain) DRAIN=true; shift ;;
    --sql-cost) SQL_COST=true; shift ;;
    --sizes) SIZES=$2; shift 2 ;;
    --reference) REFERENCE=$(realpath "$2"); shift 2 ;;
    --events8) EVENTS8=$2; shift 2 ;;
    --fanout-idle) FANOUT_IDLE=true; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if [ -n "$REFERENCE" ]; then
  for f in package.json server.js schema.sql; do
    [ -f "$REFERENCE/$f" ] || { echo "--reference $REFERENCE: no $f there" >&2; exit 2; }
  done
  [ "$SOURCE" = authvital ] || { echo "--reference compares AuthVital webhooks only (--source authvital)" >&2; exit 2; }
  EVENTS=${EVENTS:-20000} WARMUP=${WARMUP:-10000} DRAIN=true
  [ "$FANOUT_IDLE" = false ] || DRAIN=false
elif [ "$FANOUT_IDLE" = true ]; then
  echo "--fanout-idle goes with --reference (alone: ORGSYNC_OUTBOX_POLL_MS=3600000 bench/run.sh)" >&2; exit 2
else
  EVENTS=${EVENTS:-50000} WARMUP=${WARMUP:-0}
fi

[ -f target/orgsync.jar ] || mvn -B -q package -DskipTests
if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi

WORK=$(mktemp -d /tmp/orgsync-bench.XXXXXX)
PORT=$(( 20000 + RANDOM % 20000 )); MGMT=$(( PORT + 1 ))
CLERK_SECRET="whsec_$(head -c 24 /dev/urandom | base64)"
if [ -n "$PROFILE" ]; then
  # loaded at start (idle): attaching it later would deoptimise the JIT-compiled code it then measures
  AP_JAR=~/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1.jar
  [ -f "$AP_JAR" ] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:4.1
  (cd "$WORK" && unzip -q -o "$AP_JAR" 'linux-x64/*')
  AP_LIB="$WORK/linux-x64/libasyncProfiler.so"
  JAVA_OPTS="${JAVA_OPTS:-} -agentpath:$AP_LIB"
fi
# the jar's settings for this run, before those of each start (bench/jar.sh)
ORGSYNC_BENCH_SETTINGS="ORGSYNC_DB_GROUP_COMMIT=$GROUP_COMMIT CLERK_WEBHOOK_SECRET=$CLERK_SECRET ORGSYNC_DB_POOL_SIZE=${POOL:-16}"
[ "$FANOUT_IDLE" = false ] || ORGSYNC_BENCH_SETTINGS="$ORGSYNC_BENCH_SETTINGS ORGSYNC_OUTBOX_POLL_MS=3600000"
source bench/jar.sh
trap stop_jar EXIT
START=$(date +%s%N)
start_jar "$WORK/orgsync.log"
READY_MS=$(( ($(date +%s%N) - START) / 1000000 ))

if [ "$SOURCE" = authvital ]; then KEY="$WORK/dev/authvital-dev-key.jwk.json"; else KEY=$CLERK_SECRET; fi
PHASES="$WORK/bench"
if [ "$WARMUP" -gt 0 ]; then
  java -cp target/orgsync.jar bench/BenchTool.java generate "$SOURCE" "$KEY" "$WORK/warm" "$WARMUP" \
    $(( WARMUP * TENANTS / EVENTS > 0 ? WARMUP * TENANTS / EVENTS : 1 )) warm
  PHASES="$WORK/warm $PHASES"
fi

# CPU seconds (user + system) used so far by the JVM and by PostgreSQL (the postmaster and its backends)
cpu_of() { awk '{ t += $14 + $15 } END { printf "%.2f", t / '"$(getconf CLK_TCK)"' }' "$@" 2>/dev/null || echo 0; }
pg_stats() {
  for p in $(pgrep -f -- "-D $WORK/pg" || true); do echo /proc/$p/stat; for c in $(pgrep -P "$p" || true); do echo /proc/$c/stat; done; done
}

# send_to <phase dir> <events expected afterwards> <mark> <port> <connections> <JDBC URL> <table> [filler path, marker]:
# sends each request of the phase once with wrk, waits until <table> holds the events, and leaves wrk's
# report in <phase dir>/wrk.txt and "SPAN <recorded> <seconds since mark> <last receive time>" in $SPAN
send_to() {
  local cap=$(( 60 + $2 / 100 ))
  # wrk stops each thread once all its events are answered; the duration is only a safety cap
  wrk -t"$THREADS" -c"$5" -d${cap}s --timeout 30s -s bench/replay.lua "http://127.0.0.1:$4" -- "$1/requests.tsv" "$THREADS" "${@:8}" > "$1/wrk.txt" &
  local wrk_pid=$!
  # wrk always runs its full duration: stop it (SIGINT, it then reports) once every event is recorded
  SPAN=$(java -cp target/orgsync.jar bench/BenchTool.java wait "$6" "$2" "$cap" "$3" "$7")
  sleep 0.5
  kill -INT $wrk_pid 2>/dev/null || true
  wait $wrk_pid || true
}
# send <phase dir> <events expected in the event log afterwards> <mark>: send_to orgsync
send() { send_to "$1" "$2" "$3" "$PORT" "$CONNECTIONS" "$DB_URL" orgsync_events; }

if [ -n "$REFERENCE" ]; then
  # the reference receiver: a copy of DIR with its packages, its own database on orgsync's PostgreSQL,
  # trusting orgsync's development key (its JWKS URL is orgsync's)
  cp -r "$REFERENCE" "$WORK/ref"
  (cd "$WORK/ref" && rm -rf node_modules && npm ci --no-audit --no-fund --silent > "$WORK/npm.log" 2>&1) || { cat "$WORK/npm.log"; exit 1; }
  REF_DB=$(java -cp target/orgsync.jar bench/BenchTool.java reference-db "$DB_URL" "$WORK/ref/schema.sql")
  REF_PORT=$(( MGMT + 1 ))
  PG_PORT=$(echo "$DB_URL" | sed -E 's#.*localhost:([0-9]+)/.*#\1#')
  AV=http://127.0.0.1:$PORT
  (cd "$WORK/ref" && PORT=$REF_PORT DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/reference \
    AV_HOST="$AV" exec node server.js > "$WORK/reference.log" 2>&1) &
  REF_PID=$!
  trap 'kill $PID $REF_PID 2>/dev/null || true; wait $PID $REF_PID 2>/dev/null || true' EXIT
  until curl -fs "http://127.0.0.1:$REF_PORT/healthz" > /dev/null; do
    kill -0 $REF_PID 2>/dev/null || { cat "$WORK/reference.log"; exit 1; }
    sleep 0.1
  done
  field() { grep -o "$2=[0-9.]*" "$1" | head -1 | cut -d= -f2; }
  # cpu_per_event <events> <process CPU s before> <PostgreSQL's before> <process's after> <PostgreSQL's after>
  cpu_per_event() { awk -v e="$1" -v a="$2" -v b="$3" -v c="$4" -v d="$5" 'BEGIN { printf "%.2f %.2f", (c - a) * 1000 / e, (d - b) * 1000 / e }'; }
  # orgsync_phase <name> <events> <tenants> <connections>: generated just before it is sent (signatures
  # are fresh for 5 minutes), sent to orgsync, then the fan-out drained; sets O_<name> to "eps fanout_eps"
  TOTAL=0 MARK=-infinity O_PHASES=
  orgsync_phase() {
    java -cp target/orgsync.jar bench/BenchTool.java generate authvital "$KEY" "$WORK/o-$1" "$2" "$3" "o$1" > /dev/null
    TOTAL=$(( TOTAL + $2 )) O_PHASES="$O_PHASES $WORK/o-$1"
    local cpu0; cpu0="$(cpu_of /proc/$PID/stat) $(cpu_of $(pg_stats))"
    send_to "$WORK/o-$1" "$TOTAL" "$MARK" "$PORT" "$4" "$DB_URL" orgsync_events
    local seconds; seconds=$(echo "$SPAN" | awk '{print $3}')
    # the fan-out's rate: drained, or (--fanout-idle) not counted
    local drained=0; [ "$DRAIN" = false ] || drained=$(java -cp target/orgsync.jar bench/BenchTool.java drain "$DB_URL" 1200 "$MARK" | awk '{print $3}')
    MARK=$(echo "$SPAN" | awk '{print $4}')
    # a drain that failed counts as a fan-out rate of 0; with the fan-out idle the receipt's rate stands
    printf -v "O_$1" '%s' "$(awk -v e="$2" -v s="$seconds" -v d="$drained" -v idle="$FANOUT_IDLE" \
      'BEGIN { printf "%.0f %.0f", e / s, (idle == "true" ? e / s : (d > 0 ? e / d : 0)) }')"
    # CPU ms per event over the phase, its fan-out included: JVM, PostgreSQL
    printf -v "OCPU_$1" '%s' "$(cpu_per_event "$2" $cpu0 "$(cpu_of /proc/$PID/stat)" "$(cpu_of $(pg_stats))")"
    local var="O_$1" cpu="OCPU_$1"
    echo "orgsync   $1: $(grep '^RESULT' "$WORK/o-$1/wrk.txt") events_per_s,fanout_per_s=${!var// /,} cpu_ms_per_event_jvm,pg=${!cpu// /,}"
  }
  # reference_phase <name> <events> <tenants> <connections>: the same on emptied tables; sets R_<name> to "eps"
  reference_phase() {
    java -cp target/orgsync.jar bench/BenchTool.java reference-db "$DB_URL" "$WORK/ref/schema.sql" > /dev/null
    java -cp target/orgsync.jar bench/BenchTool.java generate authvital "$KEY" "$WORK/r-$1" "$2" "$3" "r$1" > /dev/null
    local cpu0; cpu0="$(cpu_of /proc/$REF_PID/stat) $(cpu_of $(pg_stats))"
    send_to "$WORK/r-$1" "$2" -infinity "$REF_PORT" "$4" "$REF_DB" av_webhook_dedupe /healthz '"ok":true'
    printf -v "R_$1" '%s' "$(echo "$SPAN" | awk -v e="$2" '{ printf "%.0f", e / $3 }')"
    # CPU ms per event over the phase: Node.js, PostgreSQL
    printf -v "RCPU_$1" '%s' "$(cpu_per_event "$2" $cpu0 "$(cpu_of /proc/$REF_PID/stat)" "$(cpu_of $(pg_stats))")"
    local var="R_$1" cpu="RCPU_$1"
    echo "reference $1: $(grep '^RESULT' "$WORK/r-$1/wrk.txt") events_per_s=${!var} cpu_ms_per_event_node,pg=${!cpu// /,}"
    REF_MISMATCHES=$(( ${REF_MISMATCHES:-0} + $(java -cp target/orgsync.jar bench/BenchTool.java check-reference "$REF_DB" "$WORK/r-$1" | awk '/^MISMATCHES/ {print $2}') ))
  }
  if [ "$WARMUP" -gt 0 ]; then orgsync_phase warm "$WARMUP" "$TENANTS" 32; reference_phase warm "$WARMUP" "$TENANTS" 32; fi
  orgsync_phase c32 "$EVENTS" "$TENANTS" 32;      reference_phase c32 "$EVENTS" "$TENANTS" 32
  orgsync_phase c8 "$EVENTS8" "$TENANTS" 8;       reference_phase c8 "$EVENTS8" "$TENANTS" 8
  O_MISMATCHES=$(java -cp target/orgsync.jar bench/BenchTool.java check authvital "$DB_URL" $O_PHASES | awk '/^MISMATCHES/ {print $2}')
  # a restart, as in a deploy of the same jar: its database and class-data archive (bin/orgsync) there
  ORSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
  kill $PID; wait $PID 2>/dev/null || true
  RESTART=$(date +%s%N)
  start_jar "$WORK/orgsync-restart.log"
  RESTART_MS=$(( ($(date +%s%N) - RESTART) / 1000000 ))
  non2xx() { awk '/^RESULT/ { for (i = 1; i <= NF; i++) if ($i ~ /^non2xx=/) { split($i, a, "="); n += a[2] } } END { print n + 0 }' "$@"; }
  p99() { field "$1" p99_ms; }
  read -r o32 of32 <<< "$O_c32"; read -r o8 of8 <<< "$O_c8"
  read -r ojvm opg <<< "$OCPU_c32"; read -r rnode rpg <<< "$RCPU_c32"
  # orgsync counts at the pace of the slower of receipt and fan-out: it must keep up with what it receives
  awk -v o32="$o32" -v of32="$of32" -v r32="$R_c32" -v o8="$o8" -v of8="$of8" -v r8="$R_c8" \
      -v op8="$(p99 "$WORK/o-c8/wrk.txt")" -v rp8="$(p99 "$WORK/r-c8/wrk.txt")" \
      -v op32="$(p99 "$WORK/o-c32/wrk.txt")" -v rp32="$(p99 "$WORK/r-c32/wrk.txt")" \
      -v orss="$(( ORSS_KB / 1024 ))" -v restart="$RESTART_MS" \
      -v rrss="$(( $(awk '/VmHWM/ {print $2}' /proc/$REF_PID/status) / 1024 ))" \
      -v ready="$READY_MS" -v onon="$(non2xx "$WORK"/o-*/wrk.txt)" -v rnon="$(non2xx "$WORK"/r-*/wrk.txt)" \
      -v omis="$O_MISMATCHES" -v rmis="$REF_MISMATCHES" -v idle="$FANOUT_IDLE" \
      -v ojvm="$ojvm" -v opg="$opg" -v rnode="$rnode" -v rpg="$rpg" '
    function min(a, b) { return a < b ? a : b }
    BEGIN {
      k32 = min(o32, of32); k8 = min(o8, of8)
      if (idle == "true") printf "COMPARE (orgsync with its fan-out idle) events_per_s_32: orgsync=%d reference=%d ratio=%.2f", k32, r32, k32 / r32
      else printf "COMPARE events_per_s_32: orgsync=%d (received %d, fanned out %d) reference=%d ratio=%.2f", k32, o32, of32, r32, k32 / r32
      printf " | events_per_s_8: orgsync=%d reference=%d ratio=%.2f", k8, r8, k8 / r8
      printf " | p99_ms_8: orgsync=%.1f reference=%.1f ratio=%.2f", op8, rp8, op8 / rp8
      printf " | p99_ms_32: orgsync=%.1f reference=%.1f", op32, rp32
      printf " | cpu_ms_per_event_32: orgsync jvm=%.2f pg=%.2f reference node=%.2f pg=%.2f", ojvm, opg, rnode, rpg
      printf " | peak_rss_mib: orgsync=%d reference=%d | orgsync_ready_ms: first=%d restart=%d", orss, rrss, ready, restart
      printf " | non2xx: orgsync=%d reference=%d | mismatches: orgsync=%d reference=%d\n", onon, rnon, omis, rmis
    }'
  exit 0
fi

MARK=-infinity
if [ "$WARMUP" -gt 0 ]; then
  send "$WORK/warm" "$WARMUP" "$MARK"
  MARK=$(echo "$SPAN" | awk '{print $4}')
  [ "$DRAIN" = false ] || java -cp target/orgsync.jar bench/BenchTool.java drain "$DB_URL" 600 -infinity > /dev/null
fi
# generated only now: signatures are fresh for 5 minutes, and a warm-up can take longer than that
java -cp target/orgsync.jar bench/BenchTool.java generate "$SOURCE" "$KEY" "$WORK/bench" "$EVENTS" "$TENANTS" bench
# --profile: async-profiler (from Maven Central) samples the JVM's CPU during the measured phase only
[ -z "$PROFILE" ] || jcmd $PID JVMTI.agent_load "$AP_LIB" "\"start,event=itimer,interval=1ms\"" > /dev/null
JVM_CPU0=$(cpu_of /proc/$PID/stat); PG_CPU0=$(cpu_of $(pg_stats)); WAL0=$(java -cp target/orgsync.jar bench/BenchTool.java wal "$DB_URL")
send "$WORK/bench" $(( WARMUP + EVENTS )) "$MARK"
[ -z "$PROFILE" ] || jcmd $PID JVMTI.agent_load "$AP_LIB" "\"stop,collapsed,file=$PROFILE\"" > /dev/null
JVM_CPU=$(awk -v a="$JVM_CPU0" -v b="$(cpu_of /proc/$PID/stat)" 'BEGIN { printf "%.2f", b - a }')
PG_CPU=$(awk -v a="$PG_CPU0" -v b="$(cpu_of $(pg_stats))" 'BEGIN { printf "%.2f", b - a }')
FANOUT=
if [ "$DRAIN" = true ]; then
  DRAINED=$(java -cp target/orgsync.jar bench/BenchTool.java drain "$DB_URL" 1200 "$MARK")
  FANOUT=$(echo "$DRAINED" | awk -v e="$EVENTS" '{ printf " fanout_events_per_s=%.0f fanout_pending=%d", ($3 > 0 ? e / $3 : 0), $2 }')
fi
# WAL written per measured event (with --drain, the fan-out's too): rows and index entries, whatever the machine's speed
WAL_KIB=$(awk -v a="$WAL0" -v b="$(java -cp target/orgsync.jar bench/BenchTool.java wal "$DB_URL")" -v e="$EVENTS" 'BEGIN { printf "%.2f", (b - a) / 1024 / e }')
grep -E 'Socket errors|Non-2xx' "$WORK/bench/wrk.txt" || true
RESULT=$(grep '^RESULT' "$WORK/bench/wrk.txt")
RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
RSS_MIB=$(( RSS_KB / 1024 ))
CHECK=$(java -cp target/orgsync.jar bench/BenchTool.java check "$SOURCE" "$DB_URL" $PHASES)
MISMATCHES=$(echo "$CHECK" | awk '/^MISMATCHES/ {print $2}')
echo "$CHECK" | grep '^mismatch' || true

# throughput: events recorded over the span between the first and the last one's receipt (server side)
recorded=$(( $(echo "$SPAN" | awk '{print $2}') - WARMUP ))
seconds=$(echo "$SPAN" | awk '{print $3}')
eps=$(awk -v e="$recorded" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? e / s : 0) }')
# CPU per event (ms), JVM and PostgreSQL, over the run: where the two cores went
cpu_jvm=$(awk -v c="$JVM_CPU" -v e="$recorded" 'BEGIN { printf "%.3f", (e > 0 ? c * 1000 / e : 0) }')
cpu_pg=$(awk -v c="$PG_CPU" -v e="$recorded" 'BEGIN { printf "%.3f", (e > 0 ? c * 1000 / e : 0) }')
echo "$RESULT" | sed -E "s/^RESULT /SUMMARY source=$SOURCE group_commit=$GROUP_COMMIT connections=$CONNECTIONS events_per_s=$eps span_s=$seconds warmup_events=$WARMUP /; s/ seconds=[0-9.]+//; s/$/ mismatches=$MISMATCHES peak_rss_mib=$RSS_MIB ready_ms=$READY_MS cpu_ms_per_event_jvm=$cpu_jvm cpu_ms_per_event_pg=$cpu_pg wal_kib_per_event=$WAL_KIB$FANOUT/"
if [ -n "$SIZES" ]; then
  sleep "$SIZES"
  java -cp target/orgsync.jar bench/BenchTool.java sizes "$DB_URL"
fi
# after the summary: the statement's own cost, on the database the run filled (AuthVital events only),
# the jar restarted on it with the fan-out idle so that nothing else runs meanwhile
if [ "$SQL_COST" = true ] && [ "$SOURCE" = authvital ]; then
  kill $PID; wait $PID 2>/dev/null || true
  JAVA_OPTS= start_jar "$WORK/orgsync-sqlcost.log" ORGSYNC_OUTBOX_POLL_MS=3600000
  java -cp target/orgsync.jar bench/BenchTool.java sqlcost "$DB_URL" 5
fi
