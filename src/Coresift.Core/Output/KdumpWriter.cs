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

    /// <summary>Writes the main header, the sub header with the notes, and both bitmaps (one-cycle callers).</summary>
    public void WriteHeaders(Bitmap backed, Bitmap dumpable, uint status)
    {
        WriteHeaders(status);
        WriteBitmapSlice(second: false, backed);
        WriteBitmapSlice(second: true, dumpable);
    }

    /// <summary>Writes the main header and the sub header with the notes.</summary>
    public void WriteHeaders(uint status)
    {
        var block = new byte[_layout.BlockSize];
        (_header with { Status = status }).WriteMainHeader(block, _layout);
        _sink.Write(0, block);
        var sub = new byte[KdumpFormat.SubHeader.Size + _notes.Length];
        _header.WriteSubHeader(sub, _layout);
        _notes.Span.CopyTo(sub.AsSpan(KdumpFormat.SubHeader.Size));
        _sink.Write(_layout.SubHeaderOffset, sub);
    }

    /// <summary>Rewrites only the main header (to set the incomplete flag at the end).</summary>
    public void RewriteMainHeader(uint status)
    {
        var block = new byte[KdumpFormat.Header.Size];
        (_header with { Status = status }).WriteMainHeader(block, _layout);
        _sink.Write(0, block);
    }

    /// <summary>Writes one cycle's part of the 1st or 2nd bitmap (LSB first, little-endian words) at its place in the region.</summary>
    /// <remarks>The cycle must start on a multiple of 8 pfns; bytes of the region no cycle covers stay zero.</remarks>
    public void WriteBitmapSlice(bool second, Bitmap cycle)
    {
        if ((cycle.BasePfn & 7) != 0)
            throw new ArgumentException("a bitmap slice must start on a byte", nameof(cycle));
        long region = second ? _layout.Bitmap2Offset : _layout.Bitmap1Offset;
        long offset = region + (long)(cycle.BasePfn / 8);
        long bytes = (long)((cycle.Length + 7) / 8);
        ReadOnlySpan<ulong> words = cycle.Words;
        var chunk = new byte[Math.Min(bytes, 1 << 20)];
        Span<byte> w = stackalloc byte[8];
        long done = 0;
        int word = 0;
        while (done < bytes)
        {
            int n = (int)Math.Min(chunk.Length, bytes - done);
            Array.Clear(chunk, 0, n);
            for (int i = 0; i < n; i += 8, word++)
            {
                if (word >= words.Length)
                    break;
                BinaryPrimitives.WriteUInt64LittleEndian(w, words[word]);
                w[..Math.Min(8, n - i)].CopyTo(chunk.AsSpan(i));
            }
            _sink.Write(offset + done, chunk.AsSpan(0, n));
            done += n;
        }
    }

    /// <summary>Streams descriptors and page data for every set bit of dumpable, in pfn order (one cycle).</summary>
    public KdumpResult WritePages(Bitmap dumpable, IPhysicalMemory pages, int pageShift, bool excludeZero, IPageCodec? codec)
        => WritePages(dumpable, 0, ulong.MaxValue, pages, pageShift, excludeZero, codec);

    /// <summary>Streams the pages of dumpable within [startPfn, endPfn): one --split member, in one cycle.</summary>
    public KdumpResult WritePages(Bitmap dumpable, ulong startPfn, ulong endPfn, IPhysicalMemory pages, int pageShift, bool excludeZero, IPageCodec? codec)
    {
        var stream = BeginPages(pages, pageShift, excludeZero, codec is null ? null : () => codec);
        stream.Write(dumpable, startPfn, endPfn);
        return stream.Finish();
    }

    /// <summary>Starts the descriptor and data cursors; cycles then add their pages in pfn order.</summary>
    /// <param name="newCodec">Makes one codec per worker thread (null: pages are stored raw).</param>
    /// <param name="threads">Threads that read, zero-check and compress pages; one ordered writer keeps the file the same for any count.</param>
    public PageStream BeginPages(IPhysicalMemory pages, int pageShift, bool excludeZero, Func<IPageCodec>? newCodec, int threads = 1) =>
        new(this, pages, pageShift, excludeZero, newCodec, threads);

    /// <summary>The descriptor cursor and the data cursor of one file, fed cycle after cycle.</summary>
    /// <remarks>
    /// Data is always flushed before the descriptors that point to it, so a dump cut short by ENOSPC or -L has only
    /// descriptors of complete pages; the rest stay zero ("lost" to readers).
    /// </remarks>
    public sealed class PageStream
    {
        private readonly KdumpWriter _w;
        private readonly IPhysicalMemory _pages;
        private readonly int _pageShift;
        private readonly bool _excludeZero;
        private readonly IPageCodec? _codec;
        private readonly Func<IPageCodec>? _newCodec;
        private readonly int _threads;
        private const int Batch = 1024;           // pages prepared in parallel before the writer takes them in order
        private BatchSlot[]? _slots;              // two batches: one packed by the workers while the other is appended
        private readonly RegionWriter _data;
        private readonly byte[] _descs;
        private readonly byte[] _scratch;
        private readonly byte[] _packed;
        private readonly long _zeroPageOffset;
        private int _descUsed;
        private long _descFlushedTo;
        private ulong _written, _zero;
        private string? _failure;

        internal PageStream(KdumpWriter w, IPhysicalMemory pages, int pageShift, bool excludeZero, Func<IPageCodec>? newCodec, int threads)
        {
            _w = w;
            _pages = pages;
            _pageShift = pageShift;
            _excludeZero = excludeZero;
            _newCodec = newCodec;
            _codec = newCodec?.Invoke();
            _threads = Math.Max(1, threads);
            int b = w._layout.BlockSize;
            _packed = new byte[Math.Max(b, _codec?.MaxCompressedLength(b) ?? b)];
            _data = new RegionWriter(w._sink, w._layout.DataOffset, Math.Max(w._cacheBytes, 2 * _packed.Length), autoFlush: false);
            _descs = new byte[Math.Max(w._cacheBytes / KdumpFormat.PageDesc.Size, 1) * KdumpFormat.PageDesc.Size];
            _descFlushedTo = w._layout.DescriptorOffset;
            _scratch = new byte[b];
            _zeroPageOffset = w._layout.DataOffset;
            if (excludeZero)
                Guard(() => _data.Append(new byte[b])); // the one shared zero page
        }

        /// <summary>Adds the pages of a cycle's bitmap that lie in [startPfn, endPfn).</summary>
        public void Write(Bitmap cycle, ulong startPfn = 0, ulong endPfn = ulong.MaxValue)
        {
            if (_threads == 1)
                WriteSequential(cycle, startPfn, endPfn);
            else
                WriteParallel(cycle, startPfn, endPfn);
        }

        /// <summary>
        /// Parallel path: batches of pages are read and packed by the workers, then appended in pfn order; the next
        /// batch is packed while this one is appended, so the workers do not wait for the output.
        /// </summary>
        private void WriteParallel(Bitmap cycle, ulong startPfn, ulong endPfn)
        {
            _slots ??= [new BatchSlot(_packed.Length), new BatchSlot(_packed.Length)];
            ulong pfn = cycle.NextSet(Math.Max(startPfn, cycle.BasePfn));
            int slot = 0;
            Task? packing = null;
            BatchSlot? packed = null;
            try
            {
                if (_failure is null && pfn < endPfn)
                    (packing, packed) = StartBatch(_slots[slot], cycle, ref pfn, endPfn);
                while (packing is not null)
                {
                    packing.GetAwaiter().GetResult();
                    packing = null;
                    var ready = packed!;
                    if (_failure is null && pfn < endPfn)
                        (packing, packed) = StartBatch(_slots[slot ^= 1], cycle, ref pfn, endPfn);
                    Guard(() => AppendBatch(ready));
                }
            }
            finally
            {
                // A failed append must not leave workers writing into the slots.
                try { packing?.Wait(); } catch (AggregateException) { }
            }
        }

        /// <summary>Takes the next pfns (up to a batch) into slot and starts packing them on the workers.</summary>
        private (Task, BatchSlot) StartBatch(BatchSlot slot, Bitmap cycle, ref ulong pfn, ulong endPfn)
        {
            int n = 0;
            for (; n < Batch && pfn < endPfn; pfn = cycle.NextSet(pfn + 1))
                slot.Pfns[n++] = pfn;
            slot.Count = n;
            var options = new ParallelOptions { MaxDegreeOfParallelism = _threads };
            int stride = _packed.Length;
            var task = Task.Run(() => Parallel.For(0, n, options, Rent, (i, _, worker) =>
            {
                slot.Len[i] = Pack(slot.Pfns[i], worker, slot.Bytes.AsSpan(i * stride, stride));
                return worker;
            }, Return));
            return (task, slot);
        }

        /// <summary>Appends a packed batch in pfn order.</summary>
        private void AppendBatch(BatchSlot slot)
        {
            StopIfInterrupted();
            int b = _w._layout.BlockSize;
            int stride = _packed.Length;
            for (int i = 0; i < slot.Count; i++)
            {
                int len = slot.Len[i];
                Append(len, slot.Bytes.AsSpan(i * stride, len > 0 ? len : b));
            }
            ReleaseBehind(slot.Pfns[slot.Count - 1] + 1);
            Progress?.Invoke(_written);
        }

        /// <summary>One batch of pages: their pfns, packed lengths (-1 zero page, 0 raw, else compressed) and bytes.</summary>
        private sealed class BatchSlot(int stride)
        {
            public ulong[] Pfns { get; } = new ulong[Batch];
            public int[] Len { get; } = new int[Batch];
            public byte[] Bytes { get; } = new byte[Batch * stride];
            public int Count { get; set; }
        }

        /// <summary>Reads one page and packs it into slot: -1 zero page, 0 raw (slot holds the page), else the compressed length.</summary>
        private int Pack(ulong pfn, Worker worker, Span<byte> slot)
        {
            int b = _w._layout.BlockSize;
            ulong paddr = pfn << _pageShift;
            if (!_pages.TryGetSpan(paddr, b, out ReadOnlySpan<byte> page))
            {
                if (!_pages.TryRead(paddr, worker.Scratch))
                    Array.Clear(worker.Scratch);
                page = worker.Scratch;
            }
            if (_excludeZero && !page.ContainsAnyExcept((byte)0))
                return -1;
            if (worker.Codec is { } codec)
            {
                int len = codec.Compress(page, slot);
                if (len > 0 && len < b)
                    return len;
            }
            page.CopyTo(slot);
            return 0;
        }

        /// <summary>A worker's own codec and read buffer.</summary>
        private sealed class Worker(IPageCodec? codec, int pageSize)
        {
            public IPageCodec? Codec { get; } = codec;
            public byte[] Scratch { get; } = new byte[pageSize];
        }

        private readonly System.Collections.Concurrent.ConcurrentBag<Worker> _workers = new();

        /// <summary>A worker for a thread (pooled; each is used by one thread at a time).</summary>
        private Worker Rent() => _workers.TryTake(out var w) ? w : new Worker(_newCodec?.Invoke(), _w._layout.BlockSize);

        /// <summary>Gives a worker back to the pool.</summary>
        private void Return(Worker worker) => _workers.Add(worker);

        /// <summary>Appends one packed page (len as from <see cref="Pack"/>) and its descriptor, in order.</summary>
        private void Append(int len, ReadOnlySpan<byte> bytes)
        {
            int b = _w._layout.BlockSize;
            // Keep descriptors and data flushed together, so a dump cut short keeps every page written so far.
            if (_data.Free < _packed.Length)
                FlushBoth();
            long offset;
            uint size, flags = 0;
            if (len < 0)
            {
                offset = _zeroPageOffset;
                size = (uint)b;
                _zero++;
            }
            else
            {
                offset = _data.Position;
                _data.Append(bytes);
                size = len > 0 ? (uint)len : (uint)b;
                flags = len > 0 ? _codec!.DescriptorFlag : 0;
            }
            Span<byte> d = _descs.AsSpan(_descUsed, KdumpFormat.PageDesc.Size);
            BinaryPrimitives.WriteInt64LittleEndian(d[KdumpFormat.PageDesc.Offset..], offset);
            BinaryPrimitives.WriteUInt32LittleEndian(d[KdumpFormat.PageDesc.DataSize..], size);
            BinaryPrimitives.WriteUInt32LittleEndian(d[KdumpFormat.PageDesc.Flags..], flags);
            BinaryPrimitives.WriteUInt64LittleEndian(d[KdumpFormat.PageDesc.PageFlags..], 0);
            _descUsed += KdumpFormat.PageDesc.Size;
            _written++;
            if (_descUsed == _descs.Length)
                FlushBoth();
        }

        /// <summary>Sequential path: one page after the other on the calling thread.</summary>
        private void WriteSequential(Bitmap cycle, ulong startPfn, ulong endPfn) => Guard(() =>
        {
            int b = _w._layout.BlockSize;
            for (ulong pfn = cycle.NextSet(Math.Max(startPfn, cycle.BasePfn)); pfn < endPfn; pfn = cycle.NextSet(pfn + 1))
            {
                StopIfInterrupted();
                ulong paddr = pfn << _pageShift;
                if (!_pages.TryGetSpan(paddr, b, out ReadOnlySpan<byte> page))
                {
                    if (!_pages.TryRead(paddr, _scratch))
                        Array.Clear(_scratch);
                    page = _scratch;
                }
                // -1 zero page, 0 raw, else the compressed length (as the parallel path's Pack).
                int len;
                if (_excludeZero && !page.ContainsAnyExcept((byte)0))
                    len = -1;
                else if ((len = _codec?.Compress(page, _packed) ?? 0) <= 0 || len >= b)
                    len = 0;
                Append(len, len > 0 ? _packed.AsSpan(0, len) : page);
                if (pfn - _releasedTo >= ReleaseStep)
                    ReleaseBehind(pfn);
                if ((_written & 1023) == 0)
                    Progress?.Invoke(_written);
            }
        });

        private const ulong ReleaseStep = 8192;   // pages (32 MiB) between hints that the input behind us may be unmapped
        private ulong _releasedTo;

        /// <summary>Called with the number of pages written so far (every 1024 pages), for a progress line.</summary>
        public Action<ulong>? Progress { get; set; }

        /// <summary>Set by a signal: the page loops poll it (each page, each parallel batch) and stop as on a full device.</summary>
        public CancellationToken Interrupt { get; set; }

        /// <summary>Stops the stream when interrupted: the pages already packed are complete, so they are flushed first.</summary>
        private void StopIfInterrupted()
        {
            if (!Interrupt.IsCancellationRequested)
                return;
            FlushBoth();
            throw new OutputInterruptedException("interrupted");
        }

        /// <summary>Hints that input pages below pfn are done with, so they need not stay resident.</summary>
        private void ReleaseBehind(ulong pfn)
        {
            if (pfn <= _releasedTo || pfn - _releasedTo < ReleaseStep)
                return;
            _pages.Release(_releasedTo << _pageShift, (pfn - _releasedTo) << _pageShift);
            _releasedTo = pfn;
        }

        /// <summary>Flushes what is left and tells what was written.</summary>
        public KdumpResult Finish()
        {
            Guard(FlushBoth);
            return new KdumpResult(_w._sink.Length, _written, _zero, _failure is not null, _failure);
        }

        /// <summary>Runs a step unless the output already failed; a full device ends the stream (incomplete dump).</summary>
        private void Guard(Action step)
        {
            if (_failure is not null)
                return;
            try
            {
                step();
            }
            catch (OutputFullException e)
            {
                // Descriptors still buffered may point at data that never reached the device: they stay zero in the file.
                _data.Discard();
                _descUsed = 0;
                _failure = e.Message;
            }
        }

        /// <summary>Data first, then the descriptors that point into it.</summary>
        private void FlushBoth()
        {
            _data.Flush();
            try
            {
                _w._sink.Write(_descFlushedTo, _descs.AsSpan(0, _descUsed));
            }
            catch (OutputFullException)
            {
                MendTornDescriptor();
                throw;
            }
            _descFlushedTo += _descUsed;
            _descUsed = 0;
        }

        /// <summary>
        /// A full device takes a write up to its last free block (a short write), which can cut a descriptor after its
        /// offset: readers would take it for a written page of size 0. The descriptors are written again one by one as
        /// far as the device takes them, and the first one that does not fit is zeroed, so each is whole or zero ("lost").
        /// </summary>
        private void MendTornDescriptor()
        {
            int size = KdumpFormat.PageDesc.Size, at = 0;
            try
            {
                for (; at < _descUsed; at += size)
                    _w._sink.Write(_descFlushedTo + at, _descs.AsSpan(at, size));
            }
            catch (OutputFullException)
            {
                try
                {
                    _w._sink.Write(_descFlushedTo + at, new byte[size]);
                }
                catch (OutputFullException)
                {
                    // Its bytes up to the end of the last block are zero now; the rest was never written.
                }
            }
        }
    }
}
