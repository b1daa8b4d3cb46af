#!/usr/bin/env python3
"""Host-side helpers for make-vmcore.sh (standard library only).

  vmtool.py qmp-dump SOCKET OUTFILE TIMEOUT_S
      Connect to a QEMU QMP unix socket, run dump-guest-memory
      (paging=false, ELF, protocol file:OUTFILE, detached), poll query-dump
      until it completes, then ask QEMU to quit.
  vmtool.py qmp-quit SOCKET
      Ask QEMU to quit (best effort).
  vmtool.py info FILE
      Print a summary of an ELF vmcore (header, program headers, notes,
      a few VMCOREINFO keys). Exit 1 if it is not a usable x86-64 ELF core
      or it has no VMCOREINFO note.
  vmtool.py phoff64 FILE
      Rewrite FILE's ELF header IN PLACE so that the program header table
      sits at offset 64 (e_phoff=64, e_ehsize=64, no section headers).
      Notes and data keep their offsets. Used on a *copy* of QEMU 7.2's
      output for tools that assume e_phoff == 64 (makedumpfile 1.7.2).
"""
import json
import os
import socket
import struct
import sys
import time

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")   # Elf64_Ehdr, 64 bytes
PHDR = struct.Struct("<IIQQQQQQ")          # Elf64_Phdr, 56 bytes
PT_LOAD, PT_NOTE = 1, 4


