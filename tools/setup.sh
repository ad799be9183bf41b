#!/usr/bin/env bash
# Installs every Debian package moodmusic needs and builds the FAISS C API
# static library (Debian's libfaiss.a lacks it) into build-deps/ (ignored).
# Idempotent: a second run only checks and takes seconds. Never edits the
# machine's apt sources: the deb-src entry lives in a private sources list.
#
#   tools/setup.sh           what building, testing and the demo need
#   tools/setup.sh --bench   also the peers the benchmarks compare against
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/build-deps"
packages=(build-essential cmake pkg-config python3 dpkg-dev
          libcurl4-openssl-dev libmsgpack-dev liblmdb-dev lmdb-utils libfaiss-dev
          libcsv-dev zlib1g-dev libcmocka-dev libjansson-dev libssl-dev
          libopenblas-dev liblapack-dev libhnswlib-dev curl)
bench_packages=(postgresql-15 time)
if [ "${1:-}" = "--bench" ]; then
    packages+=("${bench_packages[@]}")
elif [ -n "${1:-}" ]; then
    echo "usage: tools/setup.sh [--bench]" >&2
    exit 2
fi

fail() {
    echo "setup: FAILED: $1" >&2
    echo "setup: what to do: $2" >&2
    exit 1
}

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && { echo "setup: Debian packages present"; return; }
    echo "setup: installing ${missing[*]}"
    sudo_if_needed apt-get update -qq \
        || fail "apt-get update" "check network access to the Debian mirrors"
    DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null \
        || fail "apt-get install ${missing[*]}" "run it by hand to see apt's message"
}

# Fetches Debian's faiss source of the installed version through a private
# apt configuration (own sources list and lists dir), so /etc/apt is untouched.
fetch_faiss_source() {
    local version=$1 src=$2 apt_dir="$deps/apt"
    mkdir -p "$apt_dir/lists/partial"
    local uri
    uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1 | awk '{print $2}')
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    echo "deb-src $uri bookworm main" > "$apt_dir/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=-"
                -o "Dir::State::Lists=$apt_dir/lists" -o "APT::Sandbox::User=root")
    apt-get "${opts[@]}" update -qq \
        || fail "apt-get update for the deb-src entry" "check access to $uri"
    (cd "$apt_dir" && apt-get "${opts[@]}" source --download-only -qq "faiss=$version") \
        || fail "apt-get source faiss=$version" "check that $uri still carries faiss $version"
    rm -rf "$src" && mkdir -p "$src"
    dpkg-source --no-check -x "$apt_dir"/faiss_*.dsc "$src/tree" >/dev/null \
        || fail "dpkg-source -x faiss" "remove $apt_dir and rerun"
}

build_faiss_c_api() {
    local version lib="$deps/faiss-c/lib/libfaiss_c.a"
    version=$(dpkg-query -W -f='${source:Version}' libfaiss-dev)
    if [ -f "$lib" ] && [ "$(cat "$deps/faiss-c/version" 2>/dev/null)" = "$version" ]; then
        echo "setup: FAISS C API $version present"
        return
    fi
    echo "setup: building the FAISS C API from Debian's faiss $version source"
    local src="$deps/faiss-src"
    fetch_faiss_source "$version" "$src"
    local out="$deps/faiss-c" obj="$deps/faiss-c/obj"
    rm -rf "$out" && mkdir -p "$obj" "$out/lib" "$out/include/faiss"
    local f
    for f in "$src"/tree/c_api/*.cpp "$src"/tree/c_api/impl/*.cpp "$src"/tree/c_api/utils/*.cpp; do
        [ -f "$f" ] || continue
        local name=${f#"$src"/tree/c_api/}
        echo "${name//\//_}"
    done > "$out/sources.txt"
    # Compile in parallel: about a minute on 2 cores.
    (cd "$src/tree" && find c_api -name '*.cpp' ! -path '*/gpu/*' -print0 \
        | xargs -0 -P "$(nproc)" -I{} sh -c \
          'g++ -O2 -fPIC -std=c++17 -fopenmp -I. -c "$1" -o "$2/$(echo "$1" | tr / _).o"' _ {} "$obj") \
        || fail "compiling faiss c_api" "see the compiler errors above"
    ar rcs "$lib" "$obj"/*.o || fail "ar libfaiss_c.a" "check disk space"
    (cd "$src/tree" && find c_api -name '*.h' ! -path '*/gpu/*' -exec cp --parents {} "$out/include/" \;)
    rm -rf "$obj"
    echo "$version" > "$out/version"
    echo "setup: FAISS C API built at $lib"
}

install_packages
build_faiss_c_api
echo "setup: done"
