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
        private const int Batch = 512;            // pages prepared in parallel before the writer takes them in order
        private const int StripesPerThread = 4;   // a batch is cut into this many stripes per thread (balance vs sequential reads)
        private BatchSlot[]? _slots;              // three batches: two packed by the workers while the third is appended
        private HugePageBuffer? _arena;           // the slots' packed pages, unmapped once the workers stop (ReleaseSlots)
        private PackQueue<Worker>? _queue;        // the workers, started by the first parallel call, stopped by Finish
        private Worker? _helper;                  // this thread's codec and buffer when it packs too (two threads or more)
        private readonly Queue<BatchSlot> _inFlight = new();   // batches posted and not yet appended, oldest first
        private int _nextSlot;
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

        /// <summary>
        /// The most a page stream allocates for its buffers: the parallel path's batch slots, the data and descriptor
        /// caches, and each worker's page and run buffers with an allowance of 128 KiB for its codec's state (the LZO1X
        /// table's size).
        /// </summary>
        public static long BufferBytes(int blockSize, int maxPackedBytes, int cacheBytes, int threads)
        {
            long stride = Math.Max(blockSize, maxPackedBytes);
            long slots = HugePageBuffer.ResidentBytes(3L * Batch * stride) + 3L * Batch * (2 * sizeof(ulong) + 2 * sizeof(int) + sizeof(bool));
            long caches = 2L * Math.Max(cacheBytes, 2 * stride);
            long workers = (Math.Max(1, threads) + 1L) * ((128 << 10) + 2L * stride + (long)RunBufferPages * blockSize);
            return slots + caches + workers;
        }

        /// <summary>Adds the pages of a cycle's bitmap that lie in [startPfn, endPfn).</summary>
        public void Write(Bitmap cycle, ulong startPfn = 0, ulong endPfn = ulong.MaxValue)
        {
            if (_threads == 1)
                WriteSequential(cycle, startPfn, endPfn);
            else
                WriteParallel(FromBitmap(cycle, startPfn, endPfn), early: false);
        }

        /// <summary>Yields the next pfn to write (and its descriptor index when pages are written early), or false at the end.</summary>
        private delegate bool PfnSource(out ulong pfn, out ulong rank);

        /// <summary>The set pfns of a cycle's bitmap in [startPfn, endPfn), in order.</summary>
        private static PfnSource FromBitmap(Bitmap cycle, ulong startPfn, ulong endPfn)
        {
            ulong next = cycle.NextSet(Math.Max(startPfn, cycle.BasePfn));
            return (out ulong pfn, out ulong rank) =>
            {
                rank = 0;
                pfn = next;
                if (next >= endPfn)
                    return false;
                next = cycle.NextSet(next + 1);
                return true;
            };
        }

        /// <summary>
        /// Parallel path: batches of pages are read and packed by worker threads, then appended in order on this thread.
        /// Two batches are queued ahead of the one being appended, so that a worker done with its part of one batch
        /// goes on with the next instead of waiting for the slowest stripe (the workers never wait for the output).
        /// The workers and the batches in flight outlive the call: when this source runs dry, up to two batches are
        /// still being packed, and the next call (the next cycle, or the pfn-order pass after the early pages) tops the
        /// queue up behind them, so the workers do not idle while the pipeline drains and fills again. Finish appends
        /// what is left.
        /// </summary>
        private void WriteParallel(PfnSource source, bool early)
        {
            if (_slots is null)
            {
                // One arena for the three slots' packed pages, touched only as far as they take (see PackStripe).
                int slotBytes = Batch * _packed.Length;
                _arena = new HugePageBuffer(3 * slotBytes);
                _slots = [new BatchSlot(_arena, 0), new BatchSlot(_arena, slotBytes), new BatchSlot(_arena, 2 * slotBytes)];
            }
            // With two threads or more, this thread packs too while it waits (see WaitHelping): one worker fewer.
            _helper ??= _threads > 1 ? Rent() : null;
            _queue ??= new PackQueue<Worker>(_helper is null ? _threads : _threads - 1, Rent, Return,
                (worker, batch, from, to) => PackStripe(worker, (BatchSlot)batch, from, to));
            try
            {
                while (true)
                {
                    // Keep two batches queued; a dry source leaves them in flight for the next call.
                    while (_inFlight.Count < _slots.Length - 1)
                        if (!PostNext(source, early))
                            return;
                    var ready = _inFlight.Dequeue();
                    WaitFor(ready);
                    bool more = PostNext(source, early);   // the third slot: refilled while this one is appended
                    Guard(() => AppendBatch(ready));
                    if (!more)
                        return;
                }
            }
            catch
            {
                StopWorkers();
                ReleaseSlots();
                throw;
            }
        }

        /// <summary>Fills the next free slot from the source and queues its stripes; false once the source is exhausted (or the output failed).</summary>
        private bool PostNext(PfnSource source, bool early)
        {
            if (_failure is not null)
                return false;
            // The slot after the last one posted is free (at most two are in flight and one is being appended); it is
            // taken only when the source fills it, so an exhausted source does not skip a slot.
            var slot = _slots![_nextSlot % _slots.Length];
            slot.Early = early;
            if (Fill(slot, source) == 0)
                return false;
            _nextSlot++;
            _queue!.Post(slot, Math.Min(slot.Count, _threads * StripesPerThread));
            _inFlight.Enqueue(slot);
            return true;
        }

        /// <summary>Calls action with (paddr, length) of each run of 16 or more consecutive pages of a batch that are not
        /// marked as written first already.</summary>
        private void ForEachRun(BatchSlot slot, Action<ulong, ulong> action)
        {
            int i = 0;
            while (i < slot.Count)
            {
                if (slot.Skip[i])
                {
                    i++;
                    continue;
                }
                int j = RunEnd(slot, i, slot.Count);
                if (j - i >= RunPages)
                    action(slot.Pfns[i] << _pageShift, (ulong)(j - i) << _pageShift);
                i = j;
            }
        }

        private const int RunPages = 16;   // runs of consecutive pages this long are dropped from the input's mapping by one call

        /// <summary>The end of the run of consecutive pfns, none of them written first already, that starts at item i of a
        /// batch (at most up to item end).</summary>
        private static int RunEnd(BatchSlot slot, int i, int end)
        {
            int j = i + 1;
            while (j < end && !slot.Skip[j] && slot.Pfns[j] == slot.Pfns[j - 1] + 1)
                j++;
            return j;
        }

        /// <summary>Appends every batch still in flight, in order (before a sequential pass, and at the end).</summary>
        private void Drain()
        {
            try
            {
                while (_inFlight.TryDequeue(out var ready))
                {
                    WaitFor(ready);
                    Guard(() => AppendBatch(ready));
                }
            }
            finally
            {
                StopWorkers();
                ReleaseSlots();
            }
        }

        /// <summary>Unmaps the slots' arena once no worker can use it (a later parallel call maps a new one).</summary>
        private void ReleaseSlots()
        {
            _arena?.Dispose();
            _arena = null;
            _slots = null;
            _nextSlot = 0;
        }

        /// <summary>Waits for a batch, packing queued stripes meanwhile when this thread is one of the packers.</summary>
        private void WaitFor(BatchSlot batch)
        {
            if (_helper is { } helper)
                _queue!.WaitHelping(batch, helper);
            else
                _queue!.Wait(batch);
        }

        /// <summary>Lets the workers finish the stripes queued and joins them.</summary>
        private void StopWorkers()
        {
            _queue?.Dispose();
            _queue = null;
            _inFlight.Clear();
        }

        /// <summary>Takes the next pfns (up to a batch) from the source into slot, marking the pages written first already
        /// (in the pfn-order pass); returns how many.</summary>
        private int Fill(BatchSlot slot, PfnSource source)
        {
            int n = 0;
            while (n < Batch && source(out ulong pfn, out ulong rank))
            {
                slot.Pfns[n] = pfn;
                slot.Ranks[n] = rank;
                slot.Skip[n] = !slot.Early && WrittenEarly(pfn);
                n++;
            }
            slot.Count = n;
            return n;
        }

        /// <summary>Appends a packed batch in order (early pages: data now, descriptors at their places).</summary>
        private void AppendBatch(BatchSlot slot)
        {
            bool early = slot.Early;
            StopIfInterrupted();
            int b = _w._layout.BlockSize;
            int stride = _packed.Length;
            for (int i = 0; i < slot.Count; i++)
            {
                int len = slot.Len[i];
                ReadOnlySpan<byte> bytes = len == AlreadyWritten ? default : slot.Bytes(slot.Off[i], len > 0 ? len : b);
                if (early)
                    AppendEarly(slot.Pfns[i], slot.Ranks[i], len, bytes);
                else
                    Append(slot.Pfns[i], len, bytes);
            }
            if (early)
            {
                FlushEarly();
                ReleaseRuns(slot);
            }
            else
                ReleaseBehind(slot.Pfns[slot.Count - 1] + 1);
            Progress?.Invoke(_written);
        }

        /// <summary>Lets the input drop the pages of an early batch (scattered pfns, mostly in runs): they are not read again.</summary>
        private void ReleaseRuns(BatchSlot slot) => ForEachRun(slot, _pages.Release);

        /// <summary>One batch of pages: their pfns, packed lengths (-1 zero page, 0 raw, else compressed) and bytes.</summary>
        private sealed class BatchSlot(HugePageBuffer arena, int offset) : PackQueue.IBatch
        {
            public ulong[] Pfns { get; } = new ulong[Batch];
            public ulong[] Ranks { get; } = new ulong[Batch];
            public bool[] Skip { get; } = new bool[Batch];   // written first already: only the descriptor is placed
            public int[] Len { get; } = new int[Batch];
            public int[] Off { get; } = new int[Batch];      // where in Bytes a packed page starts

            /// <summary>The bytes [at, at + length) of the slot's packed pages (Batch * stride bytes of the writer's arena).</summary>
            public Span<byte> Bytes(int at, int length) => arena.AsSpan(offset + at, length);
            public int Count { get; set; }

            /// <summary>True for a batch of pages written first (kernel metadata), whose descriptors go to their places.</summary>
            public bool Early { get; set; }

            /// <inheritdoc />
            public PackQueue.Completion Done { get; } = new();
        }

        /// <summary>
        /// Packs the stripe [from, to) of a batch. With two threads or more, each run of <see cref="DirectRunPages"/> or
        /// more consecutive pages is read with one read(2) into the worker's buffer (up to <see cref="RunBufferPages"/>
        /// at a time; the input decides, see <see cref="IPhysicalMemory.TryReadDirect"/>); other pages are read through
        /// the input's mapping, as are the pages written first (the struct pages among them are mapped already, read by
        /// the scan just before). Threads that fault windows of one mapping in and drop them contend for the process's
        /// memory map: on the 2-CPU bench machine, two threads doing so over 256 KiB windows of the 8 GiB input took
        /// longer than one, while two threads reading the same windows with pread took half the time of one. One
        /// thread keeps the mapping, which costs less than the copy where the page cache holds the input in 2 MiB folios.
        /// </summary>
        private void PackStripe(Worker worker, BatchSlot slot, int from, int to)
        {
            int b = _w._layout.BlockSize;
            int stride = _packed.Length;
            // The stripe's packed pages follow each other from its first page's place in the slot, so only as much of
            // the slot as they take is ever touched (fresh memory costs a page fault per 4 KiB): each page takes at
            // most stride bytes, so page k always has stride bytes of room before page k + 1's place.
            int at = from * stride;
            int i = from;
            while (i < to)
            {
                if (slot.Skip[i])
                {
                    slot.Len[i++] = AlreadyWritten;
                    continue;
                }
                int j = RunEnd(slot, i, Math.Min(to, i + RunBufferPages));
                if (_threads > 1 && !slot.Early && j - i >= DirectRunPages && _pages.TryReadDirect(slot.Pfns[i] << _pageShift, worker.Run.AsSpan(0, (j - i) * b)))
                {
                    for (int k = i; k < j; k++)
                        at = Stow(slot, k, at, PackPage(worker.Run.AsSpan((k - i) * b, b), worker.Codec, slot.Bytes(at, stride)));
                }
                else
                {
                    for (int k = i; k < j; k++)
                    {
                        // Only a page that does not follow on: the next page in memory is already on its way.
                        if (k + 1 < to && slot.Pfns[k + 1] != slot.Pfns[k] + 1 && !slot.Skip[k + 1])
                            Prefetch(slot.Pfns[k + 1]);
                        at = Stow(slot, k, at, Pack(slot.Pfns[k], worker, slot.Bytes(at, stride)));
                    }
                }
                i = j;
            }
        }

        /// <summary>Records page k's packed length and place at; returns where the next page goes.</summary>
        private int Stow(BatchSlot slot, int k, int at, int len)
        {
            slot.Len[k] = len;
            slot.Off[k] = at;
            return at + (len > 0 ? len : len == 0 ? _w._layout.BlockSize : 0);
        }

        private const int DirectRunPages = 8;     // runs of consecutive pages this long are read with read(2), not the mapping
        private const int RunBufferPages = 64;    // pages a worker reads with one read(2) at most (256 KiB of 4 KiB pages)

        /// <summary>Reads one page through the input's mapping and packs it into slot (as <see cref="PackPage"/>).</summary>
        private int Pack(ulong pfn, Worker worker, Span<byte> slot) => PackPage(MappedPage(pfn, worker.Scratch), worker.Codec, slot);

        /// <summary>One page through the input's mapping, or read into scratch where the mapping cannot serve it (zeros
        /// where the input has no bytes).</summary>
        private ReadOnlySpan<byte> MappedPage(ulong pfn, byte[] scratch)
        {
            ulong paddr = pfn << _pageShift;
            if (_pages.TryGetSpan(paddr, scratch.Length, out ReadOnlySpan<byte> page))
                return page;
            if (!_pages.TryRead(paddr, scratch))
                Array.Clear(scratch);
            return scratch;
        }

        /// <summary>Packs one page into slot: -1 zero page, 0 raw (slot holds the page), else the compressed length.</summary>
        private int PackPage(ReadOnlySpan<byte> page, IPageCodec? codec, Span<byte> slot)
        {
            int len = Compress(page, codec, slot);
            if (len == 0)
                page.CopyTo(slot);
            return len;
        }

        /// <summary>-1 for a zero page (when excluded), 0 when the page is stored raw, else its compressed length in output.</summary>
        private int Compress(ReadOnlySpan<byte> page, IPageCodec? codec, Span<byte> output)
        {
            if (_excludeZero && !page.ContainsAnyExcept((byte)0))
                return -1;
            int len = codec?.Compress(page, output) ?? 0;
            return len > 0 && len < page.Length ? len : 0;
        }

        /// <summary>A worker's own codec, page buffer and run buffer.</summary>
        private sealed class Worker(IPageCodec? codec, int pageSize, int runPages)
        {
            public IPageCodec? Codec { get; } = codec;
            public byte[] Scratch { get; } = new byte[pageSize];
            public byte[] Run { get; } = new byte[runPages * pageSize];   // empty on one thread, which reads through the mapping
        }

        private readonly System.Collections.Concurrent.ConcurrentBag<Worker> _workers = new();

        /// <summary>A worker for a thread (pooled; each is used by one thread at a time).</summary>
        private Worker Rent() => _workers.TryTake(out var w) ? w : new Worker(_newCodec?.Invoke(), _w._layout.BlockSize, _threads > 1 ? RunBufferPages : 0);

        /// <summary>Gives a worker back to the pool.</summary>
        private void Return(Worker worker) => _workers.Add(worker);

        /// <summary>Pack's answer for a page whose data was written early: only its descriptor is still to place.</summary>
        private const int AlreadyWritten = -2;

        /// <summary>Appends one packed page (len as from <see cref="Pack"/>) and its descriptor, in order.</summary>
        private void Append(ulong pfn, int len, ReadOnlySpan<byte> bytes)
        {
            // Keep descriptors and data flushed together, so a dump cut short keeps every page written so far.
            if (len == AlreadyWritten)
            {
                // Its data and descriptor are in the file already: write what is buffered and step over its slot.
                if (_descUsed > 0)
                    FlushBoth();
                _descFlushedTo += KdumpFormat.PageDesc.Size;
                return;
            }
            if (_data.Free < _packed.Length)
                FlushBoth();
            var desc = Place(len, bytes);
            _written++;
            desc.WriteTo(_descs.AsSpan(_descUsed, KdumpFormat.PageDesc.Size));
            _descUsed += KdumpFormat.PageDesc.Size;
            if (_descUsed == _descs.Length)
                FlushBoth();
        }

        /// <summary>Puts a packed page's data in the data region (a zero page points at the shared one); returns its descriptor.</summary>
        private PageDesc Place(int len, ReadOnlySpan<byte> bytes)
        {
            int b = _w._layout.BlockSize;
            if (len < 0)
            {
                _zero++;
                return new PageDesc(_zeroPageOffset, (uint)b, 0);
            }
            long offset = _data.Position;
            _data.Append(bytes);
            return new PageDesc(offset, len > 0 ? (uint)len : (uint)b, len > 0 ? _codec!.DescriptorFlag : 0);
        }

        /// <summary>One page descriptor: where the data is, its size and its compression flag.</summary>
        private readonly record struct PageDesc(long Offset, uint Size, uint Flags)
        {
            /// <summary>Writes the 24-byte on-disk descriptor.</summary>
            public void WriteTo(Span<byte> d)
            {
                BinaryPrimitives.WriteInt64LittleEndian(d[KdumpFormat.PageDesc.Offset..], Offset);
                BinaryPrimitives.WriteUInt32LittleEndian(d[KdumpFormat.PageDesc.DataSize..], Size);
                BinaryPrimitives.WriteUInt32LittleEndian(d[KdumpFormat.PageDesc.Flags..], Flags);
                BinaryPrimitives.WriteUInt64LittleEndian(d[KdumpFormat.PageDesc.PageFlags..], 0);
            }
        }

        private (ulong Start, ulong End)[] _earlyRanges = [];               // pfns whose pages were written first (sorted)
        private readonly List<(ulong Rank, PageDesc Desc)> _earlyPending = [];   // their descriptors not yet in the file
        private byte[]? _earlyRun;                                               // runs of them, as written

        private int _earlyCursor;   // the first range written first that may still hold a pfn of the pfn-order pass

        /// <summary>True when pfn lies in a range written first. The pfn-order pass asks in increasing pfn order, so a
        /// cursor walks the ranges once (a search per page cost the 2-thread -l -d 0 dump 2% of its CPU).</summary>
        private bool WrittenEarly(ulong pfn)
        {
            var r = _earlyRanges;
            while (_earlyCursor < r.Length && r[_earlyCursor].End <= pfn)
                _earlyCursor++;
            return _earlyCursor < r.Length && pfn >= r[_earlyCursor].Start;
        }

        /// <summary>
        /// Writes the pages of these pfn ranges before every other page, with their descriptors at their places in the
        /// table, so that a dump cut short still holds them (the kernel's page tables, mem_section, struct pages, log):
        /// readers need them to make sense of any other page. ranges must be sorted and disjoint; rankOf gives a pfn's
        /// descriptor index, or null when the pfn is not in this file. The pfn-order pass that follows skips them.
        /// Call once, before any other page is written.
        /// </summary>
        public void WriteFirst(IReadOnlyList<(ulong Start, ulong End)> ranges, Func<ulong, ulong?> rankOf)
        {
            if (_written != 0 || _earlyRanges.Length != 0)
                throw new InvalidOperationException("WriteFirst comes before every other page");
            int r = 0;
            ulong next = ranges.Count > 0 ? ranges[0].Start : 0;
            PfnSource source = (out ulong pfn, out ulong rank) =>
            {
                while (r < ranges.Count)
                {
                    if (next >= ranges[r].End)
                    {
                        if (++r < ranges.Count)
                            next = ranges[r].Start;
                        continue;
                    }
                    pfn = next++;
                    if (rankOf(pfn) is ulong found)
                    {
                        rank = found;
                        return true;
                    }
                }
                pfn = rank = 0;
                return false;
            };
            try
            {
                WriteParallel(source, early: true);
            }
            finally
            {
                // Set before any later batch is posted (Post's lock publishes it to the workers).
                _earlyRanges = ranges.ToArray();
            }
        }

        /// <summary>Places an early page's data and remembers its descriptor for its place in the table.</summary>
        private void AppendEarly(ulong pfn, ulong rank, int len, ReadOnlySpan<byte> bytes)
        {
            if (_data.Free < _packed.Length)
                FlushEarly();
            var desc = Place(len, bytes);
            _written++;
            _earlyPending.Add((rank, desc));
        }

        /// <summary>Flushes the data, then writes the pending early descriptors in runs of consecutive indexes.</summary>
        private void FlushEarly()
        {
            _data.Flush();
            int size = KdumpFormat.PageDesc.Size;
            var run = _earlyRun ??= new byte[4096 * size];   // one buffer for every flush (fresh memory costs a fault per page)
            int at = 0;
            while (at < _earlyPending.Count)
            {
                int n = 1;
                while (at + n < _earlyPending.Count && n < 4096 && _earlyPending[at + n].Rank == _earlyPending[at].Rank + (ulong)n)
                    n++;
                for (int k = 0; k < n; k++)
                    _earlyPending[at + k].Desc.WriteTo(run.AsSpan(k * size, size));
                WriteDescriptors(_w._layout.DescriptorOffset + (long)_earlyPending[at].Rank * size, run.AsSpan(0, n * size));
                at += n;
            }
            _earlyPending.Clear();
        }

        /// <summary>Sequential path: one page after the other on the calling thread.</summary>
        private void WriteSequential(Bitmap cycle, ulong startPfn, ulong endPfn)
        {
            Drain();   // early batches still in flight go first
            Guard(() => WriteSequentialPages(cycle, startPfn, endPfn));
        }

        /// <summary>The sequential loop over one cycle's pages, read through the input's mapping.</summary>
        private void WriteSequentialPages(Bitmap cycle, ulong startPfn, ulong endPfn)
        {
            ulong next = cycle.NextSet(Math.Max(startPfn, cycle.BasePfn));
            bool nextEarly = next < endPfn && WrittenEarly(next);
            for (ulong pfn = next; pfn < endPfn; pfn = next)
            {
                bool early = nextEarly;
                next = cycle.NextSet(pfn + 1);
                nextEarly = next < endPfn && WrittenEarly(next);
                if (next < endPfn && next != pfn + 1 && !nextEarly)
                    Prefetch(next);
                StopIfInterrupted();
                if (early)
                {
                    Append(pfn, AlreadyWritten, default);
                    continue;
                }
                AppendPacked(pfn, MappedPage(pfn, _scratch));
            }
        }

        /// <summary>Packs one page on this thread and appends it with its descriptor (the sequential path).</summary>
        private void AppendPacked(ulong pfn, ReadOnlySpan<byte> page)
        {
            int len = Compress(page, _codec, _packed);
            Append(pfn, len, len > 0 ? _packed.AsSpan(0, len) : page);
            if (pfn - _releasedTo >= ReleaseStep)
                ReleaseBehind(pfn);
            if ((_written & 1023) == 0)
                Progress?.Invoke(_written);
        }

        /// <summary>Starts loading the first lines of a page that will be read next, when it does not follow the page being
        /// read (a scattered page is seen by the hardware's stream prefetcher only after its first misses).</summary>
        private unsafe void Prefetch(ulong pfn)
        {
            if (!System.Runtime.Intrinsics.X86.Sse.IsSupported || !_pages.TryGetSpan(pfn << _pageShift, _w._layout.BlockSize, out var page))
                return;
            fixed (byte* p = page)
            {
                for (int i = 0; i < PrefetchLines; i++)
                    System.Runtime.Intrinsics.X86.Sse.Prefetch0(p + i * 64);
            }
        }

        private const int PrefetchLines = 4;

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
            if (_earlyPending.Count > 0)
                FlushEarly();
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
            Drain();
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
            WriteDescriptors(_descFlushedTo, _descs.AsSpan(0, _descUsed));
            _descFlushedTo += _descUsed;
            _descUsed = 0;
        }

        /// <summary>Writes descriptors at offset; on a full device, mends a descriptor the short write may have torn.</summary>
        private void WriteDescriptors(long offset, ReadOnlySpan<byte> descs)
        {
            try
            {
                _w._sink.Write(offset, descs);
            }
            catch (OutputFullException)
            {
                MendTornDescriptor(offset, descs);
                throw;
            }
        }

        /// <summary>
        /// A full device takes a write up to its last free block (a short write), which can cut a descriptor after its
        /// offset: readers would take it for a written page of size 0. The descriptors are written again one by one as
        /// far as the device takes them, and the first one that does not fit is zeroed, so each is whole or zero ("lost").
        /// </summary>
        private void MendTornDescriptor(long offset, ReadOnlySpan<byte> descs)
        {
            int size = KdumpFormat.PageDesc.Size, at = 0;
            try
            {
                for (; at < descs.Length; at += size)
                    _w._sink.Write(offset + at, descs.Slice(at, size));
            }
            catch (OutputFullException)
            {
                try
                {
                    _w._sink.Write(offset + at, new byte[size]);
                }
                catch (OutputFullException)
                {
                    // Its bytes up to the end of the last block are zero now; the rest was never written.
                }
            }
        }
    }
}
