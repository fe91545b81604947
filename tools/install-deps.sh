#!/bin/sh
# Install the Debian packages listed in tools/deps/*.txt that are missing.
# Usage: tools/install-deps.sh [LIST...]   (default: every list)
# Runs apt-get as root (directly, or through sudo when available).
set -e
here=$(dirname "$0")
lists=${*:-$(ls "$here"/deps/*.txt)}
want=$(cat $(for l in $lists; do
	case "$l" in */*) echo "$l" ;; *) echo "$here/deps/$l.txt" ;; esac
done) | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u)
missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# A dpkg run that was interrupted earlier (a killed session) blocks apt:
# finish it first. Another apt-get holding the lock is waited for.
$SUDO dpkg --configure -a >/dev/null 2>&1 || true
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
