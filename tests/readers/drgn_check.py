#!/usr/bin/python3
"""Checks that drgn can read a kernel crash dump: kernel release, tasks, printk log, memory counters.

Usage: drgn_check.py DUMPFILE [VMLINUX]

Exit codes: 0 = every check passed, 1 = a check failed (a FaultError or another read error),
2 = usage error or drgn not installed, 4 = drgn cannot read this format at all (makedumpfile's
flattened format, -F: neither drgn 0.0.22 nor its libkdumpfile 0.5.1 reads it; rearrange it with -R first).

Run it with Debian's /usr/bin/python3 (python3-drgn installs drgn there; a pyenv or venv python3 may not see it).
One line per check goes to stdout, "drgn: OK ..." or "drgn: FAIL ..." last.
"""

import os
import struct
import sys
import traceback

# Debian's python3-drgn is for /usr/bin/python3; when a different interpreter runs this, look there too.
if "/usr/lib/python3/dist-packages" not in sys.path:
    sys.path.append("/usr/lib/python3/dist-packages")

try:
    import drgn
    from drgn import FaultError
    from drgn.helpers.linux.pid import for_each_task
    from drgn.helpers.linux.printk import get_printk_records
except ImportError as e:  # pragma: no cover
    print(f"drgn: cannot import drgn ({e}); install python3-drgn and run with /usr/bin/python3")
    sys.exit(2)


def elf_has_no_kernel_vaddr(path):
    """True when path is an ELF core none of whose PT_LOADs carries a kernel virtual address.

    QEMU's dump-guest-memory (paging=false) writes such files: p_vaddr equals p_paddr (0 for the first
    segment). drgn's own ELF reader cannot translate kernel addresses in them ("recursive address
    translation; page table may be missing from core dump"); libkdumpfile can
    (DRGN_USE_LIBKDUMPFILE_FOR_ELF=1). Real /proc/vmcore copies carry kernel virtual addresses.
    """
    with open(path, "rb") as f:
        ident = f.read(64)
        if len(ident) < 64 or ident[:4] != b"\x7fELF" or ident[4] != 2:
            return False
        e_phoff, = struct.unpack_from("<Q", ident, 32)
        e_phentsize, e_phnum = struct.unpack_from("<HH", ident, 54)
        f.seek(e_phoff)
        table = f.read(e_phentsize * e_phnum)
    loads = 0
    for i in range(e_phnum):
        p_type, = struct.unpack_from("<I", table, i * e_phentsize)
        if p_type != 1:  # PT_LOAD
            continue
        loads += 1
        p_vaddr, = struct.unpack_from("<Q", table, i * e_phentsize + 16)
        if p_vaddr >= 0xFFFF800000000000:
            return False
    return loads > 0


def file_format(path):
    with open(path, "rb") as f:
        magic = f.read(16)
    if magic.startswith(b"\x7fELF"):
        return "elf"
    if magic.startswith(b"KDUMP   "):
        return "kdump"
    if magic.startswith(b"makedumpfile"):
        return "flattened"
    return "unknown"


