using System.Buffers.Binary;
using System.Text;

namespace Coresift.Tests.Synthetic;

/// <summary>How the synthetic kernel lays out its page structs.</summary>
public enum MemModelKind
{
    /// <summary>SPARSEMEM_EXTREME with VMEMMAP (every modern x86_64 distro kernel).</summary>
    VmemmapExtreme,
    /// <summary>Static SPARSEMEM (one array of sections) with a separately allocated mem_map per section.</summary>
    StaticSparse,
    /// <summary>FLATMEM: one mem_map array, found through the mem_map pointer variable.</summary>
    Flat,
}

/// <summary>
/// Builds a small but real-looking x86_64 vmcore in memory: RAM, page tables (1 GiB direct map, 4 KiB vmemmap),
/// SPARSEMEM_EXTREME mem_section, struct pages of a chosen kernel generation, VMCOREINFO, and an ELF core around it.
/// </summary>
public sealed class SyntheticKernel
{
    public const int PageSize = 4096;
    public const int PageShift = 12;
    public const int StructPage = 64;
    public const ulong StartKernelMap = 0xffffffff80000000;

    // struct page field offsets used for every generation (they match Debian's 6.1 and 6.12 kernels).
    public const int OffFlags = 0, OffCompoundHead = 8, OffDtor = 16, OffOrder = 17, OffMapping = 24, OffPrivate = 40, OffMapcount = 48, OffRefcount = 52;
    // 4.14-style u16 order/dtor pair.
    public const int OffDtor16 = 16, OffOrder16 = 18;

    private readonly Dictionary<ulong, byte[]> _pages = new();   // pfn -> contents (absent: zeros)
    private readonly Dictionary<ulong, ulong> _vmemmapPages = new(); // vmemmap page vaddr -> paddr
    private readonly Dictionary<ulong, ulong> _sectionMemMap = new(); // section nr -> paddr of its struct pages (static, flat: nr 0)
    private readonly List<(ulong Start, ulong End)> _ram;
    private ulong _nextKernelPfn;
    private readonly ulong _kernelFloorPfn;

    public Generation Generation { get; }
    public int Levels { get; }
    public int SectionBits { get; }
    public int PhysBits { get; }
    public ulong PageOffset { get; }
    public ulong Vmemmap { get; }
    public ulong RootTable { get; }
    public ulong MemSectionRoots { get; private set; }
    public MemModelKind Model { get; }
    public ulong UtsnamePage { get; }
    public ulong MemMapVariable { get; private set; }
    public long PhysBase { get; init; }
    public int Cpus { get; set; } = 2;
    public ulong PgHead => Generation == Generation.Linux6_12 ? 1UL << 6 : 1UL << 16;
    public int PgLru => Generation == Generation.Linux4_14 ? 5 : 4;
    public int PgPrivate => Generation == Generation.Linux4_14 ? 11 : 13;
    public int PgSlab => Generation == Generation.Linux4_14 ? 7 : 9;
    public int PgHwpoison => 23;
    public int PgSwapCache => 10;
    public int PgSwapBacked => 19;
    public List<string> ExtraVmcoreinfo { get; } = new();
    public HashSet<string> DropVmcoreinfo { get; } = new();

    /// <summary>Pages per memory section.</summary>
    public ulong PagesPerSection => 1UL << (SectionBits - PageShift);

    /// <summary>The RAM ranges (byte addresses, page aligned).</summary>
    public IReadOnlyList<(ulong Start, ulong End)> Ram => _ram;

