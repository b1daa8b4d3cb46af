#!/bin/bash
# Builds the Debian packages from a clean copy of the repository (packaging/debian copied to debian/),
# lists them, installs coresift on this machine, builds a no-hostonly initramfs with
#   dracut --no-hostonly -f IMG --add coresift
# and checks with lsinitrd that usr/sbin/coresift is inside, equal to the installed file, and that the
# image has no shared library a reference image (same command without --add coresift) lacks.
# Removes the packages afterwards (also on failure). Needs root, debhelper, dpkg-dev, dracut-core,
# the .NET SDK (dpkg-buildpackage -d: the SDK is not an apt package here) and NuGet access or cache.
# Usage: tests/packaging/test-deb.sh            (KVER=... to pick the kernel; KEEP=1 keeps the work dir)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
for c in dpkg-buildpackage dh dracut lsinitrd; do command -v $c >/dev/null || fail "$c missing (apt-get install --no-install-recommends debhelper dpkg-dev dracut-core)"; done
dpkg-query -W -f='${Status}' coresift 2>/dev/null | grep -q "install ok installed" && fail "coresift is already installed; remove it first"
# shellcheck disable=SC2012
KVER=${KVER:-$(ls -1 /lib/modules | sort -V | head -n1)}

W=$(mktemp -d /tmp/coresift-deb.XXXXXX)
installed=''
dummy=''
cleanup() {
    [ -n "$dummy" ] && rm -f /usr/sbin/makedumpfile
    if [ -n "$installed" ]; then
        dpkg -r coresift-makedumpfile-compat coresift >/dev/null 2>&1 && echo "removed the packages (dpkg -r)"
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "work dir kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

# 1. clean copy and build
tar=$("$ROOT/tests/packaging/make-tarball.sh" "$W")
tar -xzf "$tar" -C "$W"
src=$(echo "$W"/coresift-*/)
cp -a "$src/packaging/debian" "$src/debian"
start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b -d) >"$W/build.log" 2>&1 || { tail -40 "$W/build.log" >&2; fail "dpkg-buildpackage failed (log $W/build.log)"; }
pass "dpkg-buildpackage -us -uc -b -d in $(( $(date +%s) - start )) s"
deb=$(ls "$W"/coresift_*_amd64.deb); compat=$(ls "$W"/coresift-makedumpfile-compat_*_amd64.deb)

# 2. contents
dpkg -c "$deb" | tee "$W/contents" | sed 's/^/   /'
for p in ./usr/sbin/coresift ./usr/lib/dracut/modules.d/99coresift/module-setup.sh \
         ./usr/lib/dracut/modules.d/99coresift/coresift-capture.sh ./usr/share/man/man8/coresift.8.gz; do
    grep -q " $p\$" "$W/contents" || fail "$deb lacks $p"
done
pass "$(basename "$deb") holds the binary, the dracut module and the man page"
grep -q ' ./usr/share/doc/coresift/copyright$' "$W/contents" || fail "$deb lacks usr/share/doc/coresift/copyright"
mkdir -p "$W/c"; dpkg-deb -x "$deb" "$W/c"
grep -q '^License: Expat$' "$W/c/usr/share/doc/coresift/copyright" || fail "debian/copyright does not say License: Expat (MIT)"
pass "usr/share/doc/coresift/copyright: DEP-5, License: Expat (MIT)"
dpkg -I "$deb" | grep -E '^ (Depends|Recommends):' | sed 's/^/   /'

# 3. install and build an initramfs
dpkg -i "$deb" >/dev/null; installed=1
pass "dpkg -i $(basename "$deb")"
/usr/sbin/coresift -v | head -n1 | sed 's/^/   /'
file -b /usr/sbin/coresift | grep -q 'statically linked' || fail "/usr/sbin/coresift is not static"
man -w coresift >/dev/null || fail "man coresift not found"
pass "installed binary is static and runs; man coresift found"

