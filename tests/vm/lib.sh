# lib.sh: shared functions of make-vmcore.sh and kexec-capture.sh (sourced).
# Expects: PROG, SCRIPT_DIR. Uses/sets: KVER, VMLINUZ, MODDIR, apt_updated.

die() { echo "$PROG: error: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }

# ------------------------------------------------------------ packages ----
apt_updated=0
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    local try
    for try in 1 2 3 4; do
        if apt-get install -y --no-install-recommends "$@" >&2; then
            return 0
        fi
        # Fresh machines may have no package lists; Debian's clean-up hook
        # can also break an install part-way ("cannot access archive"):
        # rerunning the same install fixes that.
        if [ "$apt_updated" = 0 ]; then
            apt-get update >&2 || true
            apt_updated=1
        fi
        sleep 2
    done
    die "apt-get install $* failed"
}

# ensure_tools [extra-command:package ...]
ensure_tools() {
    local pkgs=() static_bb=1 spec
    command -v qemu-system-x86_64 >/dev/null || pkgs+=(qemu-system-x86)
    if [ -x /bin/busybox ]; then
        # busybox-static's binary is static: ldd says "not a dynamic executable"
        ldd /bin/busybox >/dev/null 2>&1 && static_bb=0
    else
        static_bb=0
    fi
    [ $static_bb = 1 ] || pkgs+=(busybox-static)
    command -v cpio >/dev/null || pkgs+=(cpio)
    command -v mkfs.ext4 >/dev/null || pkgs+=(e2fsprogs)
    command -v zstd >/dev/null || pkgs+=(zstd)
    command -v xz >/dev/null || pkgs+=(xz-utils)
    command -v python3 >/dev/null || pkgs+=(python3)
    command -v gcc >/dev/null || pkgs+=(gcc)
    [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || pkgs+=(libc6-dev)
    command -v flock >/dev/null || pkgs+=(util-linux)
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null || pkgs+=("${spec#*:}")
    done
    if [ ${#pkgs[@]} -gt 0 ]; then
        log "installing: ${pkgs[*]}"
        apt_install "${pkgs[@]}"
    fi
}

# ------------------------------------------------------------ kernel ----
newest_installed() { # $1: glob after /boot/vmlinuz-
    local f list=""
    for f in /boot/vmlinuz-$1; do
        [ -e "$f" ] || continue
        [ -d "/lib/modules/${f#/boot/vmlinuz-}" ] || continue
        list+="${f#/boot/vmlinuz-}"$'\n'
    done
    printf '%s' "$list" | sort -V | tail -n 1
}

newest_612_package() {
    apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' 2>/dev/null |
        awk '{print $1}' | sort -V | tail -n 1
}

# resolve_kernel SPEC: 6.1 | 6.12 | exact release. Installs the Debian
# package when needed. Sets KVER, VMLINUZ, MODDIR.
resolve_kernel() {
    local spec=$1 pat pkg r
    case "$spec" in
    6.1) pat='6.1.0-*-amd64' pkg=linux-image-amd64 ;;
    6.12) pat='6.12.*+deb12-amd64' pkg="" ;;
    *) pat=$spec pkg=linux-image-$spec ;;
    esac
    r=$(newest_installed "$pat")
    if [ -z "$r" ]; then
        if [ -z "$pkg" ]; then
            pkg=$(newest_612_package)
            if [ -z "$pkg" ] && [ "$apt_updated" = 0 ]; then
                apt-get update >&2 || true
                apt_updated=1
                pkg=$(newest_612_package)
            fi
            [ -n "$pkg" ] || die "apt-cache search finds no linux-image-6.12.*+deb12-amd64 package"
        fi
        log "installing kernel package $pkg"
        apt_install "$pkg"
        r=$(newest_installed "$pat")
    fi
    [ -n "$r" ] || die "kernel $spec not found in /boot (package ${pkg:-?})"
    KVER=$r
    VMLINUZ=/boot/vmlinuz-$KVER
    MODDIR=/lib/modules/$KVER
    [ -r "$VMLINUZ" ] || die "cannot read $VMLINUZ"
    [ -r "$MODDIR/modules.dep" ] || die "missing $MODDIR/modules.dep"
}