    /// <summary>Creates RAM, page tables, vmemmap and mem_section; kernel structures come from the top of the last range.</summary>
    /// <param name="kernelRange">The RAM range kernel structures come from (default: the last; a low one keeps the kernel image
    /// addresses valid when the last range lies terabytes up).</param>
    public SyntheticKernel(Generation generation, IEnumerable<(ulong Start, ulong End)> ram, int levels = 4, int sectionBits = 20, int physBits = 36,
        MemModelKind model = MemModelKind.VmemmapExtreme, int kernelRange = -1)
    {
        Generation = generation;
        Model = model;
        Levels = levels;
        SectionBits = sectionBits;
        PhysBits = physBits;
        _ram = ram.OrderBy(r => r.Start).ToList();
        PageOffset = levels == 5 ? 0xff11000000000000 : 0xffff888000000000;
        Vmemmap = levels == 5 ? 0xffd4000000000000 : 0xffffea0000000000;
        var home = kernelRange < 0 ? _ram[^1] : _ram[kernelRange];
        _nextKernelPfn = home.End >> PageShift;
        _kernelFloorPfn = home.Start >> PageShift;
        RootTable = AllocKernelPage();
        MapDirect();
        UtsnamePage = AllocKernelPage();
        string[] uts = ["Linux", "synthetic", "", "#1 SMP synthetic", "x86_64", "(none)"];
        uts[2] = generation switch { Generation.Linux4_14 => "4.14.0-synthetic", Generation.Linux6_1 => "6.1.0-synthetic", _ => "6.12.0-synthetic" };
        for (int i = 0; i < uts.Length; i++)
            Encoding.ASCII.GetBytes(uts[i]).CopyTo(Page(UtsnamePage >> PageShift), i * 65);
        switch (model)
        {
            case MemModelKind.VmemmapExtreme: BuildMemMap(); break;
            case MemModelKind.StaticSparse: BuildStaticSparse(); break;
            case MemModelKind.Flat: BuildFlat(); break;
        }
    }

    /// <summary>Takes n contiguous kernel pages and returns the lowest address.</summary>
    public ulong AllocKernelPages(int n)
    {
        ulong low = 0;
        for (int i = 0; i < n; i++)
            low = AllocKernelPage();
        return low;
    }

    /// <summary>Static SPARSEMEM: a flat array of NR_MEM_SECTIONS sections, each pointing at its own mem_map block.</summary>
    private void BuildStaticSparse()
    {
        ulong pps = PagesPerSection;
        ulong nrSections = 1UL << (PhysBits - SectionBits);
        int arrayPages = (int)((nrSections * 32 + PageSize - 1) / PageSize);
        if (arrayPages > 8)
            throw new InvalidOperationException("choose PhysBits so the static section array stays small");
        ulong array = AllocKernelPages(arrayPages);
        MemSectionRoots = array;
        ulong maxPfn = _ram[^1].End >> PageShift;
        for (ulong nr = 0; nr * pps < maxPfn; nr++)
        {
            ulong start = nr * pps, end = start + pps;
            if (!_ram.Any(r => (r.Start >> PageShift) < end && (r.End >> PageShift) > start))
                continue;
            ulong block = AllocKernelPages((int)(pps * StructPage / PageSize));
            _sectionMemMap[nr] = block;
            // Not VMEMMAP: the coded value is the mem_map address minus the section's first pfn times SIZE(page).
            WritePhys64(array + nr * 32, unchecked(DirectMap(block) - start * StructPage) | 0x3);
        }
    }

    /// <summary>FLATMEM: one mem_map for pfns [0, max), and a pointer variable holding its address.</summary>
    private void BuildFlat()
    {
        ulong maxPfn = _ram[^1].End >> PageShift;
        int pages = (int)((maxPfn * StructPage + PageSize - 1) / PageSize);
        ulong block = AllocKernelPages(pages);
        _sectionMemMap[0] = block;
        ulong variable = AllocKernelPage();
        WritePhys64(variable, DirectMap(block));
        MemMapVariable = DirectMap(variable);
    }

    /// <summary>Takes one page for kernel structures from the top of RAM (its struct page stays "kernel data").</summary>
    public ulong AllocKernelPage()
    {
        if (_nextKernelPfn <= _kernelFloorPfn + 1)
            throw new InvalidOperationException("synthetic RAM too small for kernel structures");
        _nextKernelPfn--;
        _pages[_nextKernelPfn] = new byte[PageSize];
        return _nextKernelPfn << PageShift;
    }

