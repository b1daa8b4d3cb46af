#!/usr/bin/env python3
"""bench.py: the measuring half of run-bench.sh (see README.md).

  bench.py check-truth TRUTH      print how much of the guest's memory was in use
  bench.py run ...                timed runs of coresift and makedumpfile, the -l -d 0 bound, the memory-cap
                                  rows, and the markdown report

Each run is one child process reaped with wait4(): wall time from a monotonic clock around it, CPU time =
ru_utime + ru_stime, peak RSS = ru_maxrss (the same rusage GNU time's %U %S %M print). Outputs go to a fresh
directory under --work that is deleted (and sync()ed) after every run, outside the timed part.
"""
import argparse
import datetime
import hashlib
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1 << 20
NOT_SUPPORTED = "not supported yet"


def log(msg):
    print(f"bench.py: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ inputs ----

def read_truth(path):
    """meminfo of the guest right before the dump, in KiB, from make-vmcore.sh's truth file."""
    mi = {}
    extra = {}
    if not path or not os.path.exists(path):
        return mi, extra
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"meminfo (\w+):\s+(\d+)", line)
            if m:
                mi[m.group(1)] = int(m.group(2))
            elif line.startswith(("uname ", "workload ")):
                k, _, v = line.rstrip("\n").partition(" ")
                extra[k] = v
    return mi, extra


def truth_summary(mi):
    """(in-use share, description) from meminfo; in use = MemTotal - MemFree."""
    if "MemTotal" not in mi:
        return None, "no truth file"
    tot = mi["MemTotal"]
    used = tot - mi.get("MemFree", 0)
    parts = [f"MemTotal {tot / 1024:.0f} MiB", f"MemFree {mi.get('MemFree', 0) / 1024:.0f} MiB"]
    for k in ("Cached", "Buffers", "Shmem", "AnonPages", "Slab"):
        if k in mi:
            parts.append(f"{k} {mi[k] / 1024:.0f} MiB")
    cache_anon = mi.get("Cached", 0) + mi.get("Buffers", 0) + mi.get("AnonPages", 0)
    parts.append(f"page cache + anonymous = {100 * cache_anon / tot:.0f}% of MemTotal")
    return used / tot, ", ".join(parts) + f"; in use {100 * used / tot:.0f}%"


def read_mdf_stats(path):
    """makedumpfile --show-stats block: {label: pages}."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"\s*(.+?)\s*:\s*0x([0-9a-fA-F]+)\s*$", line)
            if m:
                out[m.group(1)] = int(m.group(2), 16)
    return out


def tool_features(binary):
    """{'lzo': bool, 'snappy': bool, 'zstd': bool, 'version': str} from `TOOL -v`."""
    try:
        p = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=30)
        text = p.stdout + p.stderr
    except OSError as e:
        return {"version": f"cannot run: {e}"}
    feats = {"version": text.strip().splitlines()[0] if text.strip() else "?"}
    for name in ("lzo", "snappy", "zstd"):
        m = re.search(rf"^{name}\s+(enabled|disabled)", text, re.M)
        feats[name] = bool(m and m.group(1) == "enabled")
    return feats


def parse_codecbench(path, set_name):
    """{codec name: compress MB/s} for the vmcore's page set, from CodecBench's markdown table."""
    res = {}
    if not path or not os.path.exists(path):
        return res
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            # LZO rows only (CodecBench may time other formats too)
            if len(cells) >= 6 and cells[0] == set_name and cells[2].lower().startswith("lzo"):
                try:
                    res[cells[2]] = (float(cells[3]), int(cells[1]), float(cells[5]))
                except ValueError:
                    pass
    return res


# ------------------------------------------------------------------ running ----

class Run:
    def __init__(self, rc, wall, cpu, rss_kib, anon_kib, out_bytes, stderr_tail, digest=None):
        self.rc, self.wall, self.cpu, self.rss_kib, self.anon_kib = rc, wall, cpu, rss_kib, anon_kib
        self.out_bytes, self.stderr_tail, self.digest = out_bytes, stderr_tail, digest


def status_kib(pid, keys):
    """Sum of the given /proc/PID/status fields (KiB), or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return sum(int(l.split()[1]) for l in f if l.split(":")[0] in keys)
    except (OSError, ValueError, IndexError):
        return None


class AnonSampler(threading.Thread):
    """Samples a process's anonymous + shmem RSS (RssAnon + RssShmem) every 20 ms; keeps the peak.

    ru_maxrss also counts resident pages of a memory-mapped input file, which the kernel can drop at any time;
    this is the part that cannot be dropped. The main thread stays blocked in wait4(), so the wall time is exact.
    """

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            v = status_kib(self.pid, ("RssAnon", "RssShmem"))
            if v is None:
                break
            self.peak = max(self.peak, v)
            self.stop.wait(0.02)


def run_measured(cmd, log_dir, cgroup_procs=None):
    """Runs cmd; returns (exit status as a shell shows it, wall s, cpu s, maxrss KiB, sampled peak anon KiB)."""
    if cgroup_procs:
        # The shell joins the cgroup, then becomes the tool: its rusage is the tool's.
        cmd = ["sh", "-c", 'echo $$ > "$0" && exec "$@"', cgroup_procs] + cmd
    with open(os.path.join(log_dir, "stdout"), "wb") as so, open(os.path.join(log_dir, "stderr"), "wb") as se:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=so, stderr=se, stdin=subprocess.DEVNULL)
        sampler = AnonSampler(p.pid)
        sampler.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            # interrupted (Ctrl-C, SIGTERM): take the child along, then let the caller clean up
            p.kill()
            p.wait()
            raise
        wall = time.monotonic() - t0
        sampler.stop.set()
        sampler.join()
    code = os.waitstatus_to_exitcode(status)
    p.returncode = code
    rc = 128 - code if code < 0 else code
    return rc, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, sampler.peak


