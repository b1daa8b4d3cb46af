#!/usr/bin/env python3
"""An independent reader of kdump-compressed and ELF dump files, for the reliability tests.

    dumpcheck.py DUMPFILE [VMCORE]

Prints one line of key=value fields:

  format      kdump | elf | short (the file is too short to hold a header) | unknown
  incomplete  1 when the dump says it is incomplete (kdump status 0x08, ELF e_flags bit 0), else 0
  dumpable    kdump: pages set in the 2nd bitmap; ELF: pages the program headers promise
  written     pages whose data is in the file (kdump: a descriptor with an offset; ELF: whole page inside the file)
  lost        dumpable - written
  verified    written pages equal to the same page of VMCORE (when given)
  mismatch    written pages that differ from VMCORE or cannot be decoded
  error       why the file could not be read (only when it could not)

Exit status: 0 when the file is readable (every written page decodes and, with VMCORE, equals it), else 1.
Written from the format description in the project's notes (no code of other readers); LZO pages are
decoded with liblzo2 through ctypes when it is installed (else they are only bounds-checked).
"""
import ctypes
import ctypes.util
import mmap
import re
import struct
import sys
import zlib

PAGE = 4096


def lzo_decoder():
    name = ctypes.util.find_library("lzo2") or "liblzo2.so.2"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    fn = lib.lzo1x_decompress_safe
    fn.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.POINTER(ctypes.c_ulong), ctypes.c_void_p]
    fn.restype = ctypes.c_int

    def decode(data):
        out = ctypes.create_string_buffer(PAGE)
        n = ctypes.c_ulong(PAGE)
        rc = fn(data, len(data), out, ctypes.byref(n), None)
        return out.raw[: n.value] if rc == 0 else None

    return decode