# ------------------------------------------------------------ dracut ----
# dracut_shadow_base DIR MODULE_DIR... : a dracut base directory that links
# everything of /usr/lib/dracut plus the given module directories (e.g.
# dracut-module/99coresift). Use it as `dracutbasedir=DIR dracut ...`; nothing
# is written to /usr/lib/dracut.
dracut_shadow_base() {
    local base=$1 f m lib=${DRACUT_LIB:-/usr/lib/dracut}
    shift
    rm -rf "$base"
    mkdir -p "$base/modules.d"
    for f in "$lib"/*; do
        [ "$(basename "$f")" = modules.d ] || ln -s "$f" "$base/"
    done
    for m in "$lib"/modules.d/*; do
        ln -s "$m" "$base/modules.d/"
    done
    for m in "$@"; do
        rm -f "$base/modules.d/$(basename "$m")"
        ln -s "$(realpath "$m")" "$base/modules.d/$(basename "$m")"
    done
}

# ------------------------------------------------------------ initramfs ----
# Path (relative to $MODDIR) of module $1 from modules.dep; empty if absent.
mod_path() {
    awk -F: -v want="$1" '{
        b = $1; sub(/.*\//, "", b); sub(/\.ko(\.(xz|zst|gz))?$/, "", b); gsub(/-/, "_", b)
        if (b == want) { print $1; exit }
    }' "$MODDIR/modules.dep"
}

mod_builtin() {
    [ -r "$MODDIR/modules.builtin" ] || return 1
    awk -v want="$1" '{
        b = $0; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b)
        if (b == want) { found = 1; exit }
    } END { exit !found }' "$MODDIR/modules.builtin"
}

declare -A MOD_SEEN=()
MOD_ORDER=()
# Append module $1, after its dependencies, to MOD_ORDER (name:path).
mod_add() {
    local name=${1//-/_} path deps d
    [ -z "${MOD_SEEN[$name]:-}" ] || return 0
    MOD_SEEN[$name]=1
    if mod_builtin "$name"; then
        return 0
    fi
    path=$(mod_path "$name")
    [ -n "$path" ] || die "module $name is neither built in nor in $MODDIR/modules.dep"
    deps=$(awk -F: -v p="$path" '$1 == p { print $2; exit }' "$MODDIR/modules.dep")
    for d in $deps; do
        d=${d##*/}
        d=${d%%.ko*}
        mod_add "$d"
    done
    MOD_ORDER+=("$name:$path")
}

# stage_modules ROOT NAME... : put NAME and its dependencies, uncompressed,
# into ROOT/lib/modules/<name>.ko and their load order into
# ROOT/etc/modules.order (built-in modules are skipped). The guest loads them
# with busybox insmod, so no modules.dep/depmod is needed.
stage_modules() {
    local root=$1 entry name path src dst
    shift
    MOD_SEEN=() MOD_ORDER=()
    for name in "$@"; do
        mod_add "$name"
    done
    mkdir -p "$root/lib/modules" "$root/etc"
    : >"$root/etc/modules.order"
    for entry in ${MOD_ORDER[@]+"${MOD_ORDER[@]}"}; do
        name=${entry%%:*} path=${entry#*:}
        src=$MODDIR/$path dst=$root/lib/modules/$name.ko
        case "$src" in
        *.ko.xz) xz -dc "$src" >"$dst" ;;
        *.ko.zst) zstd -qdc "$src" >"$dst" ;;
        *.ko.gz) gzip -dc "$src" >"$dst" ;;
        *) cp "$src" "$dst" ;;
        esac
        echo "$name" >>"$root/etc/modules.order"
    done
    log "guest modules: $(tr '\n' ' ' <"$root/etc/modules.order")"
}

# stage_base ROOT INIT : busybox with applet links, memshape, /init
stage_base() {
    local root=$1 init=$2 applet
    rm -rf "$root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,mnt,etc,lib/modules}
    cp /bin/busybox "$root/bin/busybox"
    # applet links, made here so that the guest needs no busybox --install
    while read -r applet; do
        [ -n "$applet" ] && [ ! -e "$root/$applet" ] && ln -s /bin/busybox "$root/$applet"
    done < <(/bin/busybox --list-full)
    [ -e "$root/bin/sh" ] || ln -s busybox "$root/bin/sh"
    install -m 0755 "$init" "$root/init"
    gcc -static -Os -s -Wall -o "$root/bin/memshape" "$SCRIPT_DIR/memshape.c" ||
        die "compiling memshape.c failed"
    # /dev/console for the kernel's initial console (init also reopens it)
    mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
}

