#!/usr/bin/env bash
# Proves that real readers open a dump file: crash (batch mode) and drgn.
#
#   tests/readers/check-dump.sh [options] DUMPFILE [VMLINUX]
#
#   DUMPFILE  a kdump-compressed file, an ELF vmcore, or a /proc/vmcore copy
#   VMLINUX   the matching vmlinux with DWARF (linux-image-<release>-dbg). Default: found from the
#             dump's kernel release under /usr/lib/debug.
#
# Options:
#   --no-crash   skip crash
#   --crash      run crash even where it is known not to work (crash < 8.0.3 on kernels 6.4 and later:
#                without this option crash is skipped there, with a note, and only drgn runs)
#   --no-drgn    skip drgn
#   --keep-logs DIR  keep the full crash and drgn transcripts in DIR
#   -v           print the full transcripts
#
# Exit codes: 0 every reader that can read this kind of file succeeded (a reader that cannot, such as
#             crash 8.0.2 on 6.4+ kernels or drgn 0.0.22 on flattened files, is skipped with a note);
#             1 a reader failed or printed an error;
#             2 usage error; 3 a needed tool or the vmlinux is missing (nothing was checked).
#
# crash runs: sys, log | tail, ps, list task_struct.tasks -h init_task, kmem -i, mod.
# crash 8.0.2 lists only 2-3 tasks with ps on Debian's 6.1 kernel even on full dumps, so the task
# count comes from walking the task list. drgn runs tests/readers/drgn_check.py.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
run_crash=1 run_drgn=1 force_crash=0 verbose=0 keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        --no-crash) run_crash=0 ;;
        --crash) force_crash=1 ;;
        --no-drgn) run_drgn=0 ;;
        --keep-logs) keep=$2; shift ;;
        -v) verbose=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        --) shift; break ;;
        -*) echo "check-dump: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
    shift
done
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 [--no-crash] [--no-drgn] [-v] DUMPFILE [VMLINUX]" >&2; exit 2; }
dump=$1
vmlinux=${2:-}
[ -r "$dump" ] || { echo "check-dump: cannot read $dump" >&2; exit 2; }

# The kernel release: the kdump header's utsname, or the VMCOREINFO OSRELEASE line of any format.
release_of() {
    local f=$1 r
    # 2>/dev/null: head meets a closed pipe once grep has its match (SIGPIPE may be ignored, e.g. under dotnet)
    r=$(head -c 4M "$f" 2>/dev/null | grep -aom1 'OSRELEASE=[^[:space:][:cntrl:]]*' | head -1 | cut -d= -f2)
    if [ -z "$r" ] && [ "$(head -c 8 "$f")" = "KDUMP   " ]; then
        # disk_dump_header: signature[8] header_version(4) new_utsname{sysname[65] nodename[65] release[65]...}
        r=$(dd if="$f" bs=1 skip=$((12 + 65 + 65)) count=65 status=none | tr -d '\0')
    fi
    printf '%s' "$r"
}

release=$(release_of "$dump")
if [ -z "$vmlinux" ]; then
    for c in "/usr/lib/debug/boot/vmlinux-$release" "/usr/lib/debug/lib/modules/$release/vmlinux"; do
        [ -n "$release" ] && [ -r "$c" ] && { vmlinux=$c; break; }
    done
fi
if [ -n "$vmlinux" ] && [ ! -r "$vmlinux" ]; then
    echo "check-dump: cannot read $vmlinux" >&2
    exit 3
fi
if [ -z "$vmlinux" ]; then
    echo "check-dump: no vmlinux for kernel '${release:-unknown}': apt-get install linux-image-${release:-<release>}-dbg" >&2
    exit 3
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-dump.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
name=$(basename "$dump")
case "$(head -c 16 "$dump" | tr -d '\0')" in
    $'\x7fELF'*) format=ELF ;;
    "KDUMP   "*) format=kdump-compressed ;;
    makedumpfile*) format=flattened ;;
    *) format=unknown ;;
esac
echo "== $name (kernel ${release:-unknown}, $format)"

