#!/usr/bin/python3
"""Counts a kernel crash dump's pages by category, independently of coresift: drgn and the kernel's DWARF.

Usage: drgn_count.py VMCORE [VMLINUX]

drgn reads the dump; every struct page of every present memory section is read in bulk (one prog.read per
section) and decoded in Python at offsets taken from the vmlinux's DWARF (struct page, struct folio), with flag
numbers from the kernel's own enums (enum pageflags, enum pagetype, enum compound_dtor_id). Nothing comes from
VMCOREINFO's offsets, and no code is shared with coresift. Each page is classified by the kernel's own
definitions:

  free           PageBuddy (the page type of that kernel generation), order page->private: 2^order pages
  user           anonymous (folio->mapping & PAGE_MAPPING_ANON, KSM included), not slab nor another typed page;
                 or a hugetlb folio. Every page of a large folio counts (order from the folio).
  cache          on an LRU (PG_lru) or in the swap cache (PG_swapcache with PG_swapbacked), not anonymous,
                 without PG_private
  cache_private  the same, with PG_private
  hwpoison, offline, slab, kernel_typed (page tables, guard, zsmalloc), unaccepted: reported, never user.
Tail pages are decided by their head (the folio).

Categories are exclusive and tested in that order (free, cache, cache_private, user, hwpoison, offline), the
order of makedumpfile's dump levels, so the figures compare one to one with its report (and coresift's).

The main figures count only pfns whose bytes are in the dump file: for an ELF core, the pfns in
[p_paddr >> 12, (p_paddr + p_filesz) >> 12) of some PT_LOAD; that is what makedumpfile and coresift can
exclude. A buddy block or a folio that reaches outside those ranges counts only its pages inside them.
"unfiltered" holds the same counts over every pfn with a struct page (it differs on a /proc/vmcore copy only
if a category reaches into the crash kernel's reserved range, which it cannot). For a kdump-compressed input
every pfn counts.

The kernel's own free-page counter is printed too: kernel_free_counter is the sum over every zone of every
online node of zone->vm_stat[NR_FREE_PAGES]; kernel_free_counter_exact adds the per-CPU deltas not yet
folded into it (per_cpu_zonestats->vm_stat_diff), which is what zone_page_state_snapshot() returns. Pages
on the per-CPU free lists (pcp_free) are in neither, nor are they PageBuddy: the kernel counts them as
allocated until they go back to the buddy allocator.

Output: one JSON object on stdout, for example
{"release": "6.1.0-56-amd64", "format": "elf", "free": 7282, "user": 1579, "cache": 3393, "cache_private": 1034,
 "kernel_free_counter": 7282, "kernel_free_counter_exact": 7282, "pages_walked": 32768, ...}

Exit codes: 0 = counted, 1 = drgn could not read the dump or its page structs, 2 = usage error or drgn
not installed. Run it with Debian's /usr/bin/python3 (python3-drgn installs drgn there).
"""

import json
import os
import struct
import sys
import time

if "/usr/lib/python3/dist-packages" not in sys.path:
    sys.path.append("/usr/lib/python3/dist-packages")

try:
    import drgn
    from drgn import FaultError
except ImportError as e:  # pragma: no cover
    print(json.dumps({"error": f"cannot import drgn ({e}); install python3-drgn and run with /usr/bin/python3"}))
    sys.exit(2)

# Macros are not in the DWARF of a Debian kernel (built without -g3); these are the kernel's values.
PAGE_MAPPING_ANON = 0x1          # include/linux/page-flags.h, every version
# 4.18-6.8 page types: a type clears its bit in page_type, which is otherwise 0xffffffff (or a mapcount).
# include/linux/page-flags.h of 6.1: PAGE_TYPE_BASE 0xf0000000, PG_buddy 0x80, PG_offline 0x100,
# PG_table 0x200, PG_guard 0x400. Used only when the kernel has no enum pagetype.
OLD_PAGE_TYPE_BASE = 0xF0000000
OLD_PAGE_TYPES = {"buddy": 0x80, "offline": 0x100, "table": 0x200, "guard": 0x400}
# arch/x86/include/asm/sparsemem.h: SECTION_SIZE_BITS 27 on x86_64; used when the kernel's own
# vmcoreinfo note (read from its memory) does not give it.
DEFAULT_SECTION_SIZE_BITS = 27

