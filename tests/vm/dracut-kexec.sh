#!/bin/bash
# dracut-kexec.sh: coresift in a real kdump capture initramfs built by dracut.
#
# Boots a Debian kernel under QEMU (TCG) with crashkernel=, shapes memory (guest-init.sh, cs.mode=kexec:
# page cache, tmpfs, anonymous, zero and freed pages), loads a capture initramfs that REAL dracut built
# from dracut-module/99coresift (shadow dracutbasedir, nothing written to /usr/lib/dracut) with
# `kexec -p`, and panics with sysrq-c. The capture kernel boots dracut's shell init with
# root=/dev/vda (the ext4 disk the first kernel used), and the module's standalone pre-pivot hook,
# configured by /etc/coresift/capture.conf, saves the dump under /crash/coresift-<date>/ with
# `coresift $ARGS` and powers off. Test-only extras come from tests/vm/dracut/98cstest:
#   --raw-copy FILE      a pre-pivot 80 hook copies /proc/vmcore verbatim to a raw disk first (host
#                        comparisons with makedumpfile on the same /proc/vmcore)
#   --collector makedumpfile  instead of 99coresift, the image holds makedumpfile (dynamic, with its
#                        libraries) and a hook that saves the dump with it the same way
# On the host it then checks the result (unless --no-checks):
#   coresift:      the dump is kdump-compressed; coresift --dump-dmesg and makedumpfile --dump-dmesg of
#                  the dump equal the dmesg.txt written in the capture kernel; makedumpfile -d 31
#                  refilters it; crash and drgn read it (tests/readers/check-dump.sh, when the kernel's
#                  -dbg package is installed); with --raw-copy, coresift run on the host on the raw copy
#                  writes a byte-identical dump, and makedumpfile's category counts on the raw copy
#                  equal coresift's (-d 31, --dry-run)
#   makedumpfile:  makedumpfile -d 31 refilters the dump and --dump-dmesg reads it
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
PROG=$(basename "$0")

usage() {
    cat <<EOF
Usage: $PROG [options] --out-dir DIR

  --kernel-version V   6.1 | 6.12 | exact uname -r; default 6.1
  --mem SIZE           guest RAM (QEMU syntax); default 2G
  --crashkernel SIZE   crashkernel= reservation; default 256M
  --smp N              CPUs of the first kernel; default 2
  --collector C        coresift (default) | makedumpfile
  --args "OPTS"        collector options; default "-l -d 31 --message-level 7"
  --binary FILE        the coresift binary; default out/coresift
  --raw-copy FILE      also copy /proc/vmcore (dd, in the capture kernel) to a raw disk; saved as FILE
  --workload LIST      clean,buffered,tmpfs,anon,zero,churn sizes in MiB (default: from RAM - crashkernel)
  --compress C         dracut --compress (default: dracut's own default, gzip here)
  --timeout S          seconds for the VM run; default 900
  --workdir DIR        scratch; default tests/vm/work/dracut-<config>
  --out-dir DIR        receives vmcore (the dump), dmesg.txt, console.log, summary.txt
  --result FILE        key=value summary (status=ok|fail, reason, timings, sizes); written even on
                       a failed capture, then the exit status is 2
  --no-checks          only capture and extract; no host-side checks
  -h, --help
EOF
}

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

KSPEC=6.1 MEM=2G CRASH=256M SMP=2 COLLECTOR=coresift ARGS="-l -d 31 --message-level 7"
BINARY=$ROOT/out/coresift RAW_COPY="" WORKLOAD="" COMPRESS="" TIMEOUT=900 WORKDIR="" OUTDIR=""
RESULT="" CHECKS=1
while [ $# -gt 0 ]; do
    case "$1" in
    --kernel-version) KSPEC=${2:?}; shift 2 ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --crashkernel) CRASH=${2:?}; shift 2 ;;
    --smp) SMP=${2:?}; shift 2 ;;
    --collector) COLLECTOR=${2:?}; shift 2 ;;
    --args) ARGS=${2:?}; shift 2 ;;
    --binary) BINARY=${2:?}; shift 2 ;;
    --raw-copy) RAW_COPY=${2:?}; shift 2 ;;
    --workload) WORKLOAD=${2:?}; shift 2 ;;
    --compress) COMPRESS=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --workdir) WORKDIR=${2:?}; shift 2 ;;
    --out-dir) OUTDIR=${2:?}; shift 2 ;;
    --result) RESULT=${2:?}; shift 2 ;;
    --no-checks) CHECKS=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
    esac
