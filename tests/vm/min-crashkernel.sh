#!/bin/bash
# min-crashkernel.sh: the smallest crashkernel= reservation with which a real kdump capture works, for
# coresift and for makedumpfile, each in its own dracut-built capture initramfs (tests/vm/dracut-kexec.sh).
#
# For each collector it bisects over LO..HI MiB in steps of STEP (HI must work; it is tried first). A
# trial is a success when the capture kernel wrote the dump (the collector exited 0, so the hook renamed
# vmcore-incomplete to vmcore) and makedumpfile -d 31 refilters it on the host. The first kernel's
# workload is the same for every trial (--workload), so only the reservation changes. The smallest size
# that worked is tried once more (--confirm N times) to catch a lucky run. Slow (about 1-1.5 min per
# trial under TCG); not part of CI.
#
# Output: one line per trial on stdout and in TSV (default tests/vm/work/min-crashkernel/trials.tsv),
# and a markdown summary (--report, default tests/vm/work/min-crashkernel/summary.md).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
PROG=$(basename "$0")

usage() {
    cat <<EOF
Usage: $PROG [options]
  --kernel-version V   default 6.1
  --mem SIZE           guest RAM; default 2G
  --collectors LIST    default "coresift makedumpfile"
  --args "OPTS"        collector options; default "-l -d 31 --message-level 7"
  --lo MIB --hi MIB --step MIB   search range; default 64, 256, 16
  --workload LIST      first-kernel workload (MiB); default 108,108,108,108,54,216 (what a 2G guest
                       with crashkernel=256M gets by default)
  --confirm N          re-runs of the smallest working size; default 1
  --sizes "A B ..."    no search: run these sizes (MiB) for each collector, appending to the trials of
                       an earlier search in the same --work (e.g. to refine between two 16M steps)
  --timeout S          per trial; default 420
  --work DIR           default tests/vm/work/min-crashkernel
  --report FILE        markdown summary; default <work>/summary.md
EOF
}

KSPEC=6.1 MEM=2G COLLECTORS="coresift makedumpfile" ARGS="-l -d 31 --message-level 7"
LO=64 HI=256 STEP=16 WORKLOAD=108,108,108,108,54,216 CONFIRM=1 TIMEOUT=420 SIZES=""
WORK=$SCRIPT_DIR/work/min-crashkernel REPORT=""
while [ $# -gt 0 ]; do
    case "$1" in
    --kernel-version) KSPEC=${2:?}; shift 2 ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --collectors) COLLECTORS=${2:?}; shift 2 ;;
    --args) ARGS=${2:?}; shift 2 ;;
    --lo) LO=${2:?}; shift 2 ;;
    --hi) HI=${2:?}; shift 2 ;;
    --step) STEP=${2:?}; shift 2 ;;
    --workload) WORKLOAD=${2:?}; shift 2 ;;
    --confirm) CONFIRM=${2:?}; shift 2 ;;
    --sizes) SIZES=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --work) WORK=${2:?}; shift 2 ;;
    --report) REPORT=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; echo "$PROG: unknown option $1" >&2; exit 1 ;;
    esac
done
WORK=$(realpath -m "$WORK")
REPORT=$(realpath -m "${REPORT:-$WORK/summary.md}")
mkdir -p "$WORK"
TSV=$WORK/trials.tsv
log() { echo "$PROG: $*" >&2; }
command -v makedumpfile >/dev/null || { log "makedumpfile is needed on the host (apt-get install makedumpfile)"; exit 1; }

if [ -z "$SIZES" ] || [ ! -s "$TSV" ]; then
    printf 'collector\tcrashkernel_mib\tresult\treason\tcapture_memtotal_kb\tmemfree_at_hook_kb\tcollector_s\tpanic_to_poweroff_s\tdump_bytes\timage_bytes\timage_unpacked_bytes\n' >"$TSV"
fi

