#!/usr/bin/env bash
# Input I/O errors from the kernel: the sample vmcore is put on a device-mapper device whose table mixes `linear`
# segments (a read-only loop device over a copy of the vmcore) with `error` segments at chosen ranges, then coresift
# dumps it. Where the kernel has no device-mapper (no CONFIG_BLK_DEV_DM), a FUSE file system (eio_fuse.py, needs
# python3-fusepy) serves the same file and fails the same ranges with EIO: reads still go through the kernel's page
# cache, and mmap of a bad page raises SIGBUS, as with a failing disk. Each dump must complete (exit 0), report the lost pages, and be readable by makedumpfile
# (refilter: makedumpfile -d 31 IN OUT) and by coresift. An error in the ELF header / notes (VMCOREINFO is required)
# must be a clean one-line error (exit 1). makedumpfile itself is run on the same device for comparison.
#
#   sudo tests/reliability/eio.sh            (needs root, makedumpfile, and dmsetup + losetup or python3-fusepy;
#                                             ./build.sh publish first)
#
# Writes tests/reliability/results/eio.tsv: case, range, options, exit code, lost pages reported, readable by
# makedumpfile, readable by coresift, notes.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CORESIFT=${CORESIFT:-$ROOT/out/coresift}
SAMPLE=${SAMPLE:-$ROOT/out/sample/sample-6.1.vmcore}
RESULTS=$ROOT/tests/reliability/results/eio.tsv
WORK=$(mktemp -d /tmp/coresift-eio.XXXXXX)
NAME=coresift-eio-$$
LOOP=

log() { printf '==> %s\n' "$*" >&2; }

FUSE_PID=
MNT=$WORK/mnt

