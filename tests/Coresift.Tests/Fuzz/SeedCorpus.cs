using System.Buffers.Binary;
using System.Text;
using Coresift.Codecs;
using Coresift.Common;
using Coresift.Fuzzing;
using Coresift.Input;
using Coresift.Output;
using Coresift.Tests.Kernel.Dmesg;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Fuzz;

/// <summary>
/// Builds the seed corpora of tests/fuzz/corpus/TARGET/ from the synthetic builders. The files are committed; rebuild them with
/// <c>CORESIFT_WRITE_FUZZ_CORPUS=1 dotnet test tests/Coresift.Tests --filter FullyQualifiedName~SeedCorpus</c>.
/// </summary>
public static class SeedCorpus
{
    /// <summary>Every seed: (target, file name, bytes).</summary>
    public static IEnumerable<(string Target, string Name, byte[] Bytes)> All()
    {
        foreach (var (n, b) in KernelSeeds())
            yield return ("kernel", n, b);
        foreach (var (n, b) in DmesgSeeds())
            yield return ("dmesg", n, b);
        foreach (var (n, b) in VmcoreinfoSeeds())
            yield return ("vmcoreinfo", n, b);
        foreach (var (n, b) in ElfSeeds())
            yield return ("elf", n, b);
        foreach (var (n, b) in KdumpSeeds())
        {
            yield return ("kdump", n, b);
            if (n is "v6-lzo" or "v6-mixed" or "v1-raw")
                yield return ("flattened", n, Flatten(b, reorder: n == "v6-mixed"));
        }
        foreach (var (n, b) in LzoSeeds())
            yield return ("lzo", n, b);
        foreach (var (n, b) in CodecSeeds())
            yield return ("codecs", n, b);
    }

    /// <summary>Synthetic kernels of three generations and memory models, with some classified struct pages.</summary>
    private static IEnumerable<(string, SyntheticKernel)> Kernels()
    {
        var a = new SyntheticKernel(Generation.Linux6_1, [(0, 16UL << 20)]);
        a.SetBuddy(0x100, 3);
        a.SetPageCache(0x200, privateData: true);
        a.SetAnon(0x201);
        a.SetSlab(0x202, mappingBit0: false);
        a.SetCompound(0x300, 2, "hugetlb");
        a.SetOffline(0x400);
        a.SetHwpoison(0x401);
        yield return ("6.1-vmemmap", a);
        var b = new SyntheticKernel(Generation.Linux4_14, [(0, 8UL << 20)], sectionBits: 20, physBits: 28, model: MemModelKind.StaticSparse);
        b.SetBuddy(0x10, 1);
        b.SetCompound(0x20, 1, "thp");
        yield return ("4.14-static", b);
        var c = new SyntheticKernel(Generation.Linux6_12, [(0, 4UL << 20)], model: MemModelKind.Flat);
        c.SetBuddy(0x10, 2);
        c.SetSlab(0x30, mappingBit0: false);
        yield return ("6.12-flat", c);
        var d = new SyntheticKernel(Generation.Linux6_12, [(0x100000, 8UL << 20)], levels: 5) { PhysBase = 0x200000 };
        d.SetBuddy(0x200, 0);
        yield return ("6.12-5level", d);
    }

    private static IEnumerable<(string, byte[])> KernelSeeds() =>
        Kernels().Select(k => (k.Item1, ElfToSparse(k.Item2.ToElf())));

    private static IEnumerable<(string, byte[])> DmesgSeeds()
    {
        var plain = new DmesgImage { OsRelease = "2.6.32-synthetic" };
        var p = new PlainLogBuilder(plain, 512);
        p.Write("<6>Linux version 2.6.32\n<4>first line\n<3>an error\nno level\n");
        yield return ("plain", ElfToSparse(plain.ToVmcore()));

        var records = new DmesgImage { OsRelease = "5.4.0-synthetic" };
        new PrintkLogBuilder(records, 1024, exportCallerId: true).Add(
            LogEntry.Of(1_000_000, "Linux version 5.4"), LogEntry.Of(2_500_000, "multi\nline", 0x80000001), LogEntry.Of(3_000_000, "tab\tand \x7f"));
        yield return ("printk_log", ElfToSparse(records.ToVmcore()));

        var ring = new DmesgImage();
        new PrintkRingBuilder(ring, 4, 9).Add(
            LogEntry.Of(1_000, "Linux version 6.1"), LogEntry.Of(2_000, "second", 0x80000002), LogEntry.Of(3_000, "third line\nwith newline"));
        yield return ("ringbuffer", ElfToSparse(ring.ToVmcore()));

        var old = new DmesgImage { OsRelease = "5.10.0-synthetic" };
        var o = new PrintkRingBuilder(old, 3, 8, latched: false, oldRingLayout: true);
        for (int i = 0; i < 12; i++)
            o.Add(LogEntry.Of((ulong)i * 1000, $"wrapped record {i}"));
        yield return ("ringbuffer-wrapped", ElfToSparse(old.ToVmcore()));
    }

