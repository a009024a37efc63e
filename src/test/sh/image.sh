#!/usr/bin/env bash
# The container image test's helper (PackagedImageIT). No registry is reachable where the tests run,
# so the Java runtime image is made from Debian's packages alone, and no OCI runtime can start a
# container there (the sandbox withholds CAP_SYS_RESOURCE: crun and runc both fail at setrlimit), so the
# image's own file system is started with chroot, as the image's user, with its entrypoint.
#   image.sh build TAG          the JRE image (debootstrap bookworm + openjdk-17-jre-headless, kept once
#                               made), then ./Dockerfile on it with podman; prints the image id
#   image.sh mount TAG DATA     mounts the image's file system (read-only, as a container's would be
#                               without a writable layer), /proc, /dev, a tmpfs /tmp and DATA on
#                               /opt/orgsync/data; prints the root
#   image.sh unmount TAG        undoes mount
set -euo pipefail
cd "$(dirname "$0")/../../.."
JRE=localhost/orgsync-jre:bookworm
case "$1" in
  build)
    if ! podman image exists "$JRE"; then
      rootfs=$(mktemp -d /var/tmp/orgsync-jre.XXXXXX)
      debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$rootfs" http://deb.debian.org/debian >&2
      tar -C "$rootfs" -c . | podman import - "$JRE" >&2
      rm -rf "$rootfs"
    fi
    podman build --quiet --isolation=chroot --build-arg JRE_IMAGE="$JRE" -t "$2" .
    ;;
  mount)
    root=$(podman image mount "$2")
    mount --bind /proc "$root/proc"
    mount --bind /dev "$root/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    chown 10001:10001 "$3"
    mount --bind "$3" "$root/opt/orgsync/data"
    echo "$root"
    ;;
  unmount)
    root=$(podman image mount "$2")
    for d in opt/orgsync/data tmp dev proc; do umount "$root/$d" 2>/dev/null || true; done
    podman image unmount --force "$2" >/dev/null
    ;;
  *) echo "usage: image.sh build|mount|unmount TAG [DATA]" >&2; exit 2 ;;
esac
