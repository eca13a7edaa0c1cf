#!/usr/bin/env bash
# Installs the Debian packages every component lists in scripts/deps/*.txt
# (only the missing ones), then configures and builds eel in build/.
# Usage: scripts/setup.sh [BUILD_DIR [extra cmake args...]]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
shift || true

need=()
for pkg in $(cat "$here"/scripts/deps/*.txt | sed 's/#.*//' | sort -u); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
        need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages and not root; run as root or install: ${need[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cmake -S "$here" -B "$build" -G Ninja "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