cleanup() {
    teardown_case
    [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null || true
    rm -rf "$WORK"
}

# The device (or file) of one case, failing the given offset:bytes ranges; sets DEV.
setup_case() {
    if [ "$BACKEND" = dm ]; then
        make_table "$@" > "$WORK/table"
        dmsetup create "$NAME" --readonly < "$WORK/table"
        dmsetup mknodes "$NAME" >/dev/null 2>&1 || true
        DEV=/dev/mapper/$NAME
    else
        mkdir -p "$MNT"
        /usr/bin/python3 "$ROOT/tests/reliability/eio_fuse.py" "$IMG" "$MNT" "$(IFS=,; echo "$*")" 2>"$WORK/fuse.log" &
        FUSE_PID=$!
        for _ in $(seq 100); do [ -e "$MNT/vmcore" ] && break; sleep 0.1; done
        [ -e "$MNT/vmcore" ] || { cat "$WORK/fuse.log" >&2; echo "the FUSE file system did not come up" >&2; exit 1; }
        DEV=$MNT/vmcore
    fi
}

teardown_case() {
    if [ "${BACKEND:-}" = dm ]; then
        dmsetup remove "$NAME" 2>/dev/null || true
    elif [ -n "$FUSE_PID" ]; then
        umount "$MNT" 2>/dev/null || fusermount -u "$MNT" 2>/dev/null || true
        wait "$FUSE_PID" 2>/dev/null || true
        FUSE_PID=
    fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "eio.sh needs root (device mapper, loop devices)" >&2; exit 2; }
for tool in makedumpfile readelf python3; do
    command -v "$tool" >/dev/null || { echo "eio.sh needs $tool" >&2; exit 2; }
done
# device-mapper when the kernel has it, else FUSE.
if command -v dmsetup >/dev/null && command -v losetup >/dev/null && grep -q device-mapper /proc/misc; then
    BACKEND=dm
elif [ -c /dev/fuse ] && /usr/bin/python3 -c 'import fusepy' 2>/dev/null; then
    BACKEND=fuse
else
    echo "eio.sh needs device-mapper (dmsetup, losetup) or FUSE with python3-fusepy" >&2
    exit 2
fi
[ -x "$CORESIFT" ] || { echo "no $CORESIFT: run ./build.sh publish" >&2; exit 2; }
if [ ! -s "$SAMPLE" ]; then
    mkdir -p "$(dirname "$SAMPLE")"
    zstd -q -d -f --long=27 --sparse "$ROOT/tests/data/sample-6.1.vmcore.zst" -o "$SAMPLE"
fi

# The image: the vmcore padded to whole 4 KiB pages, on a read-only loop device.
IMG=$WORK/vmcore.img
cp --sparse=always "$SAMPLE" "$IMG"
SIZE=$(stat -c %s "$IMG")
PADDED=$(( (SIZE + 4095) / 4096 * 4096 ))
truncate -s "$PADDED" "$IMG"
[ "$BACKEND" = dm ] && LOOP=$(losetup -f --show -r "$IMG")
SECTORS=$((PADDED / 512))

# File offset of a physical address (from the PT_LOADs).
file_offset() {
    readelf -lW "$SAMPLE" | python3 -c '
import sys
pa = int(sys.argv[1])
for line in sys.stdin:
    f = line.split()
    if f and f[0] == "LOAD":
        off, phys, fsz = int(f[1], 16), int(f[3], 16), int(f[4], 16)
        if phys <= pa < phys + fsz:
            print(off + pa - phys)
            break
' "$1"
}

# Physical address of the struct pages of the first mem_map range (coresift's debug output).
MEMMAP_PADDR=$("$CORESIFT" --dry-run -d 31 --message-level 8 "$SAMPLE" "$WORK/unused" 2>/dev/null | python3 -c '
import sys
for line in sys.stdin:
    f = line.split()
    if f and f[0] == "mem_map" and "paddr" in f:
        print(int(f[f.index("paddr") + 1], 16))
        break
')
[ -n "$MEMMAP_PADDR" ] || { echo "could not locate mem_map (coresift --message-level 8)" >&2; exit 1; }
NOTE_OFFSET=$(readelf -lW "$SAMPLE" | python3 -c '
import sys
for line in sys.stdin:
    f = line.split()
    if f and f[0] == "NOTE":
        print(int(f[1], 16))
        break
')

# Cases: name, then "offset:bytes" ranges (file offsets; rounded to 512-byte sectors by the table).
MIB=$((1 << 20))
DATA1=$(file_offset $((0x2000000)))      # 32 MiB into RAM: kernel and page-cache data
DATA2=$(file_offset $((0x5000000)))
DATA3=$(file_offset $((0x7000000)))
LOW=$(file_offset $((0x1000)))
MEMMAP=$(file_offset $((MEMMAP_PADDR + 0x40000)))   # struct pages of pfns 0x1000-0x10ff
CASES=(
    "control (no error)|"
    "page-data-16p|$DATA1:65536"
    "page-data-1p-unaligned|$((DATA2 + 1000)):512"
    "page-data-3-ranges|$DATA1:4096 $DATA2:32768 $DATA3:8192"
    "page-data-4MiB|$DATA2:$((4 * MIB))"
    "low-memory|$LOW:8192"
    "mem_map|$MEMMAP:16384"
    "mem_map+data|$MEMMAP:16384 $DATA1:65536"
    "elf-notes|$NOTE_OFFSET:512"
)
# -l -d 0 on 1 thread reads pages through the mapping, on 2 threads runs of pages with pread (the parallel writer).
OPTIONS=("-l -d 31" "--num-threads 1 -l -d 0" "--num-threads 2 -l -d 0" "-E -d 31" "--non-mmap -l -d 31")

# Builds the dm table for a list of offset:bytes ranges (errors), linear elsewhere.
make_table() {
    python3 - "$SECTORS" "$LOOP" "$@" <<'EOF'
import sys
total, dev, ranges = int(sys.argv[1]), sys.argv[2], []
for r in sys.argv[3:]:
    off, n = (int(x) for x in r.split(':'))
    ranges.append((off // 512, (off + n + 511) // 512))
pos = 0
for s, e in sorted(ranges):
    if s > pos:
        print(f"{pos} {s - pos} linear {dev} {pos}")
    print(f"{s} {e - s} error")
    pos = e
if pos < total:
    print(f"{pos} {total - pos} linear {dev} {pos}")
EOF
}

mkdir -p "$(dirname "$RESULTS")"
printf 'case\trange\toptions\texit code\tlost pages reported\treadable by makedumpfile\treadable by coresift\tnotes\n' > "$RESULTS.tmp"
for c in "${CASES[@]}"; do
    name=${c%%|*}
    ranges=${c#*|}
    # shellcheck disable=SC2086
    setup_case $ranges
    human=$(for r in $ranges; do o=${r%%:*}; n=${r#*:}; printf '0x%x+%d ' "$o" "$n"; done | sed 's/ $//')
    for opts in "${OPTIONS[@]}" makedumpfile; do
        out=$WORK/dump
        rm -f "$out" "$out.re" "$out.cs"
        if [ "$opts" = makedumpfile ]; then
            set +e
            timeout 600 makedumpfile -l -d 31 "$DEV" "$out" > "$WORK/log" 2>&1
            rc=$?
            set -e
            shown="makedumpfile -l -d 31"
        else
            set +e
            # shellcheck disable=SC2086
            timeout 600 "$CORESIFT" $opts "$DEV" "$out" > "$WORK/log" 2>&1
            rc=$?
            set -e
            shown="coresift $opts"
        fi
        lost=$(grep -ao 'WARNING: [0-9]* pages could not be read' "$WORK/log" | grep -o '[0-9]*' | head -1 || true)
        ranges_warned=$(grep -ac 'WARNING: input read error' "$WORK/log" || true)
        structs=$(grep -ao 'WARNING: [0-9]* page structs could not be read' "$WORK/log" | grep -o '[0-9]*' | head -1 || true)
        mdf=no cs=no notes=""
        if [ -s "$out" ] && [ "$rc" = 0 ]; then
            makedumpfile -d 31 "$out" "$out.re" > /dev/null 2>&1 && mdf=yes
            rm -f "$out.re"
            if [[ "$opts" == -E* ]]; then
                "$CORESIFT" -l -d 31 "$out" "$out.cs" > /dev/null 2>&1 && cs=yes
            else
                "$CORESIFT" -d 31 "$out" "$out.cs" > /dev/null 2>&1 && cs=yes
            fi
        else
            mdf=- cs=-
        fi
        if [ "$opts" != makedumpfile ]; then
            [ -n "$lost" ] && notes="$ranges_warned range warnings"
            [ -n "$structs" ] && notes="${notes:+$notes; }$structs page structs unreadable, pages kept"
            if [ "$rc" != 0 ]; then
                notes="${notes:+$notes; }$(grep -a '^coresift:' "$WORK/log" | head -1 | cut -c1-160)"
                [ "$(grep -ac '^coresift:' "$WORK/log")" = 1 ] && notes="$notes (one line)"
            fi
        else
            notes=$(grep -ai 'error\|fail\|can.t' "$WORK/log" | head -1 | tr '\t' ' ' | cut -c1-160 || true)
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$human" "$shown" "$rc" "${lost:-0}" "$mdf" "$cs" "$notes" >> "$RESULTS.tmp"
        log "$name [$shown]: exit $rc, lost ${lost:-0}, makedumpfile $mdf, coresift $cs"
    done
    teardown_case
done
{
    head -1 "$RESULTS.tmp"
    tail -n +2 "$RESULTS.tmp" | sed "s/\t/\t/"
} > "$RESULTS"
rm -f "$RESULTS.tmp"
log "wrote $RESULTS ($BACKEND backend, $(uname -r))"