    private static IEnumerable<(string, byte[])> VmcoreinfoSeeds()
    {
        foreach (var (name, k) in Kernels())
            yield return (name, Encoding.ASCII.GetBytes(k.VmcoreinfoText()));
        var ring = new DmesgImage();
        new PrintkRingBuilder(ring, 4, 9);
        yield return ("dmesg-ring", Encoding.ASCII.GetBytes(ring.VmcoreinfoText));
        yield return ("crlf-dup", "OSRELEASE=6.1\r\nPAGESIZE=0x1000\r\nPAGESIZE=8192\nSIZE(page)=64\nOFFSET(page.mapping)=24\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(PG_slab)=9\n=x\nnoequals\n\0tail"u8.ToArray());
    }

    /// <summary>ELF cores: a synthetic kernel whose non-zero pages are PT_LOADs (plus a memsz-only RAM load), and small variants.</summary>
    private static IEnumerable<(string, byte[])> ElfSeeds()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 16UL << 20)]);
        k.SetBuddy(0x100, 3);
        var runs = NonZeroPageRuns(k.ToElf());
        var opts = new ElfOptions { SegmentsOverride = runs };
        opts.ExtraLoads.Add((0, 0, 16UL << 20, 0));
        yield return ("sparse-6.1", k.ToElf(opts));
        var small = new SyntheticKernel(Generation.Linux6_1, [(0, 1UL << 20)]) { Cpus = 1 };
        yield return ("qemu-phoff192", small.ToElf(new ElfOptions { ProgramHeaderOffset = 192, SegmentsOverride = [(0, 8192)] }));
        yield return ("elf32", small.ToElf(new ElfOptions { Elf32 = true, SegmentsOverride = [(0x1000, 0x2000)] }));
        var kernelText = new ElfOptions { OmitVmcoreinfo = true, SegmentsOverride = [(0, 4096)] };
        kernelText.ExtraLoads.Add((0x1000000, 4096, 8192, 0xffffffff81000000));
        yield return ("no-vmcoreinfo-ktext", small.ToElf(kernelText));
    }

    /// <summary>Hand-made kdump-compressed files: 1 KiB blocks, 24 pfns, every page codec, version 1/3/6, split and incomplete.</summary>
    private static IEnumerable<(string, byte[])> KdumpSeeds()
    {
        yield return ("v6-raw", Kdump(6, 0, split: false, lost: false));
        yield return ("v6-lzo", Kdump(6, KdumpFlags.Lzo, split: false, lost: false));
        yield return ("v6-zlib", Kdump(6, KdumpFlags.Zlib, split: false, lost: false));
        yield return ("v6-snappy", Kdump(6, KdumpFlags.Snappy, split: false, lost: false));
        yield return ("v6-zstd", Kdump(6, KdumpFlags.Zstd, split: false, lost: false));
        yield return ("v6-mixed", Kdump(6, uint.MaxValue, split: false, lost: true));
        yield return ("v6-split", Kdump(6, KdumpFlags.Lzo, split: true, lost: false));
        yield return ("v3-vmcoreinfo", Kdump(3, KdumpFlags.Zlib, split: false, lost: false));
        yield return ("v1-raw", Kdump(1, 0, split: false, lost: false));
    }

    /// <summary>Writes one kdump-compressed file. codec uint.MaxValue = each page a different codec.</summary>
    private static byte[] Kdump(int version, uint codec, bool split, bool lost)
    {
        const int block = 1024;
        const int mapnr = 24;
        string vmcoreinfo = "OSRELEASE=6.1.0-synthetic\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff82000000\nNUMBER(phys_base)=0\n";
        var noteWriter = new MemoryStream();
        noteWriter.Write(Note("VMCOREINFO", 0, Encoding.ASCII.GetBytes(vmcoreinfo)));
        noteWriter.Write(Note("CORE", 1, new byte[48]));
        byte[] notes = noteWriter.ToArray();
        long noteOff = block + KdumpFormat.SubHeader.Size;
        int subBlocks = (int)((KdumpFormat.SubHeader.Size + notes.Length + 64 + block - 1) / block);
        long bitmap1 = (1 + subBlocks) * (long)block;
        long descOff = bitmap1 + 2 * block;
        var backed = new bool[mapnr];
        var dumpable = new bool[mapnr];
        for (int i = 0; i < mapnr; i++)
        {
            backed[i] = i is not (5 or 6);
            dumpable[i] = backed[i] && i % 4 != 3;
        }
        int ndump = dumpable.Count(d => d);
        long dataOff = descOff + ndump * KdumpFormat.PageDesc.Size;
        var file = new MemoryStream();
        file.SetLength(dataOff);
        var descs = new List<(long, uint, uint)>();
        uint[] codecs = [0, KdumpFlags.Lzo, KdumpFlags.Zlib, KdumpFlags.Snappy, KdumpFlags.Zstd];
        int n = 0;
        for (int pfn = 0; pfn < mapnr; pfn++)
        {
            if (!dumpable[pfn])
                continue;
            var page = new byte[block];
            for (int i = 0; i < block; i++)
                page[i] = (byte)(i % 7 == 0 ? pfn : i / 64);
            uint flag = codec == uint.MaxValue ? codecs[n % codecs.Length] : codec;
            byte[] stored = flag == 0 ? page : Compress(flag, page);
            if (lost && n == 3)
            {
                descs.Add((0, 0, 0));
            }
            else
            {
                descs.Add((file.Length, (uint)stored.Length, stored.Length == block && flag != 0 ? 0 : flag));
                file.Position = file.Length;
                file.Write(stored.Length == block ? page : stored);
            }
            n++;
        }
        var bytes = file.ToArray();
        var h = bytes.AsSpan();
        "KDUMP   "u8.CopyTo(h);
        BinaryPrimitives.WriteInt32LittleEndian(h[KdumpFormat.Header.Version..], version);
        Encoding.ASCII.GetBytes("Linux").CopyTo(h[KdumpFormat.Header.Utsname..]);
        Encoding.ASCII.GetBytes("x86_64").CopyTo(h[(KdumpFormat.Header.Utsname + 4 * 65)..]);
        BinaryPrimitives.WriteInt64LittleEndian(h[KdumpFormat.Header.TimestampSec..], 1700000000);
        BinaryPrimitives.WriteUInt32LittleEndian(h[KdumpFormat.Header.Status..], codec == uint.MaxValue ? KdumpFlags.Incomplete | KdumpFlags.Lzo : codec);
        BinaryPrimitives.WriteInt32LittleEndian(h[KdumpFormat.Header.BlockSize..], block);
        BinaryPrimitives.WriteInt32LittleEndian(h[KdumpFormat.Header.SubHdrSize..], subBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(h[KdumpFormat.Header.BitmapBlocks..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(h[KdumpFormat.Header.MaxMapnr..], mapnr);
        BinaryPrimitives.WriteInt32LittleEndian(h[KdumpFormat.Header.NrCpus..], 2);
        var s = h[block..];
        BinaryPrimitives.WriteInt64LittleEndian(s[KdumpFormat.SubHeader.PhysBase..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(s[KdumpFormat.SubHeader.DumpLevel..], 31);
        BinaryPrimitives.WriteInt32LittleEndian(s[KdumpFormat.SubHeader.Split..], split ? 1 : 0);
        BinaryPrimitives.WriteUInt64LittleEndian(s[KdumpFormat.SubHeader.StartPfn..], split ? 8UL : 0);
        BinaryPrimitives.WriteUInt64LittleEndian(s[KdumpFormat.SubHeader.EndPfn..], split ? 20UL : 0);
        long vmciOff = noteOff + 12 + 12; // "VMCOREINFO\0" padded to 12
        if (version >= 3)
        {
            BinaryPrimitives.WriteInt64LittleEndian(s[KdumpFormat.SubHeader.OffsetVmcoreinfo..], vmciOff);
            BinaryPrimitives.WriteInt64LittleEndian(s[KdumpFormat.SubHeader.SizeVmcoreinfo..], vmcoreinfo.Length);
        }
        if (version >= 4)
        {
            BinaryPrimitives.WriteInt64LittleEndian(s[KdumpFormat.SubHeader.OffsetNote..], noteOff);
            BinaryPrimitives.WriteInt64LittleEndian(s[KdumpFormat.SubHeader.SizeNote..], notes.Length);
        }
        if (version >= 5)
        {
            long eraseOff = noteOff + notes.Length;
            "erase x\n"u8.CopyTo(s[(int)(eraseOff - block)..]);
            BinaryPrimitives.WriteInt64LittleEndian(s[KdumpFormat.SubHeader.OffsetEraseinfo..], eraseOff);
            BinaryPrimitives.WriteInt64LittleEndian(s[KdumpFormat.SubHeader.SizeEraseinfo..], 8);
        }
        if (version >= 6)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(s[KdumpFormat.SubHeader.StartPfn64..], split ? 8UL : 0);
            BinaryPrimitives.WriteUInt64LittleEndian(s[KdumpFormat.SubHeader.EndPfn64..], split ? 20UL : 0);
            BinaryPrimitives.WriteUInt64LittleEndian(s[KdumpFormat.SubHeader.MaxMapnr64..], mapnr);
        }
        notes.CopyTo(h[(int)noteOff..]);
        for (int pfn = 0; pfn < mapnr; pfn++)
        {
            if (backed[pfn])
                h[(int)bitmap1 + pfn / 8] |= (byte)(1 << (pfn % 8));
            if (dumpable[pfn])
                h[(int)bitmap1 + block + pfn / 8] |= (byte)(1 << (pfn % 8));
        }
        for (int i = 0; i < descs.Count; i++)
        {
            var d = h[(int)(descOff + i * KdumpFormat.PageDesc.Size)..];
            BinaryPrimitives.WriteInt64LittleEndian(d, descs[i].Item1);
            BinaryPrimitives.WriteUInt32LittleEndian(d[KdumpFormat.PageDesc.DataSize..], descs[i].Item2);
            BinaryPrimitives.WriteUInt32LittleEndian(d[KdumpFormat.PageDesc.Flags..], descs[i].Item3);
        }
        return bytes;
    }

    private static byte[] Compress(uint flag, byte[] page)
    {
        IPageCodec codec = flag switch
        {
            KdumpFlags.Zlib => new ZlibPageCodec(),
            KdumpFlags.Snappy => new SnappyPageCodec(),
            KdumpFlags.Zstd => new ZstdPageCodec(),
            _ => new LzoPageCodec(),
        };
        var dst = new byte[codec.MaxCompressedLength(page.Length)];
        int n = codec.Compress(page, dst);
        return n <= 0 || n >= page.Length ? page : dst.AsSpan(0, n).ToArray();
    }

    private static byte[] Note(string name, uint type, byte[] desc)
    {
        byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        int nameLen = (nameBytes.Length + 3) & ~3;
        var note = new byte[12 + nameLen + ((desc.Length + 3) & ~3)];
        BinaryPrimitives.WriteUInt32LittleEndian(note, (uint)nameBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(4), (uint)desc.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(8), type);
        nameBytes.CopyTo(note, 12);
        desc.CopyTo(note, 12 + nameLen);
        return note;
    }

    /// <summary>Wraps a file as a flattened stream: a few records (reordered and overlapping when asked), then the end marker.</summary>
    public static byte[] Flatten(byte[] file, bool reorder)
    {
        var ms = new MemoryStream();
        var header = new byte[4096];
        "makedumpfile"u8.CopyTo(header);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(16), 1);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(24), 1);
        ms.Write(header);
        var pieces = new List<(long Off, int Len)>();
        for (int off = 0; off < file.Length; off += 3000)
            pieces.Add((off, Math.Min(3000, file.Length - off)));
        if (reorder)
        {
            pieces.Reverse();
            pieces.Insert(0, (100, 200)); // overwritten later by the record holding [0, 3000)
        }
        Span<byte> rec = stackalloc byte[16];
        foreach (var (off, len) in pieces)
        {
            BinaryPrimitives.WriteInt64BigEndian(rec, off);
            BinaryPrimitives.WriteInt64BigEndian(rec[8..], len);
            ms.Write(rec);
            ms.Write(file, (int)off, len);
        }
        BinaryPrimitives.WriteInt64BigEndian(rec, -1);
        BinaryPrimitives.WriteInt64BigEndian(rec[8..], -1);
        ms.Write(rec);
        return ms.ToArray();
    }

    private static IEnumerable<(string, byte[])> LzoSeeds()
    {
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 160).Select(i => $"line {i % 13}: the quick brown fox\n")))[..4096];
        var pattern = new byte[4096];
        for (int i = 0; i < pattern.Length; i++)
            pattern[i] = (byte)(i % 3 == 0 ? i : i >> 9);
        var mixed = new byte[4096];
        new Random(5).NextBytes(mixed.AsSpan(0, 300));
        mixed.AsSpan(2000, 900).Fill(0x41);
        foreach (var (name, page) in new[] { ("zeros", new byte[4096]), ("text", text), ("pattern", pattern), ("mixed", mixed) })
        {
            var dst = new byte[Lzo1x.MaxCompressedLength(page.Length)];
            int n = Lzo1x.Compress(page, dst);
            yield return (name, dst[..n]);
        }
    }

    private static IEnumerable<(string, byte[])> CodecSeeds()
    {
        var page = new byte[4096];
        for (int i = 0; i < page.Length; i++)
            page[i] = (byte)(i % 5 == 0 ? i : 'a' + i / 300);
        yield return ("zlib", [0, .. Compress(KdumpFlags.Zlib, page)]);
        yield return ("snappy", [1, .. Compress(KdumpFlags.Snappy, page)]);
        yield return ("zstd", [2, .. Compress(KdumpFlags.Zstd, page)]);
    }

    /// <summary>Runs of pages with any non-zero byte in an ELF vmcore's physical memory, as (start, end) byte ranges.</summary>
    private static List<(ulong Start, ulong End)> NonZeroPageRuns(byte[] elf)
    {
        var runs = new List<(ulong, ulong)>();
        foreach (var (addr, _) in NonZeroPages(elf, out _))
        {
            if (runs.Count > 0 && runs[^1].Item2 == addr)
                runs[^1] = (runs[^1].Item1, addr + 4096);
            else
                runs.Add((addr, addr + 4096));
        }
        return runs;
    }

    /// <summary>The non-zero 4 KiB pages of an ELF vmcore's physical memory, and its VMCOREINFO and RAM end.</summary>
    private static List<(ulong Address, byte[] Page)> NonZeroPages(byte[] elf, out (string Vmcoreinfo, ulong RamEnd) meta)
    {
        using var tmp = new TempVmcore(elf);
        using var input = DumpInput.Open(tmp.Path, Limits.Default);
        var pages = new List<(ulong, byte[])>();
        ulong ramEnd = 0;
        foreach (var seg in input.Memory.Segments)
        {
            ramEnd = Math.Max(ramEnd, seg.MemEnd);
            for (ulong a = seg.Start & ~0xfffUL; a < seg.FileEnd; a += 4096)
            {
                var page = new byte[4096];
                if (input.Memory.TryRead(a, page) && page.AsSpan().ContainsAnyExcept((byte)0))
                    pages.Add((a, page));
            }
        }
        meta = (Encoding.ASCII.GetString(input.VmcoreInfoBytes ?? []).TrimEnd('\0'), ramEnd);
        return pages;
    }

    /// <summary>Converts an ELF vmcore to a <see cref="SparseImage"/>: its VMCOREINFO and the non-zero 8-byte runs of its memory.</summary>
    public static byte[] ElfToSparse(byte[] elf)
    {
        var pages = NonZeroPages(elf, out var meta);
        var chunks = new List<(ulong, byte[])>();
        foreach (var (addr, page) in pages)
        {
            int i = 0;
            while (i < 4096)
            {
                while (i < 4096 && BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(i)) == 0)
                    i += 8;
                if (i >= 4096)
                    break;
                int start = i, zeros = 0;
                // Extend over short zero gaps: fewer chunk headers.
                while (i < 4096 && zeros < 4)
                {
                    zeros = BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(i)) == 0 ? zeros + 1 : 0;
                    i += 8;
                }
                chunks.Add((addr + (ulong)start, page[start..(i - zeros * 8)]));
            }
        }
        return SparseImage.Encode(meta.Vmcoreinfo, meta.RamEnd, chunks);
    }
}

/// <summary>Writes the seed corpora when CORESIFT_WRITE_FUZZ_CORPUS is set (a generator, not a check).</summary>
public class SeedCorpusWriter
{
    [Fact]
    public void Writes_the_seed_corpus_when_asked()
    {
        if (Environment.GetEnvironmentVariable("CORESIFT_WRITE_FUZZ_CORPUS") is not { Length: > 0 })
            return;
        string root = Path.Combine(Integration.TestEnvironment.RepoRoot, "tests", "fuzz", "corpus");
        foreach (var (target, name, bytes) in SeedCorpus.All())
        {
            Directory.CreateDirectory(Path.Combine(root, target));
            File.WriteAllBytes(Path.Combine(root, target, name), bytes);
        }
    }
}
