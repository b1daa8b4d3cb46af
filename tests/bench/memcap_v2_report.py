#!/usr/bin/env python3
"""memcap_v2_report.py: turns the MEMCAP-V2 console lines of memcap-v2.sh's guest into results/MEMCAP-V2.md.

Exit status 1 when a coresift run failed a check: exit code not 0, an OOM (memory.events oom or oom_kill), a
reported budget at or above the limit, or an output that differs from the host's run of the same binary.
makedumpfile's runs are reported, not checked.
"""
import argparse
import datetime
import re
import sys


def parse(path):
    info, runs, logs = {}, [], {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("MEMCAP-V2-INFO "):
                key, _, rest = line[len("MEMCAP-V2-INFO "):].partition(" ")
                info[key] = rest
            elif line.startswith("MEMCAP-V2-LOG "):
                m = re.match(r"MEMCAP-V2-LOG run=(\d+) (.*)$", line)
                if m:
                    logs.setdefault(int(m.group(1)), []).append(m.group(2))
            elif line.startswith("MEMCAP-V2 run="):
                runs.append(dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv))
    return info, runs, logs


def num(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def mib(v, scale=1):
    n = num(v)
    return "-" if n is None else f"{n * scale / 1048576:.1f}"


def log_value(lines, prefix):
    for l in lines:
        if l.startswith(prefix):
            return l[len(prefix):].strip()
    return None


def main():
    ap = argparse.ArgumentParser()
    for a in ("console", "results", "ref-sha", "mdf-ref-sha", "vmcore", "kernel", "mem", "smp", "threads",
              "coresift-version", "coresift-git", "makedumpfile-version", "vm-seconds", "command", "qemu-cmdline"):
        ap.add_argument("--" + a, default="")
    ap.add_argument("--cap", type=int, required=True)
    o = ap.parse_args()

    info, runs, logs = parse(o.console)
    cap = o.cap
    problems, notes = [], []
    rows = []
    kinds = {"leaf": "run's own", "parent": "parent only", "none": "none"}
    for r in runs:
        n = int(r["run"])
        tool, kind = r.get("tool"), r.get("kind")
        lines = logs.get(n, [])
        exit_code = num(r.get("exit"))
        budget = num(r.get("budget_kib"))
        oom, oom_kill = num(r.get("oom")) or 0, num(r.get("oom_kill")) or 0
        ref = o.ref_sha if tool == "coresift" else o.mdf_ref_sha
        sha = r.get("sha", "none")
        same = "yes" if sha == ref and ref not in ("", "-") else ("n/a" if ref in ("", "-") else "**no**")
        peak = r.get("limit_cg_peak_bytes") if kind == "parent" else r.get("peak_bytes")
        budget_src = log_value(lines, "memory budget:")
        gc = log_value(lines, "GC heap limit:")
        inp = log_value(lines, "input        :")
        rows.append((n, tool, kind, r, exit_code, budget, oom, oom_kill, same, peak))
        label = f"run {n} ({tool}, limit on {kinds.get(kind, kind)}, {r.get('mode')})"
        if tool == "coresift":
            if exit_code != 0:
                problems.append(f"{label}: exit {r.get('exit')}")
            if oom or oom_kill:
                problems.append(f"{label}: memory.events oom {oom}, oom_kill {oom_kill}")
            if kind != "none":
                if budget is None:
                    problems.append(f"{label}: no 'memory budget:' line")
                elif budget * 1024 >= cap:
                    problems.append(f"{label}: budget {budget} KiB is not under the {cap >> 10} KiB limit ({budget_src})")
                elif "cgroup v2 memory.max" not in (budget_src or ""):
                    problems.append(f"{label}: the budget does not come from cgroup v2 memory.max ({budget_src})")
            if same != "yes":
                problems.append(f"{label}: output sha256 {sha} differs from the host's {ref}")
        else:
            if exit_code != 0 or oom_kill:
                notes.append(f"{label}: exit {r.get('exit')}, oom_kill {oom_kill}")
            if same == "**no**":
                notes.append(f"{label}: output differs from makedumpfile's on the host")
        r["_budget_src"], r["_gc"], r["_input"] = budget_src, gc, inp

    expected_cs = [r for r in runs if r.get("tool") == "coresift"]
    if not expected_cs:
        problems.append("no coresift runs in the console log")

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = []
    w = out.append
    w("# coresift under a cgroup v2 memory.max (QEMU guest)")
    w("")
    w(f"Made by `{o.command}` on {now}; the guest ran {o.vm_seconds} s. Harness: [tests/bench](../README.md) "
      "(`memcap-v2.sh`, guest `/init`: `memcap-v2-init.sh`).")
    w("")
    w("The issue: *under a cgroup v2 `memory.max` of 96 MiB, an 8 GiB vmcore dumps with `-l -d 31` without OOM, and "
      "the reported budget stays under the limit; show peak RSS.* The build host has cgroup v1 only, so this runs "
      "in a QEMU guest whose kernel mounts cgroup2 with the memory controller.")
    w("")
    w("## Setup")
    w("")
    w(f"- guest: Debian kernel {info.get('kernel', o.kernel)}, {o.mem} RAM (MemTotal {mib(info.get('memtotal_kib'), 1024)} MiB), "
      f"{info.get('cpus', o.smp)} vCPUs, accelerator {info.get('accel', '?')}, no swap (SwapTotal {info.get('swap', '?')}); "
      "busybox initramfs (tests/vm/lib.sh) with the static coresift binary"
      + (" and makedumpfile with the libraries `ldd` lists" if o.makedumpfile_version else ""))
    w(f"- input: `{o.vmcore}` attached read-only as a raw virtio disk; the guest reads the block device "
      f"`{info.get('input', '?').split()[0] if info.get('input') else '?'}` ({info.get('input', '?')}); "
      "through the guest's page cache, which is charged to the reading cgroup")
    w(f"- outputs: ext4 on a second virtio disk ({info.get('output', '?')}), not tmpfs (shmem would be charged to the "
      "cgroup as the tool's memory); each output is hashed in the guest (sha256) and deleted")
    w(f"- cgroup v2: `{info.get('cgroup2', '?')}`; `+memory` in `/sys/fs/cgroup/cgroup.subtree_control` and in "
      "`/sys/fs/cgroup/coresift/cgroup.subtree_control`; each run gets a fresh child `/sys/fs/cgroup/coresift/run-N` "
      f"with `memory.max` = {cap} ({cap >> 20} MiB) and `memory.swap.max` = 0, so `memory.peak` and "
      "`memory.events` are the run's own. The tool joins it through "
      "`sh -c 'echo $$ > run-N/cgroup.procs && exec runpeak OUT TOOL ...'`: `tests/bench/runpeak.c` forks the "
      "tool, samples its RssAnon every 20 ms and reaps it with `wait4()` (the tool's own `ru_maxrss`; busybox "
      "1.35's `time -f %M` prints 4x `ru_maxrss`, so it is not used).")
    w("  - *limit on parent only*: `memory.max` on `/sys/fs/cgroup/coresift/parent-N`, the tool in its child "
      "`parent-N/run` whose own `memory.max` is `max` (how a limit set on a slice looks from a service in it)")
    w("  - *none*: a child without a limit, where the budget comes from MemAvailable; it also leaves the pages it "
      "read in the page cache for the warm runs (still charged to its removed cgroup, not to the next run's)")
    w("- *cold*: `sync; echo 3 > /proc/sys/vm/drop_caches` (from init, outside the cgroup) before the run: every input "
      "page the tool reads is charged to its cgroup and must be reclaimed inside the cap. *warm*: the input's pages "
      "are still cached from the previous, unlimited run (charged to that run's removed cgroup, not to the new one). "
      "init holds the input disk open throughout: the kernel drops a block device's page cache when its last "
      "opener closes it, which would make every run cold. The host's own page cache may serve the virtio reads "
      "either way: the times are not disk times.")
    w(f"- coresift: `{o.coresift_version}`, repository HEAD {o.coresift_git}; options `-l -d 31 --num-threads {o.threads} "
      "--message-level 31`")
    if o.makedumpfile_version:
        w(f"- makedumpfile: `{o.makedumpfile_version}`, `-l -d 31` (serial: its default)")
    w(f"- host reference: the same coresift binary on the host, no limit, same options, on the vmcore file: sha256 "
      f"`{o.ref_sha}`" + (f"; makedumpfile on the host: `{o.mdf_ref_sha}`" if o.makedumpfile_version else ""))
    w("")
    w("## Results")
    w("")
    w("budget = what coresift's `memory budget:` line reports (KiB; its source is listed below the table). "
      "memory.peak = the cgroup's high-water mark (anonymous memory plus page cache charged to it: input pages read, "
      "the output's dirty pages). max events = `max` in memory.events (charges that hit the limit and reclaimed "
      "first: not an error by itself). peak RSS = `ru_maxrss`. peak anon = RssAnon sampled every 20 ms. identical = "
      "the output's sha256 equals the host reference's.")
    w("")
    w("| run | tool | limit on | cache | exit | budget KiB | memory.peak MiB | max events | oom | oom_kill | "
      "peak RSS MiB | peak anon MiB | wall s | output bytes | identical |")
    w("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, tool, kind, r, exit_code, budget, oom, oom_kill, same, peak in rows:
        w(f"| {n} | {tool} | {kinds.get(kind, kind)} | {r.get('mode')} | {r.get('exit')} | "
          f"{r.get('budget_kib', '-')} | {mib(peak)} | {r.get('max_events', '-')} | {oom} | {oom_kill} | "
          f"{mib(r.get('hwm_kib'), 1024)} | {mib(r.get('anon_kib'), 1024)} | {r.get('wall_s', '-')} | "
          f"{int(r.get('size', 0)):,} | {same} |")
    w("")
    cs = [x for x in rows if x[1] == "coresift" and x[2] == "leaf"]
    if cs:
        hw = [num(x[3].get("hwm_kib")) or 0 for x in cs]
        pk = [num(x[9]) or 0 for x in cs]
        w(f"coresift under its own 96 MiB `memory.max` ({len(cs)} runs): peak RSS {min(hw) / 1024:.1f}-{max(hw) / 1024:.1f} MiB, "
          f"cgroup memory.peak {min(pk) / 1048576:.1f}-{max(pk) / 1048576:.1f} MiB, limit {cap / 1048576:.0f} MiB.")
        w("")
    def med(xs):
        xs = sorted(x for x in xs if x is not None)
        if not xs:
            return None
        k = len(xs) // 2
        return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2

    def fnum(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    for mode in ("cold", "warm"):
        sel = [x for x in cs if x[3].get("mode") == mode]
        if not sel:
            continue
        wall = med([fnum(x[3].get("wall_s")) for x in sel])
        events = med([num(x[3].get("max_events")) for x in sel])
        peakm = med([num(x[9]) for x in sel])
        anon = med([num(x[3].get("anon_kib")) for x in sel])
        w(f"- {mode} ({len(sel)} runs), medians: wall {wall:.2f} s, memory.peak {peakm / 1048576:.1f} MiB, "
          f"max events {events:g}, peak anon {anon / 1024:.1f} MiB")
    w("")
    w("memory.peak counts page cache too: the input's pages read through the block device (cold runs) and the "
      "output's pages. Where it equals the limit, the cgroup was full and the kernel reclaimed clean page cache "
      "inside it (the max events) instead of failing: the tool's own memory is the peak RSS / peak anon column. "
      "The input is a block device, read with `pread` (the runtime maps only files whose `st_size` is non-zero, and "
      "under this budget coresift would not map an 8 GiB input anyway: 16 MiB of page tables), so RSS holds none of "
      "its pages; on the cgroup v1 host (`results/RESULTS.md`) the file is mapped and RSS includes mapped input pages.")
    w("")
    w("Budget lines coresift printed (`--message-level 31`):")
    w("")
    for n, tool, kind, r, *_ in rows:
        if tool != "coresift":
            continue
        w(f"- run {n} ({kinds.get(kind, kind)}, {r.get('mode')}): `memory budget: {r['_budget_src']}`; "
          f"`GC heap limit: {r['_gc']}`; `input: {r['_input']}`")
    w("")
    w("## Checks")
    w("")
    if problems:
        for p in problems:
            w(f"- FAILED: {p}")
    else:
        w("- every coresift run exited 0, with no OOM event, a budget under the limit taken from cgroup v2 "
          "`memory.max` (where one was set), and an output byte-identical to the host's")
    for p in notes:
        w(f"- makedumpfile (not checked): {p}")
    w("")
    w("## Reproduce")
    w("")
    w("```")
    w("./build.sh publish")
    w(o.command)
    w("```")
    w("")
    w("or `./build.sh bench memcap-v2 [options]` (publishes, then runs the script). Root, QEMU (TCG), about 3 "
      "minutes on 2 CPUs; without `--vmcore`, the 8 GiB vmcore `run-bench.sh --prepare` makes (once, ~5 minutes).")
    w("")
    w("QEMU command line:")
    w("")
    w("```")
    w(o.qemu_cmdline.strip())
    w("```")
    w("")
    with open(o.results, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    for p in problems:
        print(f"memcap-v2: FAILED: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
