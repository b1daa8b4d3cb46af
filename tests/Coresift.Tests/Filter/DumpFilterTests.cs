using Coresift.Filter;
using Coresift.Kernel;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Filter;

public class DumpFilterTests
{
    // 64 MiB of RAM at 1 MiB, 1 MiB sections (256 pages each), so ranges cross many sections.
    private static SyntheticKernel Kernel(Generation g, int levels = 4) =>
        new(g, [(0x100000, 0x4100000)], levels: levels);

    /// <summary>Lays out one page of every kind; returns the expected counts at -d 31.</summary>
    private static (ulong Cache, ulong Private, ulong User, ulong Free, ulong Offline, ulong Hwpoison) Populate(SyntheticKernel k)
    {
        for (ulong pfn = 0x100; pfn < k.KernelStructuresStartPfn; pfn++)
            k.FillPage(pfn);                                   // everything non-zero unless said otherwise
        k.SetBuddy(0x400, 10);                                 // 1024 free pages
        k.SetBuddy(0x800, 0);                                  // 1 free page
        for (ulong i = 0; i < 10; i++) k.SetPageCache(0x1000 + i, privateData: false);
        for (ulong i = 0; i < 4; i++) k.SetPageCache(0x1100 + i, privateData: true);
        for (ulong i = 0; i < 7; i++) k.SetAnon(0x1200 + i);
        k.SetSlab(0x1300, mappingBit0: true);                  // kernel data that looks anonymous
        k.SetCompound(0x1400, 9, "anon");                      // a THP: 512 user pages
        k.SetCompound(0x1600, 9, "hugetlb");                   // a hugetlb page: 512 user pages
        k.SetCompound(0x1800, 2, "cache");                     // a file large folio: 4 cache pages
        k.SetHwpoison(0x1900);
        ulong offline = 0;
        if (k.Generation != Generation.Linux4_14)
        {
            k.SetOffline(0x1a00);
            offline = 1;
        }
        for (ulong i = 0; i < 20; i++) Array.Clear(k.Page(0x2000 + i)); // 20 zero pages of kernel data
        return (10 + 4, 4, 7 + 512 + 512, 1025, offline, 1);
    }

    [Theory]
    [InlineData(Generation.Linux4_14, 4)]
    [InlineData(Generation.Linux6_1, 4)]
    [InlineData(Generation.Linux6_12, 4)]
    [InlineData(Generation.Linux6_1, 5)]
    [InlineData(Generation.Linux6_12, 5)]
    public void Every_category_is_counted_at_level_31(Generation g, int levels)
    {
        var k = Kernel(g, levels);
        var e = Populate(k);
        using var f = new TempVmcore(k.ToElf());
        var s = f.Filter(31).Stats;
        Assert.Equal(0x4000UL, s.OriginalPages);
        Assert.Equal(e.Cache, s.NonPrivateCache);
        Assert.Equal(e.Private, s.PrivateCache);
        Assert.Equal(e.User, s.User);
        Assert.Equal(e.Free, s.Free);
        Assert.Equal(e.Offline, s.Offline);
        Assert.Equal(e.Hwpoison, s.Hwpoison);
        // 20 zeroed data pages, plus kernel-structure pages that happen to be all zero (struct pages of untouched pfns).
        ulong zeroKernelPages = 0;
        for (ulong pfn = k.KernelStructuresStartPfn; pfn < 0x4100; pfn++)
            if (!k.Page(pfn).AsSpan().ContainsAnyExcept((byte)0))
                zeroKernelPages++;
        Assert.True(zeroKernelPages > 0);
        Assert.Equal(20UL + zeroKernelPages, s.Zero);
        Assert.Equal(0x4100UL, s.TotalPages);
        Assert.Equal(0x100UL, s.MemoryHole);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(0)]
    public void Each_level_bit_excludes_only_its_own_categories(int level)
    {
        var k = Kernel(Generation.Linux6_1);
        var e = Populate(k);
        using var f = new TempVmcore(k.ToElf());
        var s = f.Filter(level).Stats;
        Assert.Equal(level == 2 ? e.Cache : level == 4 ? e.Cache : 0, s.NonPrivateCache);
        Assert.Equal(level == 4 ? e.Private : 0, s.PrivateCache);
        Assert.Equal(level == 8 ? e.User : 0, s.User);
        Assert.Equal(level == 16 ? e.Free : 0, s.Free);
        Assert.Equal(0UL, s.Zero);
        Assert.Equal(e.Hwpoison, s.Hwpoison); // always excluded
        Assert.Equal(e.Offline, s.Offline);
    }

