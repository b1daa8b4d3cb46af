using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Integration;

/// <summary>Bad input gives one line on stderr and exit code 1, in-process and from the static binary.</summary>
public class BadInputTests
{
    /// <summary>Hostile or broken inputs, each written to a temporary file.</summary>
    public static TheoryData<string> Cases => new() { "truncated", "not-elf", "no-vmcoreinfo", "absurd-phnum", "empty", "garbage-vmcoreinfo", "missing", "absurd-filesz" };

    private static byte[]? Make(string kind)
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x1000, 0x2000000)]);
        return kind switch
        {
            "truncated" => k.ToElf()[..20000],
            "not-elf" => "not a vmcore\n"u8.ToArray(),
            "no-vmcoreinfo" => k.ToElf(new ElfOptions { OmitVmcoreinfo = true }),
            "absurd-phnum" => new SyntheticKernel(Generation.Linux6_1, [(0x1000, 0x200000)]).ToElf(new ElfOptions { PhnumOverride = 0xfffe }),
            "absurd-filesz" => WithHugeFilesz(k.ToElf()),
            "empty" => [],
            "garbage-vmcoreinfo" => k.ToElf(new ElfOptions { VmcoreinfoOverride = "PAGESIZE=4096\nSIZE(page)=64\nOFFSET(page.mapping)=24\nSYMBOL(mem_section)=ffff888000001000\nSYMBOL(init_top_pgt)=ffffffff80001000\n" }),
            _ => null,
        };
    }

    /// <summary>Sets the first PT_LOAD's p_filesz and p_memsz to 2^60.</summary>
    private static byte[] WithHugeFilesz(byte[] elf)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(64 + 56 + 32), 1UL << 60);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(64 + 56 + 40), 1UL << 60);
        return elf;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void In_process_bad_input_is_one_line_and_exit_1(string kind)
    {
        var bytes = Make(kind);
        using var f = bytes is null ? null : new TempVmcore(bytes);
        string path = f?.Path ?? "/nonexistent/vmcore";
        var (rc, _, stderr) = TestEnvironment.RunCoresift("--dry-run", "-d", "31", path, "/nonexistent/out");
        Assert.Equal(1, rc);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("coresift: ", lines[0]);
        Assert.DoesNotContain("internal error", lines[0]);
        Assert.DoesNotContain(" at ", lines[0]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_static_binary_reports_bad_input_in_one_line(string kind)
    {
        if (TestEnvironment.Binary is not { } bin)
        {
            Assert.False(TestEnvironment.IsCi, "CORESIFT_BINARY must be set in CI");
            return;
        }
        var bytes = Make(kind);
        using var f = bytes is null ? null : new TempVmcore(bytes);
        var (rc, _, stderr) = TestEnvironment.Run(bin, ["--dry-run", "-d", "31", f?.Path ?? "/nonexistent/vmcore", "/nonexistent/out"]);
        Assert.Equal(1, rc);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("coresift: ", lines[0]);
        Assert.DoesNotContain("IO_", lines[0]); // no stripped resource keys
    }

    [Fact]
    public void A_dump_level_that_needs_no_page_structs_works_without_vmcoreinfo()
    {
        using var f = new TempVmcore(Make("no-vmcoreinfo")!);
        var (rc, stdout, stderr) = TestEnvironment.RunCoresift("--dry-run", "--message-level", "23", "-d", "1", f.Path, "/nonexistent/out");
        Assert.True(rc == 0, stderr);
        Assert.Equal(0x1fffUL, StatsReport.Parse(stdout).Counts["Original pages"]);
    }
}