done
[ -n "$OUTDIR" ] || { usage >&2; die "--out-dir DIR is required"; }
[ "$(id -u)" = 0 ] || die "must run as root (apt, /boot/vmlinuz-* is mode 0600)"
case "$COLLECTOR" in coresift | makedumpfile) ;; *) die "--collector must be coresift or makedumpfile" ;; esac
[[ $SMP =~ ^[1-9][0-9]*$ ]] || die "--smp must be a positive integer"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer"
MEM_MIB=$(mem_mib "$MEM")
CRASH_MIB=$(mem_mib "$CRASH")
[[ $MEM_MIB =~ ^[0-9]+$ ]] && [[ $CRASH_MIB =~ ^[0-9]+$ ]] || die "bad --mem/--crashkernel"
[ $((MEM_MIB - CRASH_MIB)) -ge 256 ] || die "--mem must exceed --crashkernel by at least 256M"
if [ "$COLLECTOR" = coresift ]; then
    BINARY=$(realpath "$BINARY")
    [ -x "$BINARY" ] || die "no coresift binary at $BINARY (./build.sh publish)"
fi
OUTDIR=$(realpath -m "$OUTDIR")
[ -z "$RAW_COPY" ] || RAW_COPY=$(realpath -m "$RAW_COPY")
[ -z "$RESULT" ] || RESULT=$(realpath -m "$RESULT")

# ------------------------------------------------------------ result ----
declare -A R=()
R[status]=fail R[reason]=unknown R[collector]=$COLLECTOR R[mem]=$MEM R[crashkernel]=$CRASH
write_result() {
    local k
    [ -n "$RESULT" ] || return 0
    mkdir -p "$(dirname "$RESULT")"
    for k in $(printf '%s\n' "${!R[@]}" | sort); do
        printf '%s=%s\n' "$k" "${R[$k]}"
    done >"$RESULT"
}
# capture_failed REASON : the capture (not the harness) failed; exit 2 with the result file
capture_failed() {
    R[status]=fail R[reason]=$1
    log "capture FAILED: $1"
    console_tail
    write_result
    exit 2
}

qemu_kill_on_exit

console_tail() { console_file_tail "$WORK/console.log" 30 '^\(iomem\|meminfo\|zoneinfo\|buddyinfo\|vmstat\) '; }

# ------------------------------------------------------------ images ----
CAPTURE_CMDLINE="console=ttyS0 nr_cpus=1 irqpoll nousb reset_devices panic=1 loglevel=4"
CAPTURE_CMDLINE+=" rd.shell=0 rd.emergency=poweroff rd.info root=/dev/vda rootfstype=ext4 ro"