def die(msg):
    print(f"vmtool: {msg}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- QMP ----
class Qmp:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            die(f"unexpected QMP greeting: {greeting}")
        self.cmd("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read()
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise RuntimeError(f"QMP {name} failed: {r['error']}")
            return r.get("return")


def qmp_dump(sock_path, out, timeout, extra=""):
    """ELF dump to out; extra is "kdump-zlib=PATH,kdump-lzo=PATH,..." for more
    dumps of the same (stopped) guest in QEMU's kdump-compressed formats."""
    q = Qmp(sock_path, 30)
    q.cmd("stop")   # every dump sees the same memory
    _one_dump(q, out, "elf", timeout)
    available = set()
    if extra:
        caps = q.cmd("query-dump-guest-memory-capability") or {}
        available = set(caps.get("formats", []))
    for item in filter(None, extra.split(",")):
        fmt, _, path = item.partition("=")
        if fmt not in available:
            print(f"vmtool: this QEMU cannot write {fmt}: skipped", file=sys.stderr)
            continue
        _one_dump(q, path, fmt, timeout)
    try:
        q.cmd("quit")
    except (ConnectionError, OSError):
        pass


def _one_dump(q, out, fmt, timeout):
    deadline = time.monotonic() + timeout
    t0 = time.monotonic()
    q.cmd("dump-guest-memory", paging=False, protocol="file:" + out,
          detach=True, format=fmt)
    last = None
    while True:
        st = q.cmd("query-dump")
        status = st.get("status")
        if status != last:
            print(f"vmtool: dump status {status} "
                  f"({st.get('completed', 0)}/{st.get('total', 0)} bytes)",
                  file=sys.stderr)
            last = status
        if status == "completed":
            break
        if status == "failed":
            die("dump-guest-memory reported status 'failed'")
        if time.monotonic() > deadline:
            die(f"dump did not complete within {timeout} s (status {status})")
        time.sleep(0.5)
    print(f"vmtool: {fmt} dump completed in {time.monotonic() - t0:.1f} s",
          file=sys.stderr)


def qmp_quit(sock_path):
    try:
        Qmp(sock_path, 5).cmd("quit")
    except Exception:   # best effort: QEMU may already be gone
        pass


# ---------------------------------------------------------------- ELF ----
def read_elf(f):
    f.seek(0)
    raw = f.read(EHDR.size)
    if len(raw) < EHDR.size or raw[:4] != b"\x7fELF":
        die("not an ELF file")
    eh = list(EHDR.unpack(raw))
    ident, etype, machine = eh[0], eh[1], eh[2]
    if ident[4] != 2 or ident[5] != 1:
        die("not a little-endian ELF64 file")
    if etype != 4 or machine != 62:
        die(f"not an x86-64 core file (e_type={etype} e_machine={machine})")
    phoff, phentsize, phnum = eh[5], eh[9], eh[10]
    if phentsize != PHDR.size or phnum == 0 or phnum == 0xFFFF:
        die(f"unsupported program header table (entsize={phentsize} num={phnum})")
    f.seek(phoff)
    tbl = f.read(phentsize * phnum)
    if len(tbl) != phentsize * phnum:
        die("truncated program header table")
    phdrs = [PHDR.unpack_from(tbl, i * PHDR.size) for i in range(phnum)]
    return eh, phdrs


def parse_notes(data):
    notes, off = [], 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, off)
        off += 12
        name = data[off:off + namesz].rstrip(b"\0").decode("ascii", "replace")
        off += (namesz + 3) & ~3
        desc = data[off:off + descsz]
        off += (descsz + 3) & ~3
        notes.append((name, ntype, desc))
    return notes


def info(path):
    with open(path, "rb") as f:
        eh, phdrs = read_elf(f)
        size = os.fstat(f.fileno()).st_size
        print(f"file {path} size {size}")
        print(f"e_phoff {eh[5]} e_shoff {eh[6]} e_ehsize {eh[8]} "
              f"e_phnum {eh[10]} e_shnum {eh[12]}")
        vmcoreinfo = None
        nloads, mem = 0, 0
        for (ptype, flags, off, vaddr, paddr, filesz, memsz, align) in phdrs:
            kind = {PT_LOAD: "LOAD", PT_NOTE: "NOTE"}.get(ptype, str(ptype))
            print(f"  {kind:4} off 0x{off:x} vaddr 0x{vaddr:x} paddr 0x{paddr:x}"
                  f" filesz 0x{filesz:x} memsz 0x{memsz:x}")
            if off + filesz > size:
                die(f"segment at 0x{off:x}+0x{filesz:x} extends past end of file")
            if ptype == PT_LOAD:
                nloads += 1
                mem += memsz
            if ptype == PT_NOTE:
                f.seek(off)
                for name, ntype, desc in parse_notes(f.read(filesz)):
                    print(f"    note {name} type {ntype} size {len(desc)}")
                    if name == "VMCOREINFO":
                        vmcoreinfo = desc.decode("ascii", "replace")
        print(f"loads {nloads} memory {mem} bytes")
        if vmcoreinfo is None:
            die("no VMCOREINFO note (was qemu_fw_cfg loaded in the guest?)")
        for line in vmcoreinfo.splitlines():
            key = line.split("=", 1)[0]
            if key in ("OSRELEASE", "PAGESIZE", "KERNELOFFSET",
                       "NUMBER(pgtable_l5_enabled)", "NUMBER(phys_base)",
                       "CRASHTIME"):
                print(f"vmcoreinfo {line}")


def phoff64(path):
    with open(path, "r+b") as f:
        eh, phdrs = read_elf(f)
        phoff, phnum = eh[5], eh[10]
        new_end = EHDR.size + phnum * PHDR.size
        first_data = min((p[2] for p in phdrs if p[5] > 0), default=None)
        if first_data is not None and new_end > first_data:
            die(f"program headers ({phnum}) do not fit before the first "
                f"segment at offset {first_data}")
        old_end = phoff + phnum * PHDR.size
        # Everything from 64 up to the end of the old table becomes free:
        # zero it (section headers are dropped), then write the table at 64.
        clear_end = max(new_end, old_end)
        if first_data is not None:
            clear_end = min(clear_end, first_data)
        f.seek(EHDR.size)
        f.write(b"\0" * (clear_end - EHDR.size))
        f.seek(EHDR.size)
        for p in phdrs:
            f.write(PHDR.pack(*p))
        eh[5] = EHDR.size   # e_phoff
        eh[6] = 0           # e_shoff
        eh[8] = EHDR.size   # e_ehsize
        eh[11] = 0          # e_shentsize
        eh[12] = 0          # e_shnum
        eh[13] = 0          # e_shstrndx
        f.seek(0)
        f.write(EHDR.pack(*eh))
    print(f"vmtool: {path}: program headers moved from {phoff} to 64 "
          f"({phnum} entries)", file=sys.stderr)


def main(argv):
    if len(argv) in (5, 6) and argv[1] == "qmp-dump":
        qmp_dump(argv[2], argv[3], float(argv[4]), argv[5] if len(argv) == 6 else "")
    elif len(argv) == 3 and argv[1] == "qmp-quit":
        qmp_quit(argv[2])
    elif len(argv) == 3 and argv[1] == "info":
        info(argv[2])
    elif len(argv) == 3 and argv[1] == "phoff64":
        phoff64(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (OSError, RuntimeError, ConnectionError) as e:
        die(str(e))