    [Theory]
    [InlineData(Generation.Linux4_14, 0)]
    [InlineData(Generation.Linux6_1, 0)]
    [InlineData(Generation.Linux6_12, 0)]
    [InlineData(Generation.Linux6_1, 1)]
    [InlineData(Generation.Linux6_12, 1)]
    public void Levels_without_page_struct_bits_exclude_exactly_the_hwpoison_and_offline_pages(Generation g, int level)
    {
        // These levels take the scanner's quick test; every other page (cache, user, free, slab, compound) stays.
        var k = Kernel(g);
        var e = Populate(k);
        using var f = new TempVmcore(k.ToElf());
        var filter = f.Filter(level);
        Assert.Equal(e.Hwpoison, filter.Stats.Hwpoison);
        Assert.Equal(e.Offline, filter.Stats.Offline);
        Assert.Equal(0UL, filter.Stats.NonPrivateCache + filter.Stats.PrivateCache + filter.Stats.User + filter.Stats.Free);
        for (ulong pfn = 0x100; pfn < 0x4100; pfn++)
        {
            // (Zero pages leave at write time, not in this bitmap.)
            bool gone = pfn == 0x1900 || (pfn == 0x1a00 && e.Offline == 1);
            Assert.True(filter.Dumpable!.Test(pfn) == !gone, $"pfn 0x{pfn:x}");
        }
    }

    [Fact]
    public void Slab_pages_with_an_anonymous_looking_mapping_are_kept()
    {
        foreach (var g in new[] { Generation.Linux6_1, Generation.Linux6_12 })
        {
            var k = Kernel(g);
            k.FillPage(0x1300);
            k.SetSlab(0x1300, mappingBit0: true);
            using var f = new TempVmcore(k.ToElf());
            var filter = f.Filter(31);
            Assert.Equal(0UL, filter.Stats.User);
            Assert.True(filter.Dumpable!.Test(0x1300));
        }
    }

    [Fact]
    public void A_612_anonymous_large_folio_is_excluded_whole()
    {
        var k = Kernel(Generation.Linux6_12);
        k.SetCompound(0x2000, 9, "anon");
        using var f = new TempVmcore(k.ToElf());
        var filter = f.Filter(8);
        Assert.Equal(512UL, filter.Stats.User);
        for (ulong pfn = 0x2000; pfn < 0x2200; pfn++)
            Assert.False(filter.Dumpable!.Test(pfn));
        Assert.True(filter.Dumpable!.Test(0x2200));
    }

    [Fact]
    public void Unaccepted_memory_is_free_in_max_order_blocks()
    {
        var k = Kernel(Generation.Linux6_12);
        k.Field32(0x1000, SyntheticKernel.OffMapcount, 0xf7000000); // PGTY_unaccepted on a MAX_ORDER-aligned page
        using var f = new TempVmcore(k.ToElf());
        Assert.Equal(1024UL, f.Filter(16).Stats.Free);
        Assert.Equal(0UL, f.Filter(15).Stats.Free);
    }

