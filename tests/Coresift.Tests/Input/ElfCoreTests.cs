using System.Buffers.Binary;
using Coresift.Common;
using Coresift.Input;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Input;

public class ElfCoreTests
{
    private static SyntheticKernel Small() => new(Generation.Linux6_1, [(0x1000, 0x2000000)]);

    [Fact]
    public void Reads_program_headers_where_e_phoff_points_as_QEMU_writes_them()
    {
        var k = Small();
        k.FillPage(0x100);
        using var at64 = new TempVmcore(k.ToElf(new ElfOptions { ProgramHeaderOffset = 64 }));
        using var at192 = new TempVmcore(k.ToElf(new ElfOptions { ProgramHeaderOffset = 192 }));
        var a = at64.Filter(31).Stats;
        var b = at192.Filter(31).Stats;
        Assert.Equal(a.FormatReport(), b.FormatReport());
        Assert.Equal(0x1fffUL, a.OriginalPages);
    }

    [Fact]
    public void Counts_cpus_from_CORE_prstatus_notes_and_finds_vmcoreinfo()
    {
        var k = Small();
        k.Cpus = 3;
        using var f = new TempVmcore(k.ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        Assert.Equal(3, input.CpuCount);
        Assert.NotNull(input.VmcoreInfoBytes);
        Assert.StartsWith("OSRELEASE=6.1.0-synthetic", System.Text.Encoding.ASCII.GetString(input.VmcoreInfoBytes!));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(300)]
    [InlineData(5000)]
    public void A_truncated_file_is_a_one_line_error(int keep)
    {
        var bytes = Small().ToElf();
        using var f = new TempVmcore(bytes[..keep]);
        var e = Assert.ThrowsAny<CoresiftException>(() => DumpInput.Open(f.Path, Limits.Default).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        Assert.Matches("truncated|too short", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_ELF_is_rejected()
    {
        using var f = new TempVmcore(System.Text.Encoding.ASCII.GetBytes("this is not a core dump at all, just text\n"));
        var e = Assert.Throws<BadInputException>(() => DumpInput.Open(f.Path, Limits.Default).Dispose());
        Assert.Contains("is not an ELF", e.Message);
    }

    [Fact]
    public void An_absurd_program_header_count_is_refused_before_allocation()
    {
        var bytes = Small().ToElf(new ElfOptions { PhnumOverride = 0xfffe });
        using var f = new TempVmcore(bytes);
        var strict = new Limits { MaxProgramHeaders = 100 };
        var e = Assert.Throws<BadInputException>(() => DumpInput.Open(f.Path, strict).Dispose());
        Assert.Contains("exceeds the limit", e.Message);
    }

    [Fact]
    public void A_segment_past_the_end_of_the_file_is_reported()
    {
        var bytes = Small().ToElf();
        // Grow the first PT_LOAD's p_filesz beyond the file.
        int load = 64 + 56;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(load + 32), 1UL << 40);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(load + 40), 1UL << 40);
        using var f = new TempVmcore(bytes);
        var e = Assert.Throws<BadInputException>(() => DumpInput.Open(f.Path, Limits.Default).Dispose());
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Missing_vmcoreinfo_is_fatal_only_for_levels_that_need_page_structs()
    {
        var k = Small();
        k.FillPage(0x200);
        using var f = new TempVmcore(k.ToElf(new ElfOptions { OmitVmcoreinfo = true }));
        var d1 = f.Filter(1).Stats;
        Assert.Equal(0x1fffUL, d1.OriginalPages);
        Assert.True(d1.Zero > 0);
        var e = Assert.Throws<BadInputException>(() => f.Filter(31));
        Assert.Contains("doesn't contain vmcoreinfo", e.Message);
    }
}

public class Elf32CoreTests
{
    [Fact]
    public void An_ELF32_core_is_read_for_the_levels_that_need_no_page_structs()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 0x800000)]);
        k.FillPage(0x10);
        using var f = new TempVmcore(k.ToElf(new ElfOptions { Elf32 = true, OmitVmcoreinfo = true }));
        using var input = DumpInput.Open(f.Path, Limits.Default);
        Assert.False(input.Elf!.Is64Bit);
        Assert.Equal(Coresift.Input.ElfLayout.Em386, input.Elf!.Machine);
        Assert.Equal(2, input.CpuCount);
        var stats = f.Filter(1).Stats;
        Assert.Equal(0x800UL, stats.OriginalPages);
        ulong nonZero = (ulong)Enumerable.Range(0, 0x800).Count(p => k.Page((ulong)p).AsSpan().ContainsAnyExcept((byte)0));
        Assert.Equal(0x800UL - nonZero, stats.Zero);
    }
}
