#!/usr/bin/env bash
# Builds TeamVL (Release) and runs `teamvl serve` with any arguments given.
# Data goes to ./data, the UI and API to port 7860 unless settings say otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
# The web UI into web/dist, which teamvl serves (found from the working
# directory). Without it the server still runs and serves the API.
(cd web && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } && npm run build) ||
  echo "warning: the web UI could not be built (npm); serving the API only" >&2
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTEAMVL_BUILD_TESTS=OFF >/dev/null
cmake --build build --target teamvl
exec build/src/app/teamvl serve "$@"
