#!/bin/bash
# run-bench.sh: coresift against makedumpfile on a real, mostly-used 8 GiB vmcore.
# See README.md in this folder. Run as root (QEMU harness, cgroups); ./build.sh bench runs it after publish.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
PROG=run-bench.sh

usage() {
    cat <<EOF
Usage: tests/bench/run-bench.sh [--runs N] [--vmcore PATH] [--quick] [options]

  --runs N           timed runs of each tool per option set and thread count (default 5)
  --vmcore PATH      benchmark this vmcore instead of making (or reusing) one; a QEMU ELF with
                     e_phoff=192 gets a makedumpfile-readable copy in tests/bench/work/
  --quick            smoke test: a 2 GiB guest, 1 run each; report in tests/bench/work/RESULTS-quick.md
  --mem SIZE         guest RAM of the made vmcore (default 8G, --quick 2G)
  --kernel-version V guest kernel for tests/vm/make-vmcore.sh (default 6.1)
  --remake           make a fresh vmcore even if a cached one exists
  --prepare          make (or check) the vmcore and stop
  --threads LIST     thread counts, comma-separated (default 1,2)
  --sets LIST        option sets to run, separated by ';' (default "-l -d 31;-c -d 31;-z -d 31;-l -d 0;-d 1")
  --no-cgroup        skip the memory-cap rows
  --cgroup-mib N     the memory cap (default 96)
  --results FILE     report (default tests/bench/results/RESULTS.md, --quick: tests/bench/work/RESULTS-quick.md)
  --coresift BIN     binary to measure (default out/coresift; it is copied first, so rebuilds during the run do not matter)
  --makedumpfile BIN (default /usr/bin/makedumpfile)
EOF
}

die() { echo "$PROG: error: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }

RUNS="" VMCORE="" QUICK=0 MEM="" KSPEC=6.1 REMAKE=0 PREPARE=0 THREADS=1,2
SETS="-l -d 31;-c -d 31;-z -d 31;-l -d 0;-d 1" CGROUP=1 CGROUP_MIB=96 RESULTS=""
CORESIFT=$ROOT/out/coresift MAKEDUMPFILE=/usr/bin/makedumpfile
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=${2:?}; shift 2 ;;
    --vmcore) VMCORE=${2:?}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --kernel-version) KSPEC=${2:?}; shift 2 ;;
    --remake) REMAKE=1; shift ;;
    --prepare) PREPARE=1; shift ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --sets) SETS=${2:?}; shift 2 ;;
    --no-cgroup) CGROUP=0; shift ;;
    --cgroup-mib) CGROUP_MIB=${2:?}; shift 2 ;;
    --results) RESULTS=${2:?}; shift 2 ;;
    --coresift) CORESIFT=${2:?}; shift 2 ;;
    --makedumpfile) MAKEDUMPFILE=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
    esac
done
if [ $QUICK = 1 ]; then
    : "${RUNS:=1}" "${MEM:=2G}" "${RESULTS:=$BENCH_DIR/work/RESULTS-quick.md}"
else
    : "${RUNS:=5}" "${MEM:=8G}" "${RESULTS:=$BENCH_DIR/results/RESULTS.md}"
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $CGROUP_MIB =~ ^[1-9][0-9]*$ ]] || die "--cgroup-mib must be a positive integer"
[ "$(id -u)" = 0 ] || die "must run as root (QEMU harness, drop of the output's page cache, cgroups)"

WORK=$BENCH_DIR/work
mkdir -p "$WORK"
exec 8>"$WORK/.bench.lock"
flock -n 8 || die "another run-bench.sh is running (lock $WORK/.bench.lock)"
rm -rf "$WORK"/run-*  # outputs of an interrupted run

command -v python3 >/dev/null || die "python3 is required"
[ -x "$MAKEDUMPFILE" ] || {
    log "installing makedumpfile"
    # A fresh machine has no package lists yet: update them when the first try cannot find the package.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq makedumpfile >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq makedumpfile >/dev/null; }
}
[ -x "$MAKEDUMPFILE" ] || die "no makedumpfile at $MAKEDUMPFILE"

# ------------------------------------------------------------ the vmcore ----
# The workload (MiB, tests/vm/make-vmcore.sh --workload clean,buffered,tmpfs,anon,zero,churn) as a share of guest
# RAM: 18.75% clean page cache, 18.75% page cache with buffer heads, 18.75% tmpfs, 25% text-filled anonymous
# memory, 3.1% touched zero pages: 84% of RAM in use before the kernel's own ~4%. Churn (6.25%) is filled, then
# freed: free pages holding garbage. At the churn's peak ~95% of RAM is allocated, still above the watermarks
# (no swap, nothing is reclaimed). The ext4 disk (make-vmcore.sh sizes it 2 x (clean+buffered) + 32 MiB) and
# tmpfs (50% of RAM) hold these sizes.
workload_for() {
    local m=$1
    echo "$((m * 3 / 16)),$((m * 3 / 16)),$((m * 3 / 16)),$((m / 4)),$((m / 32)),$((m / 16))"
}

