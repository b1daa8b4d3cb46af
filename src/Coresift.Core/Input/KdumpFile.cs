using System.Buffers.Binary;
using System.Numerics;
using Coresift.Codecs;
using Coresift.Common;
using Coresift.Filter;
using H = Coresift.Output.KdumpFormat.Header;
using S = Coresift.Output.KdumpFormat.SubHeader;
using P = Coresift.Output.KdumpFormat.PageDesc;

namespace Coresift.Input;

/// <summary>A kdump-compressed file (makedumpfile, QEMU or coresift; LP64 little-endian) read as physical memory.</summary>
/// <remarks>Pages excluded from the file, and pages whose descriptor is zero (lost in an incomplete dump), read as unavailable.</remarks>
public sealed class KdumpFile : IPhysicalMemory
{
    private readonly IFileSource _file;
    private readonly ulong[] _rank;        // set bits of the 2nd bitmap before each 4096-pfn block
    private readonly IPageCodec?[] _codecs = new IPageCodec?[0x40];
    private readonly byte[] _packed;

    /// <summary>Block (page) size.</summary>
    public int BlockSize { get; }
    /// <summary>header_version.</summary>
    public int HeaderVersion { get; }
    /// <summary>disk_dump_header.status.</summary>
    public uint Status { get; }
    /// <summary>max_mapnr (max_mapnr_64 from header_version 6).</summary>
    public ulong MaxMapnr { get; }
    /// <summary>nr_cpus.</summary>
    public int NrCpus { get; }
    /// <summary>timestamp.tv_sec.</summary>
    public long Timestamp { get; }
    /// <summary>Raw struct new_utsname (390 bytes).</summary>
    public byte[] Utsname { get; }
    /// <summary>kdump_sub_header.phys_base.</summary>
    public long PhysBase { get; }
    /// <summary>kdump_sub_header.dump_level.</summary>
    public int DumpLevel { get; }
    /// <summary>True for a --split member.</summary>
    public bool IsSplit { get; }
    /// <summary>First pfn of a split member (0 otherwise).</summary>
    public ulong StartPfn { get; }
    /// <summary>End pfn of a split member (MaxMapnr otherwise).</summary>
    public ulong EndPfn { get; }
    /// <summary>The ELF notes copied from the original vmcore.</summary>
    public byte[] Notes { get; }
    /// <summary>Offset of the VMCOREINFO text within <see cref="Notes"/>, or -1.</summary>
    public long VmcoreinfoOffsetInNotes { get; }
    /// <summary>Length of the VMCOREINFO text.</summary>
    public long VmcoreinfoSize { get; }
    /// <summary>The eraseinfo text, if any.</summary>
    public byte[] Eraseinfo { get; }
    /// <summary>1st bitmap: pfns backed by memory in the original.</summary>
    public Bitmap Backed { get; }
    /// <summary>2nd bitmap: pfns with a page descriptor.</summary>
    public Bitmap Dumpable { get; }
    /// <summary>File offset of the descriptor table.</summary>
    public long DescriptorOffset { get; }

    /// <inheritdoc />
    public IReadOnlyList<PhysicalRange> Segments { get; }

    /// <summary>True when the first bytes are a kdump-compressed signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> head) => head.StartsWith("KDUMP   "u8) || head.StartsWith("DISKDUMP"u8);

