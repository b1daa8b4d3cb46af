#!/bin/sh
# /init of the memcap-v2.sh guest (busybox sh). Mounts cgroup2 with the memory controller, then dumps the vmcore
# on the read-only virtio disk with coresift (and makedumpfile, when the initramfs has it) in fresh child cgroups
# capped by memory.max, and prints one MEMCAP-V2 line per run on the console for the host to parse.
#
# Parameters (kernel command line):
#   cs.cap=BYTES      memory.max of each run's cgroup (default 100663296 = 96 MiB)
#   cs.cold=N         coresift runs with the page cache dropped before each (default 5)
#   cs.warm=N         coresift runs with the input's pages in the page cache (default 2), after one run without
#                     a limit that reads them (in the cap, a cold run's reclaim drops most of what it read)
#   cs.mdf=N          makedumpfile runs, cold (default 3; 0 or no /usr/bin/makedumpfile: none)
#   cs.parent=0|1     one more coresift run with the limit on the parent cgroup only (default 1)
#   cs.threads=N      coresift --num-threads (default 1)
#   cs.level=N        dump level (default 31)
#
# Disks: the read-only virtio disk is the input (the vmcore, raw), the writable one an empty ext4 for the outputs.
# Outputs go to that ext4, never to tmpfs: shmem would be charged to the cgroup and count as the tool's memory.

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

say() { echo "MEMCAP-V2-INFO $*"; }
fail() {
    echo "MEMCAP-V2-FAIL $*"
    sync
    poweroff -f
    sleep 5
    exit 1
}

