#!/usr/bin/env bash
# Builds TeamVL (Release) and runs `teamvl serve` with any arguments given.
# Data goes to ./data, the UI and API to port 7860 unless settings say otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTEAMVL_BUILD_TESTS=OFF >/dev/null
cmake --build build --target teamvl
exec build/src/app/teamvl serve "$@"
