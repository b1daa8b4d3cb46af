#!/bin/sh
# cstest (test only): one console line with the capture kernel's memory, before the collector runs.
cstest_info() {
    local up key val total='' free='' avail=''
    [ -e /proc/vmcore ] || return 0
    read -r up _ </proc/uptime
    while read -r key val _; do
        case "$key" in
            MemTotal:) total=$val ;;
            MemFree:) free=$val ;;
            MemAvailable:) avail=$val ;;
        esac
    done </proc/meminfo
    echo "CSTEST-CAPTURE uptime $up MemTotal_kB $total MemFree_kB $free MemAvailable_kB $avail"
}
cstest_info