# ---- drgn starts first, in the background: the two readers are independent ---------------------
py=/usr/bin/python3   # python3-drgn is for Debian's python, not a pyenv/venv python3 earlier in PATH
drgn_pid=""
if [ "$run_drgn" = 1 ]; then
    if ! "$py" -c 'import drgn' 2>/dev/null; then
        echo "check-dump: drgn is not installed (apt-get install python3-drgn)" >&2
        exit 3
    fi
    timeout 600 "$py" "$HERE/drgn_check.py" "$dump" "$vmlinux" >"$tmp/drgn.out" 2>&1 &
    drgn_pid=$!
    trap 'kill "$drgn_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
fi

# ---- crash -------------------------------------------------------------------------------------
ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }   # ver_ge A B: A >= B
if [ "$run_crash" = 1 ]; then
    if ! command -v crash >/dev/null; then
        echo "check-dump: crash is not installed (apt-get install crash)" >&2
        exit 3
    fi
    crash_ver=$(crash --version 2>/dev/null | sed -n 's/^crash \([0-9][0-9.]*\).*/\1/p' | head -1)
    # crash 8.0.2 (Debian 12) cannot read 6.4+ kernels: on 6.12 it misses the KASLR offset ("read error:
    # ... page_offset_base"), and with --kaslr=auto it stops on the 6.4 struct module layout
    # ("invalid structure member offset: module_core_size"); with --no_modules too, sys and kmem -i crash gdb.
    if [ "$run_crash" = 1 ] && [ "$force_crash" = 0 ] && [ -n "$crash_ver" ] && ! ver_ge "$crash_ver" 8.0.3 \
        && [ -n "$release" ] && ver_ge "${release%%-*}" 6.4; then
        echo "crash: skipped: crash $crash_ver cannot read kernel $release (6.4+); drgn only (--crash forces it)"
        run_crash=0
    fi
fi
if [ "$run_crash" = 1 ]; then
    # Each command is preceded by a marker so the transcript splits into per-command sections.
    cat >"$tmp/cmds" <<'EOF'
