using System.Buffers.Binary;
using Coresift.Codecs;
using Coresift.Common;
using Coresift.Filter;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Kernel.Dmesg;
using Coresift.Output;

namespace Coresift.Fuzzing;

/// <summary>
/// The fuzz targets, shared by the AFL++ harness (tests/fuzz/Coresift.Fuzz links this file) and the xunit mutation pass.
/// Each target feeds one input to one parser. A target may return normally or throw <see cref="CoresiftException"/>;
/// any other exception is a bug (the harness lets it escape, so AFL++ records a crash).
/// </summary>
/// <remarks>Uses only public API of Coresift.Core, so it compiles in both projects.</remarks>
public static class FuzzTargets
{
    /// <summary>Every target name, in the order build.sh runs them.</summary>
    public static readonly string[] Names = ["elf", "vmcoreinfo", "kdump", "flattened", "lzo", "codecs", "kernel", "dmesg"];

    /// <summary>Most pages a file target reads back through the parsed structures.</summary>
    private const int MaxPagesRead = 64;

    /// <summary>Runs one target on one input. File targets write the input to scratchPath first (the parsers read files).</summary>
    public static void Run(string target, byte[] data, string scratchPath)
    {
        switch (target)
        {
            case "elf":
                if (data.Length >= 4 && ElfCore.HasElfMagic(data))
                    OpenDump(data, scratchPath);
                break;
            case "kdump":
                if (KdumpFile.HasSignature(data))
                    OpenDump(data, scratchPath);
                break;
            case "flattened":
                Flattened(data, scratchPath);
                break;
            case "vmcoreinfo":
                Vmcoreinfo(data);
                break;
            case "lzo":
                Lzo(data);
                break;
            case "codecs":
                Codecs(data);
                break;
            case "kernel":
                Kernel(data);
                break;
            case "dmesg":
                Dmesg(data);
                break;
            default:
                throw new ArgumentException($"unknown fuzz target '{target}' (known: {string.Join(", ", Names)})");
        }
    }

    /// <summary>Opens the input as coresift opens a dump, then walks what the dump level 0 path reads.</summary>
    private static void OpenDump(byte[] data, string scratchPath)
    {
        File.WriteAllBytes(scratchPath, data);
        using var input = DumpInput.Open(scratchPath, Limits.Default, noMmap: (data.Length & 1) != 0);
        _ = input.FormatName;
        _ = input.ReadNoteSegments();
        _ = input.VmcoreinfoInNotes();
        if (input.Elf is not null)
            _ = input.ReadElfIdentity();
        var page = new byte[4096];
        int reads = 0;
        if (input.Kdump is { } kd)
        {
            var buf = new byte[kd.BlockSize];
            for (ulong pfn = kd.Dumpable.NextSet(kd.StartPfn); pfn < kd.EndPfn && reads++ < MaxPagesRead; pfn = kd.Dumpable.NextSet(pfn + 1))
                _ = kd.TryReadPage(pfn, buf);
        }
        foreach (var seg in input.Memory.Segments)
        {
            if (reads++ >= MaxPagesRead)
                break;
            _ = input.Memory.TryRead(seg.Start, page);
            _ = input.Memory.TryRead(seg.MemEnd - 1, page.AsSpan(0, 1));
            _ = input.Memory.TryRead(seg.Start + 1, page.AsSpan(0, 100));
        }
        var kernel = KernelModel.Build(input, Limits.Default, needPageStructs: false);
        if (kernel.AddressSpace is { } space && kernel.Info is { } info)
            _ = space.Walk(info.Symbol("init_top_pgt") ?? space.KernelSpaceStart);
    }

    /// <summary>-R on the stream (into a sink that stores nothing), then the in-place reader of a flattened kdump file.</summary>
    private static void Flattened(byte[] data, string scratchPath)
    {
        if (!FlattenedFileView.HasSignature(data))
            return;
        using (var sink = new CountingSink())
            FlattenedReader.Rearrange(new MemoryStream(data, writable: false), sink);
        OpenDump(data, scratchPath);
    }

