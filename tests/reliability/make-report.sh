#!/usr/bin/env bash
# make-report.sh: runs the reliability scripts and regenerates tests/RELIABILITY.md from their TSVs.
#
#   tests/reliability/make-report.sh [--report-only] [--quick]
#
#   --report-only  do not run anything: only rebuild tests/RELIABILITY.md from tests/reliability/results/*.tsv
#                  and tests/fuzz/results/summary.tsv
#   --quick        fewer ENOSPC fill levels (for a smoke test)
#
# Runs enospc.sh, memcap.sh and signals.sh (root; out/coresift must be published: ./build.sh reliability does
# both). The fuzzing table comes from tests/fuzz/results/summary.tsv and the EIO table from
# tests/reliability/results/eio.tsv when those exist (their own scripts write them).
set -euo pipefail
PROG=make-report.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RES=$ROOT/tests/reliability/results
REPORT=$ROOT/tests/RELIABILITY.md
RUN=1 QUICK=""
for a in "$@"; do
    case "$a" in
        --report-only) RUN=0 ;;
        --quick) QUICK=--quick ;;
        *) echo "usage: $0 [--report-only] [--quick]" >&2; exit 2 ;;
    esac
done

if [ $RUN = 1 ]; then
    bash "$ROOT/tests/reliability/enospc.sh" $QUICK
    bash "$ROOT/tests/reliability/memcap.sh"
    bash "$ROOT/tests/reliability/signals.sh"
fi

# A TSV (first line: column names) as a markdown table; "|" in cells is escaped.
table() {
    awk -F'\t' '
        function cell(s) { gsub(/\|/, "\\|", s); return s == "" ? " " : s }
        NR == 1 { line = "|"; sep = "|"; for (i = 1; i <= NF; i++) { line = line " " cell($i) " |"; sep = sep "---|" } print line; print sep; n = NF; next }
        /^[[:space:]]*$/ { next }
        { line = "|"; for (i = 1; i <= n; i++) line = line " " cell($i) " |"; print line }' "$1"
}

# The value of column NAME in a TSV's rows, one per line.
column_of() {
    awk -F'\t' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } c { print $c }' "$1"
}

stamp() { date -u -r "$1" '+%Y-%m-%d %H:%M UTC'; }

