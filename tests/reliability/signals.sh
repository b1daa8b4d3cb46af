#!/usr/bin/env bash
# signals.sh: SIGTERM, SIGINT and SIGHUP sent to a running coresift at several points.
# Writes tests/reliability/results/signals.tsv.
#
#   tests/reliability/signals.sh [--quota PERCENT]
#
# coresift runs in a cgroup v1 cpu group capped at PERCENT of one CPU (default 1), so that writing the
# sample vmcore's dump takes seconds (and the test leaves the shared CPUs alone). The signal is sent
#   early  as soon as the output file exists (the kernel model and the page scan are still running),
#   mid    when the output has reached half the size of the complete dump,
#   late   at 90% of it,
#   twice  at mid, SIGTERM then SIGINT back to back: the second signal gets the default action and ends
#          the process at once (exit 130, no incomplete flag: the price of insisting); "term2" sends two
#          SIGTERMs 10 ms apart (the first usually finishes the dump before the second arrives).
# Background jobs of a script inherit SIGINT as ignored; env --default-signal gives coresift the default back.
# Outputs: a kdump file (-l, -c, --num-threads 2), an ELF file (-E) and a flattened stream (-F to a file,
# rearranged afterwards with makedumpfile -R). Each result is read by tests/reliability/dumpcheck.py, by
# makedumpfile -d 31 and coresift -d 31 (refilter) and by coresift --dump-dmesg. Needs root.
set -euo pipefail
PROG=signals.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/reliability/lib.sh"
QUOTA=1
[ "${1:-}" = --quota ] && QUOTA=${2:?}
rel_require

