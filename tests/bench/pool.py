#!/usr/bin/env python3
"""Pools the runs of several benches of one build: per row (options, threads), the median of each bench's runs and the
median of all their runs together, for coresift and makedumpfile, with the ratio coresift / makedumpfile (1-thread
makedumpfile for coresift's 2-thread rows, as issue #4 asks).

usage: pool.py RESULTS.runs.tsv [more.tsv ...]      (tests/bench/results/history/ holds the earlier benches' files)

Only tool-against-tool rows are pooled; the -l -d 0 bound needs each bench's read pass and LZO speed, which are in its
RESULTS.md, not in the runs file.
"""
import csv
import statistics
import sys


def load(path):
    """{(options, threads, tool): [wall seconds of the runs that exited 0]} of one runs file."""
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["exit"] != "0" or r["options"].startswith("cap"):
                continue
            rows.setdefault((r["options"], int(r["threads"]), r["tool"]), []).append(float(r["wall_s"]))
    return rows


def main(paths):
    if not paths:
        sys.exit(__doc__.strip())
    benches = [(p, load(p)) for p in paths]
    keys = sorted({(o, t) for _, b in benches for (o, t, tool) in b if tool == "coresift"})
    names = [p.rsplit("/", 1)[-1] for p in paths]
    print("| options | threads | " + " | ".join(names) + " | pooled coresift / makedumpfile (s) | pooled ratio |")
    print("|---|---:|" + "---:|" * len(names) + "---:|---:|")
    for opt, th in keys:
        cells, cs_all, md_all = [], [], []
        for _, b in benches:
            cs = b.get((opt, th, "coresift"), [])
            md = b.get((opt, 1, "makedumpfile"), [])
            cs_all += cs
            md_all += md
            cells.append(f"{statistics.median(cs) / statistics.median(md):.2f}" if cs and md else "-")
        if not cs_all or not md_all:
            continue
        c, m = statistics.median(cs_all), statistics.median(md_all)
        print(f"| `{opt}` | {th} | " + " | ".join(cells) + f" | {c:.3f} / {m:.3f} ({len(cs_all)} / {len(md_all)} runs) | {c / m:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
