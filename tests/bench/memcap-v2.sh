#!/bin/bash
# memcap-v2.sh: coresift -l -d 31 on the 8 GiB bench vmcore under a cgroup v2 memory.max (96 MiB), for real: inside
# a QEMU guest (Debian 6.1 kernel, busybox initramfs) that mounts cgroup2 with the memory controller. The host here
# has cgroup v1 only. See README.md in this folder; report: results/MEMCAP-V2.md.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
PROG=memcap-v2.sh
SCRIPT_DIR=$ROOT/tests/vm # lib.sh's stage_base builds $SCRIPT_DIR/memshape.c

usage() {
    cat <<EOF
Usage: tests/bench/memcap-v2.sh [options]

  --vmcore PATH        input (default \$CORESIFT_BENCH_VMCORE, else tests/bench/work/vmcore-6.1-8G/vmcore.elf,
                       the vmcore run-bench.sh makes); attached to the guest read-only as a raw virtio disk
  --cold N             coresift runs, page cache dropped before each (default 5)
  --warm N             coresift runs with the input's pages in the guest's page cache (default 2)
  --mdf N              makedumpfile runs, cold (default 3; 0: none)
  --no-parent          skip the run whose limit is on the parent cgroup only
  --cgroup-mib N       memory.max of each run's cgroup in MiB (default 96)
  --mem SIZE           guest RAM (default 1G: the cap binds, not the guest)
  --smp N              guest CPUs (default 2)
  --threads N          coresift --num-threads (default 1)
  --accel tcg|kvm      QEMU accelerator (default tcg, as tests/vm; kvm uses -cpu host)
  --kernel-version V   guest kernel, as tests/vm/make-vmcore.sh (default 6.1)
  --coresift BIN       binary to measure (default out/coresift; copied first)
  --makedumpfile BIN   (default /usr/bin/makedumpfile; copied into the initramfs with the libraries ldd lists)
  --results FILE       report (default tests/bench/results/MEMCAP-V2.md; the runs' console lines go next to it
                       as MEMCAP-V2.console.txt)
  --timeout S          QEMU's whole life (default 3600)
EOF
}

# shellcheck source=../vm/lib.sh
. "$ROOT/tests/vm/lib.sh"

VMCORE=${CORESIFT_BENCH_VMCORE:-$BENCH_DIR/work/vmcore-6.1-8G/vmcore.elf}
COLD=5 WARM=2 MDF=3 PARENT=1 CAP_MIB=96 MEM=1G SMP=2 THREADS=1 ACCEL=tcg KSPEC=6.1
CORESIFT=$ROOT/out/coresift MAKEDUMPFILE=/usr/bin/makedumpfile RESULTS=$BENCH_DIR/results/MEMCAP-V2.md TIMEOUT=3600
ARGS=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
    --vmcore) VMCORE=${2:?}; shift 2 ;;
    --cold) COLD=${2:?}; shift 2 ;;
    --warm) WARM=${2:?}; shift 2 ;;
    --mdf) MDF=${2:?}; shift 2 ;;
    --no-parent) PARENT=0; shift ;;
    --cgroup-mib) CAP_MIB=${2:?}; shift 2 ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --smp) SMP=${2:?}; shift 2 ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --accel) ACCEL=${2:?}; shift 2 ;;
    --kernel-version) KSPEC=${2:?}; shift 2 ;;
    --coresift) CORESIFT=${2:?}; shift 2 ;;
    --makedumpfile) MAKEDUMPFILE=${2:?}; shift 2 ;;
    --results) RESULTS=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
    esac
done
for n in COLD WARM MDF; do
    [[ ${!n} =~ ^[0-9]+$ ]] || die "--${n,,} must be a number"
done
for n in CAP_MIB SMP THREADS TIMEOUT; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "${n,,} must be a positive integer"
done
[ "$COLD" -ge 1 ] || die "--cold must be at least 1"
case "$ACCEL" in kvm | tcg) ;; *) die "--accel must be tcg or kvm" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (/boot/vmlinuz-* is mode 0600, apt)"
if [ ! -e "$VMCORE" ] && [ "$VMCORE" = "$BENCH_DIR/work/vmcore-6.1-8G/vmcore.elf" ]; then
    log "no $VMCORE yet: making it with run-bench.sh --prepare (QEMU TCG, about 5 minutes)"
    bash "$BENCH_DIR/run-bench.sh" --prepare