mem_mib() {
    case "$1" in
    *[Gg]) echo $((${1%[Gg]} * 1024)) ;;
    *[Mm]) echo "${1%[Mm]}" ;;
    *) echo "$1" ;;
    esac
}

# Sets CORE (the makedumpfile-readable ELF), TRUTH, MDF31, MDF1 and DESC.
prepare_vmcore() {
    local mem_mib wl dir
    if [ -n "$VMCORE" ]; then
        VMCORE=$(realpath "$VMCORE")
        [ -r "$VMCORE" ] || die "cannot read $VMCORE"
        local phoff
        phoff=$(python3 -c 'import struct,sys; f=open(sys.argv[1],"rb"); h=f.read(64); print(struct.unpack_from("<Q",h,32)[0] if h[:4]==b"\x7fELF" else -1)' "$VMCORE")
        [ "$phoff" != -1 ] || die "$VMCORE is not an ELF vmcore"
        base=${VMCORE%.elf}; base=${base%.vmcore}
        if [ "$phoff" = 64 ]; then
            CORE=$VMCORE
            dir=$WORK/given-$(basename "$base")
            mkdir -p "$dir"
            MDF31=$dir/copy.mdf-d31.txt MDF1=$dir/copy.mdf-d1.txt
            if [ ! -s "$MDF31" ] || [ ! -s "$MDF1" ] || [ "$CORE" -nt "$MDF31" ]; then
                for d in 31 1; do
                    rm -f "$dir/mdf-out"
                    "$MAKEDUMPFILE" --dry-run --show-stats -d $d "$CORE" "$dir/mdf-out" >"$dir/copy.mdf-d$d.txt" 2>&1 ||
                        die "makedumpfile --dry-run -d $d failed on $CORE (see $dir/copy.mdf-d$d.txt)"
                done
            fi
        else
            dir=$WORK/given-$(basename "$base")
            mkdir -p "$dir"
            CORE=$dir/copy.elf
            if [ ! -s "$CORE" ] || [ "$VMCORE" -nt "$CORE" ]; then
                log "making a makedumpfile-readable copy of $VMCORE in $dir"
                bash "$ROOT/tests/vm/make-vmcore.sh" --from "$VMCORE" --makedumpfile-copy "$CORE" --mdf-stats
                # --mdf-stats writes next to the given vmcore; keep them with the copy
                mv -f "$base.mdf-d31.txt" "$dir/copy.mdf-d31.txt"
                mv -f "$base.mdf-d1.txt" "$dir/copy.mdf-d1.txt"
            fi
            MDF31=$dir/copy.mdf-d31.txt MDF1=$dir/copy.mdf-d1.txt
        fi
        TRUTH=$base.truth.txt
        [ -r "$TRUTH" ] || TRUTH=""
        DESC="given: $VMCORE"
        return 0
    fi

    mem_mib=$(mem_mib "$MEM")
    [[ $mem_mib =~ ^[0-9]+$ ]] && [ "$mem_mib" -ge 512 ] || die "--mem must be at least 512M"
    wl=$(workload_for "$mem_mib")
    dir=$WORK/vmcore-$KSPEC-$MEM
    CORE=$dir/vmcore.elf TRUTH=$dir/vmcore.truth.txt MDF31=$dir/qemu.mdf-d31.txt MDF1=$dir/qemu.mdf-d1.txt
    DESC="made by tests/vm/make-vmcore.sh --kernel-version $KSPEC --mem $MEM --workload $wl"
    if [ $REMAKE = 0 ] && [ -s "$dir/done" ] && [ "$(cat "$dir/done")" = "$DESC" ] && [ -s "$CORE" ]; then
        log "reusing $CORE"
        return 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    # The QEMU ELF, its copy and the outputs all live on this file system.
    local need=$((mem_mib * 2 + 2048)) avail
    avail=$(($(df -Pk "$WORK" | awk 'NR == 2 { print $4 }') / 1024))
    [ "$avail" -ge "$need" ] || die "need about $need MiB free under $WORK to make the vmcore, have $avail MiB"
    log "making the vmcore: $DESC (under TCG this takes minutes)"
    local t0=$SECONDS
    bash "$ROOT/tests/vm/make-vmcore.sh" --kernel-version "$KSPEC" --mem "$MEM" --workload "$wl" \
        --boot-timeout 3600 --dump-timeout 3600 --workdir "$WORK/vm-$KSPEC-$MEM" \
        --out "$dir/qemu.elf" --truth "$TRUTH" --makedumpfile-copy "$CORE" --mdf-stats
    # Only the makedumpfile-readable copy is benchmarked (both tools read it); the QEMU original and the guest's
    # ext4 image are as large as the data in them.
    rm -f "$dir/qemu.elf" "$WORK/vm-$KSPEC-$MEM/disk.img"
    echo "$((SECONDS - t0))" >"$dir/make-seconds"
    echo "$DESC" >"$dir/done"
    log "vmcore ready after $((SECONDS - t0)) s: $CORE"
}

