#!/bin/bash
# make-vmcore.sh: boot a Debian kernel under QEMU (TCG) with a tiny busybox
# initramfs, shape guest memory so that every page category exists, and dump
# guest memory with QMP dump-guest-memory (ELF, paging=false). See README.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=$(basename "$0")

usage() {
    cat <<EOF
Usage: $PROG [options] --out FILE
       $PROG --from VMCORE [--makedumpfile-copy FILE] [--mdf-stats] [--zstd FILE]

Boot options:
  --kernel-version V   6.1 | 6.12 | exact uname -r (e.g. 6.1.0-56-amd64); default 6.1
  --mem SIZE           guest RAM, QEMU syntax (128M, 1G); default 128M
  --smp N              guest CPUs; default 2
  --la57               5-level paging (-cpu max); default 4-level (-cpu max,la57=off)
  --thp                THP always + huge-page-backed anonymous workload
  --nokaslr            boot with nokaslr (default: KASLR on)
  --scrub              before shaping, touch and free almost all free memory so
                       boot-time garbage (the compressed kernel the boot loader
                       left at 1 MiB, ~8 MiB) becomes zero pages; use it for
                       vmcores that must compress well
  --workload LIST      clean,buffered,tmpfs,anon,zero,churn sizes in MiB
                       (default: derived from --mem, see README.md)
  --append ARGS        extra kernel command line arguments
  --boot-timeout S     seconds to wait for the guest to get ready; default 300
  --dump-timeout S     seconds to wait for dump-guest-memory; default 900
  --workdir DIR        scratch directory; default tests/vm/work/<config>
Outputs:
  --out FILE           the ELF vmcore exactly as QEMU wrote it (made sparse)
  --truth FILE         guest truth (/proc/meminfo, zoneinfo, buddyinfo, vmstat
                       read right before the dump); default <out-base>.truth.txt
  --zstd FILE          also write a zstd -19 --long=27 compressed copy
  --qemu-kdump PREFIX  also let QEMU dump the same (stopped) guest as
                       PREFIX.kdump-zlib, PREFIX.kdump-lzo, PREFIX.kdump-snappy
  --makedumpfile-copy FILE
                       copy of the vmcore with the program headers moved to
                       offset 64 (readable by makedumpfile 1.7.2)
  --mdf-stats          run makedumpfile --dry-run --show-stats -d 31 and -d 1 on
                       the makedumpfile copy; write <out-base>.mdf-d31.txt and
                       <out-base>.mdf-d1.txt (implies a copy in the workdir if
                       --makedumpfile-copy is not given)
  --from VMCORE        do not boot; post-process an existing vmcore
  -h, --help
EOF
}

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

KSPEC=6.1 MEM=128M SMP=2 LA57=0 THP=0 NOKASLR=0 SCRUB=0 WORKLOAD="" EXTRA_APPEND=""
BOOT_TIMEOUT=300 DUMP_TIMEOUT=900 WORKDIR="" OUT="" TRUTH="" ZSTD_OUT=""
MDF_COPY="" MDF_STATS=0 FROM="" QEMU_KDUMP=""

while [ $# -gt 0 ]; do
    case "$1" in
    --kernel-version) KSPEC=${2:?}; shift 2 ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --smp) SMP=${2:?}; shift 2 ;;
    --la57) LA57=1; shift ;;
    --thp) THP=1; shift ;;
    --nokaslr) NOKASLR=1; shift ;;
    --scrub) SCRUB=1; shift ;;
    --workload) WORKLOAD=${2:?}; shift 2 ;;
    --append) EXTRA_APPEND=${2:?}; shift 2 ;;
    --boot-timeout) BOOT_TIMEOUT=${2:?}; shift 2 ;;
    --dump-timeout) DUMP_TIMEOUT=${2:?}; shift 2 ;;
    --workdir) WORKDIR=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --truth) TRUTH=${2:?}; shift 2 ;;
    --zstd) ZSTD_OUT=${2:?}; shift 2 ;;
    --makedumpfile-copy) MDF_COPY=${2:?}; shift 2 ;;
    --mdf-stats) MDF_STATS=1; shift ;;
    --qemu-kdump)
        # The same stopped guest also dumped by QEMU as kdump-compressed files: PREFIX.kdump-{zlib,lzo,snappy}
        p=${2:?}; QEMU_KDUMP="kdump-zlib=$p.kdump-zlib,kdump-lzo=$p.kdump-lzo,kdump-snappy=$p.kdump-snappy"; shift 2 ;;
    --from) FROM=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
    esac
done

