#!/bin/sh
# cstest (test only): marks the start of the collector's pre-pivot 90 hook on the console (uptime).
cstest_collector_start() {
    local up
    [ -e /proc/vmcore ] || return 0
    read -r up _ </proc/uptime
    echo "CSTEST-COLLECTOR-START uptime $up"
}
cstest_collector_start
