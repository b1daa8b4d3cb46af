#!/usr/bin/env bash
# memcap.sh: dumps under cgroup memory limits well below what full bitmaps would need.
# Writes tests/reliability/results/memcap.tsv.
#
#   tests/reliability/memcap.sh [--caps "256 128 64 48 32 24"]
#
# This machine has the cgroup v1 memory controller only (/sys/fs/cgroup/memory), so the limit is
# memory.limit_in_bytes; coresift reads v1 and v2 (memory.max) the same way (MemoryBudget.cs).
# Input: a synthetic vmcore of a sparse machine, 32 MiB of RAM at 0 and 16 MiB just below 4 TiB, with page
# structs for both (made by the xunit builders, tests/Coresift.Tests/Filter/SparseHugeVmcoreTests.cs):
# max_mapnr is 2^30, so each bitmap is 128 MiB and both 256 MiB. Also the real sample vmcore.
# Each run: coresift -l -d 31 (sparse-4TiB-E: -E -d 31) --message-level 31 in a fresh memory cgroup; recorded are the budget and the
# cycles coresift reports, its peak RSS (ru_maxrss = VmHWM), the cgroup's max_usage_in_bytes (this counts
# page cache too: the input file and the dump being written), failcnt, OOM kills, and whether the dump is
# byte-identical to the one made without a limit and passes tests/reliability/dumpcheck.py. Needs root.
set -euo pipefail
PROG=memcap.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/reliability/lib.sh"
CAPS="none 256 128 64 48 32 24"
[ "${1:-}" = --caps ] && CAPS="none ${2:?}"
rel_require
[ -d /sys/fs/cgroup/memory ] || rel_die "no cgroup v1 memory controller at /sys/fs/cgroup/memory"

SPARSE=$ROOT/out/reliability/sparse-4tib.vmcore
if [ ! -s "$SPARSE" ]; then
    mkdir -p "$(dirname "$SPARSE")"
    rel_log "making the 4 TiB sparse vmcore with the test builders (dotnet test)"
    CORESIFT_SPARSE_VMCORE_OUT=$SPARSE CORESIFT_SPARSE_VMCORE_TIB=4 \
        dotnet test "$ROOT/tests/Coresift.Tests/Coresift.Tests.csproj" -nologo -v quiet \
        --filter "FullyQualifiedName~SparseHugeVmcoreTests.Write_the_vmcore_for_memcap_sh" >/dev/null
    [ -s "$SPARSE" ] || rel_die "the builder did not write $SPARSE"
fi

WORK=$(mktemp -d /tmp/coresift-memcap.XXXXXX)
CGS=()
cleanup() { for c in "${CGS[@]}"; do rmdir "$c" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

OUT=$RESULTS/memcap.tsv
TMP=$OUT.tmp
printf 'input\tmax_mapnr\tfull_bitmaps_MiB\tcap_MiB\trc\tbudget_KiB\tbudget_source\tcycles\tpeak_rss_MiB\tcgroup_max_usage_MiB\tfailcnt\toom_kills\tseconds\tsame_as_uncapped\tdumpcheck\n' >"$TMP"

# run INPUT NAME CAP_MIB|none [OPTIONS]   (OPTIONS: "-l -d 31" unless given)
run() {
    local input=$1 name=$2 cap=$3 opts=${4:--l -d 31} cg rc=0 budget source cycles mapnr rss usage failcnt oom secs same dc t0 t1
    cg=/sys/fs/cgroup/memory/coresift-memcap-$$-$name-$cap
    mkdir "$cg"
    CGS+=("$cg")
    [ "$cap" = none ] || echo $((cap << 20)) >"$cg/memory.limit_in_bytes"
    rm -f "$WORK/dump"
    sync; echo 1 >/proc/sys/vm/drop_caches 2>/dev/null || true   # each run starts with the input out of the page cache
    t0=$(date +%s%N)
    sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$cg" \
        /usr/bin/time -f %M -o "$WORK/maxrss" "$CORESIFT" $opts --message-level 31 "$input" "$WORK/dump" \
        >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
    t1=$(date +%s%N)
    mapnr=$(sed -n 's/^max_mapnr *: *//p' "$WORK/stdout" | head -1)
    budget=$(sed -n 's/^memory budget: \([0-9]*\) KiB.*/\1/p' "$WORK/stdout" | head -1)
    source=$(sed -n 's/^memory budget: [0-9]* KiB (\(.*\))$/\1/p' "$WORK/stdout" | head -1 | tr '\t' ' ')
    cycles=$(sed -n 's/^cycles *: \([0-9]*\) of \([0-9]*\) pfns.*/\1 of \2 pfns/p' "$WORK/stdout" | head -1)
    rss=$(awk '{ printf "%.1f", $1 / 1024 }' "$WORK/maxrss" 2>/dev/null || echo -)
    usage=$(awk '{ printf "%.1f", $1 / 1048576 }' "$cg/memory.max_usage_in_bytes")
    failcnt=$(cat "$cg/memory.failcnt")
    oom=$(sed -n 's/^oom_kill //p' "$cg/memory.oom_control" 2>/dev/null || echo -)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    if [ "$cap" = none ]; then cp "$WORK/dump" "$WORK/ref-$name" 2>/dev/null || true; same=reference
    elif cmp -s "$WORK/dump" "$WORK/ref-$name"; then same=yes
    else same=no; fi
    rel_dumpcheck "$WORK/dump" "$input"
    [ "$DC" = ok ] && dc="ok (incomplete=$(rel_field "$DC_LINE" incomplete), $(rel_field "$DC_LINE" verified) pages verified)" || dc="$DC: $(rel_field "$DC_LINE" error) $(rel_reason "$WORK/stderr")"
    [ "$rc" = 0 ] || dc="$dc; $(rel_reason "$WORK/stderr")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "0x${mapnr:-?}" \
        "$(awk -v m="$((16#${mapnr:-0}))" 'BEGIN { printf "%.1f", m / 4 / 1048576 }')" "$cap" "$rc" "${budget:--}" "${source:--}" \
        "${cycles:--}" "$rss" "$usage" "$failcnt" "${oom:--}" "$secs" "$same" "$dc" >>"$TMP"
    rel_log "$name cap=$cap MiB: rc=$rc budget=${budget:--} KiB cycles=${cycles:--} peak RSS=$rss MiB cgroup max=$usage MiB same=$same"
    rmdir "$cg"
}

for cap in $CAPS; do run "$SPARSE" sparse-4TiB "$cap"; done
# -E needs its bitmaps in more than one pass (segments first, then data): they come a cycle at a time, as for -l.
for cap in none 64 32; do run "$SPARSE" sparse-4TiB-E "$cap" "-E -d 31"; done
for cap in none 64 32; do run "$VMCORE" sample-6.1 "$cap"; done
mv "$TMP" "$OUT"
rel_log "wrote ${OUT#$ROOT/} ($(($(wc -l <"$OUT") - 1)) rows)"