# trial COLLECTOR MIB : runs one capture; sets LAST to ok|fail; appends a TSV row
trial() {
    local c=$1 mib=$2
    local res=$WORK/$c-$mib.result out=$WORK/$c-$mib rc=0 status reason
    rm -f "$res"
    bash "$SCRIPT_DIR/dracut-kexec.sh" --kernel-version "$KSPEC" --mem "$MEM" --crashkernel "${mib}M" \
        --collector "$c" --args "$ARGS" --workload "$WORKLOAD" --timeout "$TIMEOUT" --no-checks \
        --workdir "$WORK/vm-$c" --out-dir "$out" --result "$res" >"$WORK/$c-$mib.log" 2>&1 || rc=$?
    if [ ! -s "$res" ]; then
        tail -n 20 "$WORK/$c-$mib.log" >&2
        log "dracut-kexec.sh failed without a result (exit $rc): a harness problem, not a capture failure"
        exit 1
    fi
    get() { sed -n "s/^$1=//p" "$res"; }
    status=$(get status) reason=$(get reason)
    if [ "$status" = ok ]; then
        if makedumpfile -d 31 "$out/vmcore" "$WORK/refiltered" >"$WORK/$c-$mib.refilter.log" 2>&1; then
            reason="dump $(get dump_bytes) bytes, makedumpfile -d 31 refilter OK"
        else
            status=fail reason="the dump does not refilter: $(tail -n 2 "$WORK/$c-$mib.refilter.log" | tr '\n' ' ')"
        fi
        rm -f "$WORK/refiltered"
    fi
    rm -f "$out/vmcore"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$mib" "$status" "$reason" \
        "$(get capture_memtotal_kb)" "$(get capture_memfree_kb)" "$(get collector_s)" "$(get capture_wall_s)" \
        "$(get dump_bytes)" "$(get image_bytes)" "$(get image_unpacked_bytes)" >>"$TSV"
    log "$c crashkernel=${mib}M: $status ($reason; capture MemTotal $(get capture_memtotal_kb) kB)"
    LAST=$status
}

declare -A MIN=()
T0=$SECONDS
for c in $COLLECTORS; do
    if [ -n "$SIZES" ]; then
        for m in $SIZES; do
            trial "$c" "$m"
        done
        MIN[$c]=$(awk -F'\t' -v c="$c" '$1 == c && $3 == "ok" && (m == "" || $2 + 0 < m) { m = $2 + 0 } END { print m }' "$TSV")
        continue
    fi
    sizes=()
    for ((m = LO; m <= HI; m += STEP)); do sizes+=("$m"); done
    good=$((${#sizes[@]} - 1))
    trial "$c" "${sizes[$good]}"
    if [ "$LAST" != ok ]; then
        log "$c: fails even at ${sizes[$good]}M; raise --hi"
        MIN[$c]=">${sizes[$good]}"
        continue
    fi
    bad=-1 # index of the largest size known to fail (-1: none tried)
    while [ $((good - bad)) -gt 1 ]; do
        mid=$(((good + bad) / 2))
        [ $mid -lt 0 ] && mid=0
        trial "$c" "${sizes[$mid]}"
        if [ "$LAST" = ok ]; then good=$mid; else bad=$mid; fi
    done
    for ((i = 0; i < CONFIRM; i++)); do
        trial "$c" "${sizes[$good]}"
        if [ "$LAST" != ok ]; then
            log "$c: ${sizes[$good]}M failed on a repeat: flaky boundary"
            MIN[$c]="${sizes[$good]} (flaky)"
        fi
    done
    [ -n "${MIN[$c]:-}" ] || MIN[$c]=${sizes[$good]}
    [ $bad -ge 0 ] || MIN[$c]="<=${sizes[$good]} (lowest tried)"
    log "$c: smallest working crashkernel ${MIN[$c]} MiB"
done

{
    echo "# min-crashkernel: $MEM guest, kernel $KSPEC, collectors' options: $ARGS"
    echo
    echo "Search: $LO..$HI MiB in steps of $STEP, bisection; workload $WORKLOAD MiB; $((SECONDS - T0)) s in all."
    echo
    echo "| collector | smallest working crashkernel | capture image (compressed / unpacked) |"
    echo "|---|---:|---:|"
    for c in $COLLECTORS; do
        echo "| $c | ${MIN[$c]}M | $(awk -F'\t' -v c="$c" '$1 == c && $10 != "" { i = $10; u = $11 } END { print i " / " u }' "$TSV") bytes |"
    done
    echo
    echo "| collector | crashkernel | result | capture MemTotal (kB) | MemFree at hook (kB) | collector hook to power-off (s) | panic to power-off (s) | detail |"
    echo "|---|---:|---|---:|---:|---:|---:|---|"
    # awk -F'\t' keeps empty fields (read with IFS=tab would merge them)
    awk -F'\t' 'NR > 1 { printf "| %s | %sM | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $5, $6, $7, $8, $4 }' "$TSV"
} >"$REPORT"
cat "$REPORT"
log "trials: $TSV; report: $REPORT"