    /// <summary>The lowest pfn used by kernel structures; tests keep their pages below it.</summary>
    public ulong KernelStructuresStartPfn => _nextKernelPfn;

    /// <summary>The bytes of a physical page, created on demand.</summary>
    public byte[] Page(ulong pfn)
    {
        if (!_pages.TryGetValue(pfn, out var p))
            _pages[pfn] = p = new byte[PageSize];
        return p;
    }

    /// <summary>Reads a 64-bit value at a physical address.</summary>
    public ulong ReadPhys64(ulong paddr) => _pages.TryGetValue(paddr >> PageShift, out var p) ? BinaryPrimitives.ReadUInt64LittleEndian(p.AsSpan((int)(paddr & (PageSize - 1)))) : 0;

    /// <summary>Writes a 64-bit value at a physical address.</summary>
    public void WritePhys64(ulong paddr, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Page(paddr >> PageShift).AsSpan((int)(paddr & (PageSize - 1))), v);

    /// <summary>Gets (creating) the next-level table behind entry index of a table.</summary>
    private ulong NextTable(ulong table, ulong index)
    {
        ulong e = ReadPhys64(table + index * 8);
        if ((e & 1) != 0)
            return e & 0x000ffffffffff000;
        ulong t = AllocKernelPage();
        WritePhys64(table + index * 8, t | 0x63);
        return t;
    }

    /// <summary>Maps vaddr to paddr with a page of 2^shift bytes (12, 21 or 30).</summary>
    public void Map(ulong vaddr, ulong paddr, int shift)
    {
        ulong table = RootTable;
        int s = Levels == 5 ? 48 : 39;
        for (; s > shift; s -= 9)
            table = NextTable(table, (vaddr >> s) & 511);
        ulong entry = paddr | 0x63 | (shift > 12 ? 0x80UL : 0);
        WritePhys64(table + ((vaddr >> shift) & 511) * 8, entry);
    }

    /// <summary>Maps all RAM at PageOffset with 1 GiB pages.</summary>
    private void MapDirect()
    {
        ulong top = _ram[^1].End;
        for (ulong p = 0; p < top; p += 1UL << 30)
            Map(PageOffset + p, p, 30);
    }

    /// <summary>Direct-map virtual address of a physical address.</summary>
    public ulong DirectMap(ulong paddr) => PageOffset + paddr;

    /// <summary>Allocates and maps the struct pages of every section that has RAM, and the mem_section tables.</summary>
    private void BuildMemMap()
    {
        ulong pps = PagesPerSection;
        ulong maxPfn = _ram[^1].End >> PageShift;
        ulong sections = (maxPfn + pps - 1) / pps;
        const int sectionStructSize = 32;
        ulong perRoot = PageSize / sectionStructSize;
        ulong nrRoots = (1UL << (PhysBits - SectionBits)) / perRoot;
        if ((nrRoots * 8 + PageSize - 1) / PageSize > 1)
            throw new InvalidOperationException("choose PhysBits so the root array fits one page");
        ulong rootArray = AllocKernelPage();
        MemSectionRoots = rootArray;
        for (ulong nr = 0; nr < sections; nr++)
        {
            ulong start = nr * pps, end = start + pps;
            if (!_ram.Any(r => (r.Start >> PageShift) < end && (r.End >> PageShift) > start))
                continue;
            ulong root = nr / perRoot;
            ulong rootPtr = ReadPhys64(rootArray + root * 8);
            if (rootPtr == 0)
            {
                rootPtr = DirectMap(AllocKernelPage());
                WritePhys64(rootArray + root * 8, rootPtr);
            }
            ulong sectionPaddr = rootPtr - PageOffset + (nr % perRoot) * sectionStructSize;
            WritePhys64(sectionPaddr, Vmemmap | 0x7); // PRESENT | HAS_MEM_MAP | ONLINE; VMEMMAP coding: base itself
            // struct pages for this section, mapped with 4 KiB pages
            ulong first = Vmemmap + start * StructPage, last = Vmemmap + end * StructPage;
            for (ulong v = first & ~0xfffUL; v < last; v += PageSize)
            {
                if (_vmemmapPages.ContainsKey(v))
                    continue;
                ulong p = AllocKernelPage();
                _vmemmapPages[v] = p;
                Map(v, p, 12);
            }
        }
    }

