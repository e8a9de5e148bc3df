#!/usr/bin/env bash
# fetch_lwip.sh DIR — lwIP 2.1.3 from Debian's `lwip` source package, unpacked as DIR/lwip-2.1.3.
#
# The build calls this into its own tree: third-party code is never committed. The tarball is the
# package's upstream source (Debian's patches are for its Linux port and are not applied), checked
# against the SHA-256 below and kept in DIR, so a rebuild fetches nothing; the project's own
# corrections (fix_lwip.py) are then made to the unpacked copy. Debian's archive is
# asked through apt-get without touching the system's apt lists (../shared/PLATFORM.md); if apt
# cannot, the same file is taken from the archive's pool directly.
set -euo pipefail

DIR="${1:?usage: fetch_lwip.sh DIR}"
VERSION=2.1.3
TARBALL="lwip_${VERSION}+dfsg1.orig.tar.xz"
SHA256=0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24
POOL_URL="https://deb.debian.org/debian/pool/main/l/lwip/$TARBALL"

FIXES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fix_lwip.py"
# The unpacked tree is redone whenever the project's corrections change.
STAMP="$(sha256sum "$FIXES" | cut -d' ' -f1)"

mkdir -p "$DIR"
cd "$DIR"
if [ -f "lwip-$VERSION/src/core/init.c" ] && [ "$(cat "lwip-$VERSION/.verified" 2>/dev/null)" = "$STAMP" ]; then
    exit 0
fi

verified() { [ -f "$TARBALL" ] && echo "$SHA256  $TARBALL" | sha256sum -c --status; }

from_apt() {
    mkdir -p apt/lists/partial apt/archives/partial
    echo "deb-src http://deb.debian.org/debian bookworm main" > apt/sources.list
    local options=(-o "Dir::Etc::SourceList=$PWD/apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
                   -o "Dir::State::Lists=$PWD/apt/lists" -o "Dir::Cache::Archives=$PWD/apt/archives"
                   -o "APT::Sandbox::User=$(id -un)" -q)
    apt-get "${options[@]}" update >/dev/null && apt-get "${options[@]}" source --download-only lwip >/dev/null
}

from_pool() {
    if command -v curl >/dev/null; then
        curl -fsSL -o "$TARBALL.part" "$POOL_URL"
    else
        python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
            "$POOL_URL" "$TARBALL.part"
    fi
    mv "$TARBALL.part" "$TARBALL"
}

if ! verified; then
    echo "fetch_lwip: fetching Debian's lwip $VERSION source package" >&2
    rm -f "$TARBALL"
    from_apt || echo "fetch_lwip: apt-get source failed; trying $POOL_URL" >&2
    verified || from_pool || true
    if ! verified; then
        echo "fetch_lwip: could not get $TARBALL with SHA-256 $SHA256" >&2
        exit 1
    fi
fi
rm -rf "lwip-$VERSION"
tar -xf "$TARBALL"
[ -f "lwip-$VERSION/src/core/init.c" ] || { echo "fetch_lwip: $TARBALL holds no lwIP" >&2; exit 1; }
python3 "$FIXES" "lwip-$VERSION"
echo "$STAMP" > "lwip-$VERSION/.verified"
echo "fetch_lwip: lwIP $VERSION in $PWD/lwip-$VERSION" >&2
