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
#   --no-crash   skip crash (crash 8.0.2 cannot handle 6.12's KASLR layout; drgn still runs)
#   --no-drgn    skip drgn
#   --keep-logs DIR  keep the full crash and drgn transcripts in DIR
#   -v           print the full transcripts
#
# Exit codes: 0 every reader succeeded; 1 a reader failed or printed an error;
#             2 usage error; 3 a needed tool or the vmlinux is missing (nothing was checked).
#
# crash runs: sys, log | tail, ps, list task_struct.tasks -h init_task, kmem -i.
# crash 8.0.2 lists only 2-3 tasks with ps on Debian's 6.1 kernel even on full dumps, so the task
# count comes from walking the task list. drgn runs tests/readers/drgn_check.py.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
run_crash=1 run_drgn=1 verbose=0 keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        --no-crash) run_crash=0 ;;
        --no-drgn) run_drgn=0 ;;
        --keep-logs) keep=$2; shift ;;
        -v) verbose=1 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
    r=$(head -c 4M "$f" | grep -aom1 'OSRELEASE=[^[:space:][:cntrl:]]*' | head -1 | cut -d= -f2)
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
if [ -z "$vmlinux" ] || [ ! -r "$vmlinux" ]; then
    echo "check-dump: no vmlinux for kernel '${release:-unknown}': apt-get install linux-image-${release:-<release>}-dbg" >&2
    exit 3
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-dump.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
name=$(basename "$dump")
echo "== $name (kernel ${release:-unknown}, $(head -c 8 "$dump" | tr -cd '[:print:]' | sed 's/^\x7fELF/ELF/;s/^ELF.*/ELF/;s/ *$//'))"

# ---- crash -------------------------------------------------------------------------------------
if [ "$run_crash" = 1 ]; then
    if ! command -v crash >/dev/null; then
        echo "check-dump: crash is not installed (apt-get install crash)" >&2
        exit 3
    fi
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
echo @@@CMD end
exit
EOF
    # --no_modules: module debug info is not needed and would only add noise.
    timeout 600 crash -s --no_modules "$vmlinux" "$dump" <"$tmp/cmds" >"$tmp/crash.out" 2>&1
    crc=$?
    [ -n "$keep" ] && { mkdir -p "$keep"; cp "$tmp/crash.out" "$keep/$name.crash.txt"; }
    [ "$verbose" = 1 ] && sed 's/^/  crash| /' "$tmp/crash.out"
    # Sections: text before the first marker is crash's start-up output.
    awk -v dir="$tmp" '
        BEGIN { sect = "startup" }
        /^@@@CMD / { sect = $2; seen[sect] = 1; next }
        { print > (dir "/sect." sect) }
        END { for (s in seen) print s > (dir "/seen") }' "$tmp/crash.out"
    for s in startup sys log ps tasks kmem; do touch "$tmp/sect.$s"; done
    errs=()
    [ "$crc" = 0 ] || errs+=("crash exited with $crc")
    grep -qx end "$tmp/seen" 2>/dev/null || errs+=("crash did not run every command (stopped before the end marker)")
    # Error lines. The log section holds the kernel's own messages, which may say "invalid" or "cannot"
    # themselves: there only crash's own complaints count.
    pat_all='read error|seek error|page excluded|page not present|invalid|cannot|not found|no such|unable to|failed|WARNING:|^crash: |^[a-z]+: (invalid|cannot|read|seek)'
    pat_log='^log: |^crash: |read error|seek error|page excluded'
    for s in startup sys ps tasks kmem; do
        while IFS= read -r l; do errs+=("$s: $l"); done < <(grep -E -i "$pat_all" "$tmp/sect.$s" | head -5)
    done
    while IFS= read -r l; do errs+=("log: $l"); done < <(grep -E "$pat_log" "$tmp/sect.log" | head -5)
    # Each command must have produced its characteristic output.
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
    lastlog=$(grep -v '^ *$' "$tmp/sect.log" | tail -1 | cut -c1-100)
    if [ ${#errs[@]} -eq 0 ]; then
        echo "crash: OK release $rel; log: $lastlog"
        echo "crash: ps lists $nps tasks; task list walk $((ntask - 1)) tasks (+ init_task); kmem -i TOTAL MEM $total pages, FREE $free pages"
    else
        fail=1
        echo "crash: FAIL"
        printf 'crash:   %s\n' "${errs[@]:0:12}"
        [ -n "$rel$free" ] && echo "crash: (release ${rel:-?}, ps $nps, task list ${ntask:-?}, TOTAL MEM ${total:-?}, FREE ${free:-?})"
    fi
fi

# ---- drgn --------------------------------------------------------------------------------------
if [ "$run_drgn" = 1 ]; then
    py=/usr/bin/python3   # python3-drgn is for Debian's python, not a pyenv/venv python3 earlier in PATH
    if ! "$py" -c 'import drgn' 2>/dev/null; then
        echo "check-dump: drgn is not installed (apt-get install python3-drgn)" >&2
        exit 3
    fi
    timeout 600 "$py" "$HERE/drgn_check.py" "$dump" "$vmlinux" >"$tmp/drgn.out" 2>&1
    drc=$?
    [ -n "$keep" ] && { mkdir -p "$keep"; cp "$tmp/drgn.out" "$keep/$name.drgn.txt"; }
    if [ "$verbose" = 1 ] || [ "$drc" != 0 ]; then
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