    /// <summary>Physical address of pfn's struct page.</summary>
    public ulong StructPageAddress(ulong pfn)
    {
        if (Model == MemModelKind.Flat)
            return _sectionMemMap[0] + pfn * StructPage;
        if (Model == MemModelKind.StaticSparse)
            return _sectionMemMap[pfn / PagesPerSection] + (pfn % PagesPerSection) * StructPage;
        ulong v = Vmemmap + pfn * StructPage;
        return _vmemmapPages[v & ~0xfffUL] + (v & 0xfff);
    }

    /// <summary>Writes a 64-bit struct page field.</summary>
    public void Field64(ulong pfn, int offset, ulong value) => WritePhys64(StructPageAddress(pfn) + (ulong)offset, value);

    /// <summary>Reads a 64-bit struct page field.</summary>
    public ulong Field64(ulong pfn, int offset) => ReadPhys64(StructPageAddress(pfn) + (ulong)offset);

    /// <summary>Writes a 32-bit struct page field.</summary>
    public void Field32(ulong pfn, int offset, uint value)
    {
        ulong a = StructPageAddress(pfn) + (ulong)offset;
        BinaryPrimitives.WriteUInt32LittleEndian(Page(a >> PageShift).AsSpan((int)(a & 0xfff)), value);
    }

    /// <summary>Writes one byte of a struct page.</summary>
    public void Field8(ulong pfn, int offset, byte value)
    {
        ulong a = StructPageAddress(pfn) + (ulong)offset;
        Page(a >> PageShift)[a & 0xfff] = value;
    }

    /// <summary>Writes a 16-bit struct page field.</summary>
    public void Field16(ulong pfn, int offset, ushort value)
    {
        ulong a = StructPageAddress(pfn) + (ulong)offset;
        BinaryPrimitives.WriteUInt16LittleEndian(Page(a >> PageShift).AsSpan((int)(a & 0xfff)), value);
    }

    /// <summary>ORs bits into page->flags.</summary>
    public void SetFlags(ulong pfn, ulong bits) => Field64(pfn, OffFlags, Field64(pfn, OffFlags) | bits);

    /// <summary>The page_type/_mapcount value of a page type in this generation.</summary>
    private uint TypeWord(string type) => (Generation, type) switch
    {
        (Generation.Linux6_12, "buddy") => 0xf0000000,
        (Generation.Linux6_12, "offline") => 0xf1000000,
        (Generation.Linux6_12, "hugetlb") => 0xf4000000,
        (Generation.Linux6_12, "slab") => 0xf5000000,
        (Generation.Linux6_12, "unaccepted") => 0xf7000000,
        (Generation.Linux6_1, "buddy") => ~0x80u,
        (Generation.Linux6_1, "offline") => ~0x100u,
        (Generation.Linux4_14, "buddy") => 0xffffff80,
        _ => throw new ArgumentException($"{type} has no page type in {Generation}"),
    };

    /// <summary>Makes pfn the head of a free buddy block of 2^order pages.</summary>
    public void SetBuddy(ulong pfn, int order)
    {
        Field32(pfn, OffMapcount, TypeWord("buddy"));
        Field64(pfn, OffPrivate, (ulong)order);
    }

    /// <summary>Marks pfn logically offline.</summary>
    public void SetOffline(ulong pfn) => Field32(pfn, OffMapcount, TypeWord("offline"));

    /// <summary>Marks pfn hardware-poisoned.</summary>
    public void SetHwpoison(ulong pfn) => SetFlags(pfn, 1UL << PgHwpoison);