build_capture_image() {
    local img=$WORK/capture.img modules t0 lst unpacked
    local -a env=(dracutbasedir="$WORK/dracutbase" CSTEST_MDF_ARGS="$ARGS")
    dracut_shadow_base "$WORK/dracutbase" "$ROOT/dracut-module/99coresift" "$SCRIPT_DIR/dracut/98cstest"
    mkdir -p "$WORK/noconf"
    [ -n "$RAW_COPY" ] && env+=(CSTEST_RAWCOPY=1)
    if [ "$COLLECTOR" = coresift ]; then
        # the module's standalone hook and its config: save into /crash on the root fs, power off
        printf 'TARGET=/crash\nARGS=%s\nACTION=poweroff\n' "$ARGS" >"$WORK/capture.conf"
        env+=(CORESIFT_BINARY="$BINARY" CORESIFT_CAPTURE_CONF="$WORK/capture.conf")
        modules="base rootfs-block coresift cstest"
    else
        env+=(CSTEST_MAKEDUMPFILE=1 CORESIFT_CAPTURE_CONF="$WORK/none.conf")
        modules="base rootfs-block cstest"
    fi
    local -a cargs=()
    [ -n "$COMPRESS" ] && cargs=(--compress "$COMPRESS")
    t0=$SECONDS
    rm -f "$img"
    env "${env[@]}" dracut -q --no-hostonly --kver "$KVER" --conf /dev/null --confdir "$WORK/noconf" \
        --no-early-microcode -m "$modules" --add-drivers "virtio_pci virtio_blk ext4" \
        ${cargs[@]+"${cargs[@]}"} -f "$img" >"$WORK/dracut.log" 2>&1 ||
        { cat "$WORK/dracut.log" >&2; die "dracut failed"; }
    R[dracut_s]=$((SECONDS - t0))
    lst=$WORK/capture.lsinitrd
    lsinitrd "$img" 2>/dev/null >"$lst" || die "lsinitrd $img failed"
    if [ "$COLLECTOR" = coresift ]; then
        grep -qE ' usr/sbin/coresift$' "$lst" || die "usr/sbin/coresift is not in the capture image"
        grep -qE 'hooks/pre-pivot/90-coresift-capture.sh$' "$lst" || die "the coresift capture hook is not in the image"
        grep -qE ' etc/coresift/capture.conf$' "$lst" || die "etc/coresift/capture.conf is not in the image"
    else
        grep -qE ' usr/sbin/makedumpfile$' "$lst" || die "usr/sbin/makedumpfile is not in the capture image"
    fi
    # unpacked size: the image is one compressed cpio (no early microcode)
    unpacked=$( (
        case "$(file -b "$img")" in
        gzip*) gzip -dc ;;
        Zstandard*) zstd -qdc ;;
        XZ*) xz -dc ;;
        LZ4*) lz4 -dc ;;
        *) cat ;;
        esac
    ) <"$img" | wc -c)
    R[image_bytes]=$(stat -c %s "$img")
    R[image_unpacked_bytes]=$unpacked
    R[image_format]=$(file -b "$img" | cut -d, -f1)
    R[image_files]=$(grep -cE '^[-l]' "$lst" || true)
    log "capture image ($COLLECTOR, dracut -m \"$modules\"): ${R[image_bytes]} bytes ${R[image_format]}, $unpacked bytes unpacked, built in ${R[dracut_s]} s"
}

build_first_initramfs() {
    local first=$WORK/first
    stage_base "$first" "$SCRIPT_DIR/guest-init.sh"
    stage_modules "$first" virtio_pci virtio_blk crc32c_generic ext4
    stage_dynamic "$first" "$(command -v kexec)"
    mkdir -p "$first/boot"
    cp "$VMLINUZ" "$first/boot/vmlinuz"
    # guest-init.sh loads /boot/capture.cpio as the crash initramfs: here it is dracut's image
    cp "$WORK/capture.img" "$first/boot/capture.cpio"
    echo "$CAPTURE_CMDLINE" >"$first/boot/capture.cmdline"
    make_cpio "$first" "$WORK/first.cpio"
}

