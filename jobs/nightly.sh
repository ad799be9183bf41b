#!/usr/bin/env bash
# nightly.sh — one nightly moodmusic run, for cron, the systemd timer or by hand.
#
# Runs `moodmusic -c "$MOODMUSIC_CONFIG" run [ARGS...]` with stdout and stderr
# appended to one log file per night ($MOODMUSIC_LOG_DIR/nightly-YYYY-MM-DD.log,
# UTC date), framed by JSON lines of its own so the file stays JSON lines.
# Exit status: moodmusic's (0 ok, 1 a stage failed, 2 usage/config error),
# except 3 ("another run holds the lock"): that night is logged as skipped and
# the script exits 0, because the run holding the lock is the one that will
# publish; a pipeline that stays stuck shows as an ageing snapshot in
# moodmusic-serve's /metrics, which is what alerting should watch.
# Silent on success; one line on stderr when skipped or failed (cron mails it).
#
# Environment:
#   MOODMUSIC_CONFIG    config file (default /etc/moodmusic/moodmusic.json)
#   MOODMUSIC_BIN       the moodmusic binary (default: `moodmusic` on PATH, else
#                       ../build/moodmusic next to this script)
#   MOODMUSIC_LOG_DIR   where the nightly logs go (default /var/log/moodmusic)
#   MOODMUSIC_LOG_KEEP  nightly logs kept, newest first (default 30)
#   MOODMUSIC_ENV_FILE  KEY=value file sourced first, for the API secrets under
#                       cron (systemd reads it with EnvironmentFile= instead)
#   MOODMUSIC_TIMEOUT   optional limit for timeout(1), e.g. 6h; SIGTERM, then
#                       SIGKILL 5 minutes later
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)

if [ -n "${MOODMUSIC_ENV_FILE:-}" ]; then
    if [ ! -r "$MOODMUSIC_ENV_FILE" ]; then
        echo "moodmusic nightly: cannot read MOODMUSIC_ENV_FILE=$MOODMUSIC_ENV_FILE" >&2
        exit 2
    fi
    set -a
    # shellcheck disable=SC1090
    . "$MOODMUSIC_ENV_FILE"
    set +a
fi

config=${MOODMUSIC_CONFIG:-/etc/moodmusic/moodmusic.json}
log_dir=${MOODMUSIC_LOG_DIR:-/var/log/moodmusic}
keep=${MOODMUSIC_LOG_KEEP:-30}
bin=${MOODMUSIC_BIN:-}
if [ -z "$bin" ]; then
    bin=$(command -v moodmusic || true)
    [ -n "$bin" ] || bin="$here/../build/moodmusic"
fi

fail_setup() {
    echo "moodmusic nightly: $1" >&2
    exit 2
}

[ -x "$bin" ] || fail_setup "no moodmusic binary at '$bin' (set MOODMUSIC_BIN)"
[ -r "$config" ] || fail_setup "cannot read config '$config' (set MOODMUSIC_CONFIG)"
case $keep in '' | *[!0-9]* | 0) fail_setup "MOODMUSIC_LOG_KEEP must be a number >= 1, got '$keep'" ;; esac
mkdir -p "$log_dir" || fail_setup "cannot create log folder '$log_dir'"
log="$log_dir/nightly-$(date -u +%Y-%m-%d).log"
touch "$log" || fail_setup "cannot write '$log'"

# One JSON line in the log: level, message.
note() {
    local msg=${2//\\/\\\\}
    msg=${msg//\"/\\\"}
    printf '{"time":"%s","level":"%s","msg":"nightly: %s","pid":%d}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$msg" "$$" >>"$log"
}

runner=("$bin" -c "$config" run "$@")
if [ -n "${MOODMUSIC_TIMEOUT:-}" ]; then
    runner=(timeout --signal=TERM --kill-after=5m "$MOODMUSIC_TIMEOUT" "${runner[@]}")
fi

note info "starting $bin -c $config run${*:+ $*}"
started=$(date +%s)
# In the background so that SIGTERM/SIGINT reach moodmusic, which stops at a
# safe point and can resume the run next time.
"${runner[@]}" >>"$log" 2>&1 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
wait "$child"
rc=$?
while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    rc=$?
done
trap - TERM INT HUP
took=$(($(date +%s) - started))

case $rc in
0)
    note info "finished ok in ${took}s"
    ;;
3)
    note warn "skipped: another run holds the lock (see moodmusic status)"
    echo "moodmusic nightly: skipped, another run holds the lock; log: $log" >&2
    rc=0
    ;;
124)
    note error "stopped by timeout after ${MOODMUSIC_TIMEOUT}"
    echo "moodmusic nightly: FAILED, timeout ${MOODMUSIC_TIMEOUT} reached; log: $log" >&2
    ;;
*)
    note error "failed with exit status $rc after ${took}s"
    echo "moodmusic nightly: FAILED with exit status $rc; log: $log" >&2
    ;;
esac

# Keep the newest $keep nightly logs.
find "$log_dir" -maxdepth 1 -name 'nightly-*.log' -type f -printf '%f\n' 2>/dev/null |
    sort -r | tail -n +"$((keep + 1))" | while read -r old; do rm -f -- "$log_dir/$old"; done

exit "$rc"
