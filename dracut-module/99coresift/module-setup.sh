#!/bin/bash
# dracut module "coresift": puts the coresift kdump core collector into an initramfs.
#
# The binary is a fully static executable, so inst_binary adds no shared library.
# Nothing is run by this module on its own: kdump-utils' kdumpbase (core_collector
# coresift ...) drives the capture. The optional standalone capture hook is installed
# only when /etc/coresift/capture.conf exists (see README.md in the source tree).
#
# Environment overrides (for tests and packagers; normally unset):
#   CORESIFT_BINARY        the file to install as /usr/sbin/coresift (default /usr/sbin/coresift)
#   CORESIFT_CAPTURE_CONF  the standalone capture config (default /etc/coresift/capture.conf)

coresift_src() {
    echo "${CORESIFT_BINARY:-/usr/sbin/coresift}"
}

coresift_conf() {
    echo "${CORESIFT_CAPTURE_CONF:-/etc/coresift/capture.conf}"
}

# Included only when asked for (--add coresift, add_dracutmodules+=" coresift ",
# or kdumpbase installing the core_collector) and only when the binary exists.
check() {
    [ -x "$(coresift_src)" ] || return 1
    return 255
}

# The collector needs nothing else; the standalone hook needs base's dracut-lib.sh.
depends() {
    if [ -f "$(coresift_conf)" ]; then
        echo base
    fi
    return 0
}

install() {
    inst_binary "$(coresift_src)" /usr/sbin/coresift

    local conf
    conf=$(coresift_conf)
    if [ -f "$conf" ]; then
        inst_simple "$conf" /etc/coresift/capture.conf
        inst_multiple -o mount umount mkdir mv sync date reboot poweroff
        # shellcheck disable=SC2154 # moddir is set by dracut
        inst_hook pre-pivot 90 "$moddir/coresift-capture.sh"
    fi
}
