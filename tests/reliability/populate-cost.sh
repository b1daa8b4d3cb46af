#!/usr/bin/env bash
# Measures what MADV_POPULATE_READ (the SIGBUS guard of the mmap path) costs: alternates two coresift binaries
# (one built without the guard) over the same vmcore and options, and prints wall, user, sys seconds and peak RSS.
#   tests/reliability/populate-cost.sh BASE_BINARY NEW_BINARY VMCORE [ROUNDS] > results.tsv
# results/populate-cost-*.tsv: base = 556f7e5 (no guard), new = 64-256 KiB windows (run on a shared, loaded 2-CPU VM:
# compare the user+sys and RSS columns, not wall time).
# Output goes to /dev/null (-f), so only reading, filtering and compression are timed.
set -euo pipefail
base=$1 new=$2 vmcore=$3 rounds=${4:-5}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf 'binary\toptions\tround\twall_s\tuser_s\tsys_s\tmax_rss_kb\n'
for opts in "-l -d 0" "-l -d 31" "-l -d 31 --num-threads 1" "-l -d 0 --num-threads 1"; do
    for r in $(seq 1 "$rounds"); do
        for b in "$base" "$new"; do
            # shellcheck disable=SC2086
            /usr/bin/time -o "$tmp" -f '%e\t%U\t%S\t%M' "$b" -f $opts --message-level 4 "$vmcore" /dev/null >/dev/null 2>&1
            t=$(tail -1 "$tmp")
            printf '%s\t%s\t%s\t%s\n' "$(basename "$b")" "$opts" "$r" "$t"
        done
    done
done