{
    echo "# Reliability"
    echo
    echo "What coresift does with hostile input, full disks, input I/O errors, signals and memory caps (issue #6),"
    echo "measured on the repository's sample vmcore (tests/data/sample-6.1.vmcore.zst: Debian 6.1, 128 MiB guest)"
    echo "and on a synthetic vmcore of a sparse 4 TiB machine. Regenerate everything with \`./build.sh reliability\`"
    echo "(root; about 15 minutes), or only this file from the stored TSVs with"
    echo "\`tests/reliability/make-report.sh --report-only\`."
    echo
    echo "\"Readable\" below means that [dumpcheck.py](reliability/dumpcheck.py), a reader written for these tests from"
    echo "the format description, opens the file, finds the incomplete flag as expected, and every page that has data"
    echo "in the file decodes (zlib, LZO through liblzo2) to exactly the page of the input vmcore; lost pages have"
    echo "zero descriptors. The refilter columns run \`makedumpfile -d 31 DUMP out\` (1.7.2) and \`coresift -d 31 DUMP out\`."
    echo

    echo "## (a) Fuzzing"
    echo
    if [ -s "$ROOT/tests/fuzz/results/summary.tsv" ]; then
        echo "From [tests/fuzz/results/summary.tsv](fuzz/results/summary.tsv) ($(stamp "$ROOT/tests/fuzz/results/summary.tsv")). Reproduce: \`./build.sh fuzz\`."
        echo "Per parser: every run added up, and the last run (on the code with every fix found by the earlier ones)."
        echo "Every crash and hang found became a regression test (tests/fuzz/regressions, FuzzRegressionTests)."
        echo
        echo "| target | runs | hours in all | execs in all | crashes, hangs found in all | last run: seconds, crashes, hangs, commit |"
        echo "|---|---:|---:|---:|---|---|"
        awk -F'\t' 'NR > 1 { if (!($1 in runs)) order[++n] = $1; runs[$1]++; sec[$1] += $2; ex[$1] += $3; cr[$1] += $6; hg[$1] += $7;
                last[$1] = $2 " s, " $6 ", " $7 ", " $10 }
            END { for (i = 1; i <= n; i++) { t = order[i]; tot += sec[t];
                printf "| %s | %d | %.2f | %d | %d, %d | %s |\n", t, runs[t], sec[t] / 3600, ex[t], cr[t], hg[t], last[t] }
                printf "| all | | %.2f | | | |\n", tot / 3600 }' "$ROOT/tests/fuzz/results/summary.tsv"
        echo
        echo "Every run:"
        echo
        table "$ROOT/tests/fuzz/results/summary.tsv"
    else
        echo "Not run: tests/fuzz/results/summary.tsv is not there yet (\`./build.sh fuzz\` writes it)."
    fi
    echo

    echo "## (b) Full disk (ENOSPC) at many fill levels"
    echo
    f=$RES/enospc.tsv
    if [ -s "$f" ]; then
        rows=$(($(wc -l <"$f") - 1))
        readable=$(column_of "$f" dumpcheck | grep -c '^readable' || true)
        nofile=$(column_of "$f" dumpcheck | grep -c '^no file' || true)
        flagged=$(paste <(column_of "$f" rc) <(column_of "$f" incomplete_flag) | awk '$1 != 0 && $2 == 1' | wc -l)
        failed=$(column_of "$f" rc | grep -vc '^0$' || true)
        mk=$(column_of "$f" makedumpfile_refilter | grep -c '^ok' || true)
        echo "Reproduce: \`tests/reliability/enospc.sh\` ($(stamp "$f")). The dump goes to a tmpfs (and, for a few"
        echo "levels, a loop-mounted ext4) filled with \`fallocate\` so that only \`free_bytes\` are left; 100% is the size"
        echo "of the complete \`-l -d 31\` dump. The last column is makedumpfile 1.7.2 run with the same options at the"
        echo "same fill level."
        echo
        echo "- $rows runs; $failed ran out of space (exit 1), and $flagged of those left a file carrying the incomplete"
        echo "  flag 0x08. $nofile left no file (not even the 4 KiB header block fit; the empty file is removed)."
        echo "- $readable results are readable. With room for only the first block or two (4-8 KiB), the header is"
        echo "  there and flagged but the bitmaps are not, which no reader can use (makedumpfile's own file is the"
        echo "  same there); from 20 KiB of room on, every result is readable."
        echo "- With the retry list \`-d 0,31\`, runs where the \`-d 31\` dump fits end with exit 0 (\"Retry to create a"
        echo "  dumpfile by dump_level(31).\"), no flag and every page verified; below that, the \`-d 31\` attempt is"
        echo "  flagged incomplete like a plain \`-d 31\` run."
        cs=$(column_of "$f" coresift_refilter | grep -c '^ok' || true)
        withfile=$((rows - nofile))
        echo "- $mk of the $withfile results with a file refilter with makedumpfile (\`makedumpfile -d 31\`), and $cs with"
        echo "  coresift. Compressed dumps write the kernel's metadata first (the pages of the kernel page tables, of"
        echo "  every VMCOREINFO symbol, mem_section, utsname, the printk log and the struct pages: 591 of the sample's"
        echo "  19,448 pages), so every cut from about 2.4% of the dump on keeps what a refilter needs. Below that the"
        echo "  cut falls inside the metadata and the refilter fails (\"Can't get a valid pgd\"), as it does at every"
        echo "  cut point on makedumpfile's own incomplete dumps, which are written in pfn order (page tables and"
        echo "  struct pages near the top of memory come last). Every page that was written reads back intact."
        echo "- Reading a dump that lies on the *full* tmpfs: windows of the input that the kernel cannot map (a hole"
        echo "  with no free page behind it) fail MADV_POPULATE_READ and are read with pread from then on, so the"
        echo "  reader is not killed by SIGBUS."
        echo
        table "$f"
    else
        echo "Not run yet: \`tests/reliability/enospc.sh\`."
    fi
    echo

    echo "## (c) Input I/O errors (EIO)"
    echo
    f=$RES/eio.tsv
    if [ -s "$f" ]; then
        echo "From [results/eio.tsv](reliability/results/eio.tsv) ($(stamp "$f")). Reproduce: \`tests/reliability/eio.sh\`."
        echo
        table "$f"
    else
        echo "Not run: tests/reliability/results/eio.tsv is not there yet (\`tests/reliability/eio.sh\` writes it)."
    fi
    echo

    echo "## (d) Signals at several points"
    echo
    f=$RES/signals.tsv
    if [ -s "$f" ]; then
        echo "Reproduce: \`tests/reliability/signals.sh\` ($(stamp "$f")). coresift runs in a cgroup v1 cpu group capped at"
        echo "1% of a CPU so that the sample's dump takes seconds; the signal is sent when the output file appears"
        echo "(early: before any page), at 50% (mid) and 90% (late) of the complete dump's size; \`twice\` sends SIGTERM"
        echo "and then SIGINT back to back, \`term2\` two SIGTERMs 10 ms apart. \`flat\` rows capture \`-F\` on a file and"
        echo "rearrange it with \`makedumpfile -R\` before reading. \`sparse-4TiB\` rows (if any) use the memcap vmcore,"
        echo "whose page scan is long enough to be interrupted (at 20% of a CPU): there \`early\` lands in the page scan"
        echo "and \`mid\` (by file size) while its 256 MiB of bitmaps are being written."
        echo
        echo "- The first signal stops the writer at the next page (or 1 MiB ELF chunk): the pages already packed are"
        echo "  flushed with their descriptors, the header gets the incomplete flag (ELF: e_flags bit 0; the flattened"
        echo "  stream gets the header record and its end marker), coresift prints"
        echo "  \"Interrupted by SIGTERM: ...\" and exits 1. No retry with the next \`-d\` level."
        echo "- A second signal gets the default action: the process ends at once (exit 130 for SIGINT), and the file"
        echo "  keeps what was written but not the flag."
        echo "- A signal during the page scan is acted on when the scan ends (the scan is not interruptible); the dump"
        echo "  then has its header and bitmaps, no pages, and the flag."
        echo "- A signal after the last page leaves the dump complete: no flag, exit 0 (\"... came after the last page"
        echo "  was written\")."
        echo "- \`exit_ms_after_signal\` is wall time under the 1% CPU cap (1 ms of CPU every 100 ms), so a few hundred"
        echo "  ms here is a few ms of work; \`sent_at_pct\` is the output size when the signal was sent."
        echo
        smk=$(column_of "$f" makedumpfile_refilter | grep -c '^ok' || true)
        sdm=$(column_of "$f" coresift_dump_dmesg | grep -c '^ok' || true)
        srows=$(($(wc -l <"$f") - 1))
        echo "- $smk of $srows results refilter with makedumpfile and $sdm give the whole kernel log (\`coresift --dump-dmesg\`):"
        echo "  every kdump-compressed one cut after the kernel metadata, which compressed dumps write first. The"
        echo "  others were cut before any page (\`early\`, and both rows of the 4 TiB vmcore, whose signal lands in"
        echo "  the page scan or the bitmaps) or are \`-E\` files, which keep pfn order and are cut mid-segment."
        echo
        table "$f"
    else
        echo "Not run yet: \`tests/reliability/signals.sh\`."
    fi
    echo

    echo "## (e) Memory caps"
    echo
    f=$RES/memcap.tsv
    if [ -s "$f" ]; then
        echo "Reproduce: \`tests/reliability/memcap.sh\` ($(stamp "$f")). This machine has only the cgroup v1 memory"
        echo "controller, so the cap is \`memory.limit_in_bytes\` of a fresh cgroup (coresift reads v2 \`memory.max\` the"
        echo "same way). \`sparse-4TiB\` is a synthetic vmcore (made by the xunit builders) of a machine with 32 MiB of"
        echo "RAM at 0 and 16 MiB just below 4 TiB, both with page structs: max_mapnr is 2^30, so the two bitmaps would"
        echo "take 256 MiB. \`budget\` and \`cycles\` are what coresift reports at \`--message-level 31\`; \`peak_rss_MiB\` is"
        echo "its ru_maxrss (VmHWM); \`cgroup_max_usage_MiB\` also counts page cache (the input and the dump being"
        echo "written), which the kernel reclaims at the cap. \`same_as_uncapped\`: the dump is byte-identical to the"
        echo "one made without a cap."
        echo
        capped=$(column_of "$f" cap_MiB | grep -vc '^none$' || true)
        done_ok=$(paste <(column_of "$f" cap_MiB) <(column_of "$f" rc) | awk '$1 != "none" && $2 == 0' | wc -l)
        same=$(paste <(column_of "$f" cap_MiB) <(column_of "$f" same_as_uncapped) | awk '$1 != "none" && $2 == "yes"' | wc -l)
        under=$(paste <(column_of "$f" cap_MiB) <(column_of "$f" peak_rss_MiB) | awk '$1 != "none" && $2 + 0 < $1 + 0' | wc -l)
        ooms=$(column_of "$f" oom_kills | awk '{ s += $1 } END { print s + 0 }')
        echo "- $done_ok of $capped capped runs completed (exit 0); $same are byte-identical to the uncapped dump; in $under"
        echo "  the peak RSS stayed below the cap; OOM kills: $ooms. The budget shrinks with the cap and the"
        echo "  bitmaps are made in more cycles (up to 1024 of 2^20 pfns), down to the 256 KiB floor."
        echo "- The budget counts the cgroup's usage_in_bytes, which in cgroup v1 includes the page cache of the"
        echo "  input already read (about 23 MiB here), so under small caps it falls to the floor even though"
        echo "  that cache could be reclaimed; memory.stat's inactive_file would give a truer figure."
        echo "- Found here: with the runtime's default 4 MiB GC regions, the binary segfaulted inside the .NET GC"
        echo "  (gc_heap::init_heap_segment) at the 32 and 48 MiB caps, before 2 MiB were in use: the GC sets"
        echo "  itself a heap hard limit of 75% of the cgroup limit and failed to commit a region. coresift is"
        echo "  now built with 1 MiB regions (src/Coresift/Coresift.csproj), which these rows run with."
        echo "- \`same_as_uncapped\` is \`no\` where the cap keeps only some cycle bitmaps: kernel metadata goes first only"
        echo "  when every cycle's bitmap is kept, so these dumps hold their pages in pfn order (the capped dumps are"
        echo "  byte-identical to each other, and dumpcheck decodes every page to the input's)."
        echo "- Found here (session 3): at the 64 and 128 MiB caps the dump failed now and then with \"out of memory\":"
        echo "  the cycles were sized for the budget alone while the writer's buffers (about 10 MiB) lived beside"
        echo "  them under the GC heap limit. The cycle planner now subtracts the writer's buffers first."
        echo "- \`sparse-4TiB-E\` rows dump the same vmcore with \`-E -d 31\`. Until session 4 the ELF writer (and"
        echo "  \`--split\`) built the whole 2nd bitmap and a whole zero-page bitmap, 128 MiB each here; they now take"
        echo "  the bitmap a cycle at a time, like the kdump writer."
        echo "- Found in session 4 (not by these rows: they drop the page cache first, so the input is charged to the"
        echo "  cgroup and the budget is small): with the input cached outside the cgroup, the budget exceeded the"
        echo "  runtime's own GC heap limit (75% of the cap), and cycles were sized for exactly two bitmaps while the"
        echo "  write phase holds up to four (plus a rank table as large as a bitmap). \`-l -d 31\` then failed at"
        echo "  each of the 64, 96, 128 and 256 MiB caps (\"out of memory\"; at 96 MiB the runtime aborted, exit 134),"
        echo "  and so did \`--split\` and \`-E\` (which also built whole bitmaps). The budget is now clamped"
        echo "  to the heap limit, cycles are sized for four bitmaps, and ranks come from a cursor: 18 of 18 such runs"
        echo "  (caps 32-256 MiB, \`-l\`, \`--split\`, \`-E\`) exit 0."
        echo
        table "$f"
    else
        echo "Not run yet: \`tests/reliability/memcap.sh\`."
    fi
} >"$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
echo "$PROG: wrote ${REPORT#$ROOT/}" >&2
