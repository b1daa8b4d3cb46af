#!/bin/bash
# kexec-capture.sh: make a real kdump vmcore ("Method B"). Boot a Debian
# kernel under QEMU (TCG) with crashkernel=, shape memory like
# make-vmcore.sh, load a crash kernel with kexec -p, panic with sysrq-c. The
# crash kernel's busybox initramfs copies /proc/vmcore onto a raw second
# virtio disk and powers off; the host cuts the file out of the disk image.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=$(basename "$0")

usage() {
    cat <<EOF
Usage: $PROG [options] --out FILE

  --kernel-version V   6.1 | 6.12 | exact uname -r; default 6.1 (both kernels
                       of the run are the same)
  --mem SIZE           guest RAM (QEMU syntax); default 1G
  --crashkernel SIZE   crashkernel= reservation; default 256M
  --smp N              guest CPUs of the first kernel; default 2
  --la57               5-level paging (-cpu max); default -cpu max,la57=off
  --thp                THP always + huge-page-backed anonymous workload
  --scrub              zero boot-time garbage in free memory first
  --workload LIST      clean,buffered,tmpfs,anon,zero,churn sizes in MiB
  --append ARGS        extra arguments for the first kernel's command line
  --timeout S          seconds for the whole VM run; default 900
  --workdir DIR        scratch directory; default tests/vm/work/kexec-<config>
  --out FILE           the /proc/vmcore copy (ELF, as the crash kernel saw it)
  --truth FILE         guest truth before the panic; default <out-base>.truth.txt
  --mdf-stats          run makedumpfile --dry-run --show-stats -d 31 / -d 1 on the
                       vmcore; write <out-base>.mdf-d31.txt / .mdf-d1.txt
  -h, --help
EOF
}

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

KSPEC=6.1 MEM=1G CRASH=256M SMP=2 LA57=0 THP=0 SCRUB=0 WORKLOAD="" EXTRA_APPEND=""
TIMEOUT=900 WORKDIR="" OUT="" TRUTH="" MDF_STATS=0
while [ $# -gt 0 ]; do
    case "$1" in
    --kernel-version) KSPEC=${2:?}; shift 2 ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --crashkernel) CRASH=${2:?}; shift 2 ;;
    --smp) SMP=${2:?}; shift 2 ;;
    --la57) LA57=1; shift ;;
    --thp) THP=1; shift ;;
    --scrub) SCRUB=1; shift ;;
    --workload) WORKLOAD=${2:?}; shift 2 ;;
    --append) EXTRA_APPEND=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --workdir) WORKDIR=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --truth) TRUTH=${2:?}; shift 2 ;;
    --mdf-stats) MDF_STATS=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
    esac
done
[ -n "$OUT" ] || { usage >&2; die "--out FILE is required"; }
[ "$(id -u)" = 0 ] || die "must run as root (apt, /boot/vmlinuz-* is mode 0600)"
[[ $SMP =~ ^[1-9][0-9]*$ ]] || die "--smp must be a positive integer"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer"
MEM_MIB=$(mem_mib "$MEM")
CRASH_MIB=$(mem_mib "$CRASH")
[[ $MEM_MIB =~ ^[0-9]+$ ]] && [[ $CRASH_MIB =~ ^[0-9]+$ ]] || die "bad --mem/--crashkernel"
[ $((MEM_MIB - CRASH_MIB)) -ge 256 ] || die "--mem must exceed --crashkernel by at least 256M"

CORE=$(realpath -m "$OUT")
BASE=${CORE%.elf}
BASE=${BASE%.vmcore}
[ -n "$TRUTH" ] || TRUTH=$BASE.truth.txt

qemu_kill_on_exit

console_tail() { console_file_tail "$WORK/console.log" 30; }

build_initramfs() {
    local cap=$WORK/capture first=$WORK/first
    # capture (crash kernel) initramfs: busybox, virtio disk, copy loop
    stage_base "$cap" "$SCRIPT_DIR/capture-init.sh"
    rm -f "$cap/bin/memshape"
    stage_modules "$cap" virtio_pci virtio_blk
    make_cpio "$cap" "$WORK/capture.cpio"
    # first kernel initramfs: the Method A guest plus kexec and the crash kernel
    stage_base "$first" "$SCRIPT_DIR/guest-init.sh"
    stage_modules "$first" virtio_pci virtio_blk crc32c_generic ext4
    stage_dynamic "$first" "$(command -v kexec)"
    mkdir -p "$first/boot"
    cp "$VMLINUZ" "$first/boot/vmlinuz"
    cp "$WORK/capture.cpio" "$first/boot/capture.cpio"
    echo "console=ttyS0 nr_cpus=1 irqpoll nousb reset_devices panic=1 loglevel=4" \
        >"$first/boot/capture.cmdline"
    make_cpio "$first" "$WORK/first.cpio"
}

