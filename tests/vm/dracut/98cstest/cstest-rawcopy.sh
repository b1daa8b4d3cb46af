#!/bin/sh
# cstest (test only): copy /proc/vmcore verbatim onto the raw second disk /dev/vdb, so that the host can
# run makedumpfile on the same /proc/vmcore the collector read. Prints the size for the host to cut.
cstest_rawcopy() {
    local size n=0 up
    [ -e /proc/vmcore ] || return 0
    while [ ! -b /dev/vdb ]; do
        n=$((n + 1))
        if [ $n -gt 100 ]; then
            echo "CSTEST-RAWCOPY-FAIL no /dev/vdb"
            return 0
        fi
        sleep 0.2
    done
    size=$(stat -c %s /proc/vmcore)
    read -r up _ </proc/uptime
    echo "CSTEST-RAWCOPY-START size $size uptime $up"
    if dd if=/proc/vmcore of=/dev/vdb bs=1M conv=fsync 2>/dev/null; then
        read -r up _ </proc/uptime
        echo "CSTEST-RAWCOPY-DONE size $size uptime $up"
    else
        echo "CSTEST-RAWCOPY-FAIL dd"
    fi
}
cstest_rawcopy