# ------------------------------------------------------------ VM ----
run_vm() {
    local append t0 disk_mib stage=$WORK/rootstage
    workload_sizes $((MEM_MIB - CRASH_MIB)) "$WORKLOAD"
    R[workload]="$W_CLEAN,$W_BUFFERED,$W_TMPFS,$W_ANON,$W_ZERO,$W_CHURN"
    # /dev/vda: ext4, the first kernel's workload files and the capture kernel's root (the dump goes
    # to /crash on it). dracut's init wants proc, sys and dev on a usable root.
    rm -rf "$stage"
    mkdir -p "$stage"/{crash,proc,sys,dev}
    disk_mib=$(((W_CLEAN + W_BUFFERED) * 2 + MEM_MIB / 2 + 256))
    rm -f "$WORK/disk.img" "$WORK/raw.img"
    truncate -s "${disk_mib}M" "$WORK/disk.img"
    mkfs.ext4 -q -F -L csroot -d "$stage" "$WORK/disk.img" || die "mkfs.ext4 failed"
    local -a drives=(-drive "file=$WORK/disk.img,if=virtio,format=raw,cache=unsafe")
    if [ -n "$RAW_COPY" ]; then
        # /proc/vmcore is smaller than guest RAM
        truncate -s $((MEM_MIB + 64))M "$WORK/raw.img"
        drives+=(-drive "file=$WORK/raw.img,if=virtio,format=raw,cache=unsafe")
    fi

    append="console=ttyS0 panic=1 loglevel=4 crashkernel=$CRASH cs.mode=kexec"
    append+=" cs.clean=$W_CLEAN cs.buffered=$W_BUFFERED cs.tmpfs=$W_TMPFS"
    append+=" cs.anon=$W_ANON cs.zero=$W_ZERO cs.churn=$W_CHURN cs.thp=0 cs.scrub=0"
    rm -f "$WORK/console.log"
    : >"$WORK/console.log"
    QEMU_CMD=(qemu-system-x86_64 -name coresift-dracut-kdump -machine pc -accel tcg
        -cpu max,la57=off -smp "$SMP" -m "$MEM"
        -kernel "$VMLINUZ" -initrd "$WORK/first.cpio" -append "$append"
        "${drives[@]}"
        -nic none -display none -monitor none
        -serial "file:$WORK/console.log"
        -no-reboot)
    printf '%q ' "${QEMU_CMD[@]}" >"$WORK/qemu-cmdline.txt"
    echo >>"$WORK/qemu-cmdline.txt"
    log "booting $KVER ($MEM, crashkernel=$CRASH, smp $SMP, workload ${R[workload]} MiB), collector $COLLECTOR $ARGS"
    t0=$SECONDS
    timeout -k 10 "$TIMEOUT" "${QEMU_CMD[@]}" >"$WORK/qemu.log" 2>&1 &
    QEMU_PID=$!
    T_PANIC=""
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        # the marker line can be lost: the panic may come before the tty has sent it
        if [ -z "$T_PANIC" ] && grep -aq '^CORESIFT-PANIC\|Kernel panic - not syncing: sysrq triggered crash' "$WORK/console.log"; then
            T_PANIC=$((SECONDS - t0))
            log "first kernel panicked after ${T_PANIC} s"
        fi
        if grep -q 'CORESIFT-FAIL' "$WORK/console.log"; then
            sleep 2
            console_tail
            die "first kernel reported failure: $(grep -a -m1 'CORESIFT-FAIL' "$WORK/console.log" | tr -d '\r')"
        fi
        sleep 1
    done
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
    T_TOTAL=$((SECONDS - t0))
    R[vm_s]=$T_TOTAL R[panic_s]=${T_PANIC:-}
    [ -n "$T_PANIC" ] && R[capture_wall_s]=$((T_TOTAL - T_PANIC))
    tr -d '\r' <"$WORK/console.log" >"$WORK/console.txt"
    log "QEMU exited after $T_TOTAL s (panic at ${T_PANIC:-?} s)"
    [ -n "$T_PANIC" ] || die "the first kernel never panicked (see $WORK/console.log)"

    # what the capture kernel said
    local line
    line=$(grep -a -m1 '^CSTEST-CAPTURE ' "$WORK/console.txt" || true)
    if [ -n "$line" ]; then
        R[capture_hook_uptime]=$(awk '{print $3}' <<<"$line")
        R[capture_memtotal_kb]=$(awk '{print $5}' <<<"$line")
        R[capture_memfree_kb]=$(awk '{print $7}' <<<"$line")
        R[capture_memavailable_kb]=$(awk '{print $9}' <<<"$line")
        log "capture kernel: $line"
    fi
    local start end
    start=$(grep -a -m1 '^CSTEST-COLLECTOR-START' "$WORK/console.txt" | awk '{print $3}' || true)
    end=$(sed -n 's/^\[ *\([0-9.]*\)\] reboot: Power down.*/\1/p' "$WORK/console.txt" | tail -n 1)
    if [ -n "$start" ] && [ -n "$end" ]; then
        R[collector_start_uptime]=$start R[poweroff_uptime]=$end
        R[collector_s]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    fi
    if [ "$T_TOTAL" -ge "$TIMEOUT" ]; then
        capture_failed "timeout after $TIMEOUT s"
    fi
    if grep -aq 'Initramfs unpacking failed' "$WORK/console.txt"; then
        capture_failed "initramfs unpacking failed: $(grep -a -m1 'Initramfs unpacking failed' "$WORK/console.txt" | sed 's/^\[[^]]*\] //')"
    fi
    if grep -aq 'Kernel panic - not syncing' <(sed '1,/Kernel panic - not syncing: sysrq/d' "$WORK/console.txt"); then
        capture_failed "capture kernel panicked: $(sed '1,/Kernel panic - not syncing: sysrq/d' "$WORK/console.txt" | grep -a -m1 'Kernel panic' | sed 's/^\[[^]]*\] //')"
    fi
    if grep -aq 'Out of memory\|oom-kill' "$WORK/console.txt"; then
        R[oom]=$(grep -ao -m1 'Out of memory: Killed process [0-9]* ([^)]*) .*' "$WORK/console.txt" | sed 's/, UID.*//' || true)
        log "capture kernel OOM: ${R[oom]}"
    fi
    [ -n "$line" ] || capture_failed "the capture initramfs never reached pre-pivot (no CSTEST-CAPTURE line)"
}

