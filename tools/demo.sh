#!/usr/bin/env bash
# README command 1: set up, build, start the bundled API simulator (no real
# service is reachable here), run the nightly pipeline on the bundled sample
# (data/sample/) against it, start moodmusic-serve on the snapshot and print
# example queries with their answers. Everything it writes goes to var/sample/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target moodmusic moodmusic-serve >/dev/null
echo "== built build/moodmusic and build/moodmusic-serve"

config=data/sample/moodmusic.json
rm -rf var/sample
mkdir -p var/sample
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
# Starts "$@" in the background, waits for its "listening on http://..." line
# and prints the base URL.
start_listener() {
    local log=$1
    shift
    "$@" >"$log" 2>>var/sample/listeners.err &
    pids+=($!)
    for _ in $(seq 200); do grep -q 'listening on http://' "$log" && break; sleep 0.05; done
    grep -o 'http://[0-9.:]*' "$log" | head -n 1
}

echo "== the API simulator (Spotify, MusicBrainz, Last.fm, iTunes stand-ins on loopback)"
sim=$(start_listener var/sample/apisim.out python3 tools/apisim.py --port 0)
[ -n "$sim" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
echo "apisim at $sim"
export SPOTIPY_CLIENT_ID=sim-client-id SPOTIPY_CLIENT_SECRET=sim-client-secret
export LASTFM_API_KEY=sim-lastfm-key
# The simulator does not rate-limit Spotify or iTunes: raise their buckets so the
# demo takes seconds, not minutes. MusicBrainz keeps its real 1 request/s.
sets=(--set "providers.spotify.rate_per_s=50" --set "providers.spotify.burst=10"
      --set "providers.itunes.rate_per_s=50" --set "providers.itunes.burst=10"
      --set "providers.spotify.base_url=$sim/spotify"
      --set "providers.spotify.accounts_url=$sim/spotify-accounts"
      --set "providers.musicbrainz.base_url=$sim/musicbrainz"
      --set "providers.lastfm.base_url=$sim/lastfm"
      --set "providers.itunes.base_url=$sim/itunes")
mm() { echo "\$ moodmusic $*" >&2; ./build/moodmusic -c "$config" "${sets[@]}" "$@"; }

echo "== the nightly pipeline on the bundled sample"
mm config check >/dev/null
mm run 2>var/sample/run.log
echo "(the run logged $(wc -l < var/sample/run.log) JSON lines to var/sample/run.log; the last one:)"
tail -n 1 var/sample/run.log
mm status
mm snapshot list
rejects=$(ls var/sample/reports/*/rejects.csv | head -n 1)
echo "== $(($(wc -l < "$rejects") - 1)) rejected records, with file, line, column and reason ($rejects):"
head -n 6 "$rejects" | cut -c1-160

echo "== the server"
base=$(start_listener var/sample/serve.out ./build/moodmusic-serve -c "$config" --listen 127.0.0.1:0)
cat var/sample/serve.out
first_id=$(sed -n '2p' data/sample/user_requests.csv | cut -d, -f1)
# The first song of the export, as the app would look it up.
lookup=$(python3 -c '
import csv, urllib.parse
row = next(csv.DictReader(open("data/sample/recommended_songs.csv", newline="")))
print(urllib.parse.urlencode({"artist": row["artist"], "title": row["title"]}))')
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
query "/v1/tracks/lookup?$lookup"
query "/v1/moods/chill/tracks?limit=3&popularity=Hot"
query /v1/requests/999999999
query /v1/requests/abc
echo
echo "== done: state, snapshots and reports are in var/sample/"
