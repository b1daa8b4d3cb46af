using Coresift.Common;
using Coresift.Filter;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Filter;

public class CyclicFilterTests
{
    /// <summary>A kernel whose free blocks and large folios cross 512-pfn cycle boundaries.</summary>
    private static SyntheticKernel Kernel()
    {
        var k = new SyntheticKernel(Generation.Linux6_12, [(0x100000, 0x2100000)]);
        k.SetBuddy(0x400, 10);               // 0x400-0x7ff: crosses the boundary at 0x600
        k.SetCompound(0xa00, 9, "anon");     // 0xa00-0xbff
        k.SetBuddy(0x1000, 3);
        for (ulong p = 0x1200; p < 0x1400; p++) k.SetPageCache(p, privateData: p % 3 == 0);
        return k;
    }

    [Theory]
    [InlineData(long.MaxValue)] // every cycle kept
    [InlineData(0L)]            // none kept: every cycle scanned again for the writer
    [InlineData(300L)]          // some kept
    public void Cycles_give_the_one_cycle_bitmap_and_counts_whatever_the_cache_holds(long cacheBudget)
    {
        var k = Kernel();
        using var f = new TempVmcore(k.ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var model = KernelModel.Build(input, Limits.Default, needPageStructs: true);
        var whole = new DumpFilter(model, DumpLevel.All);
        whole.Run(countZeroPages: true);

        var plan = new CyclePlan(model.MaxMapnr, 512);
        var cyclic = new DumpFilter(model, DumpLevel.All, plan, cacheBudget);
        cyclic.Run(countZeroPages: true);
        Assert.True(plan.Count > 10);
        Assert.Equal(whole.Stats.FormatReport(), cyclic.Stats.FormatReport());
        Assert.Equal(whole.DumpablePages, cyclic.DumpablePages);
        ulong firstPass = cyclic.Stats.PageStructsRead;
        for (ulong i = 0; i < plan.Count; i++)
        {
            var (s, e) = plan.Cycle(i);
            var c = cyclic.DumpableCycle(i);
            for (ulong p = s; p < e; p++)
                Assert.True(whole.Dumpable.Test(p) == c.Test(p), $"pfn {p:x}");
        }
        if (cacheBudget == 0)
        {
            // Only cycles with nothing to dump (an empty run list costs no memory) stay cached.
            Assert.True(cyclic.RescannedCycles > plan.Count / 2);
            Assert.Equal(plan.Count, cyclic.RescannedCycles + cyclic.CachedCycles);
            Assert.True(cyclic.Stats.PageStructsRead > firstPass);
        }
        if (cacheBudget == long.MaxValue)
        {
            Assert.Equal(0UL, cyclic.RescannedCycles);
            Assert.Equal(firstPass, cyclic.Stats.PageStructsRead); // one read per page struct
        }
        Assert.Equal(cyclic.Stats.FormatReport(), whole.Stats.FormatReport()); // rescans never count twice
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(0L)]
    public void Cursor_counts_agree_with_the_one_cycle_bitmap_over_any_range(long cacheBudget)
    {
        var k = Kernel();
        using var f = new TempVmcore(k.ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var model = KernelModel.Build(input, Limits.Default, needPageStructs: true);
        var whole = new DumpFilter(model, DumpLevel.All);
        whole.Run(countZeroPages: false);
        var cyclic = new DumpFilter(model, DumpLevel.All, new CyclePlan(model.MaxMapnr, 512), cacheBudget);
        cyclic.Run(countZeroPages: false);
        var rng = new Random(11);
        ulong max = model.MaxMapnr;
        ulong Naive(ulong s, ulong e)
        {
            ulong n = 0;
            for (ulong p = s; p < Math.Min(e, max); p++)
                if (whole.Dumpable.Test(p)) n++;
            return n;
        }
        var counter = cyclic.NewCursor();
        Assert.Equal(Naive(0, max), counter.Count(0, ulong.MaxValue));
        for (int i = 0; i < 200; i++)
        {
            ulong s = (ulong)rng.NextInt64((long)max), e = s + (ulong)rng.Next(1, 5000);
            Assert.Equal(Naive(s, e), counter.Count(s, e));
        }
        // Ascending adjacent ranges (as --split asks) fetch each cycle once at most.
        ulong rescansBefore = cyclic.RescannedCycles, sum = 0;
        var ascending = cyclic.NewCursor();
        for (ulong s = 0; s < max; s += 300)
            sum += ascending.Count(s, s + 300);
        Assert.Equal(cyclic.DumpablePages, sum);
        Assert.True(cyclic.RescannedCycles - rescansBefore <= cyclic.Plan.Count);
    }

    [Fact]
    public void Bitmap_CountSet_counts_any_range_inside_or_across_its_ends()
    {
        var rng = new Random(5);
        var b = new Bitmap(1000, 700);
        for (ulong p = 1000; p < 1700; p++)
            if (rng.Next(3) == 0) b.SetRange(p, p + 1);
        for (ulong s = 900; s < 1800; s += 7)
            for (ulong e = s; e < 1800; e += 13)
            {
                ulong n = 0;
                for (ulong p = s; p < e; p++)
                    if (b.Test(p)) n++;
                Assert.Equal(n, b.CountSet(s, e));
            }
    }

    [Fact]
    public void Compact_bitmaps_round_trip_as_runs_or_words()
    {
        var rng = new Random(3);
        foreach (bool dense in new[] { false, true })
        {
            var b = new Bitmap(4096, 100_000);
            if (dense)
                for (ulong p = 4096; p < 104_096; p++) { if (rng.Next(2) == 0) b.SetRange(p, p + 1); }
            else
            {
                b.SetRange(5000, 9000);
                b.SetRange(9001, 9002);
                b.SetRange(50_000, 104_096);
            }
            var c = CompactBitmap.Encode(b);
            Assert.Equal(!dense, c.IsRuns);
            Assert.True(c.Bytes <= (long)((b.Length + 63) / 64 * 8));
            Assert.Equal(b.Words.ToArray(), c.Decode().Words.ToArray());
        }
    }

    [Fact]
    public void A_cycle_plan_fits_the_budget_and_covers_every_pfn()
    {
        var p = CyclePlan.For(1_000_000, new MemoryBudget(8192, "test"));
        Assert.Equal(32768UL, p.CyclePfns); // two bitmaps of 4 KiB
        Assert.Equal(31UL, p.Count);
        Assert.Equal((983040UL, 1_000_000UL), p.Cycle(30));
        Assert.Equal(1UL, CyclePlan.For(1_000_000, new MemoryBudget(1L << 30, "test")).Count);
        Assert.Equal(8192UL, CyclePlan.For(1_000_000, MemoryBudget.FromCyclicBuffer(1)).CyclePfns); // makedumpfile's --cyclic-buffer 1
    }
}