prepare_vmcore
python3 "$BENCH_DIR/bench.py" check-truth "$TRUTH" || true
[ $PREPARE = 0 ] || exit 0

# ------------------------------------------------------------ the binary ----
[ -x "$CORESIFT" ] || die "no coresift binary at $CORESIFT (run ./build.sh publish)"
# A private copy: others may rebuild out/coresift while the benchmark runs.
cp -f "$CORESIFT" "$WORK/coresift"
CS_VERSION=$("$WORK/coresift" -v 2>&1 | head -1 || true)
CS_GIT=$(cd "$ROOT" && git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(cd "$ROOT" && git status --porcelain --untracked-files=no -- src 2>/dev/null)" ]; then
    CS_GIT+=" (src/ has uncommitted changes)"
fi

# ------------------------------------------------------------ codec speed (for the -l -d 0 bound) ----
CODEC_OUT=$WORK/codecbench.txt
rm -f "$CODEC_OUT"
if command -v dotnet >/dev/null && [ -f "$BENCH_DIR/CodecBench/CodecBench.csproj" ]; then
    log "building CodecBench (own artifacts path under tests/bench/work)"
    if dotnet build "$BENCH_DIR/CodecBench/CodecBench.csproj" -c Release --artifacts-path "$WORK/artifacts" \
        -nologo -v quiet >"$WORK/codecbench-build.log" 2>&1; then
        dll=$(find "$WORK/artifacts/bin/CodecBench" -name CodecBench.dll | head -1)
        log "LZO speed on pages of the vmcore (CodecBench)"
        if ! dotnet "$dll" --runs 3 --codecs lzo --sets "$(basename "$CORE")" "$CORE" >"$CODEC_OUT" 2>"$WORK/codecbench.err"; then
            log "CodecBench failed (see $WORK/codecbench.err); the bound shows the read time only"
            rm -f "$CODEC_OUT"
        fi
        # The pages -l -d 31 keeps, decoded from a dump of them: LZO's share of that dump, with either LZO.
        KEPT=$WORK/kept-d31.kdump
        rm -f "$KEPT"
        log "LZO speed on the pages -d 31 keeps (CodecBench on a -l -d 31 dump)"
        if [ -s "$CODEC_OUT" ] && "$WORK/coresift" -l -d 31 --num-threads 1 "$CORE" "$KEPT" >"$WORK/kept-d31.log" 2>&1; then
            dotnet "$dll" --runs 3 --codecs lzo --max-pages 100000000 --sets "$(basename "$KEPT")" "$KEPT" \
                >>"$CODEC_OUT" 2>>"$WORK/codecbench.err" || log "CodecBench on the kept pages failed (see $WORK/codecbench.err)"
        else
            log "no -l -d 31 dump for the kept pages (see $WORK/kept-d31.log)"
        fi
        rm -f "$KEPT"
    else
        log "CodecBench does not build (see $WORK/codecbench-build.log); the bound shows the read time only"
    fi
else
    log "no dotnet or no CodecBench: the bound shows the read time only"
fi

# ------------------------------------------------------------ the runs ----
repro="tests/bench/run-bench.sh --runs $RUNS"
[ $QUICK = 0 ] || repro+=" --quick"
[ -z "$VMCORE" ] || repro+=" --vmcore $VMCORE"
args=(run --coresift "$WORK/coresift" --coresift-version "$CS_VERSION" --coresift-git "$CS_GIT"
    --makedumpfile "$MAKEDUMPFILE" --vmcore "$CORE" --vmcore-desc "$DESC"
    --mdf-d31 "$MDF31" --mdf-d1 "$MDF1" --runs "$RUNS" --threads "$THREADS" --sets "$SETS"
    --work "$WORK" --results "$RESULTS" --cgroup-mib "$CGROUP_MIB"
    --command "$repro")
[ -z "$TRUTH" ] || args+=(--truth "$TRUTH")
[ ! -s "$CODEC_OUT" ] || args+=(--codecbench "$CODEC_OUT")
[ ! -s "${CORE%/*}/make-seconds" ] || args+=(--make-seconds "$(cat "${CORE%/*}/make-seconds")")
[ $CGROUP = 1 ] || args+=(--no-cgroup)
python3 "$BENCH_DIR/bench.py" "${args[@]}"
