using Coresift.Common;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Tests.Integration;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Input;

/// <summary>
/// Input I/O errors (a failing disk, an unreadable part of /proc/vmcore) cost only the pages that fail: a file-backed
/// fake makes chosen file ranges fail with EIO, both for pread and for the mmap path's MADV_POPULATE_READ.
/// </summary>
public class InputIoErrorTests
{
    private const int P = 4096;

    /// <summary>A file of n pages, page i filled with byte (i + 1).</summary>
    private static string PatternFile(int pages)
    {
        string path = Path.Combine(Path.GetTempPath(), $"coresift-eio-{Guid.NewGuid():N}");
        var bytes = new byte[pages * P];
        for (int i = 0; i < pages; i++)
            bytes.AsSpan(i * P, P).Fill((byte)(i + 1));
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Fails any access touching file pages in bad (page numbers).</summary>
    private static Func<long, long, bool> Failing(params int[] bad) =>
        (offset, length) => bad.Any(b => (long)b * P < offset + length && ((long)b + 1) * P > offset);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bad_pages_read_as_zeros_and_are_recorded_once_per_range(bool noMmap)
    {
        string path = PatternFile(64);
        try
        {
            using var f = VmcoreFile.Open(path, noMmap, Failing(3, 10, 11, 12));
            Assert.Equal(!noMmap, f.IsMapped);
            var buf = new byte[64 * P];
            Assert.False(f.ReadOrZero(0, buf));
            for (int i = 0; i < 64; i++)
            {
                byte expect = i is 3 or (>= 10 and <= 12) ? (byte)0 : (byte)(i + 1);
                Assert.True(buf.AsSpan(i * P, P).IndexOfAnyExcept(expect) < 0, $"page {i}");
            }
            Assert.Equal([new LostRange(3 * P, P), new LostRange(10 * P, 3 * P)], f.Errors.Ranges);
            // Reading again finds nothing new; good pages stay readable, bad ones stay zero.
            var page = new byte[P];
            Assert.True(f.ReadOrZero(4 * P, page));
            Assert.Equal(5, page[0]);
            Assert.False(f.ReadOrZero(11 * P + 100, page.AsSpan(0, 200)));
            Assert.Equal(2, f.Errors.Ranges.Count);
            if (!noMmap)
            {
                Assert.True(f.TryGetSpan(20 * P, P, out var span));
                Assert.Equal(21, span[0]);
                Assert.False(f.TryGetSpan(12 * P, P, out _)); // callers fall back to ReadOrZero
                Assert.True(f.PopulatesWindows);
                Assert.True(f.WindowsScanned >= 1);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Strict_reads_of_bad_pages_give_one_line_errors(bool noMmap)
    {
        string path = PatternFile(8);
        try
        {
            using var f = VmcoreFile.Open(path, noMmap, Failing(2));
            var buf = new byte[P];
            f.ReadExactly(P, buf);
            var e = Assert.Throws<CoresiftException>(() => f.ReadExactly(2 * P + 8, buf.AsSpan(0, 16)));
            Assert.Contains("Can't read the dump memory", e.Message);
            Assert.Contains("0x2008", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Windows_that_fail_population_but_read_fine_are_read_with_pread_not_through_the_mapping()
    {
        // A file the kernel cannot map in places (a hole on a full tmpfs: touching it raises SIGBUS) while pread
        // reads it: population fails there, so those windows must never be touched through the mapping.
        string path = PatternFile(64);
        try
        {
            using var f = VmcoreFile.Open(path, false, (o, l) => l >= 16 * P);
            var buf = new byte[P];
            var expected = File.ReadAllBytes(path);
            for (int i = 0; i < 64; i += 16)
            {
                Assert.True(f.ReadOrZero((long)i * P, buf));
                Assert.True(buf.AsSpan().SequenceEqual(expected.AsSpan(i * P, P)), $"page {i}");
                Assert.False(f.TryGetSpan((long)i * P, P, out _), $"page {i} was offered through the mapping");
            }
            Assert.True(f.PopulatesWindows); // only /proc files (PFN mappings) turn population off
            Assert.False(f.Errors.Any);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A synthetic 6.1 kernel with 16 MiB of RAM at 1 MiB: data pages filled, a free block and page cache.</summary>
    private static SyntheticKernel Kernel()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x100000, 0x1100000)]);
        for (ulong pfn = 0x100; pfn < k.KernelStructuresStartPfn; pfn++)
            k.FillPage(pfn, (byte)(pfn | 1));
        k.SetBuddy(0x800, 4);                                  // 16 free pages
        for (ulong i = 0; i < 8; i++)
            k.SetPageCache(0x820 + i, privateData: false);
        return k;
    }

    /// <summary>The file offset of a physical address in an ELF vmcore.</summary>
    private static long FileOffset(string vmcore, ulong paddr)
    {
        using var file = VmcoreFile.Open(vmcore, noMmap: true);
        var core = ElfCore.Read(file, Limits.Default);
        foreach (var l in core.Loads)
            if (paddr >= l.PhysicalAddress && paddr < l.PhysicalAddress + l.FileSize)
                return (long)(l.Offset + (paddr - l.PhysicalAddress));
        throw new ArgumentException($"paddr {paddr:x} is not in the file");
    }

    /// <summary>Runs the CLI with the given file ranges failing; returns the exit code and the messages.</summary>
    private static (int Rc, string Out, string Err) RunWithFaults(Func<long, long, bool> failing, params string[] args)
    {
        DumpInput.FaultsForTests.Value = failing;
        try
        {
            return TestEnvironment.RunCoresift(args);
        }
        finally
        {
            DumpInput.FaultsForTests.Value = null;
        }
    }

    [Theory]
    [InlineData("-l", "31", false, 0)]
    [InlineData("-l", "31", true, 0)]
    [InlineData("-c", "0", false, 0)]
    [InlineData("-E", "31", false, 0)]
    [InlineData("-E", "0", true, 0)]
    [InlineData("-l", "0", false, 1)]   // one thread: pages through the mapping
    [InlineData("-l", "0", false, 2)]   // two: runs of pages with pread
    public void A_bad_range_of_page_data_costs_only_its_pages(string format, string level, bool noMmap, int threads)
    {
        var k = Kernel();
        using var vmcore = new TempVmcore(k.ToElf());
        string output = vmcore.Path + ".out";
        try
        {
            // Pages 0x500-0x503 (4 pages) and 0x700 fail.
            long bad1 = FileOffset(vmcore.Path, 0x500000), bad2 = FileOffset(vmcore.Path, 0x700000);
            Func<long, long, bool> failing = (o, l) => (o < bad1 + 4 * P && o + l > bad1) || (o < bad2 + P && o + l > bad2);
            var args = new List<string> { format, "-d", level };
            if (noMmap)
                args.Add("--non-mmap");
            if (threads > 0)
                args.AddRange(["--num-threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            args.AddRange([vmcore.Path, output]);
            var (rc, stdout, stderr) = RunWithFaults(failing, [.. args]);
            Assert.True(rc == 0, stdout + stderr);
            Assert.Contains($"WARNING: input read error (Input/output error) at file offsets 0x{bad1:x}-0x{bad1 + 4 * P:x}, pfn 0x500-0x504: 4 pages hit, 4 of them in the dump (unreadable bytes as zeros).", stdout);
            Assert.Contains($"at file offsets 0x{bad2:x}-0x{bad2 + P:x}, pfn 0x700-0x701: 1 pages hit", stdout);
            Assert.Contains("WARNING: 5 pages could not be read, wholly or partly, from the input (2 ranges); 5 of them are in the dump with their unreadable bytes as zeros.", stdout);
            Assert.Equal(2, stdout.Split('\n').Count(l => l.StartsWith("WARNING: input read error", StringComparison.Ordinal)));

            // The dump is complete and readable: lost pages are zeros, their neighbours intact.
            using var dump = DumpInput.Open(output, Limits.Default);
            var page = new byte[P];
            foreach (ulong pfn in new ulong[] { 0x4ff, 0x504, 0x6ff, 0x701, 0x600 })
            {
                Assert.True(dump.Memory.TryRead(pfn << 12, page), $"pfn {pfn:x}");
                Assert.True(page.AsSpan().IndexOfAnyExcept((byte)(pfn | 1)) < 0, $"pfn {pfn:x}");
            }
            foreach (ulong pfn in new ulong[] { 0x500, 0x503, 0x700 })
                Assert.True(!dump.Memory.TryRead(pfn << 12, page) || page.AsSpan().IndexOfAnyExcept((byte)0) < 0, $"pfn {pfn:x}");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unreadable_page_structs_keep_their_pages(bool noMmap)
    {
        var k = Kernel();
        using var vmcore = new TempVmcore(k.ToElf());
        string output = vmcore.Path + ".out";
        try
        {
            // The page holding the struct pages of the free block and the page cache (pfns 0x800-0x83f) fails.
            ulong structPage = k.StructPageAddress(0x800) & ~0xfffUL;
            Assert.Equal(structPage, k.StructPageAddress(0x83f) & ~0xfffUL);
            long bad = FileOffset(vmcore.Path, structPage);
            var args = new List<string> { "-l", "-d", "31" };
            if (noMmap)
                args.Add("--non-mmap");
            args.AddRange([vmcore.Path, output]);
            var (rc, stdout, stderr) = RunWithFaults((o, l) => o < bad + P && o + l > bad, [.. args]);
            Assert.True(rc == 0, stdout + stderr);
            Assert.Contains("WARNING: 64 page structs could not be read (unmapped mem_map, or input I/O errors); those pages were kept.", stdout);
            Assert.Contains($"pfn 0x{structPage >> 12:x}-0x{(structPage >> 12) + 1:x}: 1 pages hit, 1 of them in the dump (unreadable bytes as zeros).", stdout);
            using var dump = DumpInput.Open(output, Limits.Default);
            var kdump = dump.Kdump!;
            // The free pages and the page cache whose struct pages were lost are kept, with their data.
            Assert.True(kdump.Dumpable.Test(0x800));
            Assert.True(kdump.Dumpable.Test(0x80f));
            Assert.True(kdump.Dumpable.Test(0x827));
            var page = new byte[P];
            Assert.True(dump.Memory.TryRead(0x825000, page));
            Assert.Equal(unchecked((byte)(0x825 | 1)), page[100]);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_bad_note_segment_is_a_one_line_error(bool noMmap)
    {
        var k = Kernel();
        using var vmcore = new TempVmcore(k.ToElf());
        string output = vmcore.Path + ".out";
        try
        {
            using (var file = VmcoreFile.Open(vmcore.Path, noMmap: true))
            {
                var note = ElfCore.Read(file, Limits.Default).FindNote("VMCOREINFO")!.Value;
                var args = new List<string> { "-l", "-d", "31" };
                if (noMmap)
                    args.Add("--non-mmap");
                args.AddRange([vmcore.Path, output]);
                var (rc, stdout, stderr) = RunWithFaults((o, l) => o < note.DescOffset + 8 && o + l > note.DescOffset, [.. args]);
                Assert.Equal(1, rc);
                string err = stderr.Trim();
                Assert.StartsWith("coresift: Can't read the dump memory(", err);
                Assert.Contains("Input/output error", err);
                Assert.DoesNotContain('\n', err);
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Direct_reads_use_pread_and_lose_only_the_bad_pages()
    {
        string path = PatternFile(64);
        try
        {
            using var f = VmcoreFile.Open(path, noMmap: false, Failing(5, 40));
            Assert.True(f.IsMapped);
            Assert.False(f.OnProcfs);
            // Not on a page boundary, as a QEMU core's data (0x558 into a file page).
            var buf = new byte[48 * P];
            Assert.False(f.ReadDirect(0x558, buf));
            for (int i = 0; i < 48; i++)
            {
                // Byte k of buf is file byte 0x558 + k: file page (0x558 + k) / P.
                int first = i * P, split = P - 0x558;
                byte lo = (byte)(i is 5 or 40 ? 0 : i + 1), hi = (byte)(i + 1 is 5 or 40 ? 0 : i + 2);
                Assert.True(buf.AsSpan(first, split).IndexOfAnyExcept(lo) < 0, $"page {i}, first part");
                Assert.True(buf.AsSpan(first + split, 0x558).IndexOfAnyExcept(hi) < 0, $"page {i}, second part");
            }
            Assert.Equal([new LostRange(5 * P, P), new LostRange(40 * P, P)], f.Errors.Ranges);
            // The bad pages were found by pread page by page: no window of the mapping was faulted in or scanned.
            Assert.Equal(0, f.WindowsScanned);
            Assert.True(f.ReadDirect(50 * P, buf.AsSpan(0, 4 * P)));
            Assert.Equal(51, buf[0]);
            Assert.Equal(54, buf[4 * P - 1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_file_on_procfs_is_known_as_such()
    {
        // /proc/vmcore is on procfs; any procfs file with a size shows the check (kcore is absent in some containers).
        string? proc = new[] { "/proc/kcore", "/proc/self/auxv", "/proc/self/stat" }.FirstOrDefault(File.Exists);
        Assert.NotNull(proc);
        using (var f = VmcoreFile.Open(proc!, noMmap: true))
            Assert.True(f.OnProcfs);
        string path = PatternFile(1);
        try
        {
            using var g = VmcoreFile.Open(path);
            Assert.False(g.OnProcfs);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