# ------------------------------------------------------------ results ----
extract() {
    local rc=0 dir list size
    # the capture kernel remounted / read-only before powering off; replay anything left anyway
    e2fsck -fy "$WORK/disk.img" >"$WORK/e2fsck.log" 2>&1 || rc=$?
    [ $rc -lt 4 ] || { cat "$WORK/e2fsck.log" >&2; die "e2fsck on the disk image failed ($rc)"; }
    R[e2fsck_rc]=$rc
    list=$(debugfs -R "ls -p /crash" "$WORK/disk.img" 2>/dev/null | awk -F/ 'NF > 5 { print $6 }')
    if [ "$COLLECTOR" = coresift ]; then
        dir=$(grep -E '^coresift-' <<<"$list" | sort | tail -n 1 || true)
        [ -n "$dir" ] || capture_failed "no /crash/coresift-* directory on the disk"
        dir=/crash/$dir
    else
        grep -qx makedumpfile <<<"$list" || capture_failed "no /crash/makedumpfile directory on the disk"
        dir=/crash/makedumpfile
    fi
    list=$(debugfs -R "ls -p $dir" "$WORK/disk.img" 2>/dev/null | awk -F/ 'NF > 5 { print $6 " " $7 }')
    log "$dir: $(tr '\n' ' ' <<<"$list")"
    rm -rf "$OUTDIR"
    mkdir -p "$OUTDIR"
    cp "$WORK/console.txt" "$OUTDIR/console.log"
    if grep -q '^dmesg.txt ' <<<"$list"; then
        debugfs -R "dump $dir/dmesg.txt $OUTDIR/dmesg.txt" "$WORK/disk.img" >/dev/null 2>&1
    fi
    if ! grep -q '^vmcore ' <<<"$list"; then
        grep -q '^vmcore-incomplete ' <<<"$list" && capture_failed "the collector failed: only $dir/vmcore-incomplete ($(awk '$1 == "vmcore-incomplete" { print $2 }' <<<"$list") bytes)${R[oom]:+; ${R[oom]}}"
        capture_failed "no $dir/vmcore${R[oom]:+; ${R[oom]}}"
    fi
    debugfs -R "dump $dir/vmcore $OUTDIR/vmcore" "$WORK/disk.img" >/dev/null 2>&1
    size=$(awk '$1 == "vmcore" { print $2 }' <<<"$list")
    [ "$(stat -c %s "$OUTDIR/vmcore")" = "$size" ] || die "debugfs dump of $dir/vmcore is short"
    R[dump_bytes]=$size
    log "dump: $OUTDIR/vmcore ($size bytes)"

    if [ -n "$RAW_COPY" ]; then
        local fin
        fin=$(grep -a -m1 '^CSTEST-RAWCOPY-DONE' "$WORK/console.txt" || true)
        [ -n "$fin" ] || die "the raw copy of /proc/vmcore failed: $(grep -a -m1 '^CSTEST-RAWCOPY' "$WORK/console.txt" || echo 'no marker')"
        size=$(awk '{print $3}' <<<"$fin")
        R[vmcore_bytes]=$size
        R[rawcopy_s]=$(awk -v a="$(grep -a -m1 '^CSTEST-RAWCOPY-START' "$WORK/console.txt" | awk '{print $5}')" -v b="$(awk '{print $5}' <<<"$fin")" 'BEGIN { printf "%.1f", b - a }')
        mkdir -p "$(dirname "$RAW_COPY")"
        cp --sparse=always "$WORK/raw.img" "$RAW_COPY.partial"
        truncate -s "$size" "$RAW_COPY.partial"
        python3 "$SCRIPT_DIR/vmtool.py" info "$RAW_COPY.partial" >"$WORK/vmcore-info.txt" ||
            { rm -f "$RAW_COPY.partial"; die "the raw copy is not a usable vmcore"; }
        mv -f "$RAW_COPY.partial" "$RAW_COPY"
        rm -f "$WORK/raw.img"
        log "raw copy of /proc/vmcore: $RAW_COPY ($size bytes, dd took ${R[rawcopy_s]} s in the capture kernel)"
    fi
}