    /// <summary>Makes pfn an LRU page-cache page (private data when asked).</summary>
    public void SetPageCache(ulong pfn, bool privateData)
    {
        SetFlags(pfn, (1UL << PgLru) | (privateData ? 1UL << PgPrivate : 0));
        Field64(pfn, OffMapping, DirectMap(0x123400)); // an address_space pointer
    }

    /// <summary>Makes pfn an anonymous page.</summary>
    public void SetAnon(ulong pfn)
    {
        SetFlags(pfn, (1UL << PgLru) | (1UL << PgSwapBacked));
        Field64(pfn, OffMapping, DirectMap(0x567800) | 1);
    }

    /// <summary>Makes pfn a slab page; its mapping word may have bit 0 set (as slab.slabs can since 6.2).</summary>
    public void SetSlab(ulong pfn, bool mappingBit0)
    {
        if (Generation == Generation.Linux6_12)
            Field32(pfn, OffMapcount, TypeWord("slab"));
        else
            SetFlags(pfn, 1UL << PgSlab);
        Field64(pfn, OffMapping, mappingBit0 ? 0x0000000300000001UL : 0);
    }

    /// <summary>Makes [pfn, pfn + 2^order) a compound page: anonymous, page cache or hugetlb by its head.</summary>
    public void SetCompound(ulong pfn, int order, string kind)
    {
        ulong headVaddr = Model == MemModelKind.VmemmapExtreme ? Vmemmap + pfn * StructPage : DirectMap(StructPageAddress(pfn));
        SetFlags(pfn, PgHead);
        for (ulong i = 1; i < 1UL << order; i++)
            Field64(pfn + i, OffCompoundHead, headVaddr | 1);
        switch (Generation)
        {
            case Generation.Linux6_12:
                Field64(pfn + 1, OffFlags, (Field64(pfn + 1, OffFlags) & ~0xffUL) | (uint)order);
                if (kind == "hugetlb")
                    Field32(pfn, OffMapcount, TypeWord("hugetlb"));
                break;
            case Generation.Linux6_1:
                Field8(pfn + 1, OffOrder, (byte)order);
                if (kind == "hugetlb")
                    Field8(pfn + 1, OffDtor, 2);
                break;
            case Generation.Linux4_14:
                Field16(pfn + 1, OffOrder16, (ushort)order);
                if (kind == "hugetlb")
                    Field16(pfn + 1, OffDtor16, 2);
                break;
        }
        if (kind == "anon")
            SetAnon(pfn);
        else if (kind == "cache")
            SetPageCache(pfn, privateData: false);
        else if (kind == "hugetlb")
            Field64(pfn, OffMapping, DirectMap(0x9abc00));
    }

    /// <summary>Fills a data page with a non-zero pattern.</summary>
    public void FillPage(ulong pfn, byte value = 0x5a) => Array.Fill(Page(pfn), value);