# stage_dynamic ROOT BIN : copy a dynamically linked binary and the libraries ldd lists into ROOT
stage_dynamic() {
    local root=$1 bin=$2 lib
    install -D -m 0755 "$bin" "$root$bin"
    for lib in $(ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
        [ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
    done
}

# make_cpio ROOT OUT : uncompressed newc archive, reproducible order/owner.
# Uncompressed on purpose: the kernel frees the initramfs buffer after
# unpacking, and compressed bytes left in free memory compress badly.
make_cpio() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --reproducible --quiet) >"$2" || die "cpio failed"
    log "initramfs $2: $(stat -c %s "$2") bytes (uncompressed cpio)"
}

# workload_sizes MIB : default workload (MiB) for MIB of guest RAM the
# kernel can use; sets W_CLEAN W_BUFFERED W_TMPFS W_ANON W_ZERO W_CHURN.
# About 64 MiB go to the kernel, its reservations and the initramfs; the
# rest is scaled so that nothing gets reclaimed.
workload_sizes() {
    local mib=$(($1 - 64)) spec=${2:-}
    if [ -n "$spec" ]; then
        IFS=, read -r W_CLEAN W_BUFFERED W_TMPFS W_ANON W_ZERO W_CHURN <<<"$spec"
        local n
        for n in "$W_CLEAN" "$W_BUFFERED" "$W_TMPFS" "$W_ANON" "$W_ZERO" "$W_CHURN"; do
            [[ $n =~ ^[0-9]+$ ]] || die "--workload needs 6 comma-separated MiB sizes"
        done
        return 0
    fi
    [ $mib -ge 32 ] || die "too little guest memory for the workload"
    W_CLEAN=$((mib / 16)) W_BUFFERED=$((mib / 16)) W_TMPFS=$((mib / 16))
    W_ANON=$((mib / 16)) W_ZERO=$((mib / 32)) W_CHURN=$((mib / 8))
}

# mem_mib SIZE : QEMU-style size (128M, 1G, or MiB) to MiB
mem_mib() {
    case "$1" in
    *[Gg]) echo $((${1%[Gg]} * 1024)) ;;
    *[Mm]) echo "${1%[Mm]}" ;;
    *) echo "$1" ;;
    esac
}

# mdf_stats CORE BASE WORK : makedumpfile --dry-run --show-stats -d 31 and
# -d 1 on CORE (which must have e_phoff == 64), output in BASE.mdf-d<N>.txt
mdf_stats() {
    local core=$1 base=$2 work=$3 d out
    command -v makedumpfile >/dev/null || apt_install makedumpfile
    for d in 31 1; do
        out=$base.mdf-d$d.txt
        rm -f "$work/mdf-out"
        if ! makedumpfile --dry-run --show-stats -d "$d" "$core" "$work/mdf-out" >"$out" 2>&1; then
            cat "$out" >&2
            die "makedumpfile -d $d failed on $core"
        fi
        grep -q 'Total pages' "$out" || { cat "$out" >&2; die "no stats block in makedumpfile -d $d output"; }
        log "makedumpfile -d $d stats: $out"
    done
    rm -f "$work/mdf-out"
}

# ------------------------------------------------------- QEMU guest ----
# The QEMU a script started in the background; qemu_kill stops it (TERM, then KILL) if it still runs.
QEMU_PID=""
qemu_kill() {
    if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
        kill "$QEMU_PID" 2>/dev/null || true
        sleep 1
        kill -9 "$QEMU_PID" 2>/dev/null || true
    fi
}

# Kills the guest however the script ends ($1: more to run at exit, optional); Ctrl-C ends it with 130.
qemu_kill_on_exit() {
    # shellcheck disable=SC2064 # $1 is expanded now on purpose
    trap "qemu_kill; ${1:-:}" EXIT
    trap 'exit 130' INT TERM
}

# console_file_tail FILE LINES [SKIP-REGEX]: the last lines of a guest console on stderr, for failure reports.
console_file_tail() {
    echo "---- last console lines ($1) ----" >&2
    if [ -n "${3:-}" ]; then
        tr -d '\r' <"$1" 2>/dev/null | grep -av "$3" | tail -n "$2" >&2 || true
    else
        tr -d '\r' <"$1" 2>/dev/null | tail -n "$2" >&2 || true
    fi
    echo "----" >&2
}
