#!/usr/bin/env bash
# Debian packages two integration tests need, installed before the integration tests when missing:
#   chromium, chromium-driver  the console's browser test (ConsoleIT)
#   podman, debootstrap        the container image test (PackagedImageIT): the image is built from
#                              Debian's packages alone, as no container registry is reachable here
# With apt-get, as root or through sudo without a password. Anything else stops the build with the
# command to run by hand.
set -euo pipefail
packages=()
command -v chromium >/dev/null || packages+=(chromium)
command -v chromedriver >/dev/null || packages+=(chromium-driver)
command -v podman >/dev/null || packages+=(podman)
command -v debootstrap >/dev/null || packages+=(debootstrap)
[ ${#packages[@]} -eq 0 ] && exit 0
install() {
  DEBIAN_FRONTEND=noninteractive "$@" apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null \
    || { "$@" apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive "$@" apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null; }
}
if command -v apt-get >/dev/null; then
  echo "ensure-test-tools: installing Debian's ${packages[*]} for the integration tests"
  if [ "$(id -u)" = 0 ]; then
    install env && exit 0
  elif sudo -n true 2>/dev/null; then
    install sudo -n env && exit 0
  fi
fi
echo "ensure-test-tools: the integration tests need Debian's ${packages[*]};" \
     "install them (sudo apt-get install ${packages[*]}) and run the build again" >&2
exit 1
