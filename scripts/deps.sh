#!/bin/sh
# scripts/deps.sh: check the Debian packages corridor needs to build, test,
# run its private PostgreSQL cluster and render PDF briefs (poppler-utils
# and jq are for the tests that read the briefs and the JSON output).
# As root: installs the missing ones (apt-get update, then apt-get install).
# Otherwise: prints the exact apt-get line and exits 1.
# Silent and fast (one dpkg-query call) when everything is present.
set -eu

PKGS="build-essential gcc make pkg-config
libpq-dev postgresql postgresql-contrib postgresql-common
libgsl-dev libhpdf-dev libcmocka-dev libcsv-dev libjansson-dev libssl-dev
libfreetype-dev
fonts-dejavu-core fonts-sil-abyssinica poppler-utils
valgrind procps time jq"

# dpkg-query prints one status line per known package; unknown ones go to
# stderr and count as missing.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PKGS \
	2>/dev/null | awk '$2 == "ii" { print $1 }') || true
missing=""
for p in $PKGS; do
	case " $(echo $installed) " in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "corridor: missing Debian packages:$missing" >&2
	echo "run as root:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive $line" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing </dev/null
