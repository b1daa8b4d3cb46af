#!/bin/bash
# Writes DIR/coresift-VERSION.tar.gz (prefix coresift-VERSION/): git archive HEAD, plus the working-tree
# copies of the packaging files (dracut-module, docs, packaging, tests/packaging), so that uncommitted
# packaging work can be built. Prints the tarball path. Usage: make-tarball.sh DIR [VERSION]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$(realpath "${1:?usage: make-tarball.sh DIR [VERSION]}")
VER=${2:-$(sed -n 's/^Version: *//p' "$ROOT/packaging/rpm/coresift.spec")}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
mkdir -p "$W/coresift-$VER" "$DIR"
git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$W/coresift-$VER"
for d in dracut-module docs packaging tests/packaging; do
    [ -d "$ROOT/$d" ] || continue
    mkdir -p "$W/coresift-$VER/$d"
    cp -a "$ROOT/$d/." "$W/coresift-$VER/$d/"
done
tar -C "$W" --owner=0 --group=0 -czf "$DIR/coresift-$VER.tar.gz" "coresift-$VER"
echo "$DIR/coresift-$VER.tar.gz"
