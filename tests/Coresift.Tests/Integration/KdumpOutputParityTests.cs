using System.Security.Cryptography;
using Coresift.Common;
using Coresift.Input;
using Xunit.Abstractions;

namespace Coresift.Tests.Integration;

/// <summary>coresift's kdump-compressed files against makedumpfile 1.7.2's, on the sample vmcore.</summary>
public class KdumpOutputParityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("coresift-parity-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs makedumpfile on the sample; null when it is not installed (outside CI).</summary>
    private string? Makedumpfile(string name, params string[] args)
    {
        if (TestEnvironment.Makedumpfile is not { } mdf)
        {
            Assert.False(TestEnvironment.IsCi, "makedumpfile must be installed in CI");
            output.WriteLine("makedumpfile not installed: comparison not run");
            return null;
        }
        string path = Path.Combine(_dir, name);
        var (rc, _, err) = TestEnvironment.Run(mdf, [.. args, path]);
        Assert.True(rc == 0, $"makedumpfile {string.Join(' ', args)}: {err}");
        return path;
    }

    /// <summary>Runs coresift in-process on the sample.</summary>
    private string Coresift(string name, params string[] args)
    {
        string path = Path.Combine(_dir, name);
        var (rc, _, err) = TestEnvironment.RunCoresift([.. args, TestEnvironment.SampleVmcore, path]);
        Assert.True(rc == 0, $"coresift {string.Join(' ', args)}: {err}");
        return path;
    }

    private static string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    public void Uncompressed_output_is_byte_identical_to_makedumpfile(int level)
    {
        string mine = Coresift($"cs-d{level}", "-d", level.ToString());
        string? theirs = Makedumpfile($"mdf-d{level}", "-d", level.ToString(), MakedumpfileCopy.For(TestEnvironment.SampleVmcore));
        if (theirs is null)
            return;
        Assert.Equal(new FileInfo(theirs).Length, new FileInfo(mine).Length);
        Assert.Equal(Sha(theirs), Sha(mine));
    }

    [Theory]
    [InlineData("-c", 0x01u)]
    [InlineData("-l", 0x02u)]
    [InlineData("-p", 0x04u)]
    [InlineData("-z", 0x20u)]
    public void Compressed_output_has_makedumpfiles_bitmaps_and_every_page_of_the_input(string codec, uint flag)
    {
        string mine = Coresift("cs" + codec, codec, "-d", "31");
        string? plain = Makedumpfile("mdf-d31", "-d", "31", MakedumpfileCopy.For(TestEnvironment.SampleVmcore));
        using var mineFile = VmcoreFile.Open(mine);
        var dump = new KdumpFile(mineFile, Limits.Default);
        Assert.Equal(flag, dump.Status);
        using var input = DumpInput.Open(TestEnvironment.SampleVmcore, Limits.Default);
        var a = new byte[4096];
        var b = new byte[4096];
        ulong compressed = 0;
        for (ulong pfn = dump.Dumpable.NextSet(0); pfn != ulong.MaxValue; pfn = dump.Dumpable.NextSet(pfn + 1))
        {
            Assert.True(dump.TryReadPage(pfn, a));
            Assert.True(input.Memory.TryRead(pfn << 12, b));
            Assert.True(a.AsSpan().SequenceEqual(b), $"pfn {pfn:x}");
            var d = dump.Descriptor(pfn);
            Assert.True(d.Flags == 0 || d.Flags == flag);
            if (d.Flags == flag) compressed++;
        }
        Assert.True(compressed > 1000);
        if (plain is null)
            return;
        using var plainFile = VmcoreFile.Open(plain);
        var reference = new KdumpFile(plainFile, Limits.Default);
        Assert.Equal(reference.Backed.Words.ToArray(), dump.Backed.Words.ToArray());
        Assert.Equal(reference.Dumpable.Words.ToArray(), dump.Dumpable.Words.ToArray());
        Assert.Equal(reference.DescriptorOffset, dump.DescriptorOffset);
        Assert.Equal(reference.Utsname, dump.Utsname);
        Assert.Equal(reference.Notes, dump.Notes);
        Assert.Equal((reference.PhysBase, reference.DumpLevel, reference.MaxMapnr, reference.NrCpus, reference.Timestamp),
                     (dump.PhysBase, dump.DumpLevel, dump.MaxMapnr, dump.NrCpus, dump.Timestamp));
    }

    [Theory]
    [InlineData("-c")]
    [InlineData("-l")]
    public void Makedumpfile_refilters_coresifts_compressed_file_into_its_own_output(string codec)
    {
        string mine = Coresift("cs" + codec + "31", codec, "-d", "31");
        string? refiltered = Makedumpfile("refiltered", "-d", "31", mine);
        string? direct = Makedumpfile("mdf-d31", "-d", "31", MakedumpfileCopy.For(TestEnvironment.SampleVmcore));
        if (refiltered is null || direct is null)
            return;
        Assert.Equal(Sha(direct), Sha(refiltered));
    }

    [Fact]
    public void Coresift_refilters_makedumpfiles_level_1_file_into_makedumpfiles_level_31_file()
    {
        string? d1 = Makedumpfile("mdf-d1", "-d", "1", MakedumpfileCopy.For(TestEnvironment.SampleVmcore));
        string? d31 = Makedumpfile("mdf-d31", "-d", "31", MakedumpfileCopy.For(TestEnvironment.SampleVmcore));
        if (d1 is null || d31 is null)
            return;
        string mine = Path.Combine(_dir, "cs-refiltered");
        var (rc, _, err) = TestEnvironment.RunCoresift("-d", "31", d1, mine);
        Assert.True(rc == 0, err);
        Assert.Equal(Sha(d31), Sha(mine));
    }

    [Fact]
    public void Split_members_and_their_reassembly_are_byte_identical_to_makedumpfiles()
    {
        string[] mine = ["cs-s1", "cs-s2", "cs-s3"];
        var (rc, _, err) = TestEnvironment.RunCoresift(["--split", "--splitblock-size", "4096", "-d", "31", TestEnvironment.SampleVmcore, .. mine.Select(m => Path.Combine(_dir, m))]);
        Assert.True(rc == 0, err);
        string joined = Path.Combine(_dir, "cs-joined");
        (rc, _, err) = TestEnvironment.RunCoresift(["--reassemble", .. mine.Reverse().Select(m => Path.Combine(_dir, m)), joined]);
        Assert.True(rc == 0, err);
        var ranges = mine.Select(m =>
        {
            using var f = VmcoreFile.Open(Path.Combine(_dir, m));
            var k = new KdumpFile(f, Limits.Default);
            Assert.True(k.IsSplit);
            return (k.StartPfn, k.EndPfn);
        }).ToArray();
        Assert.Equal(0UL, ranges[0].StartPfn);
        Assert.Equal(ranges[0].EndPfn, ranges[1].StartPfn);
        Assert.True(ranges[1].EndPfn > ranges[1].StartPfn, "the middle member has pages");

        if (TestEnvironment.Makedumpfile is not { } mdf)
        {
            Assert.False(TestEnvironment.IsCi, "makedumpfile must be installed in CI");
            return;
        }
        string[] theirs = ["mdf-s1", "mdf-s2", "mdf-s3"];
        var (mrc, _, merr) = TestEnvironment.Run(mdf, ["--split", "--splitblock-size", "4096", "-d", "31", MakedumpfileCopy.For(TestEnvironment.SampleVmcore), .. theirs.Select(t => Path.Combine(_dir, t))]);
        Assert.True(mrc == 0, merr);
        for (int i = 0; i < 3; i++)
            Assert.Equal(Sha(Path.Combine(_dir, theirs[i])), Sha(Path.Combine(_dir, mine[i])));
        string? direct = Makedumpfile("mdf-d31", "-d", "31", MakedumpfileCopy.For(TestEnvironment.SampleVmcore));
        Assert.Equal(Sha(direct!), Sha(joined));
        // makedumpfile joins coresift's members too.
        string theirJoin = Path.Combine(_dir, "mdf-joined");
        (mrc, _, merr) = TestEnvironment.Run(mdf, ["--reassemble", .. mine.Select(m => Path.Combine(_dir, m)), theirJoin]);
        Assert.True(mrc == 0, merr);
        Assert.Equal(Sha(direct!), Sha(theirJoin));
    }

    [Fact]
    public void A_flattened_stream_rearranges_into_the_same_file_both_ways()
    {
        string direct = Coresift("cs-d31", "-d", "31");
        var stream = new MemoryStream();
        var err = new StringWriter();
        int rc = global::Coresift.App.Commands.CommandRunner.Run(["-F", "-d", "31", TestEnvironment.SampleVmcore], new StringWriter(), err, binaryOut: stream);
        Assert.True(rc == 0, err.ToString());
        Assert.Equal("makedumpfile\0\0\0\0"u8.ToArray(), stream.ToArray()[..16]);
        string rearranged = Path.Combine(_dir, "cs-rearranged");
        stream.Position = 0;
        rc = global::Coresift.App.Commands.CommandRunner.Run(["-R", rearranged], new StringWriter(), err, binaryIn: stream);
        Assert.True(rc == 0, err.ToString());
        Assert.Equal(Sha(direct), Sha(rearranged));
        if (TestEnvironment.Makedumpfile is not { } mdf)
            return;
        string flat = Path.Combine(_dir, "cs.flat");
        File.WriteAllBytes(flat, stream.ToArray());
        string theirs = Path.Combine(_dir, "mdf-rearranged");
        var (mrc, _, merr) = TestEnvironment.Run("sh", ["-c", $"'{mdf}' -R '{theirs}' < '{flat}'"]);
        Assert.True(mrc == 0, merr);
        Assert.Equal(Sha(direct), Sha(theirs));
    }

    [Fact]
    public void Elf_output_matches_makedumpfile_below_max_mapnr_and_holds_every_kept_page()
    {
        string mine = Coresift("cs-E31", "-E", "-d", "31");
        var phdrs = ReadLoads(mine);
        using (var input = DumpInput.Open(TestEnvironment.SampleVmcore, Limits.Default))
        using (var f = File.OpenRead(mine))
        {
            var a = new byte[4096];
            var b = new byte[4096];
            foreach (var (offset, paddr, filesz, memsz) in phdrs)
            {
                Assert.True(memsz >= filesz);
                for (ulong at = 0; at + 4096 <= filesz; at += 4096 * 97) // a sample of pages in every segment
                {
                    f.Position = (long)(offset + at);
                    f.ReadExactly(a);
                    Assert.True(input.Memory.TryRead(paddr + at, b));
                    Assert.True(a.AsSpan().SequenceEqual(b), $"paddr {paddr + at:x}");
                }
            }
        }
        string? theirs = Makedumpfile("mdf-E31", "-E", "-d", "31", MakedumpfileCopy.For(TestEnvironment.SampleVmcore));
        if (theirs is null)
            return;
        // Below max_mapnr (where struct pages decide) the segments are the same; makedumpfile's choices for device
        // memory above it (VGA BAR, BIOS ROM) follow no rule coresift copies: it keeps those pages unless they are zero.
        const ulong maxMapnrBytes = 0x8000000;
        // (Data offsets shift with the number of segments above it, so the geometry is compared.)
        var mineBelow = phdrs.Where(p => p.Paddr < maxMapnrBytes).Select(p => (p.Paddr, p.FileSize, p.MemSize)).ToArray();
        var theirsBelow = ReadLoads(theirs).Where(p => p.Paddr < maxMapnrBytes).Select(p => (p.Paddr, p.FileSize, p.MemSize)).ToArray();
        Assert.True(mineBelow.Length > 5);
        Assert.Equal(theirsBelow, mineBelow);
    }

    /// <summary>(p_offset, p_paddr, p_filesz, p_memsz) of every PT_LOAD of an ELF64 file.</summary>
    private static (ulong Offset, ulong Paddr, ulong FileSize, ulong MemSize)[] ReadLoads(string path)
    {
        var head = new byte[1 << 16];
        using (var f = File.OpenRead(path))
            f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        ulong phoff = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(32));
        int phnum = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(56));
        var list = new List<(ulong, ulong, ulong, ulong)>();
        for (int i = 0; i < phnum; i++)
        {
            var p = head.AsSpan((int)phoff + i * 56);
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(p) != 1)
                continue;
            list.Add((System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(p[8..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(p[24..]),
                      System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(p[32..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(p[40..])));
        }
        return list.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dump_dmesg_from_the_vmcore_and_from_a_compressed_dump_equals_makedumpfiles(bool partial)
    {
        string[] flag = partial ? ["--dump-dmesg", "--partial-dmesg"] : ["--dump-dmesg"];
        string fromVmcore = Coresift("cs-dmesg", flag);
        string dump = Coresift("cs-c31-for-dmesg", "-c", "-d", "31");
        string fromDump = Path.Combine(_dir, "cs-dmesg-from-dump");
        var (rc, _, err) = TestEnvironment.RunCoresift([.. flag, dump, fromDump]);
        Assert.True(rc == 0, err);
        Assert.Equal(File.ReadAllBytes(fromVmcore), File.ReadAllBytes(fromDump));
        Assert.True(new FileInfo(fromVmcore).Length > 10_000);
        string? theirs = Makedumpfile("mdf-dmesg", [.. flag, MakedumpfileCopy.For(TestEnvironment.SampleVmcore)]);
        if (theirs is not null)
            Assert.Equal(Sha(theirs), Sha(fromVmcore));
    }

    [Fact]
    public void Many_cycles_read_every_page_struct_once_and_write_the_same_file()
    {
        string oneCycle = Coresift("cs-l31-one", "-l", "-d", "31");
        string path = Path.Combine(_dir, "cs-l31-cycles");
        var (rc, stdout, err) = TestEnvironment.RunCoresift("--cyclic-buffer", "1", "-D", "-l", "-d", "31", TestEnvironment.SampleVmcore, path);
        Assert.True(rc == 0, err);
        Assert.Contains("cycles       : 4 of 8192 pfns", stdout);
        Assert.Contains("1.00 reads per page struct", stdout);
        Assert.Equal(Sha(oneCycle), Sha(path));
    }

    [Theory]
    [InlineData("-E -d 31")]   // zero pages found cycle by cycle
    [InlineData("-E -d 30")]
    [InlineData("--split -l -d 31")]
    [InlineData("--split -d 0")]
    public void Elf_and_split_outputs_take_the_bitmap_cycle_by_cycle_and_write_the_same_files(string options)
    {
        // -E and --split used to build the whole 2nd bitmap (128 MiB on a 4 TiB machine); now they fetch one cycle at a
        // time. Many cycles must give the very files one cycle gives.
        string[] args = options.Split(' ');
        int files = args.Contains("--split") ? 2 : 1;
        string[] Run(string name, params string[] extra)
        {
            var outs = Enumerable.Range(0, files).Select(i => Path.Combine(_dir, $"{name}{i}")).ToArray();
            var (rc, stdout, err) = TestEnvironment.RunCoresift(["--message-level", "31", .. extra, .. args, TestEnvironment.SampleVmcore, .. outs]);
            Assert.True(rc == 0, err);
            Assert.Contains(extra.Length > 0 ? "cycles       : 4 of 8192 pfns" : "cycles       : 1 of", stdout);
            // The report's counts (zero pages found by the ELF writer, pages written) must agree too.
            var report = stdout.Split('\n').Where(l => l.Contains("Pages filled with zero") || l.StartsWith("Write bytes", StringComparison.Ordinal));
            return [.. outs.Select(Sha), .. report];
        }
        string tag = string.Concat(options.Where(char.IsLetterOrDigit));
        var one = Run($"one-{tag}-");
        Assert.Contains(one, l => l.Contains("Pages filled with zero"));
        Assert.Equal(one, Run($"many-{tag}-", "--cyclic-buffer", "1"));
    }

    [Theory]
    [InlineData("-l")]
    [InlineData("-z")]
    [InlineData("-d")]
    public void Output_is_byte_identical_for_any_number_of_threads(string codec)
    {
        string[] args = codec == "-d" ? ["-d", "31"] : [codec, "-d", "31"];
        var shas = new[] { "1", "2", "4" }.Select(t =>
        {
            string path = Path.Combine(_dir, $"threads{t}{codec}");
            var (rc, _, err) = TestEnvironment.RunCoresift(["--num-threads", t, "--cyclic-buffer", "2", .. args, TestEnvironment.SampleVmcore, path]);
            Assert.True(rc == 0, err);
            return Sha(path);
        }).Distinct().ToArray();
        Assert.Single(shas);
    }
}
