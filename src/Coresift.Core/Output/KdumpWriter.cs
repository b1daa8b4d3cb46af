using System.Buffers.Binary;
using Coresift.Codecs;
using Coresift.Filter;
using Coresift.Input;

namespace Coresift.Output;

/// <summary>What a kdump writer produced.</summary>
public readonly record struct KdumpResult(long Bytes, ulong PagesWritten, ulong ZeroPages, bool Incomplete, string? IncompleteReason);

/// <summary>
/// Writes a kdump-compressed file: header, sub header and notes, both bitmaps, then the descriptor table and page data
/// streamed in pfn order through two cursors. The layout is planned from the counts before the first page.
/// </summary>
/// <remarks>
/// Data is always flushed before the descriptors that point to it, so a dump cut short by ENOSPC or -L has only
/// descriptors of complete pages; the rest stay zero ("lost" to readers), and the status carries the incomplete flag.
/// </remarks>
public sealed class KdumpWriter
{
    private readonly int _cacheBytes;

    private readonly IOutputSink _sink;
    private readonly KdumpHeader _header;
    private readonly KdumpLayout _layout;
    private readonly ReadOnlyMemory<byte> _notes;

    /// <summary>The planned layout.</summary>
    public KdumpLayout Layout => _layout;

    /// <summary>Plans the file for these bitmaps and notes; cacheBytes sizes the data and descriptor caches (-b: page size &lt;&lt; order).</summary>
    public KdumpWriter(IOutputSink sink, KdumpHeader header, ReadOnlyMemory<byte> notes, int blockSize, ulong dumpablePages, int cacheBytes = 4096 << 4)
    {
        _cacheBytes = Math.Max(cacheBytes, 2 * blockSize + 64);
        _sink = sink;
        _header = header;
        _notes = notes;
        _layout = KdumpLayout.Plan(blockSize, header.MaxMapnr, notes.Length, dumpablePages);
    }

    /// <summary>Writes the main header, the sub header with the notes, and both bitmaps.</summary>
    public void WriteHeaders(Bitmap backed, Bitmap dumpable, uint status)
    {
        var block = new byte[_layout.BlockSize];
        (_header with { Status = status }).WriteMainHeader(block, _layout);
        _sink.Write(0, block);
        var sub = new byte[KdumpFormat.SubHeader.Size + _notes.Length];
        _header.WriteSubHeader(sub, _layout);
        _notes.Span.CopyTo(sub.AsSpan(KdumpFormat.SubHeader.Size));
        _sink.Write(_layout.SubHeaderOffset, sub);
        WriteBitmap(_layout.Bitmap1Offset, backed);
        WriteBitmap(_layout.Bitmap2Offset, dumpable);
    }

    /// <summary>Rewrites only the main header (to set the incomplete flag at the end).</summary>
    public void RewriteMainHeader(uint status)
    {
        var block = new byte[KdumpFormat.Header.Size];
        (_header with { Status = status }).WriteMainHeader(block, _layout);
        _sink.Write(0, block);
    }

    /// <summary>Writes a bitmap region: the bitmap's words in little-endian order (LSB first), zero-padded to whole blocks.</summary>
    private void WriteBitmap(long offset, Bitmap bitmap)
    {
        ReadOnlySpan<ulong> words = bitmap.Words;
        var chunk = new byte[Math.Min(_layout.BitmapBytes, 1 << 20)];
        long done = 0;
        int word = 0;
        while (done < _layout.BitmapBytes)
        {
            int n = (int)Math.Min(chunk.Length, _layout.BitmapBytes - done);
            Array.Clear(chunk, 0, n);
            for (int i = 0; i + 8 <= n && word < words.Length; i += 8, word++)
                BinaryPrimitives.WriteUInt64LittleEndian(chunk.AsSpan(i), words[word]);
            _sink.Write(offset + done, chunk.AsSpan(0, n));
            done += n;
        }
    }

