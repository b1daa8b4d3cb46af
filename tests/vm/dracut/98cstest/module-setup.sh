#!/bin/bash
# Test-only dracut module "cstest" (tests/vm/dracut-kexec.sh; never packaged).
# It adds, to a capture initramfs built with dracut-module/99coresift or instead of it:
#   always                  a pre-pivot 70 hook that prints the capture kernel's memory and uptime,
#                           and a pre-pivot 89 one that prints the uptime when the collector starts
#   CSTEST_RAWCOPY=1        a pre-pivot 80 hook: dd /proc/vmcore onto the raw disk /dev/vdb
#                           (the host then runs makedumpfile on the very same /proc/vmcore)
#   CSTEST_MAKEDUMPFILE=1   makedumpfile (dynamic; inst_binary adds its libraries) and a pre-pivot 90
#                           hook that saves the dump with it, like coresift's standalone hook does
#   CSTEST_MDF_ARGS         makedumpfile options (default "-l -d 31 --message-level 7")

check() {
    return 255
}

depends() {
    echo base
    return 0
}

install() {
    inst_multiple -o cat mount umount mkdir mv sync poweroff dd stat
    # shellcheck disable=SC2154 # moddir is set by dracut
    inst_hook pre-pivot 70 "$moddir/cstest-info.sh"
    inst_hook pre-pivot 89 "$moddir/cstest-collector-start.sh"
    if [ "${CSTEST_RAWCOPY:-0}" = 1 ]; then
        inst_hook pre-pivot 80 "$moddir/cstest-rawcopy.sh"
    fi
    if [ "${CSTEST_MAKEDUMPFILE:-0}" = 1 ]; then
        inst_binary "$(command -v makedumpfile)" /usr/sbin/makedumpfile
        mkdir -p "${initdir:?}/etc/cstest"
        echo "${CSTEST_MDF_ARGS:--l -d 31 --message-level 7}" >"$initdir/etc/cstest/makedumpfile.args"
        inst_hook pre-pivot 90 "$moddir/cstest-makedumpfile.sh"
    fi
}
