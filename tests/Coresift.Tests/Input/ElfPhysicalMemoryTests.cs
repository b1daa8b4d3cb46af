using Coresift.Common;
using Coresift.Input;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Input;

public class ElfPhysicalMemoryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // TryReadDirect: pread, not the mapping; the same answers
    public void Reads_across_segments_refuses_holes_and_zero_fills_past_filesz(bool direct)
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 0x100000), (0x200000, 0x2000000)]);
        k.FillPage(0xff, 0x11);
        k.FillPage(0x200, 0x22);
        var opts = new ElfOptions();
        opts.ExtraLoads.Add((0x4000000, 0x1000, 0x3000, 0)); // memsz > filesz
        using var f = new TempVmcore(k.ToElf(opts));
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var mem = input.Memory;
        bool Read(ulong paddr, Span<byte> b) => direct ? mem.TryReadDirect(paddr, b) : mem.TryRead(paddr, b);
        var buf = new byte[16];
        Assert.True(Read(0xff000, buf));
        Assert.All(buf, b => Assert.Equal(0x11, b));
        Assert.False(Read(0x100000 - 8, buf)); // runs into the hole
        Assert.True(Read(0x200000, buf));
        Assert.All(buf, b => Assert.Equal(0x22, b));
        Assert.True(Read(0x4002000, buf));
        Assert.All(buf, b => Assert.Equal(0, b));
        Assert.False(Read(0x5000000, buf));
        // Runs of pages, as the parallel writer reads them: the same bytes either way.
        var run = new byte[64 * 4096];
        var mapped = new byte[run.Length];
        Assert.True(Read(0x1ff000 + 0x1000, run));   // page 0x200 (0x22) and the 63 after it
        Assert.True(mem.TryRead(0x200000, mapped));
        Assert.True(run.AsSpan().SequenceEqual(mapped));
        Assert.All(run.AsSpan(0, 4096).ToArray(), b => Assert.Equal(0x22, b));
        Assert.True(Read(0x4000000, run.AsSpan(0, 3 * 4096)));   // one page from the file, two past filesz
        Assert.True(mem.TryRead(0x4000000, mapped.AsSpan(0, 3 * 4096)));
        Assert.True(run.AsSpan(0, 3 * 4096).SequenceEqual(mapped.AsSpan(0, 3 * 4096)));
        Assert.True(run.AsSpan(4096, 2 * 4096).IndexOfAnyExcept((byte)0) < 0);
        Assert.False(Read(0xff000, run.AsSpan(0, 2 * 4096)));   // the run's second page lies in the hole
    }

    [Fact]
    public void Overlapping_segments_are_counted_per_segment_but_dumped_once()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 0x2000000)]);
        var opts = new ElfOptions();
        opts.ExtraLoads.Add((0x1000000, 0x100000, 0x100000, 0xffffffff81000000)); // kernel text, as /proc/vmcore has it
        using var f = new TempVmcore(k.ToElf(opts));
        var filter = f.Filter(0);
        Assert.Equal(0x2000UL + 0x100UL, filter.Stats.OriginalPages);
        Assert.Equal(0x2000UL, filter.Dumpable!.PopCount());
    }
}

public class VmcoreFileTests
{
    [Fact]
    public void Reads_after_dispose_throw_instead_of_touching_unmapped_memory()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 0x800000)]);
        using var f = new TempVmcore(k.ToElf());
        var input = DumpInput.Open(f.Path, Limits.Default);
        Assert.True(input.File.IsMapped);
        var mem = input.Memory;
        input.Dispose();
        Assert.False(mem.TryGetSpan(0x1000, 4096, out _));
        Assert.Throws<ObjectDisposedException>(() => mem.TryRead(0x1000, new byte[8]));
    }
}