    /// <summary>Streams descriptors and page data for every set bit of dumpable, in pfn order.</summary>
    /// <param name="pages">Reads one page's bytes (zero-filled where the input has none).</param>
    /// <param name="excludeZero">Dump level bit 1: all-zero pages share one zero page.</param>
    /// <param name="codec">Per-page compression, or null for raw pages.</param>
    public KdumpResult WritePages(Bitmap dumpable, IPhysicalMemory pages, int pageShift, bool excludeZero, IPageCodec? codec)
        => WritePages(dumpable, 0, ulong.MaxValue, pages, pageShift, excludeZero, codec);

    /// <summary>Streams descriptors (from table index 0) and data for the set bits of dumpable in [startPfn, endPfn): one --split member.</summary>
    public KdumpResult WritePages(Bitmap dumpable, ulong startPfn, ulong endPfn, IPhysicalMemory pages, int pageShift, bool excludeZero, IPageCodec? codec)
    {
        int b = _layout.BlockSize;
        var packed = new byte[Math.Max(b, codec?.MaxCompressedLength(b) ?? b)];
        var data = new RegionWriter(_sink, _layout.DataOffset, Math.Max(_cacheBytes, 2 * packed.Length), autoFlush: false);
        var descs = new byte[Math.Max(_cacheBytes / KdumpFormat.PageDesc.Size, 1) * KdumpFormat.PageDesc.Size];
        int descUsed = 0;
        long descFlushedTo = _layout.DescriptorOffset;
        var scratch = new byte[b];
        ulong written = 0, zero = 0;
        long zeroPageOffset = _layout.DataOffset;

        try
        {
            if (excludeZero)
                data.Append(new byte[b]); // the one shared zero page
            for (ulong pfn = dumpable.NextSet(startPfn); pfn < endPfn; pfn = dumpable.NextSet(pfn + 1))
            {
                ulong paddr = pfn << pageShift;
                if (!pages.TryGetSpan(paddr, b, out ReadOnlySpan<byte> page))
                {
                    if (!pages.TryRead(paddr, scratch))
                        Array.Clear(scratch);
                    page = scratch;
                }
                // Keep descriptors and data flushed together, so a dump cut short keeps every page written so far.
                if (data.Free < packed.Length)
                    FlushBoth();
                long offset;
                uint size, flags = 0;
                if (excludeZero && !page.ContainsAnyExcept((byte)0))
                {
                    offset = zeroPageOffset;
                    size = (uint)b;
                    zero++;
                }
                else
                {
                    offset = data.Position;
                    int len = codec?.Compress(page, packed) ?? 0;
                    if (len > 0 && len < b)
                    {
                        data.Append(packed.AsSpan(0, len));
                        size = (uint)len;
                        flags = codec!.DescriptorFlag;
                    }
                    else
                    {
                        data.Append(page);
                        size = (uint)b;
                    }
                }
                Span<byte> d = descs.AsSpan(descUsed, KdumpFormat.PageDesc.Size);
                BinaryPrimitives.WriteInt64LittleEndian(d[KdumpFormat.PageDesc.Offset..], offset);
                BinaryPrimitives.WriteUInt32LittleEndian(d[KdumpFormat.PageDesc.DataSize..], size);
                BinaryPrimitives.WriteUInt32LittleEndian(d[KdumpFormat.PageDesc.Flags..], flags);
                BinaryPrimitives.WriteUInt64LittleEndian(d[KdumpFormat.PageDesc.PageFlags..], 0);
                descUsed += KdumpFormat.PageDesc.Size;
                written++;
                if (descUsed == descs.Length)
                    FlushBoth();
            }
            FlushBoth();
            return new KdumpResult(_sink.Length, written, zero, false, null);
        }
        catch (OutputFullException e)
        {
            // Descriptors still buffered may point at data that never reached the device: they stay zero in the file.
            data.Discard();
            return new KdumpResult(_sink.Length, written, zero, true, e.Message);
        }

        // Data first, then the descriptors that point into it.
        void FlushBoth()
        {
            data.Flush();
            _sink.Write(descFlushedTo, descs.AsSpan(0, descUsed));
            descFlushedTo += descUsed;
            descUsed = 0;
        }
    }
}