def stderr_tail(log_dir):
    text = ""
    for name in ("stderr", "stdout"):
        try:
            with open(os.path.join(log_dir, name), encoding="utf-8", errors="replace") as f:
                text += f.read()
        except OSError:
            pass
    # progress lines are redrawn with \r, and a message may follow one on the same line
    text = re.sub(r"[^\n\r]*\[\s*[\d.]+ %\][^\n\r]*?eta: (?:>100day|(?:\d+[dhms])+)", "\n", text)
    lines = [l.split("\r")[-1].strip() for l in text.splitlines()]
    lines = [l for l in lines if l]
    return lines


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(8 * MIB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def one_run(tool, binary, opts, vmcore, work, hash_output, cgroup_procs=None):
    d = tempfile.mkdtemp(prefix="run-", dir=work)
    try:
        out = os.path.join(d, "dumpfile")
        cmd = [binary] + opts + [vmcore, out]
        rc, wall, cpu, rss, anon = run_measured(cmd, d, cgroup_procs)
        size = os.path.getsize(out) if os.path.exists(out) else 0
        digest = sha256(out) if hash_output and rc == 0 and size else None
        return Run(rc, wall, cpu, rss, anon, size, stderr_tail(d), digest)
    finally:
        shutil.rmtree(d, ignore_errors=True)
        os.sync()


def classify_failure(run):
    msg = next((l for l in run.stderr_tail if NOT_SUPPORTED in l), None)
    if msg:
        return "not supported yet", msg
    last = next((l for l in reversed(run.stderr_tail) if "Failed" not in l), "")
    first_err = next((l for l in run.stderr_tail if l.startswith(("coresift:", "makedumpfile:")) or "rror" in l), last)
    return f"failed (exit {run.rc})", first_err


class Cell:
    """One tool on one option set and thread count."""

    def __init__(self, tool, args, fallback=None):
        self.tool, self.args = tool, args  # options before VMCORE OUT
        self.fallback = fallback  # options to use instead if these are "not supported yet"
        self.note = ""
        self.runs = []
        self.failures = []  # (exit status, message) of failed runs
        self.status = None  # None = measured; else why not (n/a, not supported yet)
        self.detail = ""
        self.warm_reads = []  # seconds of the untimed read pass (readpass read) just before each run

    @property
    def ok(self):
        return self.status is None and self.runs

    def med(self, attr):
        return statistics.median(getattr(r, attr) for r in self.runs)


def drop_file_cache(path):
    """Drops one file's clean pages from the page cache (the rest of the machine keeps its cache)."""
    os.sync()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def read_speed(path, passes=3):
    """Median seconds (and CPU seconds) to read the whole file with 1 MiB read()s; the file is in the page cache."""
    walls, cpus = [], []
    buf = bytearray(MIB)
    mv = memoryview(buf)
    for _ in range(passes):
        r0 = os.times()
        t0 = time.monotonic()
        fd = os.open(path, os.O_RDONLY)
        try:
            while os.readv(fd, [mv]) > 0:
                pass
        finally:
            os.close(fd)
        walls.append(time.monotonic() - t0)
        r1 = os.times()
        cpus.append((r1.user - r0.user) + (r1.system - r0.system))
    return statistics.median(walls), statistics.median(cpus)


READ_MODES = {"read": "read() in 1 MiB blocks", "mmap": "mmap(), every byte loaded"}


def build_readpass(work):
    """Compiles readpass.c (next to this file) into work/; None without gcc."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "readpass.c")
    out = os.path.join(work, "readpass")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out
    if not shutil.which("gcc"):
        return None
    p = subprocess.run(["gcc", "-O3", "-o", out, src], capture_output=True, text=True)
    if p.returncode != 0:
        log(f"readpass.c does not build: {p.stderr.strip()}")
        return None
    return out


def warm_input(path, work):
    """Reads the whole input once (not part of the run's time) so that every run starts from the same fully cached
    state; returns that pass's seconds as readpass measured it (None without readpass): the read half of the -l -d 0
    bound, measured right before the run it bounds."""
    helper = build_readpass(work)
    if helper:
        p = subprocess.run([helper, "read", path], capture_output=True, text=True)
        if p.returncode == 0:
            try:
                return float(p.stdout.split()[0])
            except (IndexError, ValueError):
                return None
    read_speed(path, passes=1)
    return None


def fresh_input(path, work):
    """Evicts the input from the page cache and reads it back sequentially (untimed), so that every run starts from
    the same state: cached in the large folios of a freshly read file. Without it the state drifted during the bench
    (DAMON here pages out memory it deems idle, and the parts read back piecemeal come in small folios): the input's
    FileHugePages fell from 8.4 to 7.5 GB over one bench, and `-l -d 0` through a mapping slowed by up to 50%."""
    drop_file_cache(path)
    warm_input(path, work)


def damon_pageout_note():
    """Describes a DAMON scheme that pages out cold memory (it evicts an idle input from the page cache), or None."""
    root = "/sys/kernel/mm/damon/admin/kdamonds"
    try:
        for kd in sorted(os.listdir(root)):
            ctx = os.path.join(root, kd, "contexts")
            if not kd.isdigit() or not os.path.isdir(ctx):
                continue
            if open(os.path.join(root, kd, "state")).read().strip() != "on":
                continue
            for c in (x for x in os.listdir(ctx) if x.isdigit()):
                schemes = os.path.join(ctx, c, "schemes")
                aggr = int(open(os.path.join(ctx, c, "monitoring_attrs/intervals/aggr_us")).read())
                for sc in (x for x in os.listdir(schemes) if x.isdigit()):
                    d = os.path.join(schemes, sc)
                    if open(os.path.join(d, "action")).read().strip() == "pageout":
                        age = int(open(os.path.join(d, "access_pattern/age/min")).read())
                        return f"DAMON pages out memory idle for about {age * aggr / 1e6:.0f} s"
    except (OSError, ValueError):
        return None
    return None


def read_passes(path, work, passes=3):
    """{mode: median seconds of one pass over the file} (readpass: read() and mmap; else Python read())."""
    helper = build_readpass(work)
    res = {}
    if helper:
        for mode in READ_MODES:
            ts = []
            for _ in range(passes):
                p = subprocess.run([helper, mode, path], capture_output=True, text=True)
                if p.returncode != 0:
                    log(f"readpass {mode} failed: {p.stderr.strip()}")
                    break
                ts.append(float(p.stdout.split()[0]))
            if len(ts) == passes:
                res[mode] = statistics.median(ts)
    if not res:
        res["python"] = read_speed(path, passes)[0]
    return res


# ------------------------------------------------------------------ cgroup ----

def swap_total():
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"^SwapTotal:\s+(\d+)", f.read(), re.M)
            return int(m.group(1)) if m else 0
    except OSError:
        return 0


class MemCgroup:
    """A memory-capped cgroup: v1 (memory.limit_in_bytes) or v2 (memory.max)."""

    NAME = "coresift-bench"

    def __init__(self, limit_bytes):
        self.limit = limit_bytes
        v1 = "/sys/fs/cgroup/memory"
        v2root = "/sys/fs/cgroup"
        if os.path.exists(os.path.join(v1, "memory.limit_in_bytes")):
            self.version, self.path = 1, os.path.join(v1, self.NAME)
        elif "memory" in self._read(os.path.join(v2root, "cgroup.controllers"), ""):
            self.version, self.path = 2, os.path.join(v2root, self.NAME)
            sub = os.path.join(v2root, "cgroup.subtree_control")
            if "memory" not in self._read(sub, ""):
                self._write(sub, "+memory")
        else:
            raise RuntimeError("no cgroup memory controller (neither v1 at /sys/fs/cgroup/memory nor v2)")
        if os.path.isdir(self.path):
            self.remove()
        os.mkdir(self.path)
        if self.version == 1:
            self._write("memory.limit_in_bytes", str(limit_bytes))
            self.memsw = swap_total() > 0 and os.path.exists(os.path.join(self.path, "memory.memsw.limit_in_bytes"))
            if self.memsw:
                # no escape to swap (only where there is swap: with memsw limited, this kernel's v1 stops
                # counting memory.failcnt)
                self._write("memory.memsw.limit_in_bytes", str(limit_bytes))
        else:
            self._write("memory.max", str(limit_bytes))
            if os.path.exists(os.path.join(self.path, "memory.swap.max")):
                self._write("memory.swap.max", "0")

    @staticmethod
    def _read(path, default=None):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            if default is None:
                raise
            return default

    def _write(self, name, value):
        path = name if name.startswith("/") else os.path.join(self.path, name)
        with open(path, "w") as f:
            f.write(value)

    def procs(self):
        return os.path.join(self.path, "cgroup.procs")

    def limit_file(self):
        return "memory.limit_in_bytes" if self.version == 1 else "memory.max"

    def oom_kills(self):
        f = "memory.oom_control" if self.version == 1 else "memory.events"
        m = re.search(r"^oom_kill (\d+)", self._read(os.path.join(self.path, f), ""), re.M)
        return int(m.group(1)) if m else 0

    def reset_peak(self):
        if self.version == 1:
            for f in ("memory.max_usage_in_bytes", "memory.failcnt", "memory.memsw.max_usage_in_bytes", "memory.memsw.failcnt"):
                try:
                    self._write(f, "0")
                except OSError:
                    pass
        else:
            try:
                self._write("memory.peak", "0")  # 6.12+: writing resets it
            except OSError:
                pass

    def peak(self):
        f = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        v = self._read(os.path.join(self.path, f), "").strip()
        return int(v) if v.isdigit() else None

    def failcnt(self):
        if self.version == 1:
            # With memsw limited as well, the memory+swap counter is charged first and takes the hits.
            vals = [self._read(os.path.join(self.path, f), "").strip() for f in ("memory.failcnt", "memory.memsw.failcnt")]
            vals = [int(v) for v in vals if v.isdigit()]
            return max(vals) if vals else None
        else:
            m = re.search(r"^max (\d+)", self._read(os.path.join(self.path, "memory.events"), ""), re.M)
            v = m.group(1) if m else ""
        return int(v) if v.isdigit() else None

    def remove(self):
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.1)
        log(f"could not remove {self.path}")


# ------------------------------------------------------------------ report helpers ----

def fmt_s(x):
    return "-" if x is None else (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def fmt_mib(kib):
    return "-" if kib is None else f"{kib / 1024:.1f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            cpu = m.group(1) if m else cpu
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"^MemTotal:\s+(\d+)", f.read(), re.M)
            mem = f"{int(m.group(1)) / MIB:.1f} GiB" if m else mem
    except OSError:
        pass
    return cpu, mem


def fs_of(path):
    try:
        p = subprocess.run(["df", "-PT", path], capture_output=True, text=True)
        f = p.stdout.splitlines()[1].split()
        return f"{f[1]} on {f[0]}"
    except (OSError, IndexError):
        return "?"


# ------------------------------------------------------------------ main ----

def cmd_check_truth(a):
    mi, extra = read_truth(a.truth)
    share, text = truth_summary(mi)
    print(f"guest memory: {text}")
    if share is not None and share < 0.7:
        print("WARNING: less than 70% of the guest's memory was in use at dump time")
        return 1
    return 0


def cmd_run(a):
    os.makedirs(a.work, exist_ok=True)
    threads = [int(t) for t in a.threads.split(",") if t.strip()]
    sets = [s.strip() for s in a.sets.split(";") if s.strip()]
    tools = [("coresift", a.coresift), ("makedumpfile", a.makedumpfile)]
    feats = {name: tool_features(b) for name, b in tools}
    vm_size = os.path.getsize(a.vmcore)
    vm_disk = os.stat(a.vmcore).st_blocks * 512
    st31, st1 = read_mdf_stats(a.mdf_d31), read_mdf_stats(a.mdf_d1)
    mi, extra = read_truth(a.truth)
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()

    # Room for the largest output (-d 1 writes every non-zero page) next to the input.
    free = shutil.disk_usage(a.work).free
    if free < vm_disk + 2 * 1024 * MIB:
        sys.exit(f"bench.py: need {(vm_disk >> 20) + 2048} MiB free under {a.work} for the outputs, have {free >> 20} MiB")

    # Start from a freshly read input: a file whose pages were evicted and read back piece by piece (DAMON here pages
    # out idle memory) sits in the page cache in small folios, which makes mapping it (and read()) markedly slower
    # (one mmap pass over this input: 0.34 s fresh, 0.55-0.60 s in that state). Evicting it first and reading it
    # sequentially gives both tools the same, reproducible state.
    log(f"evicting {a.vmcore} from the page cache, then reading it once ({vm_size >> 20} MiB, {vm_disk >> 20} MiB allocated)")
    fd = os.open(a.vmcore, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    read_speed(a.vmcore, passes=1)
    reads = read_passes(a.vmcore, a.work)
    read_mode = min(reads, key=reads.get)
    read_wall = reads[read_mode]
    log("read: " + ", ".join(f"{m} {t:.2f} s ({vm_size / t / 1e6:.0f} MB/s)" for m, t in reads.items()))

    cells = {}
    unexpected = []
    for opt in sets:
        opts = shlex.split(opt)
        need = "zstd" if "-z" in opts else "lzo" if "-l" in opts else "snappy" if "-p" in opts else None
        for th in threads:
            row = {}
            for name, b in tools:
                if name == "coresift":
                    # coresift's default is one thread per CPU: ask for the count explicitly. A build that does
                    # not know --num-threads is single-threaded, so the 1-thread row runs it without the option.
                    c = Cell(name, opts + ["--num-threads", str(th)], fallback=opts if th == 1 else None)
                else:
                    # makedumpfile's default is serial; --num-threads 1 would take its threaded path
                    c = Cell(name, opts + (["--num-threads", str(th)] if th > 1 else []))
                if need and not feats[name].get(need, False):
                    c.status = f"n/a (built without {need})"
                row[name] = c
            cells[(opt, th)] = row
            for i in range(a.runs):
                order = tools if i % 2 == 0 else tools[::-1]  # ABBA: neither tool always goes first
                for name, b in order:
                    c = row[name]
                    if c.status is not None:
                        continue
                    log(f"{opt} threads={th} run {i + 1}/{a.runs}: {name} {' '.join(c.args)}")
                    # Pages idle for a while may have left the page cache (see damon_pageout_note), and the parts
                    # read back come in small folios: every run starts from a freshly read input (fresh_input),
                    # then one more pass, timed, which is the read half of the -l -d 0 bound alongside the run.
                    if not a.warm_only:
                        fresh_input(a.vmcore, a.work)
                    warm = warm_input(a.vmcore, a.work)
                    if warm is not None:
                        c.warm_reads.append(warm)
                    r = one_run(name, b, c.args, a.vmcore, a.work, hash_output=(i == 0 and not a.no_hash))
                    if r.rc != 0 and c.fallback is not None and classify_failure(r)[0] == NOT_SUPPORTED:
                        c.note = f"`{' '.join(c.args)}` is not supported by this build; ran `{' '.join(c.fallback)}`"
                        c.args, c.fallback = c.fallback, None
                        log(f"  not supported yet; again as {name} {' '.join(c.args)}")
                        r = one_run(name, b, c.args, a.vmcore, a.work, hash_output=(i == 0 and not a.no_hash))
                    c.fallback = None
                    if r.rc != 0:
                        what, msg = classify_failure(r)
                        log(f"  {what}: {msg}")
                        if what == NOT_SUPPORTED:
                            c.status, c.detail = what, msg
                        else:
                            # Keep going: a flaky failure (makedumpfile 1.7.2's threads abort now and then) costs
                            # one sample, not the row.
                            c.failures.append((r.rc, msg))
                            if name == "coresift":
                                unexpected.append(f"{name} {' '.join(c.args)} run {i + 1}: {what}: {msg}")
                        continue
                    c.runs.append(r)
                    log(f"  {r.wall:.2f} s wall, {r.cpu:.2f} s CPU, {r.rss_kib / 1024:.1f} MiB RSS ({r.anon_kib / 1024:.1f} anon), {r.out_bytes >> 20} MiB out")

    # ---- memory cap ----
    cap_rows = []
    cap_note = ""
    if not a.no_cgroup:
        try:
            cg = MemCgroup(a.cgroup_mib * MIB)
        except (RuntimeError, OSError) as e:
            cg = None
            cap_note = f"not measured: {e}"
        if cg:
            try:
                opts = ["-l", "-d", "31"]
                for cache in ("warm", "cold"):
                    per_tool = {name: [] for name, _ in tools}
                    for i in range(a.runs):
                        order = tools if i % 2 == 0 else tools[::-1]
                        for name, b in order:
                            if cache == "cold":
                                drop_file_cache(a.vmcore)
                            cg.reset_peak()
                            oom0 = cg.oom_kills()
                            log(f"memory cap {a.cgroup_mib} MiB, -l -d 31, {cache} input, run {i + 1}/{a.runs}: {name}")
                            r = one_run(name, b, opts, a.vmcore, a.work, hash_output=False, cgroup_procs=cg.procs())
                            per_tool[name].append((r, cg.peak(), cg.failcnt(), cg.oom_kills() - oom0))
                            log(f"  exit {r.rc}, {r.wall:.2f} s, RSS {r.rss_kib / 1024:.1f} MiB, "
                                f"cgroup peak {(cg.peak() or 0) / MIB:.1f} MiB")
                    for name, _ in tools:
                        rs = per_tool[name]
                        cap_rows.append((name, cache, rs))
                        if any(r.rc != 0 for r, *_ in rs):
                            # A measurement (the cap is a goal of the cyclic engine), not a harness failure.
                            log(f"{name} -l -d 31 under a {a.cgroup_mib} MiB cap, {cache} input: "
                                f"exit codes {[r.rc for r, *_ in rs]}")
                cap_note = (f"cgroup v{cg.version} `{cg.path}`, `{cg.limit_file()}` = {a.cgroup_mib} MiB"
                            + (" (and memory.memsw.limit_in_bytes, so nothing escapes to swap)" if cg.version == 1 and cg.memsw
                               else "; the machine has no swap" if swap_total() == 0 else ""))
            finally:
                cg.remove()

    # ---- codec speed and the bound ----
    set_name = os.path.basename(a.vmcore)
    codec = parse_codecbench(a.codecbench, set_name)
    kept_codec = parse_codecbench(a.codecbench, "kept-d31.kdump")

    finished = datetime.datetime.now(datetime.timezone.utc)
    load1 = os.getloadavg()

    # ------------------------------------------------------------ report ----
    cpu_model, ram = machine_info()
    L = []
    w = L.append
    w("# coresift vs makedumpfile: benchmark results")
    w("")
    w(f"Made by `{a.command}` ({'quick smoke run' if a.runs == 1 else f'{a.runs} runs of each tool per row'}), "
      f"{started:%Y-%m-%d %H:%M} to {finished:%H:%M} UTC ({(finished - started).total_seconds() / 60:.0f} min). "
      "Harness: [tests/bench](../README.md).")
    w("")
    w("## Machine")
    w("")
    w(f"- {os.cpu_count()} CPUs ({cpu_model}), {ram} RAM, Linux {platform.release()}; outputs on {fs_of(a.work)}")
    w(f"- load average at start {load0[0]:.2f}, at end {load1[0]:.2f} (other work on the machine adds noise)")
    w(f"- coresift: `{feats['coresift'].get('version')}`, repository HEAD at run time {a.coresift_git}; "
      f"makedumpfile: `{feats['makedumpfile'].get('version')}` "
      f"(lzo {'yes' if feats['makedumpfile'].get('lzo') else 'no'}, zstd {'yes' if feats['makedumpfile'].get('zstd') else 'no'}, "
      f"snappy {'yes' if feats['makedumpfile'].get('snappy') else 'no'})")
    w("")
    w("## Input")
    w("")
    w(f"- {a.vmcore_desc}; benchmarked file: the makedumpfile-readable copy (program headers at 64), "
      f"{vm_size / MIB:.0f} MiB, {vm_disk / MIB:.0f} MiB allocated (zero blocks are holes)")
    if a.make_seconds:
        w(f"- making it took {a.make_seconds} s (QEMU TCG; cached under tests/bench/work/ and reused)")
    if extra:
        w(f"- guest: {extra.get('uname', '?')}, workload (MiB) {extra.get('workload', '?')}")
    share, text = truth_summary(mi)
    if share is not None:
        w(f"- guest memory at dump time (its /proc/meminfo): {text}")
    if st31:
        def pg(k, s=st31):
            v = s.get(k)
            return "?" if v is None else f"{v:,} ({v * 4096 / MIB:,.0f} MiB)"
        w(f"- makedumpfile `--dry-run --show-stats -d 31`: total pages {pg('Total pages')}, memory hole {pg('Memory Hole')}, "
          f"original {pg('Original pages')}")
        w(f"  - excluded at -d 31: zero {pg('Pages filled with zero')}, non-private cache {pg('Non-private cache pages')}, "
          f"private cache {pg('Private cache pages')}, user data {pg('User process data pages')}, free {pg('Free pages')}; "
          f"remaining {pg('Remaining pages')}")
        if st1:
            w(f"  - at -d 1: zero pages {pg('Pages filled with zero', st1)}, remaining {pg('Remaining pages', st1)}")
    damon = damon_pageout_note()
    w(f"- the input is read from the page cache (warm): "
      + ("before every run the harness evicts it (posix_fadvise DONTNEED) and reads it back sequentially, so that every run "
         "starts from the state of a freshly read file, cached in large folios (piecemeal re-reads leave small folios, which "
         "made one mmap pass 0.55-0.60 s instead of 0.34 s), then reads it once more (timed, see the bound); "
         if not a.warm_only else
         "the harness first evicts it (posix_fadvise DONTNEED) and reads it back sequentially, so that it is cached in large "
         "folios as a freshly read file is, then reads it once, untimed, before every run (`--warm-only`); ")
      + "it cannot drop caches without disturbing the rest of the machine. One pass over it takes "
      + ", ".join(f"{t:.2f} s with {READ_MODES.get(m, 'Python read()')} ({vm_size / t / 1e6:,.0f} MB/s)" for m, t in reads.items())
      + "." + (f" On this machine {damon} (/sys/kernel/mm/damon), which evicted parts of an idle input between "
               "runs before the harness warmed it before each run (the cause of earlier outliers such as an 18 s "
               "`-l -d 0` run)." if damon else ""))
    w("")
    w("## Results")
    w("")
    w("Medians over the runs; tools alternate run by run (ABBA). Threads 1 = makedumpfile without `--num-threads`, "
      "coresift with `--num-threads 1`; threads 2 = `--num-threads 2` for both. Wall = elapsed; CPU = user + system; "
      "RSS = peak resident set (`ru_maxrss`; it counts resident pages of a mmap()ed input file too, which the kernel "
      "can drop at any time); anon = peak of RssAnon + RssShmem from /proc/PID/status, sampled every 20 ms: the "
      "memory the tool really needs. "
      "Ratios are coresift / makedumpfile (below 1: coresift is better). "
      "Output = size of the dump file; *same* = the first run's outputs are byte-identical (sha256): expected "
      "for uncompressed dumps; compressed ones differ because the codec implementations do (coresift's own "
      "LZO1X-1, zlib level and stream handling), which a reader does not see.")
    w("")
    w("| options | threads | tool | runs | wall s | wall min-max | CPU s | peak RSS MiB | peak anon MiB | output MiB | wall ratio | CPU ratio | RSS ratio | anon ratio | same |")
    w("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for (opt, th), row in cells.items():
        cs, md = row["coresift"], row["makedumpfile"]
        for c in (cs, md):
            nruns = str(len(c.runs)) + (f" (+{len(c.failures)} failed)" if c.failures else "")
            if c.ok:
                walls = [r.wall for r in c.runs]
                cells_txt = [nruns, fmt_s(c.med("wall")), f"{fmt_s(min(walls))}-{fmt_s(max(walls))}",
                             fmt_s(c.med("cpu")), fmt_mib(c.med("rss_kib")), fmt_mib(c.med("anon_kib")),
                             f"{c.med('out_bytes') / MIB:,.1f}"]
            else:
                reason = c.status or ("failed" if c.failures else "not run")
                cells_txt = [nruns, reason, "", "", "", "", ""]
            if c is cs:
                if cs.ok and md.ok:
                    same = "-"
                    if cs.runs[0].digest and md.runs[0].digest:
                        same = "yes" if cs.runs[0].digest == md.runs[0].digest else "no"
                    rat = [ratio(cs.med("wall"), md.med("wall")), ratio(cs.med("cpu"), md.med("cpu")),
                           ratio(cs.med("rss_kib"), md.med("rss_kib")), ratio(cs.med("anon_kib"), md.med("anon_kib")), same]
                else:
                    rat = ["-", "-", "-", "-", "-"]
            else:
                rat = ["", "", "", "", ""]
            w(f"| `{opt}` | {th} | {c.tool} | " + " | ".join(cells_txt + rat) + " |")
    notes = [f"{c.tool} `{' '.join(c.args)}`: {c.detail}" for row in cells.values()
             for c in row.values() if c.status and c.detail]
    notes += [f"{c.tool}: {c.note}" for row in cells.values() for c in row.values() if c.note]
    if notes:
        w("")
        w("Rows not measured, or measured with other options (the harness measures them as asked as soon as the "
          "tool accepts the options):")
        w("")
        for n in notes:
            w(f"- {n}")
    fails = [(c, rc, msg) for row in cells.values() for c in row.values() for rc, msg in c.failures]
    if fails:
        w("")
        w("Failed runs (not in the medians):")
        w("")
        for c, rc, msg in fails:
            w(f"- {c.tool} `{' '.join(c.args)}`: exit {rc}: {msg}")

    # ---- bound ----
    w("")
    w("## Bound for `-l -d 0`")
    w("")
    w("The fastest a `-l -d 0` dump can be on this machine: read the input once plus LZO-compress every non-zero "
      "page, spread over the threads used. Zero pages are counted as free to compress, and writing the output "
      "as free, so the bound is optimistic (hard to reach).")
    w("")
    zero = st1.get("Pages filled with zero") if st1 else None
    orig = st1.get("Original pages") if st1 else None
    nonzero_bytes = (orig - zero) * 4096 if orig is not None and zero is not None else None
    w(f"- read: {read_wall:.2f} s for {vm_size / MIB:,.0f} MiB (warm page cache, {READ_MODES.get(read_mode, 'Python read()')}, "
      "median of 3; the faster of " + " and ".join(f"{READ_MODES.get(m, m)} {t:.2f} s" for m, t in reads.items())
      + ", tests/bench/readpass.c)")
    if nonzero_bytes is not None:
        w(f"- non-zero pages: {(orig - zero):,} ({nonzero_bytes / MIB:,.0f} MiB), from makedumpfile's -d 1 statistics")
    if codec and nonzero_bytes is not None:
        w(f"- LZO1X-1 compression speed on {next(iter(codec.values()))[1]:,} non-zero pages sampled from this vmcore "
          "(tests/bench/CodecBench, one thread, best of 3; JIT build of the same code coresift ships):")
        for name, (mbps, _, rat) in codec.items():
            w(f"  - {name}: {mbps:,.0f} MB/s, stored/input {rat:.3f}")
        cs_codec = next((v for k, v in codec.items() if "coresift" in k), None)
        native = next((v for k, v in codec.items() if "native" in k), None)
        w("")
        w("| threads | bound s (coresift's LZO) | bound s (liblzo2) | coresift -l -d 0 s | coresift / bound | makedumpfile -l -d 0 s | makedumpfile / bound (liblzo2) |")
        w("|---:|---:|---:|---:|---:|---:|---:|")
        def bound(read_s, codec_speed, th):
            """One read pass plus LZO on every non-zero page at codec_speed (MB/s, one thread), over th threads."""
            return read_s + nonzero_bytes / (codec_speed[0] * 1e6 * th) if codec_speed else None

        along = {}
        for th in threads:
            b_cs = bound(read_wall, cs_codec, th)
            b_nat = bound(read_wall, native, th)
            row = cells.get(("-l -d 0", th))
            cs_w = row["coresift"].med("wall") if row and row["coresift"].ok else None
            md_w = row["makedumpfile"].med("wall") if row and row["makedumpfile"].ok else None
            cs_txt = fmt_s(cs_w) if cs_w is not None else (row["coresift"].status if row else "not run")
            md_txt = fmt_s(md_w) if md_w is not None else (row["makedumpfile"].status if row else "not run")
            w(f"| {th} | {fmt_s(b_cs)} | {fmt_s(b_nat)} | {cs_txt} | {ratio(cs_w, b_cs)} | {md_txt} | {ratio(md_w, b_nat)} |")
            if row and row["coresift"].warm_reads and cs_codec:
                along[th] = (statistics.median(row["coresift"].warm_reads), len(row["coresift"].warm_reads), cs_w)
        w("")
        w("Target (issue): coresift's `-l -d 0` within 1.2x of its bound.")
        if along:
            # This machine's speed drifts by the hour (see the notes), and the read pass above ran minutes before the
            # -l -d 0 rows. The harness reads the input once before every run anyway (to warm it); timed, that pass is
            # the read half of the bound under the conditions of the run it precedes.
            w("")
            w("The same bound with its read half measured alongside the runs it bounds: the harness reads the whole input "
              "once (readpass read) right before every run, to warm it; the median of those passes before coresift's "
              "`-l -d 0` runs replaces the read time measured at the start (the LZO half is the same).")
            w("")
            w("| threads | read passes | read s (median) | bound s (coresift's LZO) | coresift -l -d 0 s | coresift / bound |")
            w("|---:|---:|---:|---:|---:|---:|")
            for th, (rd, n, cs_w) in along.items():
                b = bound(rd, cs_codec, th)
                w(f"| {th} | {n} | {rd:.2f} | {fmt_s(b)} | {fmt_s(cs_w)} | {ratio(cs_w, b)} |")
    else:
        w("- TODO: no LZO speed (tests/bench/CodecBench did not run, see tests/bench/work/codecbench*.{log,err}); "
          "the bound above is the read time only.")

    # ---- -l -d 31: LZO's share ----
    if kept_codec:
        pages = next(iter(kept_codec.values()))[1]
        kept_bytes = pages * 4096
        row = cells.get(("-l -d 31", 1))
        md_w = row["makedumpfile"].med("wall") if row and row["makedumpfile"].ok else None
        w("")
        w("## LZO's share of `-l -d 31`")
        w("")
        w(f"The {pages:,} non-zero pages a `-l -d 31` dump of this vmcore keeps ({kept_bytes / MIB:,.0f} MiB), decoded "
          "from such a dump and compressed one by one on one thread (tests/bench/CodecBench, best of 3, pages hot in "
          "the CPU cache, so this is the least LZO can take). Each tool must compress exactly these pages.")
        w("")
        w("| LZO1X-1 | MB/s | stored/input | seconds for the kept pages | share of makedumpfile's 1-thread wall |")
        w("|---|---:|---:|---:|---:|")
        for name, (mbps, _, rat) in kept_codec.items():
            secs = kept_bytes / (mbps * 1e6)
            w(f"| {name} | {mbps:,.0f} | {rat:.3f} | {secs:.3f} | {ratio(secs, md_w)} |")
        w("")
        w("Targets (issue): coresift's `-l -d 31` at most 0.5x of makedumpfile's 1-thread wall"
          + (f" ({0.5 * md_w:.3f} s)" if md_w else "") + ", and at most 0.3x with 2 threads"
          + (f" ({0.3 * md_w:.3f} s)" if md_w else "") + ". Compressing these pages on one thread is the row "
          "above; on two, at best half of it.")

    # ---- cap ----
    w("")
    w(f"## Under a {a.cgroup_mib} MiB memory cap (`-l -d 31`)")
    w("")
    if cap_rows:
        w(f"{cap_note}. Exit 137 = killed by the OOM killer. cgroup peak = the cgroup's high-water mark "
          "(`memory.max_usage_in_bytes`: anonymous memory plus page cache charged to it, e.g. the output's dirty pages); "
          "limit hits = the most `memory.failcnt` (v1: or `memory.memsw.failcnt`; v2: `max` in memory.events) of a run (charges that hit the limit and had to reclaim first; not an error by itself).")
        w("")
        w("| input | tool | runs | exit codes | OOM kills | wall s | peak RSS MiB | peak anon MiB | cgroup peak MiB | limit hits |")
        w("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
        for name, cache, rs in cap_rows:
            codes = ",".join(str(r.rc) for r, *_ in rs)
            ooms = sum(o for *_, o in rs)
            wall = statistics.median(r.wall for r, *_ in rs)
            rss = statistics.median(r.rss_kib for r, *_ in rs)
            anon = statistics.median(r.anon_kib for r, *_ in rs)
            peaks = [p for _, p, _, _ in rs if p is not None]
            fails = [f for _, _, f, _ in rs if f is not None]
            w(f"| {cache} | {name} | {len(rs)} | {codes} | {ooms} | {fmt_s(wall)} | {fmt_mib(rss)} | {fmt_mib(anon)} | "
              f"{fmt_mib(statistics.median(peaks) / 1024) if peaks else '-'} | {max(fails) if fails else '-'} |")
        w("")
        w("*warm*: the input is in the page cache, charged to the cgroup that read it first (not this one), so the "
          "cgroup peak is the tool's own memory plus the output's page cache. *cold*: the input's pages are dropped "
          "from the page cache before each run (`posix_fadvise(DONTNEED)` on that file only), so every page the "
          "tool reads is charged to the capped cgroup and must be reclaimed within the cap: harsher than a kdump "
          "kernel, where /proc/vmcore is not page cache. Medians; peak RSS includes resident pages of a mapped input.")
        if "cgroup v1" in cap_note:
            w("")
            w("This machine's memory controller is cgroup v1; the issue asks for cgroup v2 `memory.max`. The harness "
              "uses v2 (`memory.max`, `memory.peak`, `memory.events`) where the controller is there.")
    else:
        w(f"- {cap_note or 'skipped (--no-cgroup)'}")

    w("")
    w("## Reproduce")
    w("")
    w("```sh")
    w("./build.sh bench                       # publish out/coresift, then tests/bench/run-bench.sh")
    w(f"{a.command}")
    w("```")
    w("")
    w("Each timed command is `TOOL OPTIONS VMCORE OUT` with the options of its row and the thread count: "
      "makedumpfile gets `--num-threads N` for N > 1 (its default is serial, and `--num-threads 1` would take its "
      "threaded path); coresift always gets `--num-threads N` (its default is one thread per CPU), except that a "
      "build that does not accept the option runs the 1-thread rows without it. OUT is deleted after every run.")
    w("")

    os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
    with open(a.results, "w", encoding="utf-8") as f:
        f.write("\n".join(L))
    # raw numbers, one line per run
    raw = os.path.splitext(a.results)[0] + ".runs.tsv"
    with open(raw, "w", encoding="utf-8") as f:
        f.write("options\tthreads\ttool\trun\texit\twall_s\tcpu_s\tmaxrss_kib\tpeak_anon_kib\toutput_bytes\tsha256\n")
        for (opt, th), row in cells.items():
            for c in row.values():
                for i, r in enumerate(c.runs):
                    f.write(f"{opt}\t{th}\t{c.tool}\t{i + 1}\t{r.rc}\t{r.wall:.3f}\t{r.cpu:.3f}\t{r.rss_kib}\t{r.anon_kib}\t{r.out_bytes}\t{r.digest or ''}\n")
        for name, cache, rs in cap_rows:
            for i, (r, p, fc, o) in enumerate(rs):
                f.write(f"cap{a.cgroup_mib}M {cache} -l -d 31\t1\t{name}\t{i + 1}\t{r.rc}\t{r.wall:.3f}\t{r.cpu:.3f}\t{r.rss_kib}\t{r.anon_kib}\t{r.out_bytes}\t\n")
    log(f"wrote {a.results} and {raw}")
    print("\n".join(L))
    if unexpected:
        log("unexpected failures:\n  " + "\n  ".join(unexpected))
        return 1
    return 0


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    signal.signal(signal.SIGTERM, _terminate)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("check-truth")
    t.add_argument("truth", nargs="?")
    r = sub.add_parser("run")
    r.add_argument("--coresift", required=True)
    r.add_argument("--coresift-version", default="")
    r.add_argument("--coresift-git", default="")
    r.add_argument("--makedumpfile", default="/usr/bin/makedumpfile")
    r.add_argument("--vmcore", required=True)
    r.add_argument("--vmcore-desc", default="")
    r.add_argument("--truth")
    r.add_argument("--mdf-d31")
    r.add_argument("--mdf-d1")
    r.add_argument("--runs", type=int, default=5)
    r.add_argument("--threads", default="1,2")
    r.add_argument("--sets", default="-l -d 31;-c -d 31;-z -d 31;-l -d 0;-d 1")
    r.add_argument("--work", required=True)
    r.add_argument("--results", required=True)
    r.add_argument("--codecbench")
    r.add_argument("--make-seconds")
    r.add_argument("--cgroup-mib", type=int, default=96)
    r.add_argument("--no-cgroup", action="store_true")
    r.add_argument("--no-hash", action="store_true")
    r.add_argument("--warm-only", action="store_true",
                   help="before each run only read the input once (no eviction and sequential re-read first)")
    r.add_argument("--command", default="tests/bench/run-bench.sh")
    a = ap.parse_args()
    return cmd_check_truth(a) if a.cmd == "check-truth" else cmd_run(a)


if __name__ == "__main__":
    sys.exit(main())