# ------------------------------------------------------------ checks ----
CHECK_FAILS=0
check_ok() { log "ok: $*"; }
check_fail() { log "FAIL: $*"; CHECK_FAILS=$((CHECK_FAILS + 1)); }

host_checks() {
    local dump=$OUTDIR/vmcore chk=$WORK/checks rc
    rm -rf "$chk"
    mkdir -p "$chk"
    command -v makedumpfile >/dev/null || apt_install makedumpfile
    if [ "$(head -c 8 "$dump")" = "KDUMP   " ]; then
        check_ok "the dump is kdump-compressed"
    else
        check_fail "the dump is not kdump-compressed ($(file -b "$dump" | cut -c1-60))"
    fi
    # makedumpfile refilters the dump (reads every page it keeps)
    rc=0
    makedumpfile -d 31 "$dump" "$chk/refiltered" >"$chk/refilter.log" 2>&1 || rc=$?
    if [ $rc = 0 ] && [ -s "$chk/refiltered" ]; then
        check_ok "makedumpfile -d 31 refiltered the dump ($(stat -c %s "$chk/refiltered") bytes)"
    else
        check_fail "makedumpfile -d 31 on the dump: exit $rc: $(tail -n 3 "$chk/refilter.log" | tr '\n' ' ')"
    fi
    R[check_refilter]=$rc
    rc=0
    makedumpfile --dump-dmesg "$dump" "$chk/mdf-dmesg.txt" >"$chk/mdf-dmesg.log" 2>&1 || rc=$?
    if [ $rc = 0 ] && [ -s "$chk/mdf-dmesg.txt" ]; then
        check_ok "makedumpfile --dump-dmesg read the dump ($(wc -l <"$chk/mdf-dmesg.txt") lines; last: $(grep -v '^$' "$chk/mdf-dmesg.txt" | tail -n 1 | cut -c1-70))"
    else
        check_fail "makedumpfile --dump-dmesg on the dump: exit $rc"
    fi
    if [ -s "$OUTDIR/dmesg.txt" ]; then
        if cmp -s "$OUTDIR/dmesg.txt" "$chk/mdf-dmesg.txt"; then
            check_ok "the capture kernel's dmesg.txt equals makedumpfile --dump-dmesg of the dump"
        else
            check_fail "dmesg.txt from the capture kernel differs from makedumpfile --dump-dmesg of the dump ($(diff "$OUTDIR/dmesg.txt" "$chk/mdf-dmesg.txt" | grep -c '^[<>]') lines)"
        fi
    else
        check_fail "no dmesg.txt was written in the capture kernel"
    fi
    [ "$COLLECTOR" = coresift ] || return 0

    rc=0
    "$BINARY" --dump-dmesg "$dump" "$chk/cs-dmesg.txt" >"$chk/cs-dmesg.log" 2>&1 || rc=$?
    if [ $rc = 0 ] && cmp -s "$chk/cs-dmesg.txt" "$chk/mdf-dmesg.txt"; then
        check_ok "coresift --dump-dmesg of the dump equals makedumpfile's"
    else
        check_fail "coresift --dump-dmesg of the dump: exit $rc, or it differs from makedumpfile's"
    fi

    if [ -n "$RAW_COPY" ]; then
        # shellcheck disable=SC2086 # ARGS is a list of options
        rc=0
        "$BINARY" $ARGS "$RAW_COPY" "$chk/host-dump" >"$chk/host-dump.log" 2>&1 || rc=$?
        if [ $rc = 0 ] && cmp -s "$chk/host-dump" "$dump"; then
            check_ok "coresift $ARGS on the host, on the raw copy of /proc/vmcore, wrote a byte-identical dump"
        else
            check_fail "coresift $ARGS on the raw copy: exit $rc, or its dump differs from the capture kernel's ($(cmp "$chk/host-dump" "$dump" 2>&1 | head -n 1))"
        fi
        rm -f "$chk/host-dump"
        # category counts (the report block) of both tools, on the same /proc/vmcore
        local cs_stats mdf_stats
        "$BINARY" --dry-run --message-level 16 -d 31 "$RAW_COPY" /nonexistent/x >"$chk/cs-stats.txt" 2>&1 || true
        makedumpfile --dry-run --message-level 16 -d 31 "$RAW_COPY" /nonexistent/x >"$chk/mdf-stats.txt" 2>&1 || true
        cs_stats=$(sed -n '/^Original pages/,/^Total pages/p' "$chk/cs-stats.txt")
        mdf_stats=$(sed -n '/^Original pages/,/^Total pages/p' "$chk/mdf-stats.txt")
        if [ -n "$mdf_stats" ] && [ "$cs_stats" = "$mdf_stats" ]; then
            check_ok "-d 31 category counts on the raw copy equal makedumpfile's ($(grep -E 'Remaining pages' <<<"$mdf_stats" | tr -s ' ' | sed 's/^ //'))"
            sed 's/^/    /' <<<"$mdf_stats" >&2
        else
            check_fail "-d 31 category counts differ on the raw copy:"$'\n'"makedumpfile:"$'\n'"$mdf_stats"$'\n'"coresift:"$'\n'"$cs_stats"
        fi
    fi

    # crash and drgn (tests/readers/check-dump.sh); exit 3 = a reader or the vmlinux is missing
    rc=0
    bash "$ROOT/tests/readers/check-dump.sh" "$dump" >"$chk/readers.txt" 2>&1 || rc=$?
    sed 's/^/    /' "$chk/readers.txt" >&2
    case $rc in
    0) check_ok "crash and drgn read the dump (tests/readers/check-dump.sh)" ;;
    3) log "note: crash/drgn not run: $(tail -n 1 "$chk/readers.txt")" ;;
    *) check_fail "tests/readers/check-dump.sh on the dump: exit $rc" ;;
    esac
    R[check_readers]=$rc
}