    /// <summary>Parses VMCOREINFO text and derives everything that is derived from text alone.</summary>
    private static void Vmcoreinfo(byte[] data)
    {
        var info = VmcoreInfo.Parse(data, Limits.Default);
        _ = info.PageSize;
        _ = info.KernelOffset;
        _ = info.CrashTime;
        _ = info.OsRelease;
        _ = info.Symbol("init_top_pgt");
        _ = info.Number("phys_base");
        _ = info.Length("mem_section");
        var traits = KernelTraits.FromVmcoreInfo(info);
        _ = traits.Describe();
        try
        {
            _ = KernelLog.DetectFormat(info);
        }
        catch (CoresiftException)
        {
        }
        if (traits.CanScanPages)
        {
            // Classify a few struct pages made of the input's own bytes under the derived rules.
            var classifier = new PageClassifier(traits);
            int size = traits.PageStructSize;
            var pages = new byte[size * 4];
            data.AsSpan(0, Math.Min(data.Length, pages.Length)).CopyTo(pages);
            for (int i = 0; i < 3; i++)
                _ = classifier.Classify((ulong)i, pages.AsSpan(i * size, size), pages.AsSpan((i + 1) * size, size), (DumpLevel)31);
        }
    }

    /// <summary>LZO1X decompression into a page and into a small buffer; checks the returned length.</summary>
    private static void Lzo(byte[] data)
    {
        foreach (int size in new[] { 4096, 64 })
        {
            var dst = new byte[size];
            int n = Lzo1x.Decompress(data, dst);
            if (n < -1 || n > size)
                throw new InvalidOperationException($"Lzo1x.Decompress returned {n} for a {size}-byte buffer");
        }
    }

    /// <summary>The other page codecs; the first byte picks zlib, snappy or zstd, the rest is the compressed page.</summary>
    private static void Codecs(byte[] data)
    {
        if (data.Length == 0)
            return;
        IPageCodec codec = (data[0] % 3) switch
        {
            0 => new ZlibPageCodec(),
            1 => new SnappyPageCodec(),
            _ => new ZstdPageCodec(),
        };
        var dst = new byte[4096];
        int n = codec.Decompress(data.AsSpan(1), dst);
        if (n < -1 || n > dst.Length)
            throw new InvalidOperationException($"{codec.GetType().Name}.Decompress returned {n} for a {dst.Length}-byte buffer");
        (codec as IDisposable)?.Dispose();
    }

    /// <summary>Page tables, mem_map and struct-page classification over a sparse physical image (see <see cref="SparseImage"/>).</summary>
    private static void Kernel(byte[] data)
    {
        var image = SparseImage.Parse(data);
        var info = VmcoreInfo.Parse(image.Vmcoreinfo, Limits.Default);
        var traits = KernelTraits.FromVmcoreInfo(info);
        var space = X86_64AddressSpace.Create(image, info, []);
        long pageSize = info.PageSize ?? 4096;
        if (pageSize is < 4096 or > 65536 || !System.Numerics.BitOperations.IsPow2(pageSize))
            return; // KernelModel.Build rejects these before any page-table walk
        int shift = System.Numerics.BitOperations.Log2((ulong)pageSize);
        ulong maxMapnr = image.RamBytes >> shift;
        var memMap = MemMap.Build(info, space, space.KernelSpaceStart, shift, maxMapnr, Limits.Default);
        _ = KernelLayout.Derive(info, [], space, memMap, traits.PageStructSize);
        if (!traits.CanScanPages)
            return;
        var classifier = new PageClassifier(traits);
        int size = traits.PageStructSize;
        var two = new byte[2 * size];
        int classified = 0;
        foreach (var r in memMap.Ranges)
        {
            for (ulong pfn = r.StartPfn; pfn < r.EndPfn && classified < 4096; pfn++, classified++)
            {
                ulong at = unchecked(r.MemMapAddress + (pfn - r.StartPfn) * (ulong)size);
                if (!space.TryRead(at, two.AsSpan(0, size)))
                    continue;
                bool next = space.TryRead(unchecked(at + (ulong)size), two.AsSpan(size, size));
                _ = classifier.Classify(pfn, two.AsSpan(0, size), next ? two.AsSpan(size, size) : default, (DumpLevel)31);
            }
        }
    }

    /// <summary>The kernel log readers (plain buffer, printk_log records, printk_ringbuffer) over a sparse physical image.</summary>
    private static void Dmesg(byte[] data)
    {
        var image = SparseImage.Parse(data);
        var info = VmcoreInfo.Parse(image.Vmcoreinfo, Limits.Default);
        var space = X86_64AddressSpace.Create(image, info, []);
        var result = KernelLog.Extract(info, space, partial: false);
        _ = KernelLog.Extract(info, space, partial: true);
        _ = result.Text.Length;
    }

    /// <summary>An output sink that only counts (rearranged offsets can be anywhere below 2^63).</summary>
    private sealed class CountingSink : IOutputSink
    {
        public long Length { get; private set; }