cap=100663296 cold=5 warm=2 mdf=3 parent=1 threads=1 level=31
for w in $(cat /proc/cmdline); do
    case "$w" in
    cs.cap=*) cap=${w#*=} ;;
    cs.cold=*) cold=${w#*=} ;;
    cs.warm=*) warm=${w#*=} ;;
    cs.mdf=*) mdf=${w#*=} ;;
    cs.parent=*) parent=${w#*=} ;;
    cs.threads=*) threads=${w#*=} ;;
    cs.level=*) level=${w#*=} ;;
    esac
done

while read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$m.ko" || fail "insmod $m"
done </etc/modules.order

# The input is the disk QEMU attached read-only (/sys/block/vdX/ro = 1), the output disk the other one.
in="" out=""
n=0
while [ $n -lt 100 ] && { [ -z "$in" ] || [ -z "$out" ]; }; do
    for d in /sys/block/vd*; do
        [ -e "$d/ro" ] || continue
        if [ "$(cat "$d/ro")" = 1 ]; then in=/dev/${d##*/}; else out=/dev/${d##*/}; fi
    done
    [ -n "$in" ] && [ -n "$out" ] && [ -b "$in" ] && [ -b "$out" ] && break
    in="" out=""
    n=$((n + 1))
    sleep 0.1
done
[ -n "$in" ] && [ -n "$out" ] || fail "want one read-only and one writable virtio disk; found: $(ls /sys/block)"
# Hold the input open: the kernel drops a block device's page cache when its last opener closes it, so without
# this every run would be cold, and the warm runs would measure nothing.
exec 7<"$in"
mkdir -p /mnt/out
mount -t ext4 "$out" /mnt/out || fail "mount ext4 $out"

# cgroup v2: the memory controller for the children of the root, and for the children of /coresift.
mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "mount cgroup2"
grep -qw memory /sys/fs/cgroup/cgroup.controllers || fail "no memory controller in cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control || fail "enable +memory at the root"
CG=/sys/fs/cgroup/coresift
mkdir -p $CG
echo +memory >$CG/cgroup.subtree_control || fail "enable +memory in $CG"

hwhyp=tcg
dmesg | grep -q 'Hypervisor detected: KVM' && hwhyp=kvm
say "kernel $(uname -r)"
say "accel $hwhyp"
say "cpus $(nproc)"
say "memtotal_kib $(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
say "input $in $(cat /sys/block/${in#/dev/}/size) sectors read-only"
say "output $out ext4 $(df -k /mnt/out | awk 'NR == 2 { print $2 }') KiB"
say "cgroup2 $(grep cgroup2 /proc/mounts)"
say "root subtree_control $(cat /sys/fs/cgroup/cgroup.subtree_control)"
say "coresift $(coresift -v 2>&1 | head -1)"
[ -x /usr/bin/makedumpfile ] && say "makedumpfile $(makedumpfile -v 2>&1 | head -1)"
say "swap $(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo) KiB"

# Quiet the console from here on, but keep the OOM killer's reports (KERN_ERR and above).
echo 4 >/proc/sys/kernel/printk

field() { # FILE KEY: the value after "KEY " in a flat-keyed cgroup file
    awk -v k="$2" '$1 == k { print $2 }' "$1"
}

# run N KIND TOOL MODE: one dump in a fresh child cgroup.
#   KIND: leaf (memory.max on the run's own cgroup), parent (on a parent cgroup, the run's own unlimited) or none
#         (no limit: memory.max stays "max")
#   MODE: cold (page cache dropped first) or warm
run() {
    local n=$1 kind=$2 tool=$3 mode=$4 cg limcg dump log rc hwm=- anon=- secs=- usr=- sys=- sha budget peak lpeak oom oomk max line kv
    if [ "$kind" = parent ]; then
        limcg=$CG/parent-$n
        mkdir $limcg
        echo +memory >$limcg/cgroup.subtree_control
        cg=$limcg/run
        mkdir $cg
    else
        cg=$CG/run-$n
        mkdir $cg
        limcg=$cg
    fi
    if [ "$kind" != none ]; then
        echo "$cap" >$limcg/memory.max || fail "memory.max"
        [ -e $limcg/memory.swap.max ] && echo 0 >$limcg/memory.swap.max
    fi
    dump=/mnt/out/$tool-$n
    log=/mnt/out/$tool-$n.log
    rm -f "$dump" "$log" /mnt/out/peak-$n
    sync
    if [ "$mode" = cold ]; then
        echo 3 >/proc/sys/vm/drop_caches
    fi
    # The shell joins the cgroup, then execs runpeak (tests/bench/runpeak.c), which forks the tool: its exit code,
    # ru_maxrss and sampled RssAnon are the tool's alone.
    if [ "$tool" = coresift ]; then
        sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" runpeak /mnt/out/peak-$n \
            coresift -l -d "$level" --num-threads "$threads" --message-level 31 "$in" "$dump" >"$log" 2>&1
    else
        sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" runpeak /mnt/out/peak-$n \
            makedumpfile -l -d "$level" "$in" "$dump" >"$log" 2>&1
    fi
    rc=$?
    line=$(cat /mnt/out/peak-$n 2>/dev/null)
    for kv in $line; do
        case "$kv" in
        exit=*) rc=${kv#*=} ;;
        maxrss_kib=*) hwm=${kv#*=} ;;
        anon_kib=*) anon=${kv#*=} ;;
        wall_s=*) secs=${kv#*=} ;;
        user_s=*) usr=${kv#*=} ;;
        sys_s=*) sys=${kv#*=} ;;
        esac
    done
    peak=$(cat $cg/memory.peak 2>/dev/null || echo -)
    lpeak=$(cat $limcg/memory.peak 2>/dev/null || echo -)
    max=$(field $limcg/memory.events max)
    oom=$(field $limcg/memory.events oom)
    oomk=$(field $limcg/memory.events oom_kill)
    budget=$(sed -n 's/^memory budget: \([0-9]*\) KiB.*/\1/p' "$log" | head -n 1)
    if [ -s "$dump" ]; then sha=$(sha256sum "$dump" | cut -d' ' -f1); else sha=none; fi
    echo "MEMCAP-V2 run=$n tool=$tool kind=$kind mode=$mode exit=$rc budget_kib=${budget:--} peak_bytes=$peak limit_cg_peak_bytes=$lpeak max_events=${max:--} oom=${oom:--} oom_kill=${oomk:--} hwm_kib=$hwm anon_kib=$anon wall_s=$secs user_s=$usr sys_s=$sys size=$(stat -c %s "$dump" 2>/dev/null || echo 0) sha=$sha"
    # The tool's own report, for the host's record (progress lines dropped).
    tr '\r' '\n' <"$log" | grep -v '%\]' | grep -v '^$' | while IFS= read -r l; do
        echo "MEMCAP-V2-LOG run=$n $l"
    done
    echo "MEMCAP-V2-LOG run=$n memory.max=$(cat $limcg/memory.max) in $limcg; memory.events: $(tr '\n' ' ' <$limcg/memory.events)"
    echo "MEMCAP-V2-LOG run=$n memory.stat of the run's cgroup after the run: $(awk '$1 == "anon" || $1 == "file" || $1 == "kernel_stack" || $1 == "pagetables" || $1 == "sock" || $1 == "shmem" || $1 == "file_dirty" || $1 == "file_writeback" { printf "%s %s ", $1, $2 }' $cg/memory.stat)"
    rm -f "$dump"
    rmdir $cg
    [ "$kind" = parent ] && rmdir $limcg
    return 0
}

n=0
i=0
while [ $i -lt "$cold" ]; do
    n=$((n + 1)) i=$((i + 1))
    run $n leaf coresift cold
done
# Without a limit (and cold): the tool's budget from MemAvailable, and the input's pages it reads stay in the page
# cache for the warm runs that follow (still charged to the removed cgroup, not to the next run's).
n=$((n + 1))
run $n none coresift cold
i=0
while [ $i -lt "$warm" ]; do
    n=$((n + 1)) i=$((i + 1))
    run $n leaf coresift warm
done
if [ "$parent" = 1 ]; then
    n=$((n + 1))
    run $n parent coresift cold
fi
if [ -x /usr/bin/makedumpfile ]; then
    i=0
    while [ $i -lt "$mdf" ]; do
        n=$((n + 1)) i=$((i + 1))
        run $n leaf makedumpfile cold
    done
fi

echo "MEMCAP-V2-DONE runs=$n"
sync
umount /mnt/out
poweroff -f
sleep 10