# ------------------------------------------------------------ main ----
T_START=$SECONDS
ensure_tools kexec:kexec-tools dracut:dracut-core lsinitrd:dracut-core debugfs:e2fsprogs file:file
[ "$COLLECTOR" = makedumpfile ] && ! command -v makedumpfile >/dev/null && apt_install makedumpfile
resolve_kernel "$KSPEC"
if [ -z "$WORKDIR" ]; then
    WORKDIR=$SCRIPT_DIR/work/dracut-$KVER-$MEM-$CRASH-$COLLECTOR
fi
WORK=$(realpath -m "$WORKDIR")
mkdir -p "$WORK"
exec 9>"$WORK/.lock"
flock -n 9 || die "another run is using $WORK"

build_capture_image
build_first_initramfs
run_vm
extract
R[status]=ok R[reason]=
write_result
if [ "$CHECKS" = 1 ]; then
    host_checks
fi
{
    echo "kernel $KVER, guest $MEM, crashkernel=$CRASH, collector $COLLECTOR $ARGS"
    for k in $(printf '%s\n' "${!R[@]}" | sort); do printf '%s=%s\n' "$k" "${R[$k]}"; done
} >"$OUTDIR/summary.txt"
log "done in $((SECONDS - T_START)) s: panic at ${R[panic_s]} s, panic to power-off ${R[capture_wall_s]:-?} s, collector hook to power-off ${R[collector_s]:-?} s (capture uptime); image ${R[image_bytes]} bytes; dump ${R[dump_bytes]} bytes"
if [ "$CHECKS" = 1 ]; then
    [ "$CHECK_FAILS" = 0 ] || die "$CHECK_FAILS host check(s) failed"
    log "all host checks passed"
fi
