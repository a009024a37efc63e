#!/usr/bin/env bash
# The read API's benchmark (docs/read-api.md, "Speed"). From the repository root:
#   bench/reads.sh [--organizations 1000] [--seconds 30] [--threads 2]
# Builds the jar if needed, installs wrk (Debian) if missing, starts the jar on a fresh embedded
# PostgreSQL with the read API on, writes N organisations (each with two applications and an SSO
# provider) into the mirror, then, side by side in one run on the same database:
#   cached    the read API as shipped: the cache, kept coherent by NOTIFY (MirrorCache)
#   sql       the same jar with orgsync.read-api.cache.enabled=false: every read is the same lookup as
#             one SQL query through a pooled connection, as a service without a cache would do it
# each warmed up, then measured at 32 connections (reads/s) and at 8 (p99 latency), random
# organisations. Prints one READS line with both figures, the ratios and the cache's hit rate.
set -euo pipefail
cd "$(dirname "$0")/.."
ORGS=1000; SECONDS_EACH=30; THREADS=2
while [ $# -gt 0 ]; do
  case $1 in
    --organizations) ORGS=$2; shift 2 ;;
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f target/orgsync.jar ] || mvn -B -q package -DskipTests
if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
WORK=$(mktemp -d /tmp/orgsync-reads.XXXXXX)
PORT=$(( 20000 + RANDOM % 20000 )); MGMT=$(( PORT + 1 )); READ=$(( PORT + 2 ))
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
PID=
ORGSYNC_BENCH_SETTINGS="ORGSYNC_READ_API_ENABLED=true ORGSYNC_READ_API_PORT=$READ ORGSYNC_READ_API_TOKENS=bench:$TOKEN"
source bench/jar.sh
trap stop_jar EXIT
# load <connections> <seconds> → "reads/s p99_ms non2xx"
load() {
  wrk -t"$THREADS" -c"$1" -d"$2"s --latency -s bench/reads.lua "http://127.0.0.1:$READ" -- "$ORGS" "$TOKEN" > "$WORK/wrk.txt"
  awk '/Requests\/sec/ { rps = $2 }
       / 99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v = v * 1000 }; p99 = v }
       /Non-2xx/ { bad = $NF }
       END { printf "%d %.2f %d\n", rps, p99, bad + 0 }' "$WORK/wrk.txt"
}
phase() {
  load 32 10 > /dev/null   # warm-up
  read -r RPS32 _ BAD32 < <(load 32 "$SECONDS_EACH")
  read -r _ P99_8 BAD8 < <(load 8 "$SECONDS_EACH")
  echo "$1 reads_per_s_32=$RPS32 p99_ms_8=$P99_8 non2xx=$((BAD32 + BAD8))" >&2
  eval "${1}_RPS=$RPS32 ${1}_P99=$P99_8 ${1}_BAD=$((BAD32 + BAD8))"
}
start_jar "$WORK/cached.log"
java -cp target/orgsync.jar bench/BenchTool.java seed-organizations "$DB_URL" "$ORGS"
phase cached
METRICS=$(curl -s "http://127.0.0.1:$MGMT/observe/metrics")
HITS=$(echo "$METRICS" | awk '/^cache_gets_total\{.*cache="orgsync-read".*result="hit"/ { print $2 }')
MISSES=$(echo "$METRICS" | awk '/^cache_gets_total\{.*cache="orgsync-read".*result="miss"/ { print $2 }')
stop_jar
start_jar "$WORK/sql.log" ORGSYNC_READ_API_CACHE_ENABLED=false
phase sql
stop_jar
awk -v c="$cached_RPS" -v s="$sql_RPS" -v cp="$cached_P99" -v sp="$sql_P99" -v h="${HITS:-0}" -v m="${MISSES:-0}" \
    -v cb="$cached_BAD" -v sb="$sql_BAD" -v n="$ORGS" 'BEGIN {
  printf "READS organizations=%d | reads_per_s_32: cached=%d sql=%d ratio=%.2f | p99_ms_8: cached=%.2f sql=%.2f | cache_hit_rate=%.4f | non2xx: cached=%d sql=%d\n",
    n, c, s, (s > 0 ? c / s : 0), cp, sp, (h + m > 0 ? h / (h + m) : 0), cb, sb }'
