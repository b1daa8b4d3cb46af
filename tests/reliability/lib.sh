# Shared helpers of the reliability scripts (sourced, not run).
# Needs: ROOT (repository root). Sets CORESIFT, MAKEDUMPFILE, VMCORE, RESULTS, CHECK.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CORESIFT=${CORESIFT:-$ROOT/out/coresift}
MAKEDUMPFILE=${MAKEDUMPFILE:-$(command -v makedumpfile || echo /usr/sbin/makedumpfile)}
VMCORE=${VMCORE:-$ROOT/out/sample/sample-6.1.vmcore}
RESULTS=${RESULTS:-$ROOT/tests/reliability/results}
CHECK=$ROOT/tests/reliability/dumpcheck.py

rel_log() { printf '%s: %s\n' "${PROG:-reliability}" "$*" >&2; }
rel_die() { rel_log "error: $*"; exit 1; }

# Needs root, the binary, the sample vmcore (./build.sh run or test makes it) and makedumpfile.
rel_require() {
    [ "$(id -u)" = 0 ] || rel_die "run as root (mounts, cgroups)"
    [ -x "$CORESIFT" ] || rel_die "$CORESIFT missing: ./build.sh publish"
    if [ ! -s "$VMCORE" ]; then
        rel_log "decompressing the sample vmcore"
        mkdir -p "$(dirname "$VMCORE")"
        zstd -q -d -f --long=27 --sparse "$ROOT/tests/data/sample-6.1.vmcore.zst" -o "$VMCORE"
    fi
    [ -x "$MAKEDUMPFILE" ] || rel_die "makedumpfile not installed"
    mkdir -p "$RESULTS"
}

# A short, tab-free reason from a tool's output file: its first line that names an error, else its last line.
rel_reason() {
    local pat="Can't|[Cc]annot|Could not|[Ee]rror|[Ii]nvalid|truncated|unreadable|not supported|No such|No space|Interrupted"
    { grep -E -m1 "$pat" "$1" 2>/dev/null || grep -v -e '^\s*$' -e 'Failed\.$' -e 'Completed\.$' -e '%\]' "$1" 2>/dev/null | tail -1; } \
        | tr '\t\r' '  ' | sed -e 's/.*\r//' -e "s#/tmp/coresift-[a-z]*\.[A-Za-z0-9]*/##g" | cut -c1-110 || true
}

# rel_outcome RC LOG: "ok", or "fail: reason" (a process killed by a signal says so: "killed by SIGBUS").
rel_outcome() {
    local rc=$1 why
    [ "$rc" = 0 ] && { echo ok; return; }
    why=$(rel_reason "$2")
    [ "$rc" -gt 128 ] && why="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))${why:+; $why}"
    echo "fail: ${why:-exit $rc, no message}"
}

# makedumpfile reads ELF vmcores only with e_phoff 64; the QEMU-written sample has 192. Prints a copy's path (made once).
rel_mkdf_vmcore() {
    local copy=$ROOT/out/sample/sample-6.1.phoff64.vmcore
    if [ ! -s "$copy" ] || [ "$VMCORE" -nt "$copy" ]; then
        cp --sparse=always "$VMCORE" "$copy"
        python3 - "$copy" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    head = f.read(64)
    phoff, = struct.unpack_from("<Q", head, 32)
    phentsize, phnum = struct.unpack_from("<HH", head, 54)
    if phoff != 64:
        f.seek(phoff); table = f.read(phentsize * phnum)
        f.seek(64); f.write(table)
        f.seek(32); f.write(struct.pack("<Q", 64))
PY
    fi
    echo "$copy"
}

# rel_dumpcheck DUMP [VMCORE]: runs the independent format check against the vmcore (default $VMCORE); sets DC_LINE (its key=value line)
# and DC (ok | fail | none: no file).
rel_dumpcheck() {
    if [ ! -e "$1" ]; then DC=none; DC_LINE=""; return; fi
    if DC_LINE=$(python3 "$CHECK" "$1" "${2:-$VMCORE}" 2>&1); then DC=ok; else DC=fail; fi
}

# rel_refilters DUMP SCRATCH_DIR: prints "makedumpfile -d 31 refilter<TAB>coresift -d 31 refilter", each "ok" or
# "fail: reason" ("-" when there is no file).
rel_refilters() {
    local dump=$1 dir=$2 mk cs
    if [ ! -e "$dump" ]; then printf -- '-\t-'; return; fi
    mkdir -p "$dir"
    rm -f "$dir/mk.out" "$dir/cs.out"
    local rc=0
    "$MAKEDUMPFILE" -d 31 "$dump" "$dir/mk.out" >"$dir/mk.log" 2>&1 || rc=$?
    mk=$(rel_outcome $rc "$dir/mk.log")
    rc=0
    "$CORESIFT" -d 31 "$dump" "$dir/cs.out" >"$dir/cs.log" 2>&1 || rc=$?
    cs=$(rel_outcome $rc "$dir/cs.log")
    rm -f "$dir/mk.out" "$dir/cs.out"
    printf '%s\t%s' "$mk" "$cs"
}

# A field of dumpcheck's output line ("key=value ..."): rel_field LINE KEY
rel_field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
