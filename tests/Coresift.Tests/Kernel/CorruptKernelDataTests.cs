using Coresift.Common;
using Coresift.Filter;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Tests.Integration;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Kernel;

/// <summary>
/// Corrupt kernel data in an otherwise valid vmcore does not stop the dump: each kind is warned about once with a count
/// (and the first example), the affected pages are kept, and the dump completes.
/// </summary>
public class CorruptKernelDataTests
{
    // 16 MiB of RAM at 1 MiB, 1 MiB sections (256 pages each).
    private static SyntheticKernel Kernel(Generation g = Generation.Linux6_1)
    {
        var k = new SyntheticKernel(g, [(0x100000, 0x1100000)]);
        for (ulong pfn = 0x100; pfn < k.KernelStructuresStartPfn; pfn++)
            k.FillPage(pfn);
        k.SetBuddy(0x200, 3);            // an intact free block: 8 pages excluded
        k.SetAnon(0x300);                // an intact user page: excluded
        return k;
    }

    /// <summary>Runs -d 31 through the CLI into a kdump file; returns the messages and the dump's dumpable bitmap.</summary>
    private static (string Out, Bitmap Dumpable) Dump(SyntheticKernel k)
    {
        using var vmcore = new TempVmcore(k.ToElf());
        string output = vmcore.Path + ".out";
        try
        {
            var (rc, stdout, stderr) = TestEnvironment.RunCoresift("-l", "-d", "31", vmcore.Path, output);
            Assert.True(rc == 0, stdout + stderr);
            Assert.Contains("The dumpfile is saved to", stdout);
            using var dump = DumpInput.Open(output, Limits.Default);
            Assert.False(dump.Kdump!.Dumpable.Test(0x200)); // intact data is still filtered
            Assert.False(dump.Kdump.Dumpable.Test(0x300));
            return (stdout, dump.Kdump.Dumpable);
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>The one warning line of a kind.</summary>
    private static string Line(string stdout, string kind)
    {
        var lines = stdout.Split('\n').Where(l => l.Contains(kind, StringComparison.Ordinal)).ToArray();
        Assert.Single(lines);
        return lines[0];
    }

    [Theory]
    [InlineData(Generation.Linux6_1)]
    [InlineData(Generation.Linux6_12)]
    public void Impossible_buddy_orders_are_kept_and_counted(Generation g)
    {
        var k = Kernel(g);
        k.SetBuddy(0x400, 25);
        k.SetBuddy(0x500, 63);
        k.SetBuddy(0x600, 11);
        var (stdout, dumpable) = Dump(k);
        Assert.Equal("WARNING: corrupt kernel data: impossible free (buddy) page order: 3 times (first: pfn 0x400, order 25, max order 10); those pages were kept.",
            Line(stdout, PageClassifier.KindBuddyOrder));
        Assert.True(dumpable.Test(0x400) && dumpable.Test(0x500) && dumpable.Test(0x600) && dumpable.Test(0x401));
    }

    [Theory]
    [InlineData(Generation.Linux6_1)]
    [InlineData(Generation.Linux6_12)]
    [InlineData(Generation.Linux4_14)]
    public void Free_pages_with_lru_or_compound_flags_are_kept_and_counted(Generation g)
    {
        var k = Kernel(g);
        k.SetBuddy(0x400, 2);
        k.SetFlags(0x400, 1UL << k.PgLru);       // free and on an LRU list
        k.SetBuddy(0x410, 0);
        k.SetFlags(0x410, k.PgHead);             // free and compound
        var (stdout, dumpable) = Dump(k);
        string line = Line(stdout, PageClassifier.KindFlags);
        Assert.StartsWith("WARNING: corrupt kernel data: impossible page flags / page type combination: 2 times (first: pfn 0x400, flags 0x", line);
        Assert.EndsWith("those pages were kept.", line);
        Assert.True(dumpable.Test(0x400) && dumpable.Test(0x410));
    }

    [Fact]
    public void Several_page_types_at_once_are_kept_and_counted()
    {
        // 4.18-6.11 page_type: each type clears one bit; buddy and offline both cleared cannot be.
        var k = Kernel(Generation.Linux6_1);
        k.Field32(0x400, SyntheticKernel.OffMapcount, ~0x80u & ~0x100u);
        k.Field64(0x400, SyntheticKernel.OffPrivate, 0);
        var (stdout, dumpable) = Dump(k);
        Assert.Contains("impossible page flags / page type combination: 1 time (first: pfn 0x400", Line(stdout, PageClassifier.KindFlags));
        Assert.True(dumpable.Test(0x400));
    }

    [Theory]
    [InlineData(Generation.Linux6_1, 25)]
    [InlineData(Generation.Linux6_12, 200)]
    [InlineData(Generation.Linux4_14, 40)]
    public void Compound_orders_beyond_the_limit_are_kept_and_counted(Generation g, int order)
    {
        var k = Kernel(g);
        k.SetCompound(0x400, 2, "anon");
        // Corrupt the order kept in the first tail page.
        switch (g)
        {
            case Generation.Linux6_12:
                k.Field64(0x401, SyntheticKernel.OffFlags, (k.Field64(0x401, SyntheticKernel.OffFlags) & ~0xffUL) | (uint)order);
                break;
            case Generation.Linux6_1:
                k.Field8(0x401, SyntheticKernel.OffOrder, (byte)order);
                break;
            default:
                k.Field16(0x401, SyntheticKernel.OffOrder16, (ushort)order);
                break;
        }
        k.SetCompound(0x421, 1, "anon");             // a head that does not fit its pfn (order 1 at an odd pfn)
        var (stdout, dumpable) = Dump(k);
        Assert.Equal($"WARNING: corrupt kernel data: impossible compound (folio) order: 2 times (first: pfn 0x400, order {order}, limit 20); those pages were kept.",
            Line(stdout, PageClassifier.KindCompoundOrder));
        for (ulong p = 0x400; p < 0x404; p++)
            Assert.True(dumpable.Test(p), $"pfn {p:x}");
        Assert.True(dumpable.Test(0x421) && dumpable.Test(0x422));
    }

    [Fact]
    public void Tails_pointing_off_the_map_are_kept_and_counted()
    {
        var k = Kernel();
        k.Field64(0x400, SyntheticKernel.OffCompoundHead, 0xdead000000001);             // not a struct page at all
        k.Field64(0x401, SyntheticKernel.OffCompoundHead, (k.Vmemmap + 0x500 * 64) | 1); // a "head" after its tail
        k.Field64(0x402, SyntheticKernel.OffCompoundHead, (k.Vmemmap + 0x3c0 * 64 + 8) | 1); // inside a struct page
        k.SetCompound(0x440, 3, "anon");                                                // an intact THP: no warning
        var (stdout, dumpable) = Dump(k);
        Assert.Equal("WARNING: corrupt kernel data: compound tail page pointing off the page-struct map: 3 times (first: pfn 0x400, compound_head 0xdead000000001); they were kept (the tail pages follow no head).",
            Line(stdout, PageClassifier.KindTailHead));
        Assert.True(dumpable.Test(0x400) && dumpable.Test(0x401) && dumpable.Test(0x402));
        Assert.False(dumpable.Test(0x441));
    }

    [Fact]
    public void Wild_mem_section_pointers_keep_their_sections_unfiltered()
    {
        var k = Kernel();
        // Section 4 (pfns 0x400-0x4ff) gets a present section_mem_map that is not a kernel address.
        ulong root = k.ReadPhys64(k.MemSectionRoots) - k.PageOffset;
        k.WritePhys64(root + 4 * 32, 0x0000123456789007);
        k.SetBuddy(0x400, 8);                         // would exclude the whole section if believed
        // The last section gets one too: max_mapnr must not be cut before it.
        ulong lastSection = (0x1100000UL >> 12) / 256 - 1;
        k.WritePhys64(root + lastSection * 32, 0x0000000000001007);
        var (stdout, dumpable) = Dump(k);
        Assert.Equal("WARNING: corrupt kernel data: wild section_mem_map pointer in mem_section: 2 times (first: section 4, section_mem_map 0x123456789007); the pages of those sections were kept unfiltered.",
            Line(stdout, MemMap.KindSectionPointer));
        for (ulong p = 0x400; p < 0x500; p += 0x11)
            Assert.True(dumpable.Test(p), $"pfn {p:x}");
        Assert.True(dumpable.Test(0x10ff));
    }

    [Fact]
    public void Warnings_are_counted_once_per_kind_even_when_cycles_are_scanned_again()
    {
        var k = Kernel();
        for (ulong p = 0x400; p < 0x800; p += 4)
            k.SetBuddy(p, 30);
        using var f = new TempVmcore(k.ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var model = KernelModel.Build(input, Limits.Default, true);
        var plan = new CyclePlan(model.MaxMapnr, CyclePlan.Alignment);
        var filter = new DumpFilter(model, DumpLevel.All, plan, cacheBudget: 0);  // every cycle evicted: rescanned when written
        filter.Run(countZeroPages: false);
        for (ulong i = 0; i < plan.Count; i++)
            filter.DumpableCycle(i);
        Assert.True(filter.RescannedCycles > 0);
        Assert.Equal(256, filter.Scanner!.Classifier.Warnings.Count(PageClassifier.KindBuddyOrder));
    }

    [Fact]
    public void The_collector_keeps_the_first_example_and_merges()
    {
        var a = new DataWarnings();
        Assert.True(a.Add("k1", "kept"));
        a.SetExample("k1", "first");
        Assert.False(a.Add("k1", "kept"));
        a.SetExample("k1", "second");
        var b = new DataWarnings();
        b.AddFrom(a);
        b.Add("k2", "dropped", 5);
        b.AddFrom(a);
        Assert.Equal([new DataWarning("k1", 4, "first", "kept"), new DataWarning("k2", 5, "?", "dropped")], b.Items);
        Assert.Equal("WARNING: corrupt kernel data: k1: 4 times (first: first); kept.", b.Items[0].ToString());
    }
}