    /// <summary>Reads and validates the headers and bitmaps.</summary>
    public KdumpFile(IFileSource file, Limits limits)
    {
        _file = file;
        var h = new byte[H.Size];
        ThrowHelper.Check(file.Length >= H.Size, $"{file.Path} is truncated inside the kdump header");
        file.ReadExactly(0, h);
        ThrowHelper.Check(HasSignature(h), $"{file.Path} is not a kdump-compressed file");
        HeaderVersion = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(H.Version));
        BlockSize = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(H.BlockSize));
        ThrowHelper.Check(HeaderVersion is >= 0 and < 64 && BlockSize is >= 1024 and <= 1 << 20 && BitOperations.IsPow2(BlockSize),
            $"{file.Path}: unsupported kdump header (version {HeaderVersion}, block size {BlockSize}); only LP64 little-endian files are read");
        Status = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(H.Status));
        int subBlocks = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(H.SubHdrSize));
        uint bitmapBlocks = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(H.BitmapBlocks));
        NrCpus = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(H.NrCpus));
        Timestamp = BinaryPrimitives.ReadInt64LittleEndian(h.AsSpan(H.TimestampSec));
        Utsname = h.AsSpan(H.Utsname, H.UtsnameLength).ToArray();
        ulong maxMapnr = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(H.MaxMapnr));

        var sub = new byte[S.Size];
        ThrowHelper.Check(subBlocks >= 1 && subBlocks < 1 << 20, $"{file.Path}: implausible sub_hdr_size {subBlocks}");
        file.ReadExactly(BlockSize, sub);
        PhysBase = BinaryPrimitives.ReadInt64LittleEndian(sub.AsSpan(S.PhysBase));
        DumpLevel = HeaderVersion >= 1 ? BinaryPrimitives.ReadInt32LittleEndian(sub.AsSpan(S.DumpLevel)) : 0;
        IsSplit = HeaderVersion >= 2 && BinaryPrimitives.ReadInt32LittleEndian(sub.AsSpan(S.Split)) != 0;
        ulong start = HeaderVersion >= 2 ? BinaryPrimitives.ReadUInt64LittleEndian(sub.AsSpan(S.StartPfn)) : 0;
        ulong end = HeaderVersion >= 2 ? BinaryPrimitives.ReadUInt64LittleEndian(sub.AsSpan(S.EndPfn)) : 0;
        if (HeaderVersion >= 6)
        {
            maxMapnr = BinaryPrimitives.ReadUInt64LittleEndian(sub.AsSpan(S.MaxMapnr64));
            start = BinaryPrimitives.ReadUInt64LittleEndian(sub.AsSpan(S.StartPfn64));
            end = BinaryPrimitives.ReadUInt64LittleEndian(sub.AsSpan(S.EndPfn64));
        }
        ThrowHelper.Check(maxMapnr > 0, $"{file.Path}: max_mapnr is 0");
        ThrowHelper.CheckLimit(maxMapnr, limits.MaxMapnr, "max_mapnr");
        MaxMapnr = maxMapnr;
        StartPfn = IsSplit ? start : 0;
        EndPfn = IsSplit ? Math.Min(end, maxMapnr) : maxMapnr;
        ThrowHelper.Check(StartPfn <= EndPfn, $"{file.Path}: split range {StartPfn:x}-{EndPfn:x} is inverted");

        (Notes, VmcoreinfoOffsetInNotes, VmcoreinfoSize) = ReadNotes(file, sub, limits);
        Eraseinfo = ReadEraseinfo(file, sub, limits);

        long perBitmap = (long)bitmapBlocks / 2 * BlockSize;
        long needed = (long)((maxMapnr + 7) / 8);
        ThrowHelper.Check(bitmapBlocks % 2 == 0 && perBitmap >= needed,
            $"{file.Path}: bitmap_blocks {bitmapBlocks} cannot hold {maxMapnr} pfns (old single-bitmap diskdump files are not supported)");
        long bitmap1 = (1L + subBlocks) * BlockSize;
        // Both bitmaps must be in the file before they are allocated: max_mapnr alone must not size an allocation.
        // (A flattened file's logical size can be far larger than what it stores, so its stored bytes bound it too.)
        long stored = file is FlattenedFileView flat ? flat.StoredLength : file.Length;
        ThrowHelper.Check(bitmap1 + perBitmap + needed <= file.Length && 2 * needed <= stored,
            $"{file.Path} is truncated: its bitmaps for max_mapnr {maxMapnr} (2 x {needed} bytes at 0x{bitmap1:x}) lie beyond its end");
        Backed = ReadBitmap(file, bitmap1, maxMapnr);
        Dumpable = ReadBitmap(file, bitmap1 + perBitmap, maxMapnr);
        DescriptorOffset = bitmap1 + 2 * perBitmap;
        _rank = BuildRank(Dumpable);
        _packed = new byte[BlockSize];
        Segments = RunsOf(Backed, BlockSize);
    }

    /// <summary>Reads the copied ELF notes and locates the VMCOREINFO text in them.</summary>
    private static (byte[] Notes, long Offset, long Size) ReadNotes(IFileSource file, byte[] sub, Limits limits)
    {
        long offNote = BinaryPrimitives.ReadInt64LittleEndian(sub.AsSpan(S.OffsetNote));
        long sizeNote = BinaryPrimitives.ReadInt64LittleEndian(sub.AsSpan(S.SizeNote));
        long offInfo = BinaryPrimitives.ReadInt64LittleEndian(sub.AsSpan(S.OffsetVmcoreinfo));
        long sizeInfo = BinaryPrimitives.ReadInt64LittleEndian(sub.AsSpan(S.SizeVmcoreinfo));
        byte[] notes = [];
        if (offNote > 0 && sizeNote > 0)
        {
            ThrowHelper.CheckLimit((ulong)sizeNote, (ulong)limits.MaxNoteBytes, "size_note");
            notes = new byte[sizeNote];
            file.ReadExactly(offNote, notes);
        }
        if (offInfo > 0 && sizeInfo > 0)
        {
            ThrowHelper.CheckLimit((ulong)sizeInfo, (ulong)limits.MaxVmcoreinfoBytes, "size_vmcoreinfo");
            if (notes.Length > 0 && offInfo >= offNote && sizeInfo <= offNote + notes.Length - offInfo)
                return (notes, offInfo - offNote, sizeInfo);
            // VMCOREINFO outside the notes (header_version 3 files): keep it as a note-less text block.
            var text = new byte[sizeInfo];
            file.ReadExactly(offInfo, text);
            return (text, 0, sizeInfo);
        }
        return (notes, -1, 0);
    }

    /// <summary>Reads the eraseinfo text (header_version 5+).</summary>
    private static byte[] ReadEraseinfo(IFileSource file, byte[] sub, Limits limits)
    {
        long off = BinaryPrimitives.ReadInt64LittleEndian(sub.AsSpan(S.OffsetEraseinfo));
        long size = BinaryPrimitives.ReadInt64LittleEndian(sub.AsSpan(S.SizeEraseinfo));
        if (off <= 0 || size <= 0)
            return [];
        ThrowHelper.CheckLimit((ulong)size, (ulong)limits.MaxNoteBytes, "size_eraseinfo");
        var e = new byte[size];
        file.ReadExactly(off, e);
        return e;
    }

    /// <summary>Reads one bitmap of maxMapnr bits.</summary>
    private static Bitmap ReadBitmap(IFileSource file, long offset, ulong maxMapnr)
    {
        var bitmap = new Bitmap(0, maxMapnr);
        long bytes = (long)((maxMapnr + 7) / 8);
        var raw = new byte[Math.Min(bytes, 1 << 20)];
        for (long done = 0; done < bytes; done += raw.Length)
        {
            int n = (int)Math.Min(raw.Length, bytes - done);
            file.ReadExactly(offset + done, raw.AsSpan(0, n));
            bitmap.LoadBytes((ulong)done * 8, raw.AsSpan(0, n));
        }
        return bitmap;
    }

    /// <summary>Cumulative set-bit counts before each block of 4096 pfns.</summary>
    private static ulong[] BuildRank(Bitmap b)
    {
        ReadOnlySpan<ulong> words = b.Words;
        var rank = new ulong[(words.Length + 63) / 64 + 1];
        ulong total = 0;
        for (int w = 0; w < words.Length; w++)
        {
            if ((w & 63) == 0)
                rank[w >> 6] = total;
            total += (ulong)BitOperations.PopCount(words[w]);
        }
        rank[^1] = total;
        return rank;
    }

    /// <summary>The runs of set bits, as physical ranges.</summary>
    private static List<PhysicalRange> RunsOf(Bitmap b, int blockSize)
    {
        var runs = new List<PhysicalRange>();
        ulong pfn = b.NextSet(0);
        while (pfn != ulong.MaxValue)
        {
            ulong end = pfn + 1;
            while (end < b.Length && b.Test(end))
                end++;
            runs.Add(new PhysicalRange(pfn * (ulong)blockSize, end * (ulong)blockSize, end * (ulong)blockSize));
            pfn = end < b.Length ? b.NextSet(end) : ulong.MaxValue;
        }
        return runs;
    }

    /// <summary>Number of set 2nd-bitmap bits below pfn.</summary>
    private ulong Rank(ulong pfn)
    {
        ReadOnlySpan<ulong> words = Dumpable.Words;
        ulong wordIndex = pfn >> 6;
        ulong r = _rank[wordIndex >> 6];
        for (ulong w = wordIndex & ~63UL; w < wordIndex; w++)
            r += (ulong)BitOperations.PopCount(words[(int)w]);
        ulong mask = (1UL << (int)(pfn & 63)) - 1;
        return r + (ulong)BitOperations.PopCount(words[(int)wordIndex] & mask);
    }

    /// <summary>Reads the page_desc of a dumpable pfn: (offset, size, flags).</summary>
    public (long Offset, uint Size, uint Flags) Descriptor(ulong pfn)
    {
        ulong index = Rank(pfn) - Rank(StartPfn);
        Span<byte> d = stackalloc byte[P.Size];
        long at = DescriptorOffset + (long)index * P.Size;
        if (at > _file.Length - P.Size)
            return (0, 0, 0); // an incomplete dump ended before this descriptor: the page is lost
        _file.ReadExactly(at, d);
        return (BinaryPrimitives.ReadInt64LittleEndian(d), BinaryPrimitives.ReadUInt32LittleEndian(d[P.DataSize..]), BinaryPrimitives.ReadUInt32LittleEndian(d[P.Flags..]));
    }

    /// <summary>Reads one whole page of a pfn into dst; false when excluded, lost, outside this split member, or corrupt.</summary>
    public bool TryReadPage(ulong pfn, Span<byte> dst)
    {
        // One reader at a time: the codecs and the staging buffer are shared (refiltering with threads).
        lock (_packed)
            return TryReadPageLocked(pfn, dst);
    }

    /// <summary>Reads one page; the caller holds the lock.</summary>
    private bool TryReadPageLocked(ulong pfn, Span<byte> dst)
    {
        if (pfn < StartPfn || pfn >= EndPfn || !Dumpable.Test(pfn))
            return false;
        var (offset, size, flags) = Descriptor(pfn);
        if (offset <= 0 || size > BlockSize || size == 0 || offset > _file.Length - size)
            return false; // lost page of an incomplete dump, or a corrupt descriptor
        if ((flags & (KdumpFlags.Zlib | KdumpFlags.Lzo | KdumpFlags.Snappy | KdumpFlags.Zstd)) == 0)
        {
            if (size != BlockSize)
                return false;
            _file.ReadExactly(offset, dst[..BlockSize]);
            return true;
        }
        var codec = CodecFor(flags);
        if (codec is null)
            return false;
        Span<byte> packed = _packed.AsSpan(0, (int)size);
        _file.ReadExactly(offset, packed);
        return codec.Decompress(packed, dst[..BlockSize]) == BlockSize;
    }

    /// <summary>The codec for a descriptor's flag (one instance each, created on first use).</summary>
    private IPageCodec? CodecFor(uint flags)
    {
        uint bit = flags & (KdumpFlags.Zlib | KdumpFlags.Lzo | KdumpFlags.Snappy | KdumpFlags.Zstd);
        if (BitOperations.PopCount(bit) != 1)
            return null;
        return _codecs[bit] ??= bit switch
        {
            KdumpFlags.Zlib => new ZlibPageCodec(),
            KdumpFlags.Snappy => new SnappyPageCodec(),
            KdumpFlags.Zstd => new ZstdPageCodec(),
            _ => PageCodecs.Lzo(),
        };
    }

    /// <inheritdoc />
    public bool TryRead(ulong paddr, Span<byte> destination)
    {
        int b = BlockSize;
        var page = destination.Length == b && (paddr & (ulong)(b - 1)) == 0 ? destination : new byte[b];
        while (destination.Length > 0)
        {
            ulong pfn = paddr / (ulong)b;
            int off = (int)(paddr % (ulong)b);
            if (!TryReadPage(pfn, page))
                return false;
            int n = Math.Min(destination.Length, b - off);
            if (page != destination)
                page.Slice(off, n).CopyTo(destination);
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