# Category codes in the per-pfn map.
NONE, KEPT, FREE, CACHE, CACHE_PRIVATE, USER, HWPOISON, OFFLINE, SLAB, KTYPED, UNACCEPTED, ORPHAN_TAIL = range(12)
NAMES = {
    KEPT: "kept", FREE: "free", CACHE: "cache", CACHE_PRIVATE: "cache_private", USER: "user",
    HWPOISON: "hwpoison", OFFLINE: "offline", SLAB: "slab", KTYPED: "kernel_typed",
    UNACCEPTED: "unaccepted", ORPHAN_TAIL: "orphan_tail",
}


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


def elf_loads(path):
    """The PT_LOADs of an ELF64 core as (p_paddr, p_filesz, p_vaddr); PN_XNUM is honoured."""
    with open(path, "rb") as f:
        eh = f.read(64)
        if len(eh) < 64 or eh[4] != 2:
            raise ValueError("only ELF64 cores are supported")
        e_phoff, e_shoff = struct.unpack_from("<QQ", eh, 32)
        e_phentsize, e_phnum = struct.unpack_from("<HH", eh, 54)
        if e_phnum == 0xFFFF and e_shoff:  # PN_XNUM: the real count is section 0's sh_info
            f.seek(e_shoff + 44)
            e_phnum, = struct.unpack("<I", f.read(4))
        f.seek(e_phoff)
        table = f.read(e_phentsize * e_phnum)
    loads = []
    for i in range(e_phnum):
        p_type, = struct.unpack_from("<I", table, i * e_phentsize)
        if p_type != 1:
            continue
        _, _, _, p_vaddr, p_paddr, p_filesz, p_memsz = struct.unpack_from("<IIQQQQQ", table, i * e_phentsize)
        loads.append((p_paddr, p_filesz, p_memsz, p_vaddr))
    return loads


def os_release(path):
    """OSRELEASE=... from the first 16 MiB of the file (the VMCOREINFO note), or None."""
    with open(path, "rb") as f:
        data = f.read(16 << 20)
    i = data.find(b"OSRELEASE=")
    if i < 0:
        return None
    end = i + len("OSRELEASE=")
    while end < len(data) and 0x20 < data[end] < 0x7F:
        end += 1
    return data[i + len("OSRELEASE="):end].decode()


def constant(prog, name):
    """The value of an enumerator (or integer object) named name in the kernel's DWARF, or None."""
    try:
        return prog[name].value_()
    except (KeyError, LookupError):
        return None


def has_member(type_, name):
    try:
        type_.member(name)
        return True
    except LookupError:
        return False