    [Fact]
    public void An_impossible_buddy_order_keeps_the_page_and_is_counted()
    {
        var k = Kernel(Generation.Linux6_1);
        k.SetBuddy(0x3000, 40);
        k.SetBuddy(0x3400, 3);
        using var f = new TempVmcore(k.ToElf());
        var filter = f.Filter(16);
        Assert.Equal(8UL, filter.Stats.Free);
        var w = Assert.Single(filter.Scanner!.Classifier.Warnings.Items);
        Assert.Equal(PageClassifier.KindBuddyOrder, w.Kind);
        Assert.Equal(1, w.Count);
        Assert.StartsWith("pfn 0x3000,", w.FirstExample);
        Assert.True(filter.Dumpable!.Test(0x3000));
    }

    [Fact]
    public void Holes_between_segments_are_memory_holes_and_never_scanned()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x1000, 0x9f000), (0x100000, 0x800000), (0x1000000, 0x2000000)]);
        k.SetBuddy(0x200, 2);
        using var f = new TempVmcore(k.ToElf());
        var s = f.Filter(16).Stats;
        ulong expectedOriginal = (0x9f - 1) + (0x800 - 0x100) + (0x2000 - 0x1000);
        Assert.Equal(expectedOriginal, s.OriginalPages);
        Assert.Equal(0x2000UL - expectedOriginal, s.MemoryHole);
        Assert.Equal(4UL, s.Free);
    }

    [Fact]
    public void A_buddy_block_cut_by_a_cycle_boundary_is_finished_in_the_next_cycle()
    {
        var k = Kernel(Generation.Linux6_12);
        k.SetBuddy(0x1000, 10);   // pfns 0x1000..0x13ff
        k.SetCompound(0x2000, 9, "anon");
        using var f = new TempVmcore(k.ToElf());
        using var input = Coresift.Input.DumpInput.Open(f.Path, Coresift.Common.Limits.Default);
        var model = KernelModel.Build(input, Coresift.Common.Limits.Default, needPageStructs: true);

        var whole = new DumpFilter(model, DumpLevel.All);
        whole.Run(countZeroPages: false);

        // The same scan in cycles of 0x123 pfns, each with its own bitmap, as the cyclic engine does.
        var stats = new DumpStats();
        var scanner = new PageScanner(model, DumpLevel.All, stats);
        ulong cycle = 0x123, cleared = 0;
        for (ulong start = 0; start < model.MaxMapnr; start += cycle)
        {
            ulong end = Math.Min(start + cycle, model.MaxMapnr);
            var bm = new Bitmap(start, end - start);
            bm.CopyFrom(Slice(whole.Backed!, start, end));
            scanner.ScanCycle(bm, start, end);
            for (ulong p = start; p < end; p++)
                if (whole.Backed!.Test(p) && !bm.Test(p))
                    cleared++;
                else
                    Assert.Equal(whole.Dumpable!.Test(p), bm.Test(p));
        }
        Assert.Equal(whole.Stats.Free, stats.Free);
        Assert.Equal(1024UL, stats.Free);
        Assert.Equal(whole.Stats.User, stats.User);
        Assert.Equal(whole.Stats.Free + whole.Stats.User, cleared);
    }

    /// <summary>A copy of part of a bitmap, based at start.</summary>
    private static Bitmap Slice(Bitmap source, ulong start, ulong end)
    {
        var b = new Bitmap(start, end - start);
        for (ulong p = start; p < end; p++)
            if (source.Test(p))
                b.SetRange(p, p + 1);
        return b;
    }

    [Fact]
    public void Pages_past_p_filesz_are_not_dumpable()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 0x2000000), (0x3000000, 0x3400000)]);
        var opts = new ElfOptions { SegmentsOverride = [(0, 0x2000000)] };
        opts.ExtraLoads.Add((0x3000000, 0x2000, 0x8000, 0));
        using var f = new TempVmcore(k.ToElf(opts));
        var filter = f.Filter(0);
        Assert.True(filter.Dumpable!.Test(0x3001));
        Assert.False(filter.Dumpable.Test(0x3002));
        Assert.True(filter.Backed!.Test(0x3007));
    }
}