echo @@@CMD sys
sys
echo @@@CMD log
log | tail -n 3
echo @@@CMD ps
ps
echo @@@CMD tasks
list task_struct.tasks -h init_task | wc -l
echo @@@CMD kmem
kmem -i
echo @@@CMD mod
mod
echo @@@CMD end
exit
EOF
    # Without --no_modules crash also reads the module list at start-up (more of the dump is read).
    timeout 600 crash -s "$vmlinux" "$dump" <"$tmp/cmds" >"$tmp/crash.out" 2>&1
    crc=$?
    [ -n "$keep" ] && { mkdir -p "$keep"; cp "$tmp/crash.out" "$keep/$name.crash.txt"; }
    [ "$verbose" = 1 ] && sed 's/^/  crash| /' "$tmp/crash.out"
    # Sections: text before the first marker is crash's start-up output.
    awk -v dir="$tmp" '
        BEGIN { sect = "startup" }
        /^@@@CMD / { sect = $2; seen[sect] = 1; next }
        { print > (dir "/sect." sect) }
        END { for (s in seen) print s > (dir "/seen") }' "$tmp/crash.out"
    for s in startup sys log ps tasks kmem mod; do touch "$tmp/sect.$s"; done
    errs=()
    if [ "$crc" != 0 ]; then
        errs+=("crash exited with $crc")
        # crash -s stays silent about some start-up failures (a read error while locating the kernel):
        # rerun its start-up with -d 1, which prints it.
        if ! grep -q '^crash: ' "$tmp/sect.startup"; then
            echo exit | timeout 600 crash -d 1 "$vmlinux" "$dump" 2>&1 | grep -E "^(crash: |WARNING)" | grep -v "^crash: pv_ops" | tail -3 >"$tmp/why"
            while IFS= read -r l; do errs+=("startup (rerun with -d 1): $l"); done <"$tmp/why"
        fi
    fi
    started=0
    grep -qx sys "$tmp/seen" 2>/dev/null && started=1
    if [ "$started" = 0 ]; then
        errs+=("crash did not get past its start-up (no command ran)")
    elif ! grep -qx end "$tmp/seen"; then
        errs+=("crash stopped before the last command")
    fi
    # Error lines. The log section holds the kernel's own messages, which may say "invalid" or "cannot"
    # themselves: there only crash's own complaints count.
    pat_all='read error|seek error|page excluded|page not present|invalid|cannot|not found|no such|unable to|failed|WARNING:|^crash: |^[a-z]+: (invalid|cannot|read|seek)'
    pat_log='^log: |^crash: |read error|seek error|page excluded'
    # crash 8.0.2 on Debian's 6.1 kernel warns about the crashing task even on unfiltered /proc/vmcore
    # copies (the same gap makes ps list only 2-3 tasks): tolerated.
    pat_ok='^WARNING: active task [0-9a-f]+ on cpu [0-9]+ not found in PID hash$'
    for s in startup sys ps tasks kmem mod; do
        while IFS= read -r l; do errs+=("$s: $l"); done < <(grep -E -i "$pat_all" "$tmp/sect.$s" | grep -Ev "$pat_ok" | head -5)
    done
    while IFS= read -r l; do errs+=("log: $l"); done < <(grep -E "$pat_log" "$tmp/sect.log" | head -5)
    # Each command must have produced its characteristic output (checked once crash got that far).
    rel="" nps=0 ntask="" free="" total=""
    if [ "$started" = 1 ]; then
        rel=$(sed -n 's/^ *RELEASE: *//p' "$tmp/sect.sys" | head -1)
        [ -n "$rel" ] || errs+=("sys: no RELEASE line")
        [ -z "$release" ] || [ -z "$rel" ] || [ "$rel" = "$release" ] || errs+=("sys: RELEASE $rel, but the dump says $release")
        [ -s "$tmp/sect.log" ] || errs+=("log: no output")
        nps=$(grep -cE '^[ >]+[0-9]+ +[0-9]+ +[0-9]+ +[0-9a-f]{16} ' "$tmp/sect.ps")
        [ "$nps" -gt 0 ] || errs+=("ps: no task lines")
        ntask=$(grep -E '^ *[0-9]+ *$' "$tmp/sect.tasks" | tail -1 | tr -d ' ')
        [ -n "$ntask" ] && [ "$ntask" -gt 1 ] || errs+=("tasks: the task list walk gave '${ntask:-nothing}'")
        free=$(awk '$1 == "FREE" { print $2 }' "$tmp/sect.kmem" | head -1)
        total=$(awk '$1 == "TOTAL" && $2 == "MEM" { print $3 }' "$tmp/sect.kmem" | head -1)
        [ -n "$free" ] && [ -n "$total" ] || errs+=("kmem -i: no TOTAL MEM / FREE lines")
    fi
    nmod=$(grep -cE '^[0-9a-f]{16} +[A-Za-z0-9_]+ +[0-9a-f]{16} ' "$tmp/sect.mod")
    lastlog=$(grep -v '^ *$' "$tmp/sect.log" | tail -1 | cut -c1-100)
    if [ ${#errs[@]} -eq 0 ]; then
        echo "crash: OK release $rel; log: $lastlog"
        echo "crash: ps lists $nps tasks; task list walk $((ntask - 1)) tasks (+ init_task); kmem -i TOTAL MEM $total pages, FREE $free pages; $nmod modules"
    else
        fail=1
        echo "crash: FAIL"
        printf 'crash:   %s\n' "${errs[@]:0:12}"
        [ -n "$rel$free" ] && echo "crash: (release ${rel:-?}, ps $nps, task list ${ntask:-?}, TOTAL MEM ${total:-?}, FREE ${free:-?})"
    fi
fi

# ---- drgn --------------------------------------------------------------------------------------
if [ "$run_drgn" = 1 ]; then
    wait "$drgn_pid"
    drc=$?
    if [ "$drc" = 4 ]; then   # a format this drgn cannot read at all: a note, not a failure
        grep '^drgn: skipped' "$tmp/drgn.out"
        drc=0 run_drgn=skipped
    fi
    [ -n "$keep" ] && { mkdir -p "$keep"; cp "$tmp/drgn.out" "$keep/$name.drgn.txt"; }
    if [ "$run_drgn" = skipped ]; then
        :
    elif [ "$verbose" = 1 ] || [ "$drc" != 0 ]; then
        cat "$tmp/drgn.out"
    else
        grep -E '^drgn: (version|tasks|printk|free pages|OK)' "$tmp/drgn.out"
    fi
    if [ "$drc" != 0 ]; then
        fail=1
        grep -q '^drgn: FAIL' "$tmp/drgn.out" || echo "drgn: FAIL (exit $drc)"
    fi
fi

if [ "$fail" = 0 ]; then echo "== $name: PASS"; else echo "== $name: FAIL"; fi
exit $fail
