#!/bin/bash
# Builds the RPMs from a tarball of the repository (make-tarball.sh: git archive HEAD + working-tree
# packaging files) with rpmbuild -bb --nodeps (on Debian the rpm database knows no BuildRequires), then
# checks with rpm -qlp that the binary, the dracut module and the man page are packaged.
# Needs rpm (apt-get install --no-install-recommends rpm), the .NET SDK and NuGet access or cache.
# Usage: tests/packaging/test-rpm.sh [TOPDIR]   (default /tmp/rpmtop, emptied first)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOP=${1:-/tmp/rpmtop}
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
command -v rpmbuild >/dev/null || fail "rpmbuild missing (apt-get install --no-install-recommends rpm)"
rm -rf "$TOP"; mkdir -p "$TOP/SOURCES"
"$ROOT/tests/packaging/make-tarball.sh" "$TOP/SOURCES" >/dev/null
start=$(date +%s)
rpmbuild -bb --nodeps --define "_topdir $TOP" "$ROOT/packaging/rpm/coresift.spec" >"$TOP/build.log" 2>&1 \
    || { tail -40 "$TOP/build.log" >&2; fail "rpmbuild failed (log $TOP/build.log)"; }
pass "rpmbuild -bb in $(( $(date +%s) - start )) s"
main=$(ls "$TOP"/RPMS/*/coresift-[0-9]*.rpm)
for f in "$TOP"/RPMS/*/*.rpm; do echo "== $(basename "$f")"; rpm -qlp "$f" 2>/dev/null | sed 's/^/   /'; done
list=$(rpm -qlp "$main" 2>/dev/null)
for p in /usr/sbin/coresift /usr/lib/dracut/modules.d/99coresift/module-setup.sh \
         /usr/lib/dracut/modules.d/99coresift/coresift-capture.sh /usr/share/man/man8/coresift.8; do
    grep -qx -- "$p" <<<"$list" || fail "$(basename "$main") lacks $p"
done
grep -q '^/etc/' <<<"$list" && fail "$(basename "$main") installs into /etc (the conf snippet must not be active)"
pass "$(basename "$main") holds the binary, the dracut module and the man page, nothing in /etc"
# %license goes to %{_defaultlicensedir}/%{name} on Fedora, /usr/share/licenses/NAME-VERSION with Debian's rpm
lic=$(grep -E '^/usr/share/licenses/coresift(-[0-9.]+)?/LICENSE$' <<<"$list") || fail "$(basename "$main") lacks the %license file LICENSE"
[ "$(rpm -qp --qf '%{LICENSE}' "$main" 2>/dev/null)" = MIT ] || fail "$(basename "$main"): License is not MIT"
pass "License: MIT, $lic packaged"
rpm -qp --requires "$main" 2>/dev/null | grep -v '^rpmlib' | sed 's/^/   requires: /'
d=$(mktemp -d); (cd "$d" && rpm2cpio "$main" | cpio -id --quiet ./usr/sbin/coresift)
"$d/usr/sbin/coresift" -v | head -n1 | sed 's/^/   /'; file -b "$d/usr/sbin/coresift" | grep -q 'statically linked' || fail "not static"
rm -rf "$d"
pass "packaged binary runs and is static"
echo "PASS: RPM"