        public void Write(long offset, ReadOnlySpan<byte> data) => Length = Math.Max(Length, offset + data.Length);

        public void Flush() { }

        public void Dispose() { }
    }
}

/// <summary>
/// A compact physical-memory image for the kernel and dmesg targets: VMCOREINFO text, a NUL, the RAM size (u64 LE),
/// then chunks {u64 LE physical address, u16 LE length, bytes}. Unwritten RAM reads as zeros; reads past RAM fail.
/// </summary>
public sealed class SparseImage : IPhysicalMemory
{
    /// <summary>Largest RAM an image may claim (64 GiB: absent pages cost nothing, but walks over pfns do).</summary>
    public const ulong MaxRam = 64UL << 30;

    /// <summary>Most distinct 4 KiB pages the chunks may touch.</summary>
    public const int MaxPages = 1024;

    private readonly Dictionary<ulong, byte[]> _pages = new();

    /// <summary>The VMCOREINFO text.</summary>
    public byte[] Vmcoreinfo { get; private init; } = [];

    /// <summary>RAM size in bytes, from physical address 0.</summary>
    public ulong RamBytes { get; private init; }

    /// <inheritdoc />
    public IReadOnlyList<PhysicalRange> Segments => [new PhysicalRange(0, RamBytes, RamBytes)];

    /// <summary>Decodes an image; malformed trailing bytes are ignored (the fuzzer needs no well-formed container).</summary>
    public static SparseImage Parse(ReadOnlySpan<byte> data)
    {
        int nul = data.IndexOf((byte)0);
        var text = nul < 0 ? data : data[..nul];
        var rest = nul < 0 ? [] : data[(nul + 1)..];
        ulong ram = rest.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(rest) : 16UL << 20;
        var image = new SparseImage { Vmcoreinfo = text.ToArray(), RamBytes = Math.Min(ram, MaxRam) & ~0xfffUL };
        rest = rest.Length >= 8 ? rest[8..] : [];
        while (rest.Length >= 10)
        {
            ulong addr = BinaryPrimitives.ReadUInt64LittleEndian(rest);
            int len = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(rest[8..]), rest.Length - 10);
            image.Write(addr, rest.Slice(10, len));
            rest = rest[(10 + len)..];
        }
        return image;
    }

    /// <summary>Encodes an image (seed corpora); chunks are (address, bytes) pairs of at most 65535 bytes.</summary>
    public static byte[] Encode(string vmcoreinfo, ulong ramBytes, IEnumerable<(ulong Address, byte[] Bytes)> chunks)
    {
        var ms = new MemoryStream();
        ms.Write(System.Text.Encoding.ASCII.GetBytes(vmcoreinfo));
        ms.WriteByte(0);
        Span<byte> h = stackalloc byte[10];
        BinaryPrimitives.WriteUInt64LittleEndian(h, ramBytes);
        ms.Write(h[..8]);
        foreach (var (addr, bytes) in chunks)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(h, addr);
            BinaryPrimitives.WriteUInt16LittleEndian(h[8..], checked((ushort)bytes.Length));
            ms.Write(h);
            ms.Write(bytes);
        }
        return ms.ToArray();
    }

    private void Write(ulong addr, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && addr < RamBytes)
        {
            ulong pfn = addr >> 12;
            if (!_pages.TryGetValue(pfn, out var page))
            {
                if (_pages.Count >= MaxPages)
                    return;
                _pages[pfn] = page = new byte[4096];
            }
            int off = (int)(addr & 0xfff);
            int n = Math.Min(bytes.Length, 4096 - off);
            bytes[..n].CopyTo(page.AsSpan(off));
            bytes = bytes[n..];
            addr += (ulong)n;
        }
    }

    /// <inheritdoc />
    public bool TryRead(ulong paddr, Span<byte> destination)
    {
        if (paddr > RamBytes || (ulong)destination.Length > RamBytes - paddr)
            return false;
        while (!destination.IsEmpty)
        {
            int off = (int)(paddr & 0xfff);
            int n = Math.Min(destination.Length, 4096 - off);
            if (_pages.TryGetValue(paddr >> 12, out var page))
                page.AsSpan(off, n).CopyTo(destination);
            else
                destination[..n].Clear();
            destination = destination[n..];
            paddr += (ulong)n;
        }
        return true;
    }

    /// <inheritdoc />
    public bool TryGetSpan(ulong paddr, int length, out ReadOnlySpan<byte> span)
    {
        span = default;
        return false;
    }
}
