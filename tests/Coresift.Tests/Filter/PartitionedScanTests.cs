using Coresift.Common;
using Coresift.Filter;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Filter;

public class PartitionedScanTests
{
    /// <summary>A kernel with runs that cross 512- and 1024-pfn part boundaries, and a corrupt buddy order.</summary>
    private static SyntheticKernel Kernel()
    {
        var k = new SyntheticKernel(Generation.Linux6_12, [(0x100000, 0x2100000)]);
        k.SetBuddy(0x400, 10);               // 0x400-0x7ff: crosses a 512-pfn part boundary at 0x600
        k.SetCompound(0xc00, 10, "anon");    // 0xc00-0xfff: tails in the next 512-pfn part
        k.SetCompound(0x1200, 9, "anon");
        k.SetBuddy(0x1400, 3);
        for (ulong p = 0x1500; p < 0x1700; p++) k.SetPageCache(p, privateData: p % 3 == 0);
        for (ulong p = 0x1800; p < 0x1840; p++) k.SetAnon(p);
        k.SetBuddy(0x1900, 11);              // impossible order (6.12 has orders 0-10): kept, and warned about
        return k;
    }

    /// <summary>The reference: one sequential scanner over every pfn.</summary>
    private static (Bitmap Bitmap, DumpStats Stats, PageScanner Scanner) Sequential(KernelModel model)
    {
        var stats = new DumpStats();
        var bm = Backed(model);
        var scanner = new PageScanner(model, DumpLevel.All, stats);
        scanner.ScanCycle(bm, 0, model.MaxMapnr);
        return (bm, stats, scanner);
    }

    private static Bitmap Backed(KernelModel model)
    {
        var bm = new Bitmap(0, model.MaxMapnr);
        foreach (var seg in model.Physical.Segments)
            bm.SetRange(seg.Start >> model.PageShift, Math.Min(seg.FileEnd >> model.PageShift, model.MaxMapnr));
        return bm;
    }

    [Theory]
    [InlineData(1, 512UL)]
    [InlineData(2, 512UL)]
    [InlineData(4, 512UL)]
    [InlineData(3, 1024UL)]
    [InlineData(2, 64UL)]
    [InlineData(2, PartitionedScan.PartPages)]
    public void Parts_on_any_thread_count_give_the_sequential_bitmap_counts_and_warnings(int threads, ulong partPages)
    {
        using var f = new TempVmcore(Kernel().ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var model = KernelModel.Build(input, Limits.Default, needPageStructs: true);
        var (want, wantStats, wantScanner) = Sequential(model);
        Assert.True(wantStats.Free >= 1024 + 8);
        Assert.True(wantStats.User >= 1024 + 512 + 64);
        Assert.Equal(1, wantScanner.Classifier.Warnings.Count(PageClassifier.KindBuddyOrder));

        var stats = new DumpStats();
        var bm = Backed(model);
        var scan = new PartitionedScan(model, DumpLevel.All, threads, partPages);
        var carry = scan.ScanCycle(bm, 0, model.MaxMapnr, default, stats);

        Assert.True(carry.End <= carry.Start);
        Assert.Equal(want.Words.ToArray(), bm.Words.ToArray());
        Assert.Equal(wantStats.FormatReport(), stats.FormatReport());
        // Parts smaller than a run read the struct pages inside it that one sequential scan skips; 128 MiB parts never do here.
        if (partPages >= 1024)
            Assert.Equal(wantStats.PageStructsRead, stats.PageStructsRead);
        else
            Assert.True(stats.PageStructsRead > wantStats.PageStructsRead);
        Assert.Equal(
            wantScanner.Classifier.Warnings.Items.Select(w => w.ToString()),
            scan.Warnings.Classifier.Warnings.Items.Select(w => w.ToString()));
        Assert.StartsWith("pfn 0x1900,", scan.Warnings.Classifier.Warnings.Items.Single(w => w.Kind == PageClassifier.KindBuddyOrder).FirstExample);
    }

    [Fact]
    public void A_run_from_an_earlier_cycle_is_applied_across_every_part_it_covers()
    {
        using var f = new TempVmcore(Kernel().ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var model = KernelModel.Build(input, Limits.Default, needPageStructs: true);
        var bm = Backed(model);
        var stats = new DumpStats();
        // A free run started before the cycle [0x1c00, 0x1e00) that reaches past its end, to 0x2080.
        var carry = new PartitionedScan(model, DumpLevel.All, 2, 128).ScanCycle(bm, 0x1c00, 0x1e00, (0x1b00, 0x2080, PageClass.Free), stats);
        for (ulong p = 0x1c00; p < 0x1e00; p++)
            Assert.False(bm.Test(p), $"pfn {p:x}");
        Assert.True(bm.Test(0x1e00));
        Assert.Equal(0x200UL, stats.Free);
        Assert.Equal((0x1e00UL, 0x2080UL, PageClass.Free), carry);
    }

    [Fact]
    public void Parallel_dump_filters_match_the_one_thread_filter_over_many_cycles()
    {
        using var f = new TempVmcore(Kernel().ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var model = KernelModel.Build(input, Limits.Default, needPageStructs: true);
        var one = new DumpFilter(model, DumpLevel.All, new CyclePlan(model.MaxMapnr, 1024), threads: 1);
        one.Run(countZeroPages: true);
        var four = new DumpFilter(model, DumpLevel.All, new CyclePlan(model.MaxMapnr, 1024), cacheBudget: 0, threads: 4);
        four.Run(countZeroPages: true);
        Assert.Equal(one.Stats.FormatReport(), four.Stats.FormatReport());
        Assert.Equal(one.Dumpable.Words.ToArray(), four.Dumpable.Words.ToArray());
        Assert.Equal(
            one.Scanner!.Classifier.Warnings.Items.Select(w => w.ToString()),
            four.Scanner!.Classifier.Warnings.Items.Select(w => w.ToString()));
    }
}
