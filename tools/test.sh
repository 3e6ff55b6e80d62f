#!/usr/bin/env bash
# Builds TeamVL with tests (Release) and runs every test: unit, api and slow.
# Fixture tests use ../shared/fixtures when it is there and skip otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --test
jobs=$(nproc)
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Release -DTEAMVL_BUILD_TESTS=ON >/dev/null
cmake --build build-test -j "$jobs"
ctest --test-dir build-test --output-on-failure --timeout 900 -j "$jobs" "$@"
