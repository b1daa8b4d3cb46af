#!/usr/bin/env bash
# enospc.sh: full disk at many fill levels. Writes tests/reliability/results/enospc.tsv.
#
#   tests/reliability/enospc.sh [--quick]
#
# The output file system is a small tmpfs (and, for a few levels, a loop-mounted ext4) filled with
# fallocate so that only FREE bytes are left; coresift writes the sample vmcore's dump into it with
#   -l -d 31        (what kdump-utils runs): the dump must be readable and carry the incomplete flag;
#   -l -d 0,31      (a retry list): at levels where -d 31 fits, the retry succeeds (no flag); below, the
#                   last level's dump is readable and flagged incomplete.
# Each result is read by tests/reliability/dumpcheck.py (an independent reader: header, incomplete flag,
# every written page equal to the vmcore's page), by makedumpfile -d 31 (refilter) and by coresift -d 31
# (refilter); makedumpfile itself is run at the same level for comparison. Needs root; ./build.sh publish first.
set -euo pipefail
PROG=enospc.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/reliability/lib.sh"
QUICK=0
[ "${1:-}" = --quick ] && QUICK=1
rel_require
MKDF_VMCORE=$(rel_mkdf_vmcore)

WORK=$(mktemp -d /tmp/coresift-enospc.XXXXXX)
MNT=$WORK/mnt
mkdir -p "$MNT"
cleanup() { mountpoint -q "$MNT" && umount "$MNT"; [ -n "${LOOPIMG:-}" ] && rm -f "$LOOPIMG"; rm -rf "$WORK"; }
trap cleanup EXIT

# The full sizes: -l -d 31 (the 100% mark) and -l -d 0.
"$CORESIFT" -l -d 31 "$VMCORE" "$WORK/full31" >/dev/null 2>&1
"$CORESIFT" -l -d 0 "$VMCORE" "$WORK/full0" >/dev/null 2>&1
FULL31=$(stat -c %s "$WORK/full31")
FULL0=$(stat -c %s "$WORK/full0")
rm -f "$WORK/full31" "$WORK/full0"
rel_log "full -l -d 31 dump: $FULL31 bytes; -l -d 0: $FULL0 bytes"

# Mounts FS (tmpfs | ext4) with room for the largest dump, then fills it so that FREE bytes are left.
CAP=$(( (FULL0 / 4096 + 64) * 4096 ))
mount_with_free() {
    local fs=$1 free=$2 avail
    if [ "$fs" = tmpfs ]; then
        mount -t tmpfs -o size=$CAP tmpfs "$MNT"
    else
        LOOPIMG=$WORK/ext4.img
        rm -f "$LOOPIMG"
        truncate -s $((CAP + (8 << 20))) "$LOOPIMG"
        mkfs.ext4 -q -F -O ^has_journal -m 0 -b 4096 "$LOOPIMG"
        mount -o loop "$LOOPIMG" "$MNT"
    fi
    avail=$(( $(df -B1 --output=avail "$MNT" | tail -1) ))
    if [ "$avail" -gt "$free" ]; then fallocate -l $((avail - free)) "$MNT/filler"; fi
    sync -f "$MNT" 2>/dev/null || true
    df -B1 --output=avail "$MNT" | tail -1 | tr -d ' '
}

# The fill levels: free bytes from "not even the header block" to "almost fits", then "fits".
levels() {
    local full=$1
    if [ $QUICK = 1 ]; then
        echo 0 4096 65536 $((full / 2)) $((full - 4096)) $((full + 65536))
        return
    fi
    echo 0 4096 8192 20480 65536 262144 524288
    for pct in 5 10 20 30 40 50 60 70 80 90 95 99; do echo $((full * pct / 100 / 4096 * 4096)); done
    echo $((full - 4096)) $((full + 65536))
}

OUT=$RESULTS/enospc.tsv
TMP=$OUT.tmp
printf 'fs\toptions\tfree_bytes\tfree_pct_of_d31\trc\tcoresift_message\tfile_bytes\tincomplete_flag\tpages_written\tpages_lost\tpages_verified\tdumpcheck\tmakedumpfile_refilter\tcoresift_refilter\tmakedumpfile_same_level\n' >"$TMP"

run_level() {
    local fs=$1 opts=$2 free=$3 real rc msg bytes inc wr lost ver verdict refs mk
    real=$(mount_with_free "$fs" "$free")
    rc=0
    # shellcheck disable=SC2086
    "$CORESIFT" $opts "$VMCORE" "$MNT/dump" >"$WORK/cs.stdout" 2>"$WORK/cs.stderr" || rc=$?
    msg=$(grep -h -e '^coresift: ' -e 'Retry' "$WORK/cs.stderr" "$WORK/cs.stdout" | sort -u | sed "s#$WORK/##g" | tr '\t\n' '  ' | cut -c1-160 || true)
    [ -n "$msg" ] || msg="(saved)"
    bytes=$(stat -c %s "$MNT/dump" 2>/dev/null || echo 0)
    rel_dumpcheck "$MNT/dump"
    inc=$(rel_field "$DC_LINE" incomplete); wr=$(rel_field "$DC_LINE" written); lost=$(rel_field "$DC_LINE" lost); ver=$(rel_field "$DC_LINE" verified)
    case "$DC" in
        ok) verdict="readable" ;;
        none) verdict="no file (nothing fit)" ;;
        *) verdict="unreadable: $(rel_field "$DC_LINE" error)" ;;
    esac
    refs=$(rel_refilters "$MNT/dump" "$WORK/readers")
    # makedumpfile itself at the same fill level, for comparison.
    rm -f "$MNT/dump"
    local mrc=0
    # shellcheck disable=SC2086
    "$MAKEDUMPFILE" $opts "$MKDF_VMCORE" "$MNT/dump" >"$WORK/mk.stdout" 2>"$WORK/mk.stderr" || mrc=$?
    rel_dumpcheck "$MNT/dump"
    if [ "$DC" = none ]; then mk="rc $mrc, no file"
    else mk="rc $mrc, incomplete=$(rel_field "$DC_LINE" incomplete), pages $(rel_field "$DC_LINE" written)/$(rel_field "$DC_LINE" dumpable), check $DC"; fi
    umount "$MNT"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fs" "$opts" "$real" \
        "$(awk -v a="$real" -v b="$FULL31" 'BEGIN { printf "%.1f", 100 * a / b }')" "$rc" "$msg" "$bytes" \
        "${inc:--}" "${wr:--}" "${lost:--}" "${ver:--}" "$verdict" "$refs" "$mk" >>"$TMP"
    rel_log "$fs $opts free=$real: rc=$rc incomplete=${inc:--} $verdict"
}

for free in $(levels "$FULL31"); do run_level tmpfs "-l -d 31" "$free"; done
# The retry list: also between the -d 31 and the -d 0 sizes.
for free in $(levels "$FULL31") $(( (FULL31 + FULL0) / 2 / 4096 * 4096 )) $((FULL0 + 65536)); do run_level tmpfs "-l -d 0,31" "$free"; done
# ext4 (block allocation, extents, short writes at block boundaries) at a few levels.
if [ $QUICK = 0 ]; then
    for free in 4096 65536 $((FULL31 / 4)) $((FULL31 / 2)) $((FULL31 * 9 / 10)) $((FULL31 - 4096)) $((FULL31 + 65536)); do
        run_level ext4 "-l -d 31" "$free"
    done
fi
mv "$TMP" "$OUT"
rel_log "wrote ${OUT#$ROOT/} ($(($(wc -l <"$OUT") - 1)) rows)"
