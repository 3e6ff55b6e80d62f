#!/usr/bin/env bash
# Builds the web UI and TeamVL with tests (Release) and runs every test:
# unit, api, slow and web (the browser test in headless Chromium).
# Fixture tests use ../shared/fixtures when it is there and skip otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --test
# The web UI (web/dist, served by teamvl and used by the browser tests).
(cd web && npm ci --no-audit --no-fund && npm run build)
jobs=$(nproc)
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Release -DTEAMVL_BUILD_TESTS=ON >/dev/null
cmake --build build-test -j "$jobs"
ctest --test-dir build-test --output-on-failure --timeout 900 -j "$jobs" "$@"
