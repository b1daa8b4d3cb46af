#!/bin/sh
# /init of the capture (kdump) initramfs made by kexec-capture.sh. The crash
# kernel runs it after the first kernel panicked: it copies /proc/vmcore
# verbatim onto the raw second virtio disk (/dev/vdb), reports the size on
# the console and powers off. The host extracts the file from the disk image.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

fail() {
    echo "CORESIFT-CAPTURE-FAIL: $*"
    poweroff -f
    sleep 5
    exit 1
}

while read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$m.ko" || fail "insmod $m"
done </etc/modules.order

[ -e /proc/vmcore ] || fail "no /proc/vmcore (not a crash kernel?)"
n=0
while [ ! -b /dev/vdb ]; do
    n=$((n + 1))
    [ $n -gt 200 ] && fail "no /dev/vdb"
    sleep 0.1
done
size=$(stat -c %s /proc/vmcore)
[ "$size" -gt 0 ] || fail "/proc/vmcore is empty"
read -r up idle </proc/uptime
echo "CORESIFT-CAPTURE: uptime $up, /proc/vmcore is $size bytes"
dd if=/proc/vmcore of=/dev/vdb bs=1M conv=fsync || fail "dd /proc/vmcore"
sync
read -r up idle </proc/uptime
echo "CORESIFT-CAPTURE-DONE size $size uptime $up"
poweroff -f
sleep 5
