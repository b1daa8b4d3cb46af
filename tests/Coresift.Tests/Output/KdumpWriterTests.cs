using Coresift.Common;
using Coresift.Input;
using Coresift.Output;
using Coresift.Tests.Integration;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Output;

public class KdumpWriterTests
{
    /// <summary>A synthetic kernel with data, zero, cache and free pages.</summary>
    private static SyntheticKernel Kernel()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x100000, 0x2100000)]) { PhysBase = -0x1000000, Cpus = 3 };
        var rng = new Random(7);
        for (ulong pfn = 0x100; pfn < 0x1800; pfn++)
        {
            var page = k.Page(pfn);
            if (pfn % 5 == 0) rng.NextBytes(page);                       // incompressible
            else if (pfn % 5 == 1) Array.Fill(page, (byte)(pfn & 0xff)); // compressible
            else if (pfn % 5 == 2) page.AsSpan(0, 100).Fill(1);          // mostly zero
            // else: all zero
        }
        k.SetBuddy(0x1000, 8);
        for (ulong p = 0x1400; p < 0x1410; p++) k.SetPageCache(p, privateData: false);
        return k;
    }

    [Theory]
    [InlineData("", 31)]
    [InlineData("-c", 31)]
    [InlineData("-p", 31)]
    [InlineData("-z", 17)]
    [InlineData("", 0)]
    [InlineData("-c", 1)]
    public void Every_written_page_reads_back_as_the_input_had_it(string codec, int level)
    {
        var k = Kernel();
        using var vmcore = new TempVmcore(k.ToElf());
        string output = vmcore.Path + ".kdump";
        try
        {
            var args = new List<string>();
            if (codec != "") args.Add(codec);
            args.AddRange(["-d", level.ToString(), vmcore.Path, output]);
            var (rc, _, err) = TestEnvironment.RunCoresift(args.ToArray());
            Assert.True(rc == 0, err);
            using var file = VmcoreFile.Open(output);
            var dump = new KdumpFile(file, Limits.Default);
            Assert.Equal(level, dump.DumpLevel);
            Assert.Equal(3, dump.NrCpus);
            Assert.Equal(-0x1000000L, dump.PhysBase);
            Assert.Equal(0x2100UL, dump.MaxMapnr);
            Assert.Equal(codec switch { "-c" => 1u, "-p" => 4u, "-z" => 0x20u, _ => 0u }, dump.Status);
            Assert.Equal("6.1.0-synthetic", Coresift.Kernel.VmcoreInfo.Parse(dump.Notes.AsSpan((int)dump.VmcoreinfoOffsetInNotes, (int)dump.VmcoreinfoSize).ToArray(), Limits.Default).OsRelease);

            using var input = DumpInput.Open(vmcore.Path, Limits.Default);
            var a = new byte[4096];
            var b = new byte[4096];
            ulong pages = 0, compressed = 0;
            for (ulong pfn = dump.Dumpable.NextSet(0); pfn != ulong.MaxValue; pfn = dump.Dumpable.NextSet(pfn + 1))
            {
                Assert.True(dump.TryReadPage(pfn, a), $"pfn {pfn:x}");
                Assert.True(input.Memory.TryRead(pfn << 12, b));
                Assert.True(a.AsSpan().SequenceEqual(b), $"pfn {pfn:x} differs");
                if (dump.Descriptor(pfn).Flags != 0) compressed++;
                pages++;
            }
            Assert.Equal(codec == "" ? 0UL : 1UL, Math.Min(compressed, 1UL));
            if ((level & 16) != 0)
                Assert.False(dump.Dumpable.Test(0x1000)); // the buddy block is gone
            else
                Assert.True(dump.Dumpable.Test(0x1000));
            Assert.True(pages > 0x1000);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void An_existing_output_is_never_overwritten_without_f()
    {
        var k = Kernel();
        using var vmcore = new TempVmcore(k.ToElf());
        string output = vmcore.Path + ".kdump";
        File.WriteAllText(output, "precious");
        try
        {
            var (rc, _, err) = TestEnvironment.RunCoresift("-d", "31", vmcore.Path, output);
            Assert.Equal(1, rc);
            Assert.Contains("File exists", err);
            Assert.Equal("precious", File.ReadAllText(output));
            (rc, _, err) = TestEnvironment.RunCoresift("-f", "-d", "31", vmcore.Path, output);
            Assert.True(rc == 0, err);
            Assert.NotEqual("precious", File.ReadAllText(output)[..8]);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Theory]
    [InlineData(20_000)]      // inside the headers
    [InlineData(200_000)]     // inside the descriptor table / first pages
    [InlineData(3_000_000)]   // part-way through the pages
    public void A_size_limit_leaves_a_readable_dump_marked_incomplete(long limit)
    {
        var k = Kernel();
        using var vmcore = new TempVmcore(k.ToElf());
        string output = vmcore.Path + ".kdump";
        try
        {
            var (rc, _, err) = TestEnvironment.RunCoresift("-L", limit.ToString(), "-d", "31", vmcore.Path, output);
            Assert.Equal(1, rc);
            Assert.Contains("Size limit", err);
            Assert.True(new FileInfo(output).Length <= limit);
            if (new FileInfo(output).Length < 4096)
                return; // not even the header block fit
            using var file = VmcoreFile.Open(output);
            var dump = new KdumpFile(file, Limits.Default);
            Assert.Equal(0x08u, dump.Status & 0x08u);
            using var input = DumpInput.Open(vmcore.Path, Limits.Default);
            var a = new byte[4096];
            var b = new byte[4096];
            ulong good = 0, lost = 0;
            for (ulong pfn = dump.Dumpable.NextSet(0); pfn != ulong.MaxValue; pfn = dump.Dumpable.NextSet(pfn + 1))
            {
                if (dump.TryReadPage(pfn, a))
                {
                    Assert.True(input.Memory.TryRead(pfn << 12, b));
                    Assert.True(a.AsSpan().SequenceEqual(b));
                    good++;
                }
                else
                {
                    Assert.Equal(0L, dump.Descriptor(pfn).Offset); // lost pages have zero descriptors
                    lost++;
                }
            }
            Assert.True(lost > 0);
            if (limit >= 3_000_000)
                Assert.True(good > 0);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void A_dump_level_list_starts_over_at_the_next_level_when_the_limit_is_hit()
    {
        var k = Kernel();
        using var vmcore = new TempVmcore(k.ToElf());
        string full = vmcore.Path + ".d31", output = vmcore.Path + ".kdump";
        try
        {
            Assert.Equal(0, TestEnvironment.RunCoresift("-d", "31", vmcore.Path, full).Rc);
            long limit = new FileInfo(full).Length + 100;   // -d 31 fits, -d 0 does not
            var (rc, stdout, err) = TestEnvironment.RunCoresift("-L", limit.ToString(), "-d", "0,31", vmcore.Path, output);
            Assert.True(rc == 0, err);
            Assert.Contains("Retry to create a dumpfile by dump_level(31).", stdout);
            Assert.Equal(File.ReadAllBytes(full), File.ReadAllBytes(output));
        }
        finally
        {
            File.Delete(full);
            File.Delete(output);
        }
    }

    [Fact]
    public void The_layout_follows_the_counts()
    {
        var l = KdumpLayout.Plan(4096, 0x1ffdd, 0xfc4, 21078);
        Assert.Equal(2, l.SubHeaderBlocks);    // 104 + 4036 bytes spill into a second block
        Assert.Equal(8, l.BitmapBlocks);       // 16380 bytes per bitmap round up to 4 blocks each
        Assert.Equal(0xb000, l.DescriptorOffset);
        Assert.Equal(0x86810, l.DataOffset);   // as in makedumpfile's file for the same counts
        Assert.Equal(1, KdumpLayout.Plan(4096, 100, 0, 1).SubHeaderBlocks);
    }
}