run_vm() {
    local cpu append t0 size
    workload_sizes $((MEM_MIB - CRASH_MIB)) "$WORKLOAD"
    rm -f "$WORK/disk.img" "$WORK/dump.img"
    truncate -s $(((W_CLEAN + W_BUFFERED) * 2 + 32))M "$WORK/disk.img"
    mkfs.ext4 -q -F -L coresift "$WORK/disk.img" || die "mkfs.ext4 failed"
    # raw dump disk: /proc/vmcore is smaller than guest RAM
    truncate -s $((MEM_MIB + 64))M "$WORK/dump.img"

    if [ $LA57 = 1 ]; then cpu=max; else cpu=max,la57=off; fi
    append="console=ttyS0 panic=1 loglevel=4 crashkernel=$CRASH cs.mode=kexec"
    append+=" cs.clean=$W_CLEAN cs.buffered=$W_BUFFERED cs.tmpfs=$W_TMPFS"
    append+=" cs.anon=$W_ANON cs.zero=$W_ZERO cs.churn=$W_CHURN cs.thp=$THP cs.scrub=$SCRUB"
    [ -n "$EXTRA_APPEND" ] && append+=" $EXTRA_APPEND"

    rm -f "$WORK/console.log"
    : >"$WORK/console.log"
    QEMU_CMD=(qemu-system-x86_64 -name coresift-kdump -machine pc -accel tcg
        -cpu "$cpu" -smp "$SMP" -m "$MEM"
        -kernel "$VMLINUZ" -initrd "$WORK/first.cpio" -append "$append"
        -drive "file=$WORK/disk.img,if=virtio,format=raw,cache=unsafe"
        -drive "file=$WORK/dump.img,if=virtio,format=raw,cache=unsafe"
        -nic none -display none -monitor none
        -serial "file:$WORK/console.log"
        -no-reboot)
    printf '%q ' "${QEMU_CMD[@]}" >"$WORK/qemu-cmdline.txt"
    echo >>"$WORK/qemu-cmdline.txt"
    log "booting $KVER ($MEM, crashkernel=$CRASH, cpu $cpu, smp $SMP, thp $THP)"
    t0=$SECONDS
    timeout -k 10 "$TIMEOUT" "${QEMU_CMD[@]}" >"$WORK/qemu.log" 2>&1 &
    QEMU_PID=$!

    T_PANIC=""
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        if [ -z "$T_PANIC" ] && grep -q '^CORESIFT-PANIC' "$WORK/console.log"; then
            T_PANIC=$((SECONDS - t0))
            log "first kernel panicked after ${T_PANIC} s"
        fi
        if grep -q 'CORESIFT-FAIL\|CORESIFT-CAPTURE-FAIL' "$WORK/console.log"; then
            sleep 2
            console_tail
            die "guest reported failure: $(grep -a -m1 'FAIL:' "$WORK/console.log" | tr -d '\r')"
        fi
        sleep 1
    done
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
    T_TOTAL=$((SECONDS - t0))
    if ! grep -q '^CORESIFT-CAPTURE-DONE' "$WORK/console.log"; then
        console_tail
        if [ "$T_TOTAL" -ge "$TIMEOUT" ]; then
            die "timed out after $TIMEOUT s"
        fi
        die "QEMU exited without a completed capture"
    fi
    size=$(tr -d '\r' <"$WORK/console.log" | sed -n 's/^CORESIFT-CAPTURE-DONE size \([0-9]*\) .*/\1/p' | tail -n 1)
    [[ $size =~ ^[0-9]+$ ]] || die "cannot parse the capture size from the console"
    log "capture done after ${T_TOTAL} s: /proc/vmcore was $size bytes"

    mkdir -p "$(dirname "$TRUTH")"
    tr -d '\r' <"$WORK/console.log" |
        sed -n '/^CORESIFT-TRUTH-BEGIN$/,/^CORESIFT-TRUTH-END$/p' |
        sed '1d;$d' >"$TRUTH.tmp"
    grep -q '^meminfo MemTotal:' "$TRUTH.tmp" && grep -q '^vmstat ' "$TRUTH.tmp" ||
        die "truth block incomplete in $WORK/console.log"
    mv "$TRUTH.tmp" "$TRUTH"

    mkdir -p "$(dirname "$CORE")"
    cp --sparse=always "$WORK/dump.img" "$CORE.partial"
    truncate -s "$size" "$CORE.partial"
    chmod 0644 "$CORE.partial"
    python3 "$SCRIPT_DIR/vmtool.py" info "$CORE.partial" >"$WORK/vmcore-info.txt" || {
        rm -f "$CORE.partial"
        die "the captured file is not a usable vmcore"
    }
    mv -f "$CORE.partial" "$CORE"
    rm -f "$WORK/dump.img"
    log "vmcore: $CORE ($size bytes)"
    log "truth:  $TRUTH"
}

T_START=$SECONDS
ensure_tools kexec:kexec-tools
resolve_kernel "$KSPEC"
if [ -z "$WORKDIR" ]; then
    WORKDIR=$SCRIPT_DIR/work/kexec-$KVER-$MEM-$CRASH
    [ $LA57 = 1 ] && WORKDIR+=-la57
    [ $THP = 1 ] && WORKDIR+=-thp
    [ $SCRUB = 1 ] && WORKDIR+=-scrub
fi
WORK=$(realpath -m "$WORKDIR")
mkdir -p "$WORK"
exec 9>"$WORK/.lock"
flock -n 9 || die "another run is using $WORK"

build_initramfs
run_vm
if [ $MDF_STATS = 1 ]; then
    # a real /proc/vmcore has its program headers at 64: no rewrite needed
    mdf_stats "$CORE" "$BASE" "$WORK"
fi
log "done in $((SECONDS - T_START)) s (panic at ${T_PANIC:-?} s, VM total ${T_TOTAL} s)"