class Layout:
    """struct page field offsets and flag numbers of this kernel, all from its DWARF."""

    def __init__(self, prog):
        page = prog.type("struct page")
        self.size = page.size
        off = lambda t, m: drgn.offsetof(t, m)
        self.flags = off(page, "flags")
        self.compound_head = off(page, "compound_head")
        self.mapping = off(page, "mapping")
        self.private = off(page, "private")
        self.page_type = off(page, "page_type") if has_member(page, "page_type") else off(page, "_mapcount")

        self.pg = {}
        for name in ("PG_lru", "PG_head", "PG_private", "PG_swapcache", "PG_swapbacked", "PG_hwpoison",
                     "PG_slab", "PG_hugetlb", "PG_reserved"):
            v = constant(prog, name)
            if v is not None:
                self.pg[name] = v
        for required in ("PG_lru", "PG_head", "PG_private", "PG_swapbacked"):
            if required not in self.pg:
                raise LookupError(f"enum pageflags has no {required}")

        # Page types. 6.12+: enum pagetype, the type number in page_type's top byte.
        self.top_byte_types = {}
        try:
            for e in prog.type("enum pagetype").enumerators:
                if e.name.startswith("PGTY_"):
                    self.top_byte_types[e.name[5:]] = e.value
        except LookupError:
            pass
        self.top_byte = "buddy" in self.top_byte_types

        # Compound (folio) order and hugetlb, by generation, from the members that exist.
        folio = None
        try:
            folio = prog.type("struct folio")
        except LookupError:
            pass
        self.order_at = None       # (offset from the head struct page, "u8" or "flags_low_byte")
        if folio is not None and has_member(folio, "_folio_order"):
            self.order_at = (off(folio, "_folio_order"), "u8")                  # 6.1 - 6.5
        elif folio is not None and has_member(folio, "_flags_1"):
            self.order_at = (off(folio, "_flags_1"), "flags_low_byte")          # 6.6+: folio->_flags_1 & 0xff
        elif has_member(page, "compound_order"):
            self.order_at = (self.size + off(page, "compound_order"), "u8")     # page[1].compound_order
        if self.order_at is None:
            raise LookupError("cannot find where this kernel keeps a compound page's order")

        self.hugetlb_how = None
        if "hugetlb" in self.top_byte_types:
            self.hugetlb_how = ("type", self.top_byte_types["hugetlb"])        # 6.12: PGTY_hugetlb on the head
        elif folio is not None and has_member(folio, "_folio_dtor") and constant(prog, "HUGETLB_PAGE_DTOR") is not None:
            self.hugetlb_how = ("dtor", off(folio, "_folio_dtor"), constant(prog, "HUGETLB_PAGE_DTOR"))  # 6.1-6.5
        elif has_member(page, "compound_dtor") and constant(prog, "HUGETLB_PAGE_DTOR") is not None:
            self.hugetlb_how = ("dtor", self.size + off(page, "compound_dtor"), constant(prog, "HUGETLB_PAGE_DTOR"))
        elif "PG_hugetlb" in self.pg and folio is not None and has_member(folio, "_flags_1"):
            self.hugetlb_how = ("flag1", off(folio, "_flags_1"), self.pg["PG_hugetlb"])  # 6.6-6.8
        # else: 6.9-6.11 (PG_hugetlb as an old-style page type, a macro): hugetlb pages are not recognised.

        self.nr_orders = prog.type("struct zone").member("free_area").type.length

    def describe(self):
        return {
            "struct_page_size": self.size,
            "offsets": {"flags": self.flags, "compound_head": self.compound_head, "mapping": self.mapping,
                        "private": self.private, "page_type": self.page_type},
            "pageflags": self.pg,
            "page_type_scheme": "top-byte (enum pagetype)" if self.top_byte else "cleared-bit (PAGE_TYPE_BASE)",
            "order": list(self.order_at),
            "hugetlb": list(self.hugetlb_how) if self.hugetlb_how else None,
            "nr_page_orders": self.nr_orders,
        }


def kernel_free_counters(prog):
    """(sum of zone vm_stat[NR_FREE_PAGES], the same plus per-CPU deltas, pages on per-CPU free lists, zones)."""
    from drgn.helpers.linux.cpumask import for_each_possible_cpu
    from drgn.helpers.linux.percpu import per_cpu_ptr

    idx = constant(prog, "NR_FREE_PAGES")
    try:
        node_data = prog["node_data"]
        from drgn.helpers.linux.nodemask import for_each_online_node
        pgdats = [node_data[n] for n in for_each_online_node(prog) if node_data[n]]
    except KeyError:  # no NUMA
        pgdats = [prog["contig_page_data"].address_of_()]
    cpus = list(for_each_possible_cpu(prog))
    total = exact = pcp = 0
    zones = []
    span_end = 0
    for pgdat in pgdats:
        node_zones = pgdat.node_zones
        for z in range(len(node_zones)):
            zone = node_zones[z]
            spanned = int(zone.spanned_pages)
            if spanned:
                span_end = max(span_end, int(zone.zone_start_pfn) + spanned)
            counter = int(zone.vm_stat[idx].counter)
            diff = 0
            zone_pcp = 0
            if int(zone.present_pages):
                if has_member(zone.type_, "per_cpu_zonestats"):
                    for cpu in cpus:
                        diff += int(per_cpu_ptr(zone.per_cpu_zonestats, cpu).vm_stat_diff[idx])
                for cpu in cpus:
                    zone_pcp += int(per_cpu_ptr(zone.per_cpu_pageset, cpu).count)
            total += counter
            exact += counter + diff
            pcp += zone_pcp
            if spanned:
                zones.append({"node": int(pgdat.node_id), "zone": zone.name.string_().decode(),
                              "start_pfn": int(zone.zone_start_pfn), "spanned": spanned,
                              "present": int(zone.present_pages), "nr_free_pages": counter,
                              "pcp_diff": diff, "pcp_free": zone_pcp})
    return total, exact, pcp, zones, span_end


