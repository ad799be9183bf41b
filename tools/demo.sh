#!/usr/bin/env bash
# README command 1: set up, build, run the nightly pipeline on the bundled
# sample (data/sample/), start moodmusic-serve on it and print example queries
# with their answers. Everything it writes goes to var/sample/ (ignored).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target moodmusic moodmusic-serve >/dev/null
echo "== built build/moodmusic and build/moodmusic-serve"

config=data/sample/moodmusic.json
rm -rf var/sample
mm() { echo "\$ moodmusic $*" >&2; ./build/moodmusic -c "$config" "$@"; }

echo "== the nightly pipeline on the bundled sample"
mm config check >/dev/null
mkdir -p var/sample
mm run 2>var/sample/run.log
echo "(the run logged $(wc -l < var/sample/run.log) JSON lines to var/sample/run.log; the last one:)"
tail -n 1 var/sample/run.log
mm status
mm snapshot list
rejects=$(ls var/sample/reports/*/rejects.csv | head -n 1)
echo "== $(($(wc -l < "$rejects") - 1)) rejected records, with file, line, column and reason ($rejects):"
head -n 6 "$rejects" | cut -c1-160

echo "== the server"
log=$(mktemp)
./build/moodmusic-serve -c "$config" --listen 127.0.0.1:0 >"$log" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
cat "$log"
base=$(grep -o 'http://[0-9.:]*' "$log")
first_id=$(sed -n '2p' data/sample/user_requests.csv | cut -d, -f1)
query() {
    echo
    echo "\$ curl -s $base$1"
    curl -s -w '\n(HTTP %{http_code})\n' "$base$1" | python3 -c '
import json, sys
body, status = sys.stdin.read().rsplit("\n(HTTP ", 1)
text = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
lines = text.splitlines()
print("\n".join(lines[:40] + (["  ... (%d more lines)" % (len(lines) - 40)] if len(lines) > 40 else [])))
print("(HTTP " + status.strip())'
}
query /healthz
query /v1/snapshot
query "/v1/requests/$first_id"
query /v1/requests/999999999
query /v1/requests/abc
echo
echo "== done: state, snapshots and reports are in var/sample/"
