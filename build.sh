#!/usr/bin/env bash
# coresift build entry point.
#   ./build.sh run      publish, then classify the repository's sample vmcore and print the statistics
#   ./build.sh test     install test dependencies, publish, run every test that fits CI
#   ./build.sh publish  write the static NativeAOT binary to out/coresift
#   ./build.sh vmtest   make fresh vmcores with QEMU (tests/vm), compare with makedumpfile and the kernel's counters;
#                       a real kdump through a dracut-built capture initramfs with the coresift module
#   ./build.sh bench    benchmark against makedumpfile on an 8 GiB vmcore (tests/bench; 30-60 min)
#   ./build.sh bench memcap-v2  that vmcore dumped under a cgroup v2 memory.max of 96 MiB, in a QEMU guest (~3 min)
#   ./build.sh package  build and check the dracut module, RPM and Debian packages (tests/packaging)
#   ./build.sh fuzz [--seconds N] [--targets LIST]  AFL++/SharpFuzz on each parser (tests/fuzz; default 300 s each)
#   ./build.sh reliability  full disk, signals and memory caps, then tests/RELIABILITY.md (root; ~15 min)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
OUT=$ROOT/out
SAMPLE_ZST=$ROOT/tests/data/sample-6.1.vmcore.zst
SAMPLE=$OUT/sample/sample-6.1.vmcore
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { printf '==> %s\n' "$*" >&2; }

# Installs Debian packages that are missing (CI starts from a bare machine).
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "missing packages: ${missing[*]} (not root: skipping install; tests that need them say so)"
        return 0
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    # apt may fail part-way when a clean-up hook removes downloaded .debs: retry once.
    apt-get install -y -qq "${missing[@]}" >/dev/null || apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Publishes the static binary to out/coresift.
publish() {
    log "publishing the NativeAOT static binary"
    dotnet publish src/Coresift/Coresift.csproj -c Release -r linux-x64 -o "$OUT/publish" -nologo -v quiet
    cp "$OUT/publish/coresift" "$OUT/coresift"
    log "out/coresift: $(stat -c %s "$OUT/coresift") bytes, $(file -b "$OUT/coresift" | cut -d, -f1-4)"
}

# Decompresses the sample vmcore once (sparse) into out/sample.
sample() {
    if [ ! -s "$SAMPLE" ] || [ "$SAMPLE_ZST" -nt "$SAMPLE" ]; then
        command -v zstd >/dev/null || apt_install zstd
        mkdir -p "$(dirname "$SAMPLE")"
        log "decompressing $(basename "$SAMPLE_ZST")"
        zstd -q -d -f --long=27 --sparse "$SAMPLE_ZST" -o "$SAMPLE"
    fi
}