fi
[ -r "$VMCORE" ] || die "cannot read the vmcore $VMCORE (make it with tests/bench/run-bench.sh --prepare, or give --vmcore)"
VMCORE=$(realpath "$VMCORE")
[ -x "$CORESIFT" ] || die "no coresift binary at $CORESIFT (run ./build.sh publish)"
if [ "$MDF" -gt 0 ] && [ ! -x "$MAKEDUMPFILE" ]; then
    log "no makedumpfile at $MAKEDUMPFILE: its runs are skipped"
    MDF=0
fi
CAP=$((CAP_MIB << 20))

WORK=$BENCH_DIR/work/memcap-v2
mkdir -p "$WORK"
exec 9>"$WORK/.lock"
flock -n 9 || die "another memcap-v2.sh is running (lock $WORK/.lock)"

ensure_tools
resolve_kernel "$KSPEC"

# A private copy: others may rebuild out/coresift during the run.
cp -f "$CORESIFT" "$WORK/coresift"
CS_VERSION=$("$WORK/coresift" -v 2>&1 | head -n 1 || true)
CS_GIT=$(cd "$ROOT" && git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(cd "$ROOT" && git status --porcelain --untracked-files=no -- src 2>/dev/null)" ]; then
    CS_GIT+=" (src/ has uncommitted changes)"
fi
MDF_VERSION=""
[ "$MDF" = 0 ] || MDF_VERSION=$("$MAKEDUMPFILE" -v 2>&1 | head -n 1 || true)

# ------------------------------------------------------------ initramfs ----
ROOTFS=$WORK/initramfs
stage_base "$ROOTFS" "$BENCH_DIR/memcap-v2-init.sh"
stage_modules "$ROOTFS" virtio_pci virtio_blk crc32c_generic ext4
install -m 0755 "$WORK/coresift" "$ROOTFS/bin/coresift"
gcc -static -Os -s -Wall -o "$ROOTFS/bin/runpeak" "$BENCH_DIR/runpeak.c" || die "compiling runpeak.c failed"
if [ "$MDF" -gt 0 ]; then
    # lib.sh's applet links may have taken the name; makedumpfile is not a busybox applet, but be sure.
    rm -f "$ROOTFS/usr/bin/makedumpfile"
    stage_dynamic "$ROOTFS" "$MAKEDUMPFILE"
    [ "$MAKEDUMPFILE" = /usr/bin/makedumpfile ] || ln -sf "$MAKEDUMPFILE" "$ROOTFS/usr/bin/makedumpfile"
fi
make_cpio "$ROOTFS" "$WORK/initramfs.cpio"

# ------------------------------------------------------------ the guest ----
# Outputs go to an ext4 on a second virtio disk (a file here), not to the guest's tmpfs: shmem would be charged to
# the cgroup. The guest hashes each output and deletes it, so one output's room (plus slack) is enough.
rm -f "$WORK/out.img"
truncate -s 512M "$WORK/out.img"
mkfs.ext4 -q -F -L csout "$WORK/out.img" || die "mkfs.ext4 failed"

# TCG by default, as tests/vm: on the build VM /dev/kvm opens but no guest runs on it (QEMU 7.2 aborts setting
# MSR 0x10a with -cpu host or max; with max,-arch-capabilities the guest prints nothing).
if [ "$ACCEL" = kvm ]; then ACCEL_ARGS=(-accel kvm -cpu host); else ACCEL_ARGS=(-accel tcg -cpu max,la57=off); fi
APPEND="console=ttyS0 panic=1 loglevel=4 cs.cap=$CAP cs.cold=$COLD cs.warm=$WARM cs.mdf=$MDF cs.parent=$PARENT"
APPEND+=" cs.threads=$THREADS cs.level=31"
CONSOLE=$WORK/console.log
: >"$CONSOLE"
QEMU_CMD=(qemu-system-x86_64 -name coresift-memcap-v2 -machine pc "${ACCEL_ARGS[@]}"
    -smp "$SMP" -m "$MEM"
    -kernel "$VMLINUZ" -initrd "$WORK/initramfs.cpio" -append "$APPEND"
    -drive "file=$VMCORE,format=raw,if=virtio,readonly=on"
    -drive "file=$WORK/out.img,format=raw,if=virtio,cache=unsafe"
    -nic none -display none -monitor none -serial "file:$CONSOLE" -no-reboot)
printf '%q ' "${QEMU_CMD[@]}" >"$WORK/qemu-cmdline.txt"
echo >>"$WORK/qemu-cmdline.txt"

qemu_kill_on_exit

console_tail() { console_file_tail "$CONSOLE" 25; }

log "booting $KVER ($MEM, $SMP CPUs, accel $ACCEL) with $VMCORE read-only; $COLD cold + 1 uncapped + $WARM warm coresift runs, $PARENT parent-limit run, $MDF makedumpfile runs"
T0=$SECONDS
timeout -k 10 "$TIMEOUT" "${QEMU_CMD[@]}" >"$WORK/qemu.log" 2>&1 &
QEMU_PID=$!
seen=0
while kill -0 "$QEMU_PID" 2>/dev/null; do
    n=$(grep -c '^MEMCAP-V2 run=' "$CONSOLE" 2>/dev/null || true)
    if [ "$n" != "$seen" ]; then
        seen=$n
        log "$(tr -d '\r' <"$CONSOLE" | grep '^MEMCAP-V2 run=' | tail -n 1 | cut -c1-200)"
    fi
    sleep 2
done
wait "$QEMU_PID" || true
QEMU_PID=""
T_VM=$((SECONDS - T0))
if grep -q 'MEMCAP-V2-FAIL' "$CONSOLE"; then
    console_tail
    die "guest reported: $(grep -a -m1 'MEMCAP-V2-FAIL' "$CONSOLE" | tr -d '\r')"
fi
if ! grep -q '^MEMCAP-V2-DONE' "$CONSOLE"; then
    console_tail
    cat "$WORK/qemu.log" >&2 || true
    die "the guest stopped before it finished (see $CONSOLE)"
fi
log "guest done after $T_VM s"
rm -f "$WORK/out.img"

# ------------------------------------------------------------ host references ----
# The same binary, options and input on the host, without a limit: the output does not depend on the memory
# budget, so every guest output must be byte-identical to it.
REF=$WORK/host-ref
rm -f "$REF"
"$WORK/coresift" -l -d 31 --num-threads "$THREADS" "$VMCORE" "$REF" >"$WORK/host-ref.log" 2>&1 ||
    die "coresift on the host failed (see $WORK/host-ref.log)"
REF_SHA=$(sha256sum "$REF" | cut -d' ' -f1)
rm -f "$REF"
MDF_REF_SHA=-
if [ "$MDF" -gt 0 ]; then
    rm -f "$WORK/host-mdf"
    if "$MAKEDUMPFILE" -l -d 31 "$VMCORE" "$WORK/host-mdf" >"$WORK/host-mdf.log" 2>&1; then
        MDF_REF_SHA=$(sha256sum "$WORK/host-mdf" | cut -d' ' -f1)
    else
        log "makedumpfile on the host failed (see $WORK/host-mdf.log)"
    fi
    rm -f "$WORK/host-mdf"
fi

# ------------------------------------------------------------ report ----
mkdir -p "$(dirname "$RESULTS")"
CONSOLE_OUT=${RESULTS%.md}.console.txt
tr -d '\r' <"$CONSOLE" | grep -a '^MEMCAP-V2' >"$CONSOLE_OUT"
REPRO="tests/bench/memcap-v2.sh${ARGS[*]:+ ${ARGS[*]}}"
rc=0
python3 "$BENCH_DIR/memcap_v2_report.py" --console "$CONSOLE_OUT" --results "$RESULTS" --cap "$CAP" \
    --ref-sha "$REF_SHA" --mdf-ref-sha "$MDF_REF_SHA" --vmcore "$VMCORE" --kernel "$KVER" --mem "$MEM" --smp "$SMP" \
    --threads "$THREADS" --coresift-version "$CS_VERSION" --coresift-git "$CS_GIT" \
    --makedumpfile-version "$MDF_VERSION" --vm-seconds "$T_VM" --command "$REPRO" \
    --qemu-cmdline "$(cat "$WORK/qemu-cmdline.txt")" || rc=$?
log "report: ${RESULTS#$ROOT/}; console lines: ${CONSOLE_OUT#$ROOT/}"
exit $rc