img=/tmp/cs-initrd.img
start=$(date +%s)
dracut -q --no-hostonly --kver "$KVER" -f "$img" --add coresift >"$W/dracut.log" 2>&1 || { cat "$W/dracut.log" >&2; fail "dracut --add coresift failed"; }
pass "dracut --no-hostonly --kver $KVER -f $img --add coresift ($(( $(date +%s) - start )) s, $(stat -c %s "$img") bytes)"
dracut -q --no-hostonly --kver "$KVER" -f "$W/ref.img" >"$W/dracut-ref.log" 2>&1 || { cat "$W/dracut-ref.log" >&2; fail "reference dracut failed"; }

lsinitrd "$img" 2>/dev/null >"$W/img.lst"; lsinitrd "$W/ref.img" 2>/dev/null >"$W/ref.lst"
grep -E ' usr/sbin/coresift$' "$W/img.lst" | sed 's/^/   /' || fail "usr/sbin/coresift not in $img"
grep -E ' usr/sbin/coresift$' "$W/ref.lst" >/dev/null && fail "coresift in the image without --add"
mkdir -p "$W/x"; (cd "$W/x" && lsinitrd --unpack "$img" usr/sbin/coresift >/dev/null 2>&1) || true
cmp -s "$W/x/usr/sbin/coresift" /usr/sbin/coresift || fail "usr/sbin/coresift in the image differs from /usr/sbin/coresift"
pass "usr/sbin/coresift is in $img and equal to the installed binary"
libs() { grep -oE '[^ ]*lib[^ /]*\.so[^ ]*$' "$1" | sed 's/ ->.*//' | sort -u; }
libs "$W/img.lst" >"$W/img.libs"; libs "$W/ref.lst" >"$W/ref.libs"
extra=$(comm -13 "$W/ref.libs" "$W/img.libs")
[ -z "$extra" ] || fail "--add coresift added libraries: $extra"
pass "no shared library added for coresift ($(wc -l <"$W/img.libs") libraries in both images)"

# 4. compat package: registers the alternative only when no real makedumpfile exists
if [ ! -e /usr/sbin/makedumpfile ]; then
    # a stand-in for a real makedumpfile (a regular file): the compat package must leave it alone
    printf '#!/bin/sh\necho real-makedumpfile\n' >/usr/sbin/makedumpfile; chmod 755 /usr/sbin/makedumpfile; dummy=1
    dpkg -i "$compat" >"$W/compat0.log" 2>&1 || { cat "$W/compat0.log" >&2; fail "dpkg -i compat (real makedumpfile) failed"; }
    [ "$(/usr/sbin/makedumpfile)" = real-makedumpfile ] || fail "compat replaced a real /usr/sbin/makedumpfile"
    grep -q 'not replacing' "$W/compat0.log" || fail "compat gave no message about the real makedumpfile"
    dpkg -r coresift-makedumpfile-compat >/dev/null
    [ "$(/usr/sbin/makedumpfile)" = real-makedumpfile ] || fail "compat removal touched a real /usr/sbin/makedumpfile"
    rm -f /usr/sbin/makedumpfile; dummy=''
    pass "coresift-makedumpfile-compat left a real (regular file) /usr/sbin/makedumpfile alone: $(grep 'not replacing' "$W/compat0.log")"
fi
dpkg -i "$compat" >"$W/compat.log" 2>&1 || { cat "$W/compat.log" >&2; fail "dpkg -i compat failed"; }
if [ -L /usr/sbin/makedumpfile ]; then
    [ "$(readlink -f /usr/sbin/makedumpfile)" = /usr/sbin/coresift ] || fail "makedumpfile alternative does not point at coresift"
    /usr/sbin/makedumpfile -v | head -n1 | sed 's/^/   makedumpfile -v: /'
    pass "coresift-makedumpfile-compat: /usr/sbin/makedumpfile -> $(readlink /usr/sbin/makedumpfile)"
else
    grep -q 'not replacing' "$W/compat.log" || fail "compat: no alternative and no message"
    pass "coresift-makedumpfile-compat left the real makedumpfile alone"
fi
dpkg -r coresift-makedumpfile-compat >/dev/null
[ -L /usr/sbin/makedumpfile ] && [ "$(readlink -f /usr/sbin/makedumpfile)" = /usr/sbin/coresift ] && fail "alternative left after removal"
pass "dpkg -r coresift-makedumpfile-compat removed the alternative"
echo "PASS: Debian package"
