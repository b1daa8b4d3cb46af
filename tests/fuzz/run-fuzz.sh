#!/usr/bin/env bash
# Coverage-guided fuzzing of coresift's parsers with AFL++ and SharpFuzz (see tests/fuzz/README.md).
#   tests/fuzz/run-fuzz.sh [--seconds N] [--targets elf,kdump,...] [--timeout MS]
# Called by ./build.sh fuzz (which installs afl++ first). Runs one afl-fuzz instance at a time (nice 10), each target for
# N seconds, appends one row per target to tests/fuzz/results/summary.tsv and copies crashes/hangs to out/fuzz/findings.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FUZZ=$ROOT/tests/fuzz
OUT=$ROOT/out/fuzz
SECONDS_PER_TARGET=300
TARGETS=elf,vmcoreinfo,kdump,flattened,lzo,codecs,kernel,dmesg
TIMEOUT_MS=2000
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_PER_TARGET=$2; shift 2 ;;
        --targets) TARGETS=$2; shift 2 ;;
        --timeout) TIMEOUT_MS=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
log() { printf '==> %s\n' "$*" >&2; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found (apt-get install afl++)" >&2; exit 1; }

# 1. The sharpfuzz instrumenter (a dotnet tool, kept under out/).
SHARPFUZZ=$OUT/tools/sharpfuzz
if [ ! -x "$SHARPFUZZ" ]; then
    log "installing SharpFuzz.CommandLine 2.3.0 into out/fuzz/tools"
    dotnet tool install --tool-path "$OUT/tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

# 2. JIT build of the harness, with overflow checks on (a wrap that Release would hide is a crash), then instrument the library.
log "building the harness (Release, overflow-checked) and instrumenting Coresift.Core.dll"
rm -rf "$OUT/bin" "$OUT/plain"
dotnet publish "$FUZZ/Coresift.Fuzz/Coresift.Fuzz.csproj" -c Release -o "$OUT/bin" -nologo -v quiet -p:CheckForOverflowUnderflow=true
cp -a "$OUT/bin" "$OUT/plain"   # uninstrumented copy: replays crashes outside afl-fuzz (instrumented code aborts there)
"$SHARPFUZZ" "$OUT/bin/Coresift.Core.dll"

AFL_VERSION=$(afl-fuzz -h 2>&1 | grep -oE 'afl-fuzz\+\+[0-9][0-9a-z.]*' | head -1 | sed 's/afl-fuzz++//' || true)
[ -n "$AFL_VERSION" ] || AFL_VERSION=$(dpkg-query -W -f='${Version}' afl++ 2>/dev/null || echo unknown)
COMMIT=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD -- src tests/Coresift.Tests/Fuzz tests/fuzz/Coresift.Fuzz 2>/dev/null || COMMIT="$COMMIT-dirty"
SUMMARY=$FUZZ/results/summary.tsv
mkdir -p "$FUZZ/results"
[ -s "$SUMMARY" ] || printf 'target\tseconds\texecs\texecs_per_sec\tcorpus\tcrashes\thangs\tafl_version\tdate\tcommit\n' >"$SUMMARY"

stat_of() { grep -E "^$1 +:" "$2" | head -1 | sed 's/^[^:]*: *//'; }

rc=0
for t in ${TARGETS//,/ }; do
    [ -d "$FUZZ/corpus/$t" ] || { echo "no seed corpus for target '$t'" >&2; exit 2; }
    # Input: the committed seeds plus the queue of this target's previous run (so runs build on each other).
    in=$OUT/in/$t
    rm -rf "$in"; mkdir -p "$in"
    cp "$FUZZ/corpus/$t"/* "$in/"
    if [ -d "$OUT/findings/$t/default/queue" ]; then
        for f in "$OUT/findings/$t/default/queue"/id:*; do
            [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 1048576 ] && cp "$f" "$in/prev-$(basename "$f" | cut -c1-9)"
        done
    fi
    rm -rf "$OUT/findings/$t"
    mkdir -p "$OUT/findings/$t"
    log "fuzzing $t for ${SECONDS_PER_TARGET}s ($(ls "$in" | wc -l) inputs, timeout ${TIMEOUT_MS} ms)"
    start=$(date +%s)
    # A 512 MiB managed heap: an allocation sized by hostile input fails loudly (OutOfMemoryException = crash).
    AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
        DOTNET_GCHeapHardLimit=0x20000000 DOTNET_TieredPGO=0 \
        nice -n 10 afl-fuzz -V "$SECONDS_PER_TARGET" -i "$in" -o "$OUT/findings/$t" -t "$TIMEOUT_MS" -m none \
        -- dotnet "$OUT/bin/Coresift.Fuzz.dll" "$t" >"$OUT/findings/$t.log" 2>&1 || {
            echo "afl-fuzz failed for $t (see ${OUT#$ROOT/}/findings/$t.log):" >&2; tail -20 "$OUT/findings/$t.log" >&2; rc=1; continue; }
    stats=$OUT/findings/$t/default/fuzzer_stats
    elapsed=$(( $(date +%s) - start ))
    run_time=$(stat_of run_time "$stats"); run_time=${run_time:-$elapsed}
    execs=$(stat_of execs_done "$stats")
    corpus=$(stat_of corpus_count "$stats")
    crashes=$(stat_of saved_crashes "$stats"); crashes=${crashes:-$(stat_of unique_crashes "$stats")}
    hangs=$(stat_of saved_hangs "$stats"); hangs=${hangs:-$(stat_of unique_hangs "$stats")}
    eps=$(awk -v e="$execs" -v s="$run_time" 'BEGIN { printf "%.0f", (s > 0 ? e / s : 0) }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$run_time" "$execs" "$eps" "$corpus" "$crashes" "$hangs" \
        "$AFL_VERSION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$COMMIT" >>"$SUMMARY"
    log "$t: $execs execs in ${run_time}s ($eps/s), corpus $corpus, crashes $crashes, hangs $hangs"
    for kind in crashes hangs; do
        for f in "$OUT/findings/$t/default/$kind"/id:*; do
            [ -f "$f" ] || continue
            echo "$kind: ${f#$ROOT/}"
            [ "$kind" = crashes ] && DOTNET_GCHeapHardLimit=0x20000000 timeout 60 dotnet "$OUT/plain/Coresift.Fuzz.dll" "$t" --run "$f" | head -5 || true
            rc=1
        done
    done
done
exit $rc