def main(argv):
    if len(argv) < 2 or len(argv) > 3:
        print(__doc__.strip().splitlines()[2])
        return 2
    dump = argv[1]
    vmlinux = argv[2] if len(argv) == 3 else None
    failures = []

    fmt = file_format(dump)
    reader = "libkdumpfile" if fmt == "kdump" else "drgn-elf"
    if fmt == "elf" and "DRGN_USE_LIBKDUMPFILE_FOR_ELF" not in os.environ and elf_has_no_kernel_vaddr(dump):
        os.environ["DRGN_USE_LIBKDUMPFILE_FOR_ELF"] = "1"
    if fmt == "elf" and os.environ.get("DRGN_USE_LIBKDUMPFILE_FOR_ELF") == "1":
        reader = "libkdumpfile"
    print(f"drgn: version {drgn.__version__}, format {fmt}, reader {reader}")
    if fmt == "flattened":
        print(f"drgn: skipped: drgn {drgn.__version__} cannot read the flattened format (-F); rearrange it with -R first")
        return 4

    prog = drgn.Program()
    try:
        prog.set_core_dump(dump)
    except Exception as e:
        print(f"drgn: FAIL set_core_dump: {type(e).__name__}: {e}")
        return 1
    try:
        if vmlinux:
            prog.load_debug_info([vmlinux])
        else:
            prog.load_default_debug_info()
    except drgn.MissingDebugInfoError as e:
        # Missing module debug info is normal (only vmlinux is given); missing vmlinux is not.
        text = str(e)
        if "kernel" in text.split("\n")[0] and "vmlinux" not in (vmlinux or ""):
            print(f"drgn: FAIL debug info: {text.splitlines()[0]}")
            return 1
        print(f"drgn: note: {text.splitlines()[0]}")
    except Exception as e:
        print(f"drgn: FAIL load_debug_info: {type(e).__name__}: {e}")
        return 1

    def check(name, fn):
        try:
            result = fn()
            print(f"drgn: {name}: {result}")
            return result
        except FaultError as e:
            failures.append(f"{name}: FaultError: {e}")
        except Exception as e:
            failures.append(f"{name}: {type(e).__name__}: {e}")
            if os.environ.get("DRGN_CHECK_TRACE"):
                traceback.print_exc()
        print(f"drgn: {name}: FAILED ({failures[-1]})")
        return None

    # Kernel identity.
    release = check("uts release", lambda: prog["init_uts_ns"].name.release.string_().decode())
    check("uts version", lambda: prog["init_uts_ns"].name.version.string_().decode())
    check("uts machine", lambda: prog["init_uts_ns"].name.machine.string_().decode())
    if release and vmlinux and os.path.basename(vmlinux).startswith("vmlinux-"):
        expected = os.path.basename(vmlinux)[len("vmlinux-"):]
        if release != expected:
            failures.append(f"uts release {release!r} does not match {os.path.basename(vmlinux)}")
            print(f"drgn: uts release mismatch: dump {release}, vmlinux {expected}")

    # Tasks: walk the whole task list and read each task's pid and comm.
    def tasks():
        n = 0
        kthreads = 0
        pids = set()
        for task in for_each_task(prog):
            pid = int(task.pid)
            comm = task.comm.string_().decode(errors="replace")
            pids.add(pid)
            if not task.mm:
                kthreads += 1
            n += 1
            if not comm:
                raise ValueError(f"task pid {pid} has an empty comm")
        if n == 0:
            raise ValueError("no tasks")
        if 1 not in pids:
            raise ValueError("pid 1 not found")
        return f"{n} (kernel threads {kthreads}, user {n - kthreads})"

    check("tasks", tasks)

    # The printk ring buffer.
    def printk():
        records = get_printk_records(prog)
        if not records:
            raise ValueError("no printk records")
        last = records[-1]
        text = last.text.decode(errors="replace").rstrip()
        return f"{len(records)} records, last [{last.timestamp / 1e9:12.6f}] {text[:100]}"

    check("printk", printk)

    # Memory counters: the global zone counter, the per-zone counters, total RAM.
    def free_pages():
        idx = prog["NR_FREE_PAGES"].value_()
        total = int(prog["vm_zone_stat"][idx].counter)
        try:
            node_data = prog["node_data"]
            pgdats = [node_data[i] for i in range(node_data.type_.length) if node_data[i]]
        except KeyError:  # a kernel without NUMA
            pgdats = [prog["contig_page_data"].address_of_()]
        zones = 0
        zone_sum = 0
        for p in pgdats:
            for z in range(int(p.nr_zones)):
                zones += 1
                zone_sum += int(p.node_zones[z].vm_stat[idx].counter)
        return f"vm_zone_stat {total}, sum over {zones} zones of {len(pgdats)} node(s) {zone_sum}"

    check("free pages", free_pages)

    def totalram():
        return int(prog["_totalram_pages"].counter)

    check("totalram pages", totalram)

    if failures:
        print(f"drgn: FAIL {len(failures)} check(s): {failures[0]}")
        return 1
    print(f"drgn: OK {release}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