[ -n "$OUT" ] || [ -n "$FROM" ] || { usage >&2; die "--out FILE (or --from VMCORE) is required"; }
[ -z "$OUT" ] || [ -z "$FROM" ] || die "--out and --from are mutually exclusive"
[ "$(id -u)" = 0 ] || die "must run as root (apt, /boot/vmlinuz-* is mode 0600)"
for n in SMP BOOT_TIMEOUT DUMP_TIMEOUT; do
    o=${n,,}; [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "--${o//_/-} must be a positive integer"
done

MEM_MIB=$(mem_mib "$MEM")
[[ $MEM_MIB =~ ^[0-9]+$ ]] && [ "$MEM_MIB" -ge 96 ] || die "--mem must be at least 96M (got $MEM)"

# out-base: --out (or --from) without a .elf/.vmcore suffix
CORE=${OUT:-$FROM}
CORE=$(realpath -m "$CORE")
BASE=${CORE%.elf}
BASE=${BASE%.vmcore}
[ -n "$TRUTH" ] || TRUTH=$BASE.truth.txt

build_initramfs() {
    stage_base "$WORK/initramfs" "$SCRIPT_DIR/guest-init.sh"
    stage_modules "$WORK/initramfs" qemu_fw_cfg virtio_pci virtio_blk crc32c_generic ext4
    make_cpio "$WORK/initramfs" "$WORK/initramfs.cpio"
}

# ------------------------------------------------------------ VM run ----
remove_partial_output() { if [ -n "${OUT_TMP:-}" ]; then rm -f "$OUT_TMP"; fi; }
qemu_kill_on_exit remove_partial_output

console_tail() { console_file_tail "$WORK/console.log" 25; }

run_vm() {
    local cpu append t0 clean buffered tmpfs anon zero churn
    workload_sizes "$MEM_MIB" "$WORKLOAD"
    clean=$W_CLEAN buffered=$W_BUFFERED tmpfs=$W_TMPFS
    anon=$W_ANON zero=$W_ZERO churn=$W_CHURN
    # ext4 disk: room for both files plus slack
    rm -f "$WORK/disk.img"
    truncate -s $(((clean + buffered) * 2 + 32))M "$WORK/disk.img"
    mkfs.ext4 -q -F -L coresift "$WORK/disk.img" || die "mkfs.ext4 failed"

    if [ $LA57 = 1 ]; then cpu=max; else cpu=max,la57=off; fi
    append="console=ttyS0 panic=1 loglevel=4"
    [ $NOKASLR = 1 ] && append+=" nokaslr"
    append+=" cs.clean=$clean cs.buffered=$buffered cs.tmpfs=$tmpfs"
    append+=" cs.anon=$anon cs.zero=$zero cs.churn=$churn cs.thp=$THP cs.scrub=$SCRUB"
    [ -n "$EXTRA_APPEND" ] && append+=" $EXTRA_APPEND"

    rm -f "$WORK/console.log" "$WORK/qmp.sock"
    : >"$WORK/console.log"
    QEMU_CMD=(qemu-system-x86_64 -name coresift-vmcore -machine pc -accel tcg
        -cpu "$cpu" -smp "$SMP" -m "$MEM"
        -kernel "$VMLINUZ" -initrd "$WORK/initramfs.cpio" -append "$append"
        -device vmcoreinfo
        -drive "file=$WORK/disk.img,if=virtio,format=raw,cache=unsafe"
        -nic none -display none -monitor none
        -serial "file:$WORK/console.log"
        -qmp "unix:$WORK/qmp.sock,server=on,wait=off"
        -no-reboot)
    printf '%q ' "${QEMU_CMD[@]}" >"$WORK/qemu-cmdline.txt"
    echo >>"$WORK/qemu-cmdline.txt"
    log "booting $KVER ($MEM, cpu $cpu, smp $SMP, thp $THP)"
    t0=$SECONDS
    # hard upper bound on QEMU's life time, whatever happens to this script
    timeout -k 10 $((BOOT_TIMEOUT + DUMP_TIMEOUT + 120)) "${QEMU_CMD[@]}" \
        >"$WORK/qemu.log" 2>&1 &
    QEMU_PID=$!

    while :; do
        if grep -q '^CORESIFT-READY' "$WORK/console.log"; then break; fi
        if grep -q 'CORESIFT-FAIL' "$WORK/console.log"; then
            console_tail
            die "guest reported failure: $(grep -a -m1 'CORESIFT-FAIL' "$WORK/console.log" | tr -d '\r')"
        fi
        if ! kill -0 "$QEMU_PID" 2>/dev/null; then
            console_tail
            cat "$WORK/qemu.log" >&2 || true
            die "QEMU exited before the guest was ready"
        fi
        if [ $((SECONDS - t0)) -ge "$BOOT_TIMEOUT" ]; then
            console_tail
            die "guest not ready after $BOOT_TIMEOUT s"
        fi
        sleep 1
    done
    T_READY=$((SECONDS - t0))
    log "guest ready after ${T_READY} s"

    # Truth: the block between the markers, without the markers.
    mkdir -p "$(dirname "$TRUTH")"
    tr -d '\r' <"$WORK/console.log" |
        sed -n '/^CORESIFT-TRUTH-BEGIN$/,/^CORESIFT-TRUTH-END$/p' |
        sed '1d;$d' >"$TRUTH.tmp"
    grep -q '^meminfo MemTotal:' "$TRUTH.tmp" && grep -q '^vmstat ' "$TRUTH.tmp" ||
        die "truth block incomplete in $WORK/console.log"
    mv "$TRUTH.tmp" "$TRUTH"

    mkdir -p "$(dirname "$CORE")"
    OUT_TMP=$CORE.partial
    rm -f "$OUT_TMP"
    t0=$SECONDS
    python3 "$SCRIPT_DIR/vmtool.py" qmp-dump "$WORK/qmp.sock" "$OUT_TMP" "$DUMP_TIMEOUT" "$QEMU_KDUMP" ||
        die "QMP dump failed"
    T_DUMP=$((SECONDS - t0))
    # QEMU was asked to quit; give it a moment, then make sure it is gone.
    for _ in $(seq 1 30); do
        kill -0 "$QEMU_PID" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$QEMU_PID" 2>/dev/null; then
        log "QEMU did not quit; killing it"
        kill "$QEMU_PID" 2>/dev/null || true
    fi
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
    python3 "$SCRIPT_DIR/vmtool.py" info "$OUT_TMP" >"$WORK/vmcore-info.txt" ||
        die "the dump is not a usable vmcore (see above)"
    # QEMU writes every zero page; punch holes so the file is sparse.
    fallocate -d "$OUT_TMP" 2>/dev/null || true
    chmod 0644 "$OUT_TMP"
    mv -f "$OUT_TMP" "$CORE"
    OUT_TMP=""
    log "vmcore: $CORE ($(stat -c %s "$CORE") bytes, $(du -k "$CORE" | cut -f1) KiB on disk), dump took ${T_DUMP} s"
    log "truth:  $TRUTH"
}

# ------------------------------------------------------------ post ----
post_process() {
    local copy=$MDF_COPY d out
    if [ -n "$ZSTD_OUT" ]; then
        mkdir -p "$(dirname "$ZSTD_OUT")"
        log "compressing to $ZSTD_OUT (zstd -19 --long=27)"
        zstd -q -f -19 --long=27 -T0 "$CORE" -o "$ZSTD_OUT" || die "zstd failed"
        chmod 0644 "$ZSTD_OUT"
        log "compressed: $(stat -c %s "$ZSTD_OUT") bytes"
    fi
    if [ $MDF_STATS = 1 ] && [ -z "$copy" ]; then
        copy=$WORK/mdf-copy.elf
    fi
    if [ -n "$copy" ]; then
        mkdir -p "$(dirname "$copy")"
        cp --sparse=always "$CORE" "$copy.tmp" || die "copy to $copy failed"
        python3 "$SCRIPT_DIR/vmtool.py" phoff64 "$copy.tmp" || die "header rewrite failed"
        mv -f "$copy.tmp" "$copy"
        log "makedumpfile copy: $copy"
    fi
    if [ $MDF_STATS = 1 ]; then
        mdf_stats "$copy" "$BASE" "$WORK"
        if [ "$copy" = "$WORK/mdf-copy.elf" ]; then rm -f "$copy"; fi
    fi
}

# ------------------------------------------------------------ main ----
T_START=$SECONDS
if [ -n "$FROM" ]; then
    [ -r "$CORE" ] || die "cannot read $CORE"
    command -v python3 >/dev/null || apt_install python3
    [ -z "$ZSTD_OUT" ] || command -v zstd >/dev/null || apt_install zstd
    python3 "$SCRIPT_DIR/vmtool.py" info "$CORE" >/dev/null || die "$CORE is not a usable vmcore"
    if [ -n "$WORKDIR" ]; then
        WORK=$(realpath -m "$WORKDIR")
        mkdir -p "$WORK"
        post_process
    else
        WORK=$(mktemp -d "${TMPDIR:-/tmp}/make-vmcore.XXXXXX")
        post_process
        rm -rf "$WORK"
    fi
    exit 0
fi

ensure_tools
resolve_kernel "$KSPEC"
if [ -z "$WORKDIR" ]; then
    WORKDIR=$SCRIPT_DIR/work/$KVER-$MEM
    [ $LA57 = 1 ] && WORKDIR+=-la57
    [ $THP = 1 ] && WORKDIR+=-thp
    [ $SCRUB = 1 ] && WORKDIR+=-scrub
fi
WORK=$(realpath -m "$WORKDIR")
mkdir -p "$WORK"
# QMP socket path must fit in sun_path (108 bytes)
[ ${#WORK} -lt 95 ] || die "--workdir path too long for a unix socket: $WORK"
exec 9>"$WORK/.lock"
flock -n 9 || die "another run is using $WORK"

build_initramfs
run_vm
post_process
log "done in $((SECONDS - T_START)) s (guest ready ${T_READY} s, dump ${T_DUMP} s)"
