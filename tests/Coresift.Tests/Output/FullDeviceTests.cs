using Coresift.Codecs;
using Coresift.Common;
using Coresift.Filter;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Output;
using Coresift.Tests.Synthetic;
using Microsoft.Win32.SafeHandles;

namespace Coresift.Tests.Output;

/// <summary>ENOSPC at many fill levels, with a fake device that allocates 4 KiB blocks as a file system does.</summary>
public class FullDeviceTests
{
    /// <summary>
    /// A file on a device with room for a number of 4 KiB blocks: a write that needs a new block beyond that room writes
    /// the part that fits and then fails (a short write, then ENOSPC); rewriting blocks already held always works.
    /// </summary>
    private sealed class SmallDevice(string path, long capacityBlocks) : IOutputSink
    {
        private readonly SafeFileHandle _handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        private readonly HashSet<long> _blocks = [];

        public long Length { get; private set; }

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            long end = offset + data.Length;
            for (long block = offset / 4096; block * 4096 < end; block++)
            {
                if (_blocks.Contains(block))
                    continue;
                if (_blocks.Count >= capacityBlocks)
                {
                    int fits = (int)Math.Max(0, block * 4096 - offset);
                    if (fits > 0)
                    {
                        RandomAccess.Write(_handle, data[..fits], offset);
                        Length = Math.Max(Length, offset + fits);
                    }
                    throw new OutputFullException($"Can't write the dump file({path}). No space left on device");
                }
                _blocks.Add(block);
            }
            RandomAccess.Write(_handle, data, offset);
            Length = Math.Max(Length, end);
        }

        public void Flush()
        {
        }

        public void Dispose() => _handle.Dispose();
    }

    private static SyntheticKernel Kernel()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0x100000, 0x2100000)]) { Cpus = 2 };
        var rng = new Random(5);
        for (ulong pfn = 0x100; pfn < 0x1800; pfn++)
        {
            var page = k.Page(pfn);
            if (pfn % 4 == 0) rng.NextBytes(page);
            else if (pfn % 4 == 1) Array.Fill(page, (byte)pfn);
        }
        return k;
    }

    /// <summary>Writes a -l -d 31 dump the way the dump command does, onto a device with room for capacityBlocks.</summary>
    private static KdumpResult WriteDump(string vmcore, string output, long capacityBlocks, int threads)
    {
        using var input = DumpInput.Open(vmcore, Limits.Default);
        var kernel = KernelModel.Build(input, Limits.Default, needPageStructs: true);
        var filter = new DumpFilter(kernel, (DumpLevel)31);
        filter.Run(countZeroPages: false);
        var header = new KdumpHeader { Utsname = new byte[390], MaxMapnr = kernel.MaxMapnr, DumpLevel = 31, NrCpus = 2 };
        using var sink = new SmallDevice(output, capacityBlocks);
        var writer = new KdumpWriter(sink, header, input.ReadNoteSegments(), 4096, filter.DumpablePages);
        KdumpResult result;
        try
        {
            writer.WriteHeaders(filter.Backed, filter.Dumpable, KdumpFlags.Lzo);
            var pages = writer.BeginPages(kernel.Physical, kernel.PageShift, excludeZero: true, () => PageCodecs.Lzo()!, threads);
            pages.Write(filter.Dumpable);
            result = pages.Finish();
        }
        catch (OutputFullException e)
        {
            result = new KdumpResult(sink.Length, 0, 0, true, e.Message);
        }
        if (result.Incomplete)
        {
            try
            {
                writer.RewriteMainHeader(KdumpFlags.Lzo | 0x08);
            }
            catch (OutputFullException)
            {
                // not even the header block fit
            }
        }
        return result;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void At_every_fill_level_the_dump_is_readable_and_marked_incomplete(int threads)
    {
        using var vmcore = new TempVmcore(Kernel().ToElf());
        string full = vmcore.Path + ".full";
        var outputs = new List<string> { full };
        try
        {
            Assert.False(WriteDump(vmcore.Path, full, long.MaxValue, threads).Incomplete);
            long fullBlocks = (new FileInfo(full).Length + 4095) / 4096;
            using var input = DumpInput.Open(vmcore.Path, Limits.Default);
            var a = new byte[4096];
            var b = new byte[4096];
            ulong lastGood = 0;
            // 0 blocks, a header's worth, then 16 levels up to one block short of the full file, then the full file.
            var levels = new List<long> { 0, 1, 2 };
            for (int i = 1; i <= 16; i++)
                levels.Add(Math.Max(3, fullBlocks * i / 16 - (i == 16 ? 1 : 0)));
            levels.Add(fullBlocks);
            foreach (long blocks in levels)
            {
                string output = vmcore.Path + $".{blocks}";
                outputs.Add(output);
                var r = WriteDump(vmcore.Path, output, blocks, threads);
                Assert.Equal(blocks < fullBlocks, r.Incomplete);
                if (new FileInfo(output).Length < 4096)
                    continue; // the header block did not fit: nothing to read, as with makedumpfile
                using var file = VmcoreFile.Open(output);
                KdumpFile dump;
                try
                {
                    dump = new KdumpFile(file, Limits.Default);
                }
                catch (CoresiftException) when (blocks < 8)
                {
                    continue; // header fits but the bitmaps do not: readers reject the file (a few blocks only)
                }
                Assert.Equal(r.Incomplete ? 0x08u : 0u, dump.Status & 0x08u);
                ulong good = 0;
                for (ulong pfn = dump.Dumpable.NextSet(0); pfn != ulong.MaxValue; pfn = dump.Dumpable.NextSet(pfn + 1))
                {
                    if (dump.TryReadPage(pfn, a))
                    {
                        Assert.True(input.Memory.TryRead(pfn << 12, b));
                        Assert.True(a.AsSpan().SequenceEqual(b), $"{blocks} blocks: pfn {pfn:x} differs");
                        good++;
                    }
                    else
                    {
                        Assert.Equal(0L, dump.Descriptor(pfn).Offset);
                    }
                }
                Assert.True(good >= lastGood, $"{blocks} blocks: {good} pages, fewer than {lastGood} with less room");
                lastGood = good;
            }
            Assert.True(lastGood > 0x1000);
        }
        finally
        {
            foreach (var o in outputs)
                File.Delete(o);
        }
    }
}
