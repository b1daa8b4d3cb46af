#!/bin/bash
# Builds initramfs images with dracut-module/99coresift straight from the repository (a shadow
# dracut base directory; nothing is written to /usr/lib/dracut) and checks their contents:
#   1. --add coresift: /usr/sbin/coresift is in the image, byte-identical, with no library added for it
#   2. --conf with dracut-module/coresift.conf: the same, through add_dracutmodules
#   3. with a capture.conf: the pre-pivot hook and /etc/coresift/capture.conf are in the image
#   4. without --add: the module is not included (check() returns 255)
# Needs dracut (Debian: apt-get install --no-install-recommends dracut-core) and a kernel in /lib/modules.
# Usage: tests/packaging/test-dracut-module.sh [path/to/coresift]   (default out/coresift)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(realpath "${1:-$ROOT/out/coresift}")
DRACUT_LIB=${DRACUT_LIB:-/usr/lib/dracut}
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

command -v dracut >/dev/null || fail "dracut not installed (apt-get install --no-install-recommends dracut-core)"
command -v lsinitrd >/dev/null || fail "lsinitrd not installed"
[ -x "$BIN" ] || fail "no coresift binary at $BIN (./build.sh publish)"
# shellcheck disable=SC2012
KVER=${KVER:-$(ls -1 /lib/modules | sort -V | head -n1)}
[ -n "$KVER" ] || fail "no kernel in /lib/modules"

T=$(mktemp -d /tmp/coresift-dracut.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/base/modules.d"
for f in "$DRACUT_LIB"/*; do [ "$(basename "$f")" = modules.d ] || ln -s "$f" "$T/base/"; done
for m in "$DRACUT_LIB"/modules.d/*; do ln -s "$m" "$T/base/modules.d/"; done
ln -s "$ROOT/dracut-module/99coresift" "$T/base/modules.d/99coresift"
export dracutbasedir=$T/base CORESIFT_BINARY=$BIN CORESIFT_CAPTURE_CONF=$T/none.conf
echo "$(dracut --version 2>/dev/null | head -n1), kernel $KVER, binary $BIN"

mods=$(dracut --list-modules --kver "$KVER" 2>/dev/null)
grep -qx coresift <<<"$mods" || fail "dracut does not see the coresift module in the shadow base dir"
pass "dracut --list-modules shows coresift"

# Small images: base + our module, no microcode, no strip (so the binary stays byte-identical).
mk() { # mk IMAGE extra-dracut-args...
    local img=$1; shift
    dracut -q --no-hostonly --kver "$KVER" --conf /dev/null --confdir "$T/noconf" \
        --no-early-microcode --nostrip -m "base" "$@" -f "$img" >"$img.log" 2>&1 \
        || { cat "$img.log" >&2; fail "dracut $* failed"; }
}
mkdir -p "$T/noconf"

# Libraries in an image: the set of lib*.so* paths.
libs() { lsinitrd "$1" 2>/dev/null | grep -oE '[^ ]*lib[^ /]*\.so[^ ]*$' | sed 's/ ->.*//' | sort -u; }

check_binary() { # check_binary IMAGE
    local img=$1 line
    line=$(lsinitrd "$img" 2>/dev/null | grep -E ' usr/sbin/coresift$') || fail "$img: usr/sbin/coresift missing"
    echo "   $line"
    mkdir -p "$T/x"; rm -rf "$T/x"/*
    (cd "$T/x" && lsinitrd --unpack "$img" usr/sbin/coresift >/dev/null 2>&1) || true
    cmp -s "$T/x/usr/sbin/coresift" "$BIN" || fail "$img: usr/sbin/coresift differs from $BIN"
    pass "$(basename "$img"): usr/sbin/coresift present and byte-identical ($(stat -c %s "$BIN") bytes)"
}

# 0. reference image without the module, to see which libraries coresift adds.
mk "$T/ref.img"
libs "$T/ref.img" >"$T/ref.libs"
if lsinitrd "$T/ref.img" 2>/dev/null | grep ' usr/sbin/coresift$' >/dev/null; then fail "ref.img has coresift without --add"; fi
pass "without --add coresift: module not included ($(wc -l <"$T/ref.libs") libraries in the base image)"

# 1. --add coresift
mk "$T/add.img" --add coresift
check_binary "$T/add.img"
libs "$T/add.img" >"$T/add.libs"
extra=$(comm -13 "$T/ref.libs" "$T/add.libs")
[ -z "$extra" ] || fail "--add coresift added libraries: $extra"
pass "--add coresift added no shared library (same $(wc -l <"$T/add.libs") libraries as the base image)"
if lsinitrd "$T/add.img" 2>/dev/null | grep 'coresift-capture' >/dev/null; then fail "capture hook installed without capture.conf"; fi
pass "no capture hook without capture.conf"

# 2. the conf snippet
mkdir -p "$T/conf.d"; cp "$ROOT/dracut-module/coresift.conf" "$T/conf.d/"
dracut -q --no-hostonly --kver "$KVER" --conf /dev/null --confdir "$T/conf.d" \
    --no-early-microcode --nostrip -m base -f "$T/conf.img" >"$T/conf.log" 2>&1 \
    || { cat "$T/conf.log" >&2; fail "dracut with coresift.conf failed"; }
check_binary "$T/conf.img"

# 3. standalone capture hook
cp "$ROOT/dracut-module/capture.conf.example" "$T/capture.conf"
CORESIFT_CAPTURE_CONF=$T/capture.conf mk "$T/cap.img" --add coresift
lst=$(lsinitrd "$T/cap.img" 2>/dev/null)
echo "$lst" | grep -E 'hooks/pre-pivot/90-coresift-capture.sh$' | sed 's/^/   /' \
    || fail "cap.img: pre-pivot hook missing"
echo "$lst" | grep -E ' etc/coresift/capture.conf$' | sed 's/^/   /' || fail "cap.img: capture.conf missing"
check_binary "$T/cap.img"
pass "with capture.conf: pre-pivot hook and config installed"

echo "PASS: dracut module"
