#!/usr/bin/env bash
# Records makedumpfile's page counts on the sample vmcore, so tests can compare without makedumpfile installed.
# Usage: tests/data/record-makedumpfile.sh SAMPLE_VMCORE_WITH_PHDRS_AT_64 > tests/data/sample-6.1.makedumpfile-1.7.2.tsv
set -euo pipefail
vmcore=$1
rows=("Original pages" "Excluded pages" "Pages filled with zero" "Non-private cache pages" "Private cache pages" "User process data pages" "Free pages" "Hwpoison pages" "Offline pages" "Remaining pages" "Memory Hole" "Total pages")
echo "# $(makedumpfile -v 2>&1 | head -1); --dry-run --message-level 16 -d LEVEL"
( IFS=$'\t'; echo "level	${rows[*]}" )
for level in 0 1 2 4 8 16 31; do
    out=$(makedumpfile --dry-run --message-level 16 -d "$level" "$vmcore" /nonexistent/out 2>/dev/null)
    line=$level
    for r in "${rows[@]}"; do
        v=$(grep -E "^ *$r *: 0x" <<<"$out" | head -1 | sed -E 's/.*: 0x([0-9a-f]+).*/\1/')
        line+=$'\t'$((16#$v))
    done
    echo "$line"
done