def section_size_bits(prog):
    """SECTION_SIZE_BITS as the kernel exports it in its own vmcoreinfo note (read from its memory)."""
    try:
        data = prog.read(prog["vmcoreinfo_data"].value_(), prog["vmcoreinfo_size"].value_())
        for line in data.split(b"\n"):
            if line.startswith(b"NUMBER(SECTION_SIZE_BITS)="):
                return int(line.split(b"=", 1)[1], 0), "vmcoreinfo_data"
    except (KeyError, LookupError, FaultError, ValueError):
        pass
    return DEFAULT_SECTION_SIZE_BITS, "x86_64 default"


def present_sections(prog, layout, end_pfn):
    """(first pfn, pfn count, address of the first struct page) of every section with a mem_map, up to end_pfn."""
    page_shift = constant(prog, "PAGE_SHIFT") or 12
    page_size = 1 << page_shift
    bits, _ = section_size_bits(prog)
    pfn_shift = bits - page_shift
    per_section = 1 << pfn_shift
    ms_type = prog.type("struct mem_section")
    ms_size = ms_type.size
    off_map = drgn.offsetof(ms_type, "section_mem_map")
    has_map_bit = constant(prog, "SECTION_HAS_MEM_MAP_BIT")
    has_map = 1 << (has_map_bit if has_map_bit is not None else 1)
    last_bit = constant(prog, "SECTION_MAP_LAST_BIT")
    map_mask = ~((1 << (last_bit if last_bit is not None else 2)) - 1) & 0xFFFFFFFFFFFFFFFF

    nr = (end_pfn + per_section - 1) >> pfn_shift
    ms = prog["mem_section"]
    if ms.type_.kind == drgn.TypeKind.POINTER:     # SPARSEMEM_EXTREME: struct mem_section **
        per_root = page_size // ms_size
        nroots = (nr + per_root - 1) // per_root
        roots = struct.unpack(f"<{nroots}Q", prog.read(ms.value_(), 8 * nroots))
    else:                                           # static: struct mem_section [NR_SECTION_ROOTS][SECTIONS_PER_ROOT]
        per_root = ms.type_.type.length
        base = ms.address_
        roots = [base + r * per_root * ms_size for r in range(min(ms.type_.length, (nr + per_root - 1) // per_root))]
    out = []
    for r, root in enumerate(roots):
        if not root:
            continue
        count = min(per_root, nr - r * per_root)
        blob = prog.read(root, count * ms_size)
        for i in range(count):
            smm, = struct.unpack_from("<Q", blob, i * ms_size + off_map)
            if not smm & has_map:
                continue
            pnum = r * per_root + i
            start = pnum << pfn_shift
            # The encoded mem_map is mem_map - start_pfn (sparse_encode_mem_map): page(pfn) = it + pfn.
            out.append((start, per_section, (smm & map_mask) + start * layout.size))
    return out, bits


def count_pages(prog, layout, sections):
    """Classifies every readable struct page; returns the per-pfn category map and walk statistics."""
    size = layout.size
    F, CH, MP, PR, PT = layout.flags, layout.compound_head, layout.mapping, layout.private, layout.page_type
    u64 = struct.Struct("<Q").unpack_from
    u32 = struct.Struct("<I").unpack_from
    pg = layout.pg
    lru = 1 << pg["PG_lru"]
    head_bit = 1 << pg["PG_head"]
    private_bit = 1 << pg["PG_private"]
    swapbacked = 1 << pg["PG_swapbacked"]
    swapcache = 1 << pg["PG_swapcache"] if "PG_swapcache" in pg else 0
    hwpoison = 1 << pg["PG_hwpoison"] if "PG_hwpoison" in pg else 0
    slab_flag = 1 << pg["PG_slab"] if "PG_slab" in pg else 0
    order_off, order_kind = layout.order_at
    hug = layout.hugetlb_how
    nr_orders = layout.nr_orders

    if layout.top_byte:
        T = layout.top_byte_types
        t_buddy, t_offline, t_slab = T.get("buddy"), T.get("offline"), T.get("slab")
        t_unaccepted = T.get("unaccepted")

        def page_type_of(pt):
            # page_type_has_type(): (int)page_type < (int)(PGTY_mapcount_underflow << 24)
            if 0x80000000 <= pt < 0xFF000000:
                return pt >> 24
            return None
    else:
        base = OLD_PAGE_TYPE_BASE
        old = OLD_PAGE_TYPES

        def page_type_of(pt):
            # PageType(page, flag): (page_type & (PAGE_TYPE_BASE | flag)) == PAGE_TYPE_BASE
            for name, bit in old.items():
                if pt & (base | bit) == base:
                    return name
            return None
        t_buddy, t_offline, t_slab, t_unaccepted = "buddy", "offline", None, None

    end = max(s + n for s, n, _ in sections) if sections else 0
    cls = bytearray(end + (1 << nr_orders))  # room for a run that starts near the end
    stats = {"pages_walked": 0, "unreadable_structs": 0, "bad_buddy_order": 0, "misaligned_folio": 0,
             "sections": len(sections), "large_folios": 0}
    skip_to = 0

    for start, count, addr in sections:
        try:
            blobs = [(start, count, prog.read(addr, count * size))]
        except FaultError:
            # Read what can be read, one page of struct pages at a time; the rest is not walked.
            blobs = []
            step = max(1, 4096 // size)
            for p in range(0, count, step):
                n = min(step, count - p)
                try:
                    blobs.append((start + p, n, prog.read(addr + p * size, n * size)))
                except FaultError:
                    stats["unreadable_structs"] += n
        for bstart, bcount, buf in blobs:
            stats["pages_walked"] += bcount
            pfn = max(bstart, skip_to)
            bend = bstart + bcount
            while pfn < bend:
                o = (pfn - bstart) * size
                if u64(buf, o + CH)[0] & 1:
                    # A tail page whose head did not claim it (the head was unreadable or not a head).
                    cls[pfn] = ORPHAN_TAIL
                    pfn += 1
                    continue
                flags = u64(buf, o + F)[0]
                ptype = page_type_of(u32(buf, o + PT)[0])
                if ptype is not None and ptype == t_buddy:
                    order = u64(buf, o + PR)[0]
                    if order >= nr_orders:
                        stats["bad_buddy_order"] += 1
                        cls[pfn] = KEPT
                        pfn += 1
                        continue
                    n = 1 << order
                    cls[pfn:pfn + n] = bytes([FREE]) * n
                    pfn += n
                    continue
                if ptype is not None and ptype == t_unaccepted:
                    n = 1 << (nr_orders - 1)      # one MAX_PAGE_ORDER block per typed page
                    cls[pfn:pfn + n] = bytes([UNACCEPTED]) * n
                    pfn += n
                    continue
                n = 1
                hugetlb = False
                if flags & head_bit:
                    # Large folio: order (and hugetlb) from the first tail page, in the same section buffer.
                    if o + 2 * size <= len(buf):
                        if order_kind == "u8":
                            order = buf[o + order_off]
                        else:
                            order = u64(buf, o + order_off)[0] & 0xFF
                        if order and pfn & ((1 << order) - 1) == 0:
                            n = 1 << order
                            stats["large_folios"] += 1
                        elif order:
                            stats["misaligned_folio"] += 1
                        if hug:
                            if hug[0] == "type":
                                hugetlb = ptype == hug[1]
                            elif hug[0] == "dtor":
                                hugetlb = buf[o + hug[1]] == hug[2]
                            else:
                                hugetlb = bool(u64(buf, o + hug[1])[0] & (1 << hug[2]))
                    elif hug and hug[0] == "type":
                        hugetlb = ptype == hug[1]
                slab = bool(flags & slab_flag) or (ptype is not None and ptype == t_slab)
                typed = ptype is not None and not (hug and hug[0] == "type" and ptype == hug[1])
                anon = bool(u64(buf, o + MP)[0] & PAGE_MAPPING_ANON) and not slab and not typed
                cache = bool(flags & lru) or (bool(flags & swapcache) and bool(flags & swapbacked))
                if cache and not anon:
                    c = CACHE_PRIVATE if flags & private_bit else CACHE
                elif anon or hugetlb:
                    c = USER
                elif flags & hwpoison:
                    c, n = HWPOISON, 1
                elif ptype is not None and ptype == t_offline:
                    c, n = OFFLINE, 1
                elif slab:
                    c = SLAB
                elif typed:
                    c = KTYPED
                else:
                    c = KEPT
                if n == 1:
                    cls[pfn] = c
                else:
                    cls[pfn:pfn + n] = bytes([c]) * n
                pfn += n
            skip_to = max(skip_to, pfn)
    return cls, stats


def counts(cls):
    return {name: cls.count(code) for code, name in NAMES.items()}


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) not in (1, 2):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    t0 = time.monotonic()
    dump = args[0]
    fmt = file_format(dump)
    if fmt not in ("elf", "kdump"):
        print(json.dumps({"error": f"{dump}: format {fmt} is not readable by drgn"}))
        return 2
    loads = elf_loads(dump) if fmt == "elf" else None
    if fmt == "elf" and "DRGN_USE_LIBKDUMPFILE_FOR_ELF" not in os.environ \
            and loads and all(v < 0xFFFF800000000000 for _, _, _, v in loads):
        # QEMU dump-guest-memory: no kernel virtual addresses, drgn's own ELF reader cannot translate.
        os.environ["DRGN_USE_LIBKDUMPFILE_FOR_ELF"] = "1"
    vmlinux = args[1] if len(args) == 2 else None
    if vmlinux is None:
        release = os_release(dump)
        for cand in (f"/usr/lib/debug/boot/vmlinux-{release}", f"/usr/lib/debug/lib/modules/{release}/vmlinux"):
            if release and os.path.exists(cand):
                vmlinux = cand
                break

    prog = drgn.Program()
    try:
        prog.set_core_dump(dump)
        try:
            if vmlinux:
                prog.load_debug_info([vmlinux])
            else:
                prog.load_default_debug_info()
        except drgn.MissingDebugInfoError as e:
            if not vmlinux:
                raise
            del e  # module debug info is not needed
        release = prog["init_uts_ns"].name.release.string_().decode()
        layout = Layout(prog)
        free_counter, free_exact, pcp_free, zones, span_end = kernel_free_counters(prog)
        sections, bits = present_sections(prog, layout, span_end)
        cls, stats = count_pages(prog, layout, sections)
    except Exception as e:  # any read or lookup failure is a failure of the count
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return 1

    result = {"release": release, "format": fmt}
    unfiltered = counts(cls)
    if loads is not None:
        # Only pfns with bytes in the file: [p_paddr >> 12, (p_paddr + p_filesz) >> 12) of each PT_LOAD.
        # A partial page at a segment's end is not counted (makedumpfile and coresift cannot read it whole).
        # Only those pfns are copied into filtered. PT_LOADs past the last struct page (QEMU's VGA BAR and
        # BIOS ROM) add nothing: no struct page, no category; makedumpfile and coresift end max_mapnr there.
        filtered = bytearray(len(cls))
        for paddr, filesz, _, _ in loads:
            lo, hi = paddr >> 12, min((paddr + filesz) >> 12, len(cls))
            if hi > lo:
                filtered[lo:hi] = cls[lo:hi]
        main_counts = counts(filtered)
        result["counted"] = "pfns inside PT_LOAD file ranges"
    else:
        main_counts = unfiltered
        result["counted"] = "every pfn with a struct page (kdump-compressed input)"
    for key in ("free", "user", "cache", "cache_private", "hwpoison", "offline", "unaccepted"):
        result[key] = main_counts[key]
    result["kernel_free_counter"] = free_counter
    result["kernel_free_counter_exact"] = free_exact
    result["pcp_free"] = pcp_free
    result["pages_walked"] = stats["pages_walked"]
    result["other"] = {k: main_counts[k] for k in ("slab", "kernel_typed", "kept", "orphan_tail")}
    result["unfiltered"] = unfiltered
    result["walk"] = dict(stats, section_size_bits=bits, zones=zones)
    result["layout"] = layout.describe()
    result["seconds"] = round(time.monotonic() - t0, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