CG=/sys/fs/cgroup/cpu/coresift-signals-$$
[ -d /sys/fs/cgroup/cpu ] || rel_die "no cgroup v1 cpu controller at /sys/fs/cgroup/cpu"
mkdir "$CG"
echo 100000 >"$CG/cpu.cfs_period_us"
echo $((QUOTA * 1000)) >"$CG/cpu.cfs_quota_us"
WORK=$(mktemp -d /tmp/coresift-signals.XXXXXX)
cleanup() { rmdir "$CG" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# Full sizes per option set (unthrottled), to place mid and late.
declare -A FULL
full_size() {
    local key=$1; shift
    if [ -z "${FULL[$key]:-}" ]; then
        rm -f "$WORK/full"
        if [[ $key == *-flat-* ]]; then "$CORESIFT" "$@" "$VMCORE" >"$WORK/full" 2>/dev/null
        else "$CORESIFT" "$@" "$VMCORE" "$WORK/full" >/dev/null 2>&1; fi
        FULL[$key]=$(stat -c %s "$WORK/full")
        rm -f "$WORK/full"
    fi
    echo "${FULL[$key]}"
}

INPUT_NAME=sample-6.1
OUT=$RESULTS/signals.tsv
TMP=$OUT.tmp
printf 'input\tformat\toptions\tsignal\tpoint\tsent_at_pct\trc\texit_ms_after_signal\tcoresift_message\tfile_bytes\tincomplete_flag\tpages_written\tpages_lost\tpages_verified\tdumpcheck\tmakedumpfile_refilter\tcoresift_refilter\tcoresift_dump_dmesg\n' >"$TMP"

# run_case FORMAT(kdump|elf|flat) SIGNAL POINT(early|mid|late|twice) OPTIONS...
run_case() {
    local format=$1 sig=$2 point=$3; shift 3
    local opts="$*" full key="$INPUT_NAME-$format-$*" target out="$WORK/dump" cap="$WORK/flat" size pid t0 t1 rc=0 msg pct dumpfile
    full=$(full_size "$key" "$@")
    case $point in
        early) target=0; [ "$format" = flat ] && target=1 ;;   # the stream's header is written once the output is open
        mid|twice|term2) target=$((full / 2)) ;;
        late) target=$((full * 9 / 10)) ;;
    esac
    rm -f "$out" "$cap"
    if [ "$format" = flat ]; then
        env --default-signal=INT,TERM,HUP sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$CG" "$CORESIFT" "$@" "$VMCORE" >"$cap" 2>"$WORK/stderr" &
        watch=$cap
    else
        env --default-signal=INT,TERM,HUP sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$CG" "$CORESIFT" "$@" "$VMCORE" "$out" >"$WORK/stdout" 2>"$WORK/stderr" &
        watch=$out
    fi
    pid=$!
    size=-1
    while kill -0 $pid 2>/dev/null; do
        if [ -e "$watch" ]; then
            if [ "$target" = 0 ]; then size=0; break; fi
            size=$(stat -c %s "$watch" 2>/dev/null || echo 0)
            [ "$size" -ge "$target" ] && break
            sleep 0.02
        else
            sleep 0.002
        fi
    done
    [ "$target" = 0 ] && size=$(stat -c %s "$watch" 2>/dev/null || echo 0)
    t0=$(date +%s%N)
    kill -"$sig" $pid 2>/dev/null || true
    if [ "$point" = twice ]; then kill -INT $pid 2>/dev/null || true; fi
    if [ "$point" = term2 ]; then sleep 0.01; kill -"$sig" $pid 2>/dev/null || true; fi
    wait $pid || rc=$?
    t1=$(date +%s%N)
    pct=$(awk -v a="$size" -v b="$full" 'BEGIN { printf "%.1f", a < 0 ? 0 : 100 * a / b }')
    msg=$(grep -h -e '^coresift: ' -e 'complete' "$WORK/stderr" "$WORK/stdout" 2>/dev/null | tr '\t\n' '  ' | cut -c1-170 || true)
    [ -n "$msg" ] || msg="(none)"
    dumpfile=$out
    if [ "$format" = flat ]; then
        # The stream must end with its end marker: makedumpfile -R rearranges it into a dump file.
        if [ -s "$cap" ] && timeout 60 "$MAKEDUMPFILE" -R "$out" <"$cap" >"$WORK/r.log" 2>&1; then :; else
            msg="$msg [makedumpfile -R: $(rel_reason "$WORK/r.log")]"; fi
    fi
    rel_dumpcheck "$dumpfile"
    local verdict refs dm
    case "$DC" in ok) verdict=readable ;; none) verdict="no file" ;; *) verdict="unreadable: $(rel_field "$DC_LINE" error)" ;; esac
    refs=$(rel_refilters "$dumpfile" "$WORK/readers")
    if [ -e "$dumpfile" ]; then
        rm -f "$WORK/dmesg.txt"
        if "$CORESIFT" --dump-dmesg "$dumpfile" "$WORK/dmesg.txt" >"$WORK/dm.log" 2>&1; then dm="ok ($(wc -l <"$WORK/dmesg.txt") lines)"
        else dm="fail: $(rel_reason "$WORK/dm.log")"; fi
    else dm=-; fi
    [ "$point" = twice ] && sig=TERM+SIGINT
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$INPUT_NAME" "$format" "$opts" "SIG$sig" "$point" "$pct" "$rc" \
        "$(( (t1 - t0) / 1000000 ))" "$msg" "$(stat -c %s "$dumpfile" 2>/dev/null || echo 0)" \
        "$(rel_field "$DC_LINE" incomplete)" "$(rel_field "$DC_LINE" written)" "$(rel_field "$DC_LINE" lost)" \
        "$(rel_field "$DC_LINE" verified)" "$verdict" "$refs" "$dm" >>"$TMP"
    rel_log "$format $opts SIG$sig $point (at $pct%): rc=$rc $verdict"
    rm -f "$out" "$cap"
}

for point in early mid late; do run_case kdump TERM $point -l -d 31; done
run_case kdump INT mid -l -d 31
run_case kdump HUP mid -l -d 31
run_case kdump TERM mid -c -d 31
run_case kdump TERM mid -l -d 31 --num-threads 2
run_case kdump TERM twice -l -d 31
run_case kdump TERM term2 -l -d 31
run_case kdump TERM mid -l -d 0,31
for point in early mid late; do run_case elf TERM $point -E -d 31; done
for point in early mid late; do run_case flat TERM $point -F -l -d 31; done
run_case flat INT mid -F -l -d 31
# A signal during the page scan: the 4 TiB sparse vmcore (tests/reliability/memcap.sh makes it) scans for seconds.
SPARSE=$ROOT/out/reliability/sparse-4tib.vmcore
if [ -s "$SPARSE" ]; then
    echo 20000 >"$CG/cpu.cfs_quota_us"
    VMCORE=$SPARSE INPUT_NAME=sparse-4TiB
    run_case kdump TERM early -l -d 31
    run_case kdump TERM mid -l -d 31
fi
mv "$TMP" "$OUT"
rel_log "wrote ${OUT#$ROOT/} ($(($(wc -l <"$OUT") - 1)) rows)"
