#!/usr/bin/env bash
# The console's browser test (ConsoleIT) drives Debian's chromium through its chromedriver. The build
# runs this before the integration tests: when the two are missing it installs Debian's packages
# (chromium, chromium-driver) with apt-get, as root or through sudo without a password. Anything
# else stops the build with the command to run by hand.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
install() {
  DEBIAN_FRONTEND=noninteractive "$@" apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null \
    || { "$@" apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive "$@" apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null; }
}
if command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Debian's chromium and chromium-driver for the console's browser test"
  if [ "$(id -u)" = 0 ]; then
    install env && exit 0
  elif sudo -n true 2>/dev/null; then
    install sudo -n env && exit 0
  fi
fi
echo "ensure-chromium: the console's browser test needs Debian's chromium and chromium-driver;" \
     "install them (sudo apt-get install chromium chromium-driver) and run the build again" >&2
exit 1
