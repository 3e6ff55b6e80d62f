#!/usr/bin/env bash
# Installs the Debian 12 packages TeamVL needs to build, run and test,
# skipping what is already there. Runs apt-get as root, or through sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libssl-dev libsodium-dev nlohmann-json3-dev libyaml-cpp-dev
  libsqlite3-dev libpcre2-dev
  libjpeg-dev libpng-dev libwebp-dev libgif-dev libexif-dev libpoppler-cpp-dev libstb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
if [ "${1:-}" = "--test" ]; then
  # chromium (+ a CJK font for the zh-CN screenshots): the browser test of the web UI
  packages+=(clang chromium fonts-wqy-microhei)
fi
# The web UI is built with npm. A Node.js from elsewhere (e.g. a newer one
# that bundles npm) is kept: Debian's packages are added only when missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
