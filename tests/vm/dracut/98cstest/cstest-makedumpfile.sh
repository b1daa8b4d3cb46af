#!/bin/sh
# cstest (test only): save /proc/vmcore with makedumpfile into /crash/makedumpfile on the root file
# system, the same way dracut-module/99coresift/coresift-capture.sh does with coresift, then power off.
cstest_makedumpfile() {
    local args dir rc up
    [ -e /proc/vmcore ] || return 0
    read -r args </etc/cstest/makedumpfile.args
    mount -o remount,rw "$NEWROOT" || echo "CSTEST-MAKEDUMPFILE: remount rw failed"
    dir=$NEWROOT/crash/makedumpfile
    mkdir -p "$dir"
    read -r up _ </proc/uptime
    echo "CSTEST-MAKEDUMPFILE-START uptime $up args $args"
    makedumpfile --dump-dmesg /proc/vmcore "$dir/dmesg.txt" || echo "CSTEST-MAKEDUMPFILE: --dump-dmesg failed"
    # shellcheck disable=SC2086 # args is a list of options
    makedumpfile $args /proc/vmcore "$dir/vmcore-incomplete"
    rc=$?
    [ "$rc" = 0 ] && mv "$dir/vmcore-incomplete" "$dir/vmcore"
    sync
    read -r up _ </proc/uptime
    echo "CSTEST-MAKEDUMPFILE-DONE rc $rc uptime $up"
    mount -o remount,ro "$NEWROOT"
    poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
}
cstest_makedumpfile
