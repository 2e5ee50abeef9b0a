#!/bin/sh
# tools/deps-time.sh - how long `make deps` and `make deps-test` take on a
# fresh machine, and what they install.  Run as root, one command:
#
#   sudo tools/deps-time.sh
#
# It makes a fresh Debian root of this machine's release with debootstrap
# (--variant=minbase: dpkg, apt and little else; from this machine's Debian
# mirror, found in /etc/apt/sources.list*, or $MIRROR), gives it that mirror's
# main, -updates and -security suites, copies tools/deps.sh in, and in the
# root (chroot, /proc mounted) times `sh deps.sh run` (make deps) and then
# `sh deps.sh test` (make deps-test, which adds the test-only set).  For each
# it prints the wall-clock seconds, the packages it installed, their download
# size (the .deb files apt fetched) and their installed size (dpkg's
# Installed-Size).  The seconds include deps.sh's apt-get update and the
# download, so the mirror's speed counts, and the machine's load does too;
# the debootstrap itself is not counted.  The root is made under
# ${TMPDIR:-/var/tmp} (about 4 GB at the end) and removed on exit, even on
# failure or ^C.  Needs debootstrap (apt-get install debootstrap).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "deps-time: run as root (sudo tools/deps-time.sh)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "deps-time: debootstrap missing (apt-get install debootstrap)" >&2; exit 2; }
. /etc/os-release
suite=${VERSION_CODENAME:?deps-time: no VERSION_CODENAME in /etc/os-release}

# this machine's mirrors: one-line (deb [opts] URL suite ...) or deb822 (URIs:)
uris=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
	sed -n -e 's/\[[^]]*\]//' -e 's/^deb[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' -e 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' | grep . || true)
MIRROR=${MIRROR:-$(printf '%s\n' "$uris" | grep -v security | grep -m1 '/debian/\{0,1\}$' || echo http://deb.debian.org/debian)}
SECURITY=${SECURITY:-$(printf '%s\n' "$uris" | grep -m1 '/debian-security/\{0,1\}$' || echo http://security.debian.org/debian-security)}

root=$(mktemp -d "${TMPDIR:-/var/tmp}/tl-deps-time.XXXXXX")
log=$root.log
cleanup() {
	umount "$root/proc" 2>/dev/null || true
	# nothing may stay mounted under the root we are about to remove
	if grep -q " $root/" /proc/mounts; then
		echo "deps-time: still mounted under $root, not removing it" >&2
	else
		rm -rf --one-file-system "$root"
	fi
	rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo "deps-time: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, Debian $suite from $MIRROR"
echo "deps-time: debootstrap --variant=minbase $suite into $root (not counted)"
debootstrap --variant=minbase "$suite" "$root" "$MIRROR" >"$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; echo "deps-time: debootstrap failed" >&2; exit 1; }
printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
	"$MIRROR" "$suite" "$MIRROR" "$suite" "$SECURITY" "$suite" >"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$top/tools/deps.sh" "$root/deps.sh"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
in_root apt-get clean

# packages installed; their Installed-Size in KiB
count() { in_root dpkg-query -W -f='${db:Status-Abbrev}\n' | grep -c '^ii'; }
kib() { in_root dpkg-query -W -f='${db:Status-Abbrev} ${Installed-Size}\n' | awk '/^ii/ { s += $2 } END { print s + 0 }'; }
# the .deb files apt fetched, in bytes
fetched() { find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }

for set in run test; do
	n0=$(count) k0=$(kib)
	t0=$(date +%s)
	in_root sh /deps.sh "$set" >"$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; echo "deps-time: sh deps.sh $set failed" >&2; exit 1; }
	t1=$(date +%s)
	n1=$(count) k1=$(kib) dl=$(fetched)
	in_root apt-get clean
	case $set in run) name="make deps     " ;; test) name="make deps-test" ;; esac
	echo "$name (sh deps.sh $set): $((t1 - t0)) s, $((n1 - n0)) packages, download $(mb "$dl"), installed $(mb $(((k1 - k0) * 1024)))"
done
