#!/bin/bash
# Runs dracut-module/99coresift/coresift-capture.sh outside an initramfs, on a copy whose fixed paths
# (/proc/vmcore, /etc/coresift/capture.conf, /proc/sysrq-trigger) point into a temp dir, with stubs for
# dracut-lib (getargbool, info, warn) and for reboot/poweroff/mount/umount (nothing is rebooted or mounted).
# Checks: a directory TARGET receives coresift-*/vmcore and dmesg.txt, ACTION is honoured, and nothing
# happens without /proc/vmcore.
# Usage: tests/packaging/test-capture-hook.sh [coresift-binary] [vmcore]
#        (defaults out/coresift and out/sample/sample-6.1.vmcore from ./build.sh run)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(realpath "${1:-$ROOT/out/coresift}")
VMCORE=$(realpath "${2:-$ROOT/out/sample/sample-6.1.vmcore}")
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
[ -x "$BIN" ] || fail "no binary $BIN"
[ -f "$VMCORE" ] || fail "no vmcore $VMCORE (./build.sh run makes the sample)"
T=$(mktemp -d /tmp/coresift-hook.XXXXXX); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/target"
ln -s "$BIN" "$T/bin/coresift"
ln -s "$VMCORE" "$T/vmcore"
: >"$T/sysrq"
sed -e "s#/proc/vmcore#$T/vmcore#g" -e "s#/etc/coresift/capture.conf#$T/capture.conf#g" \
    -e "s#/proc/sysrq-trigger#$T/sysrq#g" "$ROOT/dracut-module/99coresift/coresift-capture.sh" >"$T/hook.sh"
grep -q '/proc/sysrq-trigger\|/proc/vmcore' "$T/hook.sh" && fail "path substitution incomplete"
cat >"$T/stubs.sh" <<STUBS
getargbool() { return 1; }
info() { echo "info: \$*"; }
warn() { echo "warn: \$*"; }
reboot() { echo "ACTION reboot \$*"; }
poweroff() { echo "ACTION poweroff \$*"; }
mount() { echo "mount \$*"; }
umount() { echo "umount \$*"; }
STUBS
run() { PATH=$T/bin:$PATH sh -c ". '$T/stubs.sh'; NEWROOT=''; . '$T/hook.sh'" >"$T/out" 2>&1 || true; }

printf 'TARGET=%s\nARGS=-l -d 31 --message-level 4\nACTION=poweroff\n' "$T/target" >"$T/capture.conf"
run; sed 's/^/   /' "$T/out"
d=$(find "$T/target" -mindepth 1 -maxdepth 1 -name 'coresift-*' | head -n1)
if [ -z "$d" ] || [ ! -s "$d/vmcore" ] || [ ! -s "$d/dmesg.txt" ]; then fail "no vmcore/dmesg.txt in $T/target"; fi
grep -q '^ACTION poweroff -f' "$T/out" || fail "ACTION=poweroff not honoured"
"$BIN" --check-params -d 31 "$d/vmcore" "$T/x" || fail "saved vmcore not accepted as input"
pass "directory TARGET: $(basename "$d")/vmcore ($(stat -c %s "$d/vmcore") bytes) and dmesg.txt, then poweroff -f"

rm -rf "$T/target"/*; rm "$T/vmcore"
run
if [ -n "$(ls -A "$T/target")" ] || grep -q ACTION "$T/out"; then fail "hook acted without /proc/vmcore"; fi
pass "without /proc/vmcore the hook does nothing"
echo "PASS: capture hook"
