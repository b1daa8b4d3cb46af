#!/bin/sh
# /init of the coresift test guest (busybox sh). Built into the initramfs by
# make-vmcore.sh. It shapes guest memory so that every page category that
# makedumpfile's -d filter knows exists, prints the kernel's own view of
# memory ("truth") on the console, prints CORESIFT-READY and idles while the
# host dumps guest memory over QMP.
#
# Parameters come from the kernel command line (sizes in MiB):
#   cs.clean=   ext4 file written, synced, caches dropped, read back
#               (page cache without private data)
#   cs.buffered= ext4 file written and synced (page cache with buffer heads)
#   cs.tmpfs=   file on tmpfs (shmem)
#   cs.anon=    anonymous memory filled with text, held by a live process
#   cs.zero=    anonymous memory touched with zeros, held by the same process
#   cs.churn=   anonymous memory filled, then freed (free pages with garbage)
#   cs.thp=0|1  transparent huge pages: never / always (+MADV_HUGEPAGE)
#   cs.mode=dump|kexec  dump (default): idle after CORESIFT-READY while the
#               host dumps memory over QMP. kexec: load /boot/vmlinuz with
#               /boot/capture.cpio as crash kernel (kexec -p), print the
#               truth, then panic with sysrq-c (kexec-capture.sh)
#   cs.scrub=0|1 first touch and free (almost) all free memory, so that
#               boot-time garbage (e.g. the compressed kernel image the boot
#               loader left at 1 MiB) becomes zero pages: smaller dumps

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

# The busybox applet links were made on the host (busybox --list-full).
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

say() { echo "CORESIFT: $*"; }
fail() {
    echo "CORESIFT-FAIL: $*"
    sync
    poweroff -f
    sleep 5
    exit 1
}

# wait_for SECONDS TEST_ARGS... : poll a `test` expression
wait_for() {
    limit=$(($1 * 10))
    shift
    n=0
    while ! test "$@"; do
        n=$((n + 1))
        [ $n -gt $limit ] && return 1
        sleep 0.1
    done
    return 0
}

clean=4 buffered=4 tmpfs=4 anon=4 zero=2 churn=8 thp=0 scrub=0 mode=dump
for w in $(cat /proc/cmdline); do
    case "$w" in
    cs.clean=*) clean=${w#*=} ;;
    cs.buffered=*) buffered=${w#*=} ;;
    cs.tmpfs=*) tmpfs=${w#*=} ;;
    cs.anon=*) anon=${w#*=} ;;
    cs.zero=*) zero=${w#*=} ;;
    cs.churn=*) churn=${w#*=} ;;
    cs.thp=*) thp=${w#*=} ;;
    cs.scrub=*) scrub=${w#*=} ;;
    cs.mode=*) mode=${w#*=} ;;
    esac
done
say "kernel $(uname -r), workload clean=$clean buffered=$buffered tmpfs=$tmpfs anon=$anon zero=$zero churn=$churn thp=$thp scrub=$scrub (MiB)"

# Modules, in dependency order (computed on the host).
while read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$m.ko" || fail "insmod $m"
done </etc/modules.order

# QEMU's vmcoreinfo device: with qemu_fw_cfg loaded the kernel hands its
# VMCOREINFO address to QEMU, so dump-guest-memory can add the note.
if [ "$mode" = dump ]; then
    wait_for 20 -e /sys/firmware/qemu_fw_cfg/by_name/etc/vmcoreinfo ||
        fail "no /sys/firmware/qemu_fw_cfg/by_name/etc/vmcoreinfo (is -device vmcoreinfo given?)"
    say "fw_cfg vmcoreinfo present"
fi

if [ "$thp" = 1 ]; then
    echo always >/sys/kernel/mm/transparent_hugepage/enabled || fail "thp enabled"
    echo always >/sys/kernel/mm/transparent_hugepage/defrag || fail "thp defrag"
else
    echo never >/sys/kernel/mm/transparent_hugepage/enabled || fail "thp enabled"
fi

mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "mount tmpfs"

if [ "$scrub" = 1 ]; then
    # all of MemFree but 2 MiB: reaches into ZONE_DMA, stays above the
    # min watermarks (no OOM: there is no swap and nothing to reclaim yet)
    free_kb=$(awk '$1 == "MemFree:" { print $2 }' /proc/meminfo)
    n=$((free_kb / 1024 - 2))
    [ $n -gt 0 ] || n=0
    memshape scrub "$n" || fail "scrub $n MiB"
    say "scrubbed $n MiB of free memory"
fi
wait_for 20 -b /dev/vda || fail "no /dev/vda"
mount -t ext4 /dev/vda /mnt || fail "mount ext4 /dev/vda"

# 1. Page cache without private data: write, sync, drop caches, read back.
memshape gen CACHE-CLEAN "$clean" >/mnt/clean.dat || fail "write clean.dat"
sync
echo 3 >/proc/sys/vm/drop_caches
cat /mnt/clean.dat >/dev/null || fail "read clean.dat"

# 2. Page cache with buffer heads: written through ext4 and synced.
memshape gen CACHE-BUFFERED "$buffered" >/mnt/buffered.dat || fail "write buffered.dat"
sync

# 3. tmpfs (shmem) file.
memshape gen TMPFS-FILE "$tmpfs" >/tmp/tmpfs.dat || fail "write tmpfs.dat"

# 4. A live process with anonymous memory: text-filled and touched-zero pages.
rm -f /tmp/hold.ready
memshape hold "$anon" "$zero" "$thp" /tmp/hold.ready &
holder=$!
wait_for 600 -s /tmp/hold.ready || fail "memory holder did not start"
kill -0 $holder 2>/dev/null || fail "memory holder died"
say "holder $(cat /tmp/hold.ready)"

# 5. Freed memory that still holds garbage.
memshape churn "$churn" || fail "churn"
sync

if [ "$mode" = kexec ]; then
    kexec -p /boot/vmlinuz --initrd=/boot/capture.cpio \
        --append="$(cat /boot/capture.cmdline)" || fail "kexec -p"
    [ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "crash kernel not loaded"
    say "crash kernel loaded"
fi

# Quiet the console so that nothing interleaves with the truth block.
echo 1 >/proc/sys/kernel/printk

read -r up idle </proc/uptime
echo "CORESIFT-TRUTH-BEGIN"
echo "label pre-dump uptime $up"
echo "uname $(uname -r)"
echo "cmdline $(cat /proc/cmdline)"
echo "workload clean=$clean buffered=$buffered tmpfs=$tmpfs anon=$anon zero=$zero churn=$churn thp=$thp scrub=$scrub mode=$mode"
echo "holder $(cat /tmp/hold.ready)"
echo "thp $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
[ "$mode" = kexec ] && echo "kexec_crash_size $(cat /sys/kernel/kexec_crash_size)"
while IFS= read -r l; do echo "iomem $l"; done </proc/iomem
while IFS= read -r l; do echo "meminfo $l"; done </proc/meminfo
while IFS= read -r l; do echo "zoneinfo $l"; done </proc/zoneinfo
while IFS= read -r l; do echo "buddyinfo $l"; done </proc/buddyinfo
while IFS= read -r l; do echo "vmstat $l"; done </proc/vmstat
echo "CORESIFT-TRUTH-END"

if [ "$mode" = kexec ]; then
    echo "CORESIFT-PANIC"
    echo c >/proc/sysrq-trigger
    fail "still running after sysrq-c"
fi
echo "CORESIFT-READY"

# Idle until the host has dumped memory and stops the VM.
while :; do
    sleep 3600
done