# Runs the xunit suite (extra args: a --filter), logs to $1, prints "N passed, N failed, N skipped"; fails on any failure.
run_tests() {
    local log=$1; shift
    local rc=0
    CORESIFT_BINARY=$OUT/coresift CORESIFT_SAMPLE_VMCORE=$SAMPLE \
        dotnet test tests/Coresift.Tests/Coresift.Tests.csproj -nologo \
        --logger "console;verbosity=detailed" "$@" >"$log" 2>&1 || rc=$?
    grep -E '^\s+Failed [A-Z]|: (scan|equal)|-d [0-9]+: equal|error [A-Z]+[0-9]+' "$log" || true
    local total passed failed skipped
    total=$(grep -E '^Total tests: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    passed=$(grep -E '^\s+Passed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    failed=$(grep -E '^\s+Failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    skipped=$(grep -E '^\s+Skipped: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    log "$total tests ran (full log: ${log#$ROOT/})"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$rc" = 0 ] && [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

cmd=${1:-help}
case "$cmd" in
    publish)
        publish
        ;;
    run)
        publish
        sample
        out_file=$OUT/sample/sample-6.1.dump
        rm -f "$out_file"
        # What distributions run in the capture kernel (kdump-utils' default core_collector), plus the report.
        log "out/coresift -l --message-level 23 -d 31 $SAMPLE $out_file"
        "$OUT/coresift" -l --message-level 23 -d 31 "$SAMPLE" "$out_file"
        log "the dump is at ${out_file#$ROOT/} ($(stat -c %s "$out_file") bytes, from a $(stat -c %s "$SAMPLE")-byte vmcore);"
        log "open it with: crash /usr/lib/debug/boot/vmlinux-6.1.0-56-amd64 ${out_file#$ROOT/}"
        ;;
    test)
        apt_install makedumpfile zstd file liblzo2-2
        publish
        sample
        log "running the test suite"
        run_tests "$OUT/test.log"
        ;;
    vmtest)
        # Fresh vmcores coresift has never seen (KASLR differs every boot), then the parity tests on them.
        publish
        sample
        vm=$OUT/vm
        mkdir -p "$vm"
        log "making vmcores with QEMU (tests/vm): 6.1 5-level, 6.12 with THP, real kexec captures of 6.1 and 6.12 (THP), and a real kdump of a 2 GiB 6.1 guest through a dracut-built capture initramfs"
        bash tests/vm/make-vmcore.sh --kernel-version 6.1 --mem 256M --la57 --out "$vm/v61-la57-256M.elf"
        bash tests/vm/make-vmcore.sh --kernel-version 6.12 --mem 384M --thp --out "$vm/v612-thp-384M.elf" --qemu-kdump "$vm/v612-thp-384M"
        bash tests/vm/kexec-capture.sh --kernel-version 6.1 --mem 768M --crashkernel 256M --out "$vm/kexec-61-768M.vmcore"
        bash tests/vm/kexec-capture.sh --kernel-version 6.12 --mem 768M --crashkernel 256M --thp --out "$vm/kexec-612-thp-768M.vmcore"
        # dracut + dracut-module/99coresift: coresift writes the dump in the capture kernel; host checks
        # (makedumpfile refilter and --dump-dmesg, crash/drgn, byte-identical host rerun on the raw copy)
        bash tests/vm/dracut-kexec.sh --kernel-version 6.1 --mem 2G --crashkernel 256M \
            --raw-copy "$vm/dracut-61-2G.vmcore" --out-dir "$vm/dracut-61-2G"
        log "comparing coresift with makedumpfile, the kernels' own counters and QEMU's kdump files; crash/drgn where installed"
        CORESIFT_EXTRA_VMCORES="$vm/v61-la57-256M.elf:$vm/v612-thp-384M.elf:$vm/kexec-61-768M.vmcore:$vm/kexec-612-thp-768M.vmcore:$vm/dracut-61-2G.vmcore" \
        CORESIFT_QEMU_KDUMP="$vm/v612-thp-384M.elf|$vm/v612-thp-384M.kdump-zlib" \
            run_tests "$OUT/vmtest.log" --filter "FullyQualifiedName~Integration.MakedumpfileParityTests|FullyQualifiedName~Integration.QemuKdumpTests|FullyQualifiedName~Integration.ReaderTierTests|FullyQualifiedName~Integration.DrgnCountTests"
        rm -f "$vm"/*.elf "$vm"/*.vmcore "$vm"/*.kdump-*
        rm -rf "$vm/dracut-61-2G"
        ;;
    bench)
        # Side-by-side benchmark against makedumpfile on an 8 GiB vmcore (results: tests/bench/results/RESULTS.md).
        publish
        if [ "${2:-}" = memcap-v2 ]; then
            # Optional stage: -l -d 31 under cgroup v2 memory.max in a QEMU guest (results: tests/bench/results/MEMCAP-V2.md).
            bash tests/bench/memcap-v2.sh "${@:3}"
        else
            bash tests/bench/run-bench.sh "${@:2}"
        fi
        ;;
    package)
        # Packaging checks (slow, not part of CI): dracut module, capture hook, RPM and Debian builds.
        publish
        sample
        bash tests/packaging/test-dracut-module.sh
        bash tests/packaging/test-capture-hook.sh
        bash tests/packaging/test-rpm.sh
        bash tests/packaging/test-deb.sh
        ;;
    fuzz)
        # Coverage-guided fuzzing, one afl-fuzz at a time; results appended to tests/fuzz/results/summary.tsv.
        apt_install afl++
        bash tests/fuzz/run-fuzz.sh "${@:2}"
        ;;
    reliability)
        # ENOSPC fill levels, signals, memory caps (and the fuzz/EIO tables when present) -> tests/RELIABILITY.md.
        apt_install makedumpfile zstd liblzo2-2
        publish
        sample
        bash tests/reliability/make-report.sh "${@:2}"
        ;;
    *)
        sed -n '2,12p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
        [ "$cmd" = help ] || exit 1
        ;;
esac
