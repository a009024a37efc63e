# What the benchmarks (bench/run.sh, bench/reads.sh) share; sourced, with WORK, PORT and MGMT set.
# start_jar <log> [VAR=value …]: starts bin/orgsync on the run's folders and its own embedded
# PostgreSQL, in development mode on loopback, with the settings given after the log file (the
# caller's ORGSYNC_BENCH_SETTINGS first); waits until it is ready; sets PID and DB_URL.
start_jar() {
  local log=$1; shift
  # shellcheck disable=SC2086
  env -u JAVA_OPTS ORGSYNC_HTTP_PORT=$PORT ORGSYNC_MANAGEMENT_PORT=$MGMT ORGSYNC_DEV_ENABLED=true ORGSYNC_HTTP_HOST=127.0.0.1 \
    ORGSYNC_DB_EMBEDDED_DIR=$WORK/pg ORGSYNC_DEV_KEY_DIR=$WORK/dev ORGSYNC_SPOOL_DIR=$WORK/spool \
    ORGSYNC_ARCHIVE_DIR=$WORK/archive ORGSYNC_AUDIT_DIR=$WORK/audit ORGSYNC_PROVISIONING_DIR=$WORK/tenants \
    ${ORGSYNC_BENCH_SETTINGS:-} "$@" \
    ORGSYNC_JAR=target/orgsync.jar JAVA_OPTS_EXTRA="${JAVA_OPTS:-}" bin/orgsync > "$log" 2>&1 &
  PID=$!
  until grep -qs "started in" "$log"; do
    kill -0 $PID 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.05
  done
  DB_URL=$(grep -o 'jdbc:postgresql://localhost:[0-9]*/postgres' "$log" | head -1)
}
# stop_jar: stops the jar started last (SIGTERM) and waits for it
stop_jar() { kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; }