class Vmcore:
    """Physical pages of an ELF64 vmcore (PT_LOAD file bytes)."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.m = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        m = self.m
        if m[:4] != b"\x7fELF" or m[4] != 2:
            raise ValueError("not an ELF64 vmcore")
        phoff, = struct.unpack_from("<Q", m, 32)
        phentsize, phnum = struct.unpack_from("<HH", m, 54)
        self.loads = []
        for i in range(phnum):
            p_type, _flags, off, _va, pa, filesz, _memsz, _al = struct.unpack_from("<IIQQQQQQ", m, phoff + i * phentsize)
            if p_type == 1:
                self.loads.append((pa, pa + filesz, off))

    def page(self, pfn):
        pa = pfn * PAGE
        for start, end, off in self.loads:
            if start <= pa and pa + PAGE <= end:
                o = off + pa - start
                return self.m[o : o + PAGE]
        return None


def check_kdump(m, size, vm, out):
    if size < 464:
        out["format"] = "short"
        out["error"] = "no complete header"
        return False
    status, block, sub_blocks, bitmap_blocks, mapnr32 = struct.unpack_from("<IiiII", m, 424)
    out["incomplete"] = 1 if status & 0x08 else 0
    if block != PAGE or sub_blocks < 1 or bitmap_blocks < 2:
        out["error"] = f"bad header (block {block}, sub {sub_blocks}, bitmaps {bitmap_blocks})"
        return False
    maxmapnr = mapnr32
    if size >= block + 104:
        version, = struct.unpack_from("<i", m, 8)
        if version >= 6:
            maxmapnr, = struct.unpack_from("<Q", m, block + 96)
    half = bitmap_blocks * block // 2
    bm1 = (1 + sub_blocks) * block
    bm2 = bm1 + half
    descs = bm2 + half
    if size < descs:
        out["dumpable"] = out["written"] = out["lost"] = 0
        out["error"] = "bitmaps cut short"
        return False
    second = m[bm2 : bm2 + half]
    lzo = lzo_decoder()
    dumpable = written = verified = mismatch = 0
    first_bad = None
    idx = 0
    for run in re.finditer(rb"[^\x00]+", second):  # only the non-zero bytes (bitmaps of sparse machines are huge)
      for byte_i in range(run.start(), run.end()):
        byte = second[byte_i]
        for bit in range(8):
            if not (byte >> bit) & 1:
                continue
            pfn = byte_i * 8 + bit
            if pfn >= maxmapnr:
                continue
            dumpable += 1
            at = descs + idx * 24
            idx += 1
            if at + 24 > size:
                continue
            offset, dsize, flags, _pf = struct.unpack_from("<qIIQ", m, at)
            if offset == 0:
                continue  # lost page of an incomplete dump
            written += 1
            ok = 0 < dsize <= block and offset > 0 and offset + dsize <= size
            data = m[offset : offset + dsize] if ok else None
            page = None
            if ok:
                try:
                    if flags & 0x01:
                        page = zlib.decompress(data)
                    elif flags & 0x02:
                        page = lzo(data) if lzo else b"?"
                    elif flags & (0x04 | 0x20):
                        page = b"?"  # snappy/zstd: bounds checked only
                    else:
                        page = data if dsize == block else None
                except zlib.error:
                    page = None
            if page is None or (page != b"?" and len(page) != block):
                mismatch += 1
                first_bad = first_bad or f"pfn {pfn:#x} does not decode"
                continue
            if vm is not None and page != b"?":
                src = vm.page(pfn)
                if src is not None and src == page:
                    verified += 1
                elif src is not None:
                    mismatch += 1
                    first_bad = first_bad or f"pfn {pfn:#x} differs from the vmcore"
    out.update(dumpable=dumpable, written=written, lost=dumpable - written, verified=verified, mismatch=mismatch)
    if first_bad:
        out["error"] = first_bad
    return mismatch == 0


def check_elf(m, size, vm, out):
    if size < 64:
        out["format"] = "short"
        out["error"] = "no complete ELF header"
        return False
    e_flags, = struct.unpack_from("<I", m, 48)
    out["incomplete"] = e_flags & 1
    phoff, = struct.unpack_from("<Q", m, 32)
    phentsize, phnum = struct.unpack_from("<HH", m, 54)
    if phnum == 0xFFFF:
        shoff, = struct.unpack_from("<Q", m, 40)
        phnum, = struct.unpack_from("<I", m, shoff + 44)
    if phoff + phnum * phentsize > size:
        out["error"] = "program headers cut short"
        return False
    dumpable = written = verified = mismatch = 0
    first_bad = None
    for i in range(phnum):
        p_type, _fl, off, _va, pa, filesz, _memsz, _al = struct.unpack_from("<IIQQQQQQ", m, phoff + i * phentsize)
        if p_type != 1:
            continue
        first = (pa + PAGE - 1) // PAGE
        for pfn in range(first, (pa + filesz) // PAGE):
            dumpable += 1
            o = off + pfn * PAGE - pa
            if o + PAGE > size:
                continue
            written += 1
            if vm is not None:
                src = vm.page(pfn)
                if src is None:
                    continue
                if m[o : o + PAGE] == src:
                    verified += 1
                else:
                    mismatch += 1
                    first_bad = first_bad or f"pfn {pfn:#x} differs from the vmcore"
    out.update(dumpable=dumpable, written=written, lost=dumpable - written, verified=verified, mismatch=mismatch)
    if first_bad:
        out["error"] = first_bad
    return mismatch == 0


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    vm = Vmcore(sys.argv[2]) if len(sys.argv) == 3 else None
    out = {"format": "unknown", "incomplete": 0}
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        if size == 0:
            out["format"] = "short"
            out["error"] = "empty file"
            ok = False
        else:
            # read(), not mmap: a hole of a file on a full tmpfs faults with SIGBUS when mapped
            f.seek(0)
            m = f.read()
            if m[:8] in (b"KDUMP   ", b"DISKDUMP"):
                out["format"] = "kdump"
                ok = check_kdump(m, size, vm, out)
            elif m[:4] == b"\x7fELF":
                out["format"] = "elf"
                ok = check_elf(m, size, vm, out)
            else:
                out["format"] = "short" if size < 8 else "unknown"
                out["error"] = "no kdump or ELF signature"
                ok = False
    print(" ".join(f"{k}={str(v).replace(' ', '_')}" for k, v in out.items()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