    /// <summary>The VMCOREINFO text of this generation.</summary>
    public string VmcoreinfoText()
    {
        var l = new List<string>
        {
            "OSRELEASE=" + Generation switch { Generation.Linux4_14 => "4.14.0-synthetic", Generation.Linux6_1 => "6.1.0-synthetic", _ => "6.12.0-synthetic" },
            "PAGESIZE=4096",
            $"SYMBOL(init_uts_ns)={DirectMap(UtsnamePage):x}",
            "OFFSET(uts_namespace.name)=0",
            Model == MemModelKind.Flat ? $"SYMBOL(mem_map)={MemMapVariable:x}" : $"SYMBOL(mem_section)={DirectMap(MemSectionRoots):x}",
            Model == MemModelKind.StaticSparse ? $"LENGTH(mem_section)={1UL << (PhysBits - SectionBits)}"
                : $"LENGTH(mem_section)={(1UL << (PhysBits - SectionBits)) / (PageSize / 32)}",
            "SIZE(mem_section)=32",
            "OFFSET(mem_section.section_mem_map)=0",
            $"NUMBER(SECTION_SIZE_BITS)={SectionBits}",
            $"NUMBER(MAX_PHYSMEM_BITS)={PhysBits}",
            "SIZE(page)=64",
            "OFFSET(page.flags)=0",
            "OFFSET(page._refcount)=52",
            "OFFSET(page.mapping)=24",
            "OFFSET(page.lru)=8",
            "OFFSET(page._mapcount)=48",
            "OFFSET(page.private)=40",
            "OFFSET(page.compound_head)=8",
            "LENGTH(zone.free_area)=11",
            $"NUMBER(PG_lru)={PgLru}",
            $"NUMBER(PG_private)={PgPrivate}",
            $"NUMBER(PG_swapcache)={PgSwapCache}",
            $"NUMBER(PG_swapbacked)={PgSwapBacked}",
            $"NUMBER(PG_hwpoison)={PgHwpoison}",
            $"NUMBER(PG_head_mask)={PgHead}",
            $"NUMBER(phys_base)={PhysBase}",
            $"SYMBOL(init_top_pgt)={unchecked(StartKernelMap + RootTable - (ulong)PhysBase):x}",
            $"NUMBER(pgtable_l5_enabled)={(Levels == 5 ? 1 : 0)}",
            "KERNELOFFSET=0",
            "NUMBER(sme_mask)=0",
        };
        switch (Generation)
        {
            case Generation.Linux4_14:
                l.AddRange(["OFFSET(page.compound_dtor)=16", "OFFSET(page.compound_order)=18", $"NUMBER(PG_slab)={PgSlab}",
                    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-128", "NUMBER(HUGETLB_PAGE_DTOR)=2"]);
                break;
            case Generation.Linux6_1:
                l.AddRange(["OFFSET(page.compound_dtor)=16", "OFFSET(page.compound_order)=17", $"NUMBER(PG_slab)={PgSlab}",
                    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129", "NUMBER(HUGETLB_PAGE_DTOR)=2", "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257"]);
                break;
            case Generation.Linux6_12:
                l.AddRange([$"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)={0xf0000000u}", $"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)={0xf4000000u}",
                    $"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)={0xf1000000u}", $"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)={0xf5000000u}",
                    $"NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)={0xf7000000u}"]);
                break;
        }
        if (Model == MemModelKind.Flat)
            l.RemoveAll(x => x.Contains("(mem_section", StringComparison.Ordinal));
        l.AddRange(ExtraVmcoreinfo);
        l.RemoveAll(x => DropVmcoreinfo.Any(d => x.StartsWith(d, StringComparison.Ordinal)));
        return string.Join('\n', l) + "\n";
    }

    /// <summary>Writes the ELF core to a byte array.</summary>
    public byte[] ToElf(ElfOptions? options = null)
    {
        options ??= new ElfOptions();
        var writer = new ElfCoreWriter(options);
        writer.AddNote("VMCOREINFO", 0, Encoding.ASCII.GetBytes(options.VmcoreinfoOverride ?? VmcoreinfoText()), include: !options.OmitVmcoreinfo);
        for (int i = 0; i < Cpus; i++)
            writer.AddNote("CORE", 1, new byte[336], include: true);
        foreach (var (start, end) in options.SegmentsOverride ?? _ram)
            writer.AddLoad(start, end - start, end - start, ReadRange);
        foreach (var extra in options.ExtraLoads)
            writer.AddLoad(extra.Paddr, extra.FileSize, extra.MemSize, ReadRange, extra.Vaddr);
        return writer.Build();
    }

    /// <summary>Copies physical bytes [paddr, paddr + dst.Length) into dst (absent pages read as zeros).</summary>
    public void ReadRange(ulong paddr, Span<byte> dst)
    {
        while (dst.Length > 0)
        {
            int off = (int)(paddr & (PageSize - 1));
            int n = Math.Min(dst.Length, PageSize - off);
            if (_pages.TryGetValue(paddr >> PageShift, out var p))
                p.AsSpan(off, n).CopyTo(dst);
            else
                dst[..n].Clear();
            dst = dst[n..];
            paddr += (ulong)n;
        }
    }
}
