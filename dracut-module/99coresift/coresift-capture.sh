#!/bin/sh
# coresift standalone capture: a dracut pre-pivot hook, for systems without kdump-utils.
# On a normal boot /proc/vmcore does not exist and this hook does nothing.
# In the capture kernel it saves the dump as /etc/coresift/capture.conf says, then
# reboots or powers off. Boot with coresift.skip=1 to bypass it.
# shellcheck disable=SC3043 # local: dash and busybox sh, the initramfs shells, have it

# shellcheck source=/dev/null
type getargbool >/dev/null 2>&1 || . /lib/dracut-lib.sh

coresift_capture() {
    local conf=/etc/coresift/capture.conf
    local TARGET='' ARGS='-l -d 31 --message-level 7' ACTION=reboot DIR=crash
    local key value mnt='' dest dir stamp='' rc remounted=''

    [ -e /proc/vmcore ] || return 0
    if getargbool 0 coresift.skip; then
        info "coresift: coresift.skip given, not saving /proc/vmcore"
        return 0
    fi

    # KEY=VALUE lines; the file is read, never sourced.
    if [ -r "$conf" ]; then
        while IFS='=' read -r key value; do
            value=${value#\"}; value=${value%\"}
            case "$key" in
                TARGET) TARGET=$value ;;
                ARGS) ARGS=$value ;;
                ACTION) ACTION=$value ;;
                DIR) DIR=$value ;;
            esac
        done < "$conf"
    fi

    case "$TARGET" in
        '')
            warn "coresift: no TARGET in $conf, not saving /proc/vmcore"
            coresift_finish "$ACTION"
            return 0
            ;;
        /dev/* | LABEL=* | UUID=*)
            case "$TARGET" in
                LABEL=*) TARGET=/dev/disk/by-label/${TARGET#LABEL=} ;;
                UUID=*) TARGET=/dev/disk/by-uuid/${TARGET#UUID=} ;;
            esac
            mnt=/run/coresift-target
            mkdir -p "$mnt"
            if ! mount -o rw "$TARGET" "$mnt"; then
                warn "coresift: cannot mount $TARGET"
                coresift_finish "$ACTION"
                return 0
            fi
            dest=$mnt/${DIR#/}
            ;;
        *)
            # A directory: on the real root (mounted at $NEWROOT) when it exists there.
            if [ -n "$NEWROOT" ] && [ -d "$NEWROOT${TARGET}" ]; then
                dest=$NEWROOT$TARGET
                mount -o remount,rw "$NEWROOT" 2>/dev/null && remounted=1
            else
                dest=$TARGET
            fi
            ;;
    esac

    stamp=$(date +%Y-%m-%d-%H%M%S 2>/dev/null) || stamp=''
    if [ -z "$stamp" ]; then
        read -r stamp _ < /proc/uptime || stamp=0
        stamp=uptime-${stamp%%.*}
    fi
    dir=$dest/coresift-$stamp
    if mkdir -p "$dir"; then
        info "coresift: saving /proc/vmcore to $dir"
        coresift --dump-dmesg /proc/vmcore "$dir/dmesg.txt" || warn "coresift: --dump-dmesg failed"
        # shellcheck disable=SC2086 # ARGS is a list of options
        coresift $ARGS /proc/vmcore "$dir/vmcore-incomplete"
        rc=$?
        if [ "$rc" = 0 ]; then
            mv "$dir/vmcore-incomplete" "$dir/vmcore"
            info "coresift: saved $dir/vmcore"
        else
            warn "coresift: exit status $rc, the dump is $dir/vmcore-incomplete"
        fi
    else
        warn "coresift: cannot create $dir"
    fi

    sync
    [ -n "$mnt" ] && umount "$mnt"
    [ -n "$remounted" ] && mount -o remount,ro "$NEWROOT" 2>/dev/null
    coresift_finish "$ACTION"
}

coresift_finish() {
    case "$1" in
        poweroff)
            poweroff -f 2>/dev/null || echo o > /proc/sysrq-trigger
            ;;
        *)
            reboot -f 2>/dev/null || echo b > /proc/sysrq-trigger
            ;;
    esac
}

coresift_capture
