using System.Text;

namespace Coresift.Tests.Kernel.Dmesg;

/// <summary>One log record as a test writes it.</summary>
public sealed record LogEntry(ulong TsNsec, byte[] Text, uint CallerId = 0, byte[]? Dict = null)
{
    /// <summary>A record with ASCII text.</summary>
    public static LogEntry Of(ulong tsNsec, string text, uint callerId = 0) => new(tsNsec, Encoding.Latin1.GetBytes(text), callerId);
}

/// <summary>A pre-3.5 character ring: log_buf, log_buf_len, log_end.</summary>
public sealed class PlainLogBuilder
{
    private readonly DmesgImage _img;
    private readonly bool _longLogEnd;
    private ulong _logEnd;

    /// <summary>The buffer's address.</summary>
    public ulong Buffer { get; }

    /// <summary>The address of the log_end variable.</summary>
    public ulong LogEndVar { get; }

    /// <summary>The address of the log_buf_len variable.</summary>
    public ulong LenVar { get; }

    /// <summary>Buffer length (a power of two).</summary>
    public int Length { get; }

    /// <summary>Creates the variables; log_end is an unsigned long when longLogEnd (2.6.24 and older), else unsigned int.</summary>
    public PlainLogBuilder(DmesgImage img, int length, bool longLogEnd = false)
    {
        _img = img;
        _longLogEnd = longLogEnd;
        Length = length;
        Buffer = img.Alloc(length);
        ulong ptr = img.Alloc(8);
        img.U64(ptr, Buffer);
        LenVar = img.Alloc(8);
        img.U32(LenVar, (uint)length);
        LogEndVar = img.Alloc(8);
        img.Line($"SYMBOL(log_buf)={ptr:x}");
        img.Line($"SYMBOL(log_buf_len)={LenVar:x}");
        img.Line($"SYMBOL(log_end)={LogEndVar:x}");
        SetLogEnd(0);
    }

    /// <summary>Appends bytes as the kernel's emit_log_char does, one at a time around the ring.</summary>
    public void Write(string text)
    {
        foreach (byte b in Encoding.Latin1.GetBytes(text))
        {
            _img.At(Buffer + (_logEnd & (ulong)(Length - 1)), 1)[0] = b;
            _logEnd++;
        }
        SetLogEnd(_logEnd);
    }

    /// <summary>Sets log_end directly (corrupt values).</summary>
    public void SetLogEnd(ulong value)
    {
        _logEnd = value;
        if (_longLogEnd)
            _img.U64(LogEndVar, value);
        else
            _img.U32(LogEndVar, (uint)value);
    }
}

/// <summary>A 3.5-5.9 record buffer of struct printk_log (struct log before 3.11).</summary>
public sealed class PrintkLogBuilder
{
    private readonly DmesgImage _img;
    private readonly LinkedList<(uint Idx, uint Size, LogEntry Entry)> _live = new();
    private uint _next;

    /// <summary>The buffer's address.</summary>
    public ulong Buffer { get; }

    /// <summary>Buffer length.</summary>
    public uint Length { get; }

    /// <summary>Record header size: 16, 20 (caller_id, packed) or 24 (caller_id, 8-aligned).</summary>
    public int HeaderSize { get; }

    /// <summary>Record alignment (LOG_ALIGN).</summary>
    public int Align { get; }

    /// <summary>Address of log_first_idx.</summary>
    public ulong FirstVar { get; }

    /// <summary>Address of log_next_idx.</summary>
    public ulong NextVar { get; }

    /// <summary>Address of clear_idx.</summary>
    public ulong ClearVar { get; }

    /// <summary>Address of log_buf_len.</summary>
    public ulong LenVar { get; }

    /// <summary>The live records, oldest first, with their buffer offsets.</summary>
    public IEnumerable<(uint Idx, LogEntry Entry)> Live => _live.Select(r => (r.Idx, r.Entry));

    /// <summary>Creates the buffer and variables and the VMCOREINFO entries (struct name "printk_log" or "log").</summary>
    public PrintkLogBuilder(DmesgImage img, uint length, int headerSize = 16, int align = 4, bool exportCallerId = false,
        string structName = "printk_log", bool exportClearIdx = true)
    {
        _img = img;
        Length = length;
        HeaderSize = headerSize;
        Align = align;
        Buffer = img.Alloc(length);
        ulong ptr = img.Alloc(8);
        img.U64(ptr, Buffer);
        LenVar = img.Alloc(4, 4);
        img.U32(LenVar, length);
        FirstVar = img.Alloc(4, 4);
        NextVar = img.Alloc(4, 4);
        ClearVar = img.Alloc(4, 4);
        img.Line($"SYMBOL(log_buf)={ptr:x}");
        img.Line($"SYMBOL(log_buf_len)={LenVar:x}");
        img.Line($"SYMBOL(log_first_idx)={FirstVar:x}");
        if (exportClearIdx)
            img.Line($"SYMBOL(clear_idx)={ClearVar:x}");
        img.Line($"SYMBOL(log_next_idx)={NextVar:x}");
        img.Line($"SIZE({structName})={headerSize}");
        img.Line($"OFFSET({structName}.ts_nsec)=0");
        img.Line($"OFFSET({structName}.len)=8");
        img.Line($"OFFSET({structName}.text_len)=10");
        img.Line($"OFFSET({structName}.dict_len)=12");
        if (exportCallerId)
            img.Line($"OFFSET({structName}.caller_id)=16");
    }

    /// <summary>Appends records.</summary>
    public PrintkLogBuilder Add(params LogEntry[] entries)
    {
        foreach (var e in entries)
            Append(e);
        return this;
    }

    /// <summary>Appends a record, dropping the oldest ones and wrapping (len = 0 marker) like the kernel's ring.</summary>
    public void Append(LogEntry e)
    {
        int dictLen = e.Dict?.Length ?? 0;
        uint size = (uint)((HeaderSize + e.Text.Length + dictLen + Align - 1) & ~(Align - 1));
        if (size + HeaderSize > Length)
            throw new ArgumentException("record larger than the buffer");
        uint at = _next;
        bool wrap = at + size + HeaderSize > Length;
        if (wrap)
        {
            // Records between the old end and the buffer's end are the oldest: drop them, mark the wrap.
            while (_live.First is { } f && f.Value.Idx >= at)
                _live.RemoveFirst();
            _img.At(Buffer + at, HeaderSize).Clear();
            at = 0;
        }
        while (_live.First is { } f && f.Value.Idx < at + size + HeaderSize && f.Value.Idx + f.Value.Size > at)
            _live.RemoveFirst();
        var h = _img.At(Buffer + at, (int)size);
        h.Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(h, e.TsNsec);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[8..], (ushort)size);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[10..], (ushort)e.Text.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[12..], (ushort)dictLen);
        h[14] = 0;
        h[15] = 6 << 5;
        if (HeaderSize > 16)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(h[16..], e.CallerId);
        e.Text.CopyTo(h[HeaderSize..]);
        e.Dict?.CopyTo(h[(HeaderSize + e.Text.Length)..]);
        _live.AddLast((at, size, e));
        _next = at + size;
        Sync();
    }

    /// <summary>Writes a record at a chosen offset, outside the ring bookkeeping (len defaults to the aligned size; 0 = wrap marker).</summary>
    public void Place(uint idx, LogEntry e, int? len = null)
    {
        int size = (HeaderSize + e.Text.Length + Align - 1) & ~(Align - 1);
        var h = _img.At(Buffer + idx, size);
        h.Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(h, e.TsNsec);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[8..], (ushort)(len ?? size));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[10..], (ushort)e.Text.Length);
        if (HeaderSize > 16)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(h[16..], e.CallerId);
        e.Text.CopyTo(h[HeaderSize..]);
    }

    /// <summary>Sets log_first_idx, log_next_idx and clear_idx directly.</summary>
    public void SetIndices(uint first, uint next, uint clear)
    {
        _img.U32(FirstVar, first);
        _img.U32(NextVar, next);
        _img.U32(ClearVar, clear);
    }

    /// <summary>Writes log_first_idx and log_next_idx from the live records.</summary>
    public void Sync()
    {
        _img.U32(FirstVar, _live.First?.Value.Idx ?? _next);
        _img.U32(NextVar, _next);
    }

    /// <summary>Sets clear_idx to the offset of the n-th live record (n = count: nothing after the clear).</summary>
    public void ClearBefore(int n) => _img.U32(ClearVar, n < _live.Count ? _live.ElementAt(n).Idx : _next);

    /// <summary>Writes a u16 header field of the record at a buffer offset (8 = len, 10 = text_len).</summary>
    public void PatchU16(uint idx, int field, ushort value) => _img.U16(Buffer + idx + (ulong)field, value);
}

/// <summary>A 5.10+ lockless printk_ringbuffer with the typical LP64 layout (offsets as Debian's 6.1 exports them).</summary>
public sealed class PrintkRingBuilder
{
    /// <summary>Descriptor states (top two bits of state_var).</summary>
    public const ulong Reserved = 0, Committed = 1, Finalized = 2, Reusable = 3;

    /// <summary>Id bits of state_var.</summary>
    public const ulong IdMask = (1UL << 62) - 1;

    /// <summary>lpos of data-less records.</summary>
    public const ulong NoLpos = 3;

    private const int DescSize = 24, InfoSize = 88;
    private readonly DmesgImage _img;
    private readonly LinkedList<(ulong Id, ulong Begin, ulong Next)> _blocks = new();
    private readonly int _textDataRing;
    private ulong _seq;

    /// <summary>2^CountBits descriptors.</summary>
    public int CountBits { get; }

    /// <summary>2^SizeBits bytes of text data.</summary>
    public int SizeBits { get; }

    /// <summary>Descriptor count.</summary>
    public ulong Count => 1UL << CountBits;

    /// <summary>Data ring size.</summary>
    public ulong Size => 1UL << SizeBits;

    /// <summary>Address of struct printk_ringbuffer.</summary>
    public ulong Ring { get; }

    /// <summary>Address of the descriptor array.</summary>
    public ulong Descs { get; }

    /// <summary>Address of the printk_info array.</summary>
    public ulong Infos { get; }

    /// <summary>Address of the text data.</summary>
    public ulong Data { get; }

    /// <summary>Address of clear_seq.</summary>
    public ulong ClearSeqVar { get; }

    /// <summary>Newest descriptor id.</summary>
    public ulong HeadId { get; private set; }

    /// <summary>Oldest descriptor id.</summary>
    public ulong TailId { get; private set; }

    /// <summary>Data ring head lpos.</summary>
    public ulong HeadLpos { get; private set; }

    /// <summary>Data ring tail lpos.</summary>
    public ulong TailLpos { get; private set; }

    /// <summary>Ids of the records written so far, oldest first (evicted ones included).</summary>
    public List<ulong> Ids { get; } = new();

    /// <summary>Creates an empty ring as the kernel initialises one; oldRingLayout = the 40-byte prb_desc_ring of 5.10-5.19; latched = clear_seq is a latched_seq (5.13+).</summary>
    /// <remarks>The kernel's first id, DESC0_ID, is -(count + 1) computed in 32 bits (0xffffefff for 4096 descriptors); firstId overrides it.</remarks>
    public PrintkRingBuilder(DmesgImage img, int countBits, int sizeBits, bool latched = true, bool oldRingLayout = false, ulong? firstId = null)
    {
        _img = img;
        CountBits = countBits;
        SizeBits = sizeBits;
        int descRingSize = oldRingLayout ? 40 : 48;
        _textDataRing = descRingSize;
        Ring = img.Alloc(descRingSize + 32 + 8);
        ulong prb = img.Alloc(8);
        img.U64(prb, Ring);
        Descs = img.Alloc((long)Count * DescSize);
        Infos = img.Alloc((long)Count * InfoSize);
        Data = img.Alloc((long)Size);
        ClearSeqVar = img.Alloc(24);
        img.U32(Ring, (uint)countBits);
        img.U64(Ring + 8, Descs);
        img.U64(Ring + 16, Infos);
        img.U32(Ring + (ulong)_textDataRing, (uint)sizeBits);
        img.U64(Ring + (ulong)_textDataRing + 8, Data);
        // The kernel's initial state: DESC0_ID in the last descriptor, reusable; data positions at -size.
        ulong desc0 = firstId ?? unchecked(0u - ((uint)Count + 1));
        ulong last = Descs + (desc0 & (Count - 1)) * DescSize;
        HeadId = TailId = desc0;
        _seq = (desc0 + 1) & (Count - 1); // the kernel keeps seq and id congruent modulo the descriptor count
        HeadLpos = TailLpos = unchecked(0UL - Size);
        img.U64(last, (Reusable << 62) | desc0);
        img.U64(last + 8, 1);
        img.U64(last + 16, 1);
        Sync();

        img.Line($"SYMBOL(prb)={prb:x}");
        img.Line($"SYMBOL(printk_rb_static)={Ring:x}");
        img.Line($"SYMBOL(clear_seq)={ClearSeqVar:x}");
        img.Line($"SIZE(printk_ringbuffer)={descRingSize + 40}");
        img.Line("OFFSET(printk_ringbuffer.desc_ring)=0");
        img.Line($"OFFSET(printk_ringbuffer.text_data_ring)={_textDataRing}");
        img.Line($"OFFSET(printk_ringbuffer.fail)={_textDataRing + 32}");
        img.Line($"SIZE(prb_desc_ring)={descRingSize}");
        img.Line("OFFSET(prb_desc_ring.count_bits)=0");
        img.Line("OFFSET(prb_desc_ring.descs)=8");
        img.Line("OFFSET(prb_desc_ring.infos)=16");
        img.Line("OFFSET(prb_desc_ring.head_id)=24");
        img.Line("OFFSET(prb_desc_ring.tail_id)=32");
        img.Line("SIZE(prb_desc)=24");
        img.Line("OFFSET(prb_desc.state_var)=0");
        img.Line("OFFSET(prb_desc.text_blk_lpos)=8");
        img.Line("SIZE(prb_data_blk_lpos)=16");
        img.Line("OFFSET(prb_data_blk_lpos.begin)=0");
        img.Line("OFFSET(prb_data_blk_lpos.next)=8");
        img.Line("SIZE(printk_info)=88");
        img.Line("OFFSET(printk_info.seq)=0");
        img.Line("OFFSET(printk_info.ts_nsec)=8");
        img.Line("OFFSET(printk_info.text_len)=16");
        img.Line("OFFSET(printk_info.caller_id)=20");
        img.Line("OFFSET(printk_info.dev_info)=24");
        img.Line("SIZE(dev_printk_info)=64");
        img.Line("OFFSET(dev_printk_info.subsystem)=0");
        img.Line("LENGTH(printk_info_subsystem)=16");
        img.Line("OFFSET(dev_printk_info.device)=16");
        img.Line("LENGTH(printk_info_device)=48");
        img.Line("SIZE(prb_data_ring)=32");
        img.Line("OFFSET(prb_data_ring.size_bits)=0");
        img.Line("OFFSET(prb_data_ring.data)=8");
        img.Line("OFFSET(prb_data_ring.head_lpos)=16");
        img.Line("OFFSET(prb_data_ring.tail_lpos)=24");
        img.Line("SIZE(atomic_long_t)=8");
        img.Line("OFFSET(atomic_long_t.counter)=0");
        if (latched)
        {
            img.Line("SIZE(latched_seq)=24");
            img.Line("OFFSET(latched_seq.val)=8");
        }
    }

    /// <summary>Appends records.</summary>
    public PrintkRingBuilder Add(params LogEntry[] entries)
    {
        foreach (var e in entries)
            Append(e);
        return this;
    }

    /// <summary>Appends a record in the given state, recycling the oldest descriptors and data blocks as needed; returns its id.</summary>
    public ulong Append(LogEntry e, ulong state = Finalized)
    {
        ulong id = (HeadId + 1) & IdMask;
        if (unchecked(id - TailId & IdMask) >= Count)
            PushTail();
        ulong begin = NoLpos, next = NoLpos;
        if (e.Text.Length > 0)
        {
            ulong blk = (ulong)((8 + e.Text.Length + 7) & ~7);
            if (blk > Size / 2)
                throw new ArgumentException("text too large for the data ring");
            begin = HeadLpos;
            ulong end = unchecked(begin + blk);
            next = (begin >> SizeBits) == (end >> SizeBits) ? end : unchecked(((end >> SizeBits) << SizeBits) + blk);
            while (unchecked(next - TailLpos) > Size)
                PushData();
            ulong at = unchecked(next - blk) & (Size - 1);
            _img.U64(Data + at, id);
            e.Text.CopyTo(_img.At(Data + at + 8, e.Text.Length));
            _blocks.AddLast((id, begin, next));
            HeadLpos = next;
        }
        ulong index = id & (Count - 1);
        ulong d = Descs + index * DescSize;
        _img.U64(d, (state << 62) | id);
        _img.U64(d + 8, begin);
        _img.U64(d + 16, next);
        ulong info = Infos + index * InfoSize;
        _img.At(info, InfoSize).Clear();
        _img.U64(info, _seq++);
        _img.U64(info + 8, e.TsNsec);
        _img.U16(info + 16, (ushort)e.Text.Length);
        _img.At(info + 19, 1)[0] = 6;
        _img.U32(info + 20, e.CallerId);
        HeadId = id;
        Ids.Add(id);
        Sync();
        return id;
    }

    /// <summary>Makes the oldest descriptor reusable and moves the tail past it.</summary>
    private void PushTail()
    {
        ulong index = TailId & (Count - 1);
        ulong d = Descs + index * DescSize;
        _img.U64(d, (Reusable << 62) | TailId);
        if (_blocks.First is { } f && f.Value.Id == TailId)
        {
            TailLpos = f.Value.Next;
            _blocks.RemoveFirst();
        }
        TailId = (TailId + 1) & IdMask;
    }

    /// <summary>Frees the oldest data block (its descriptor becomes reusable).</summary>
    private void PushData()
    {
        var (id, _, next) = _blocks.First!.Value;
        _blocks.RemoveFirst();
        ulong d = Descs + (id & (Count - 1)) * DescSize;
        if ((_img.ReadU64(d) & IdMask) == id)
            _img.U64(d, (Reusable << 62) | id);
        TailLpos = next;
    }

    /// <summary>Writes head/tail ids and lpos into the ring struct.</summary>
    public void Sync()
    {
        _img.U64(Ring + 24, HeadId);
        _img.U64(Ring + 32, TailId);
        _img.U64(Ring + (ulong)_textDataRing + 16, HeadLpos);
        _img.U64(Ring + (ulong)_textDataRing + 24, TailLpos);
    }

    /// <summary>Sets clear_seq (latched: both copies and latch sequence s, reader takes val[s &amp; 1]).</summary>
    public void SetClearSeq(ulong seq, uint latch = 2, ulong other = 0)
    {
        _img.U32(ClearSeqVar, latch);
        _img.U64(ClearSeqVar + 8 + 8 * (latch & 1), seq);
        _img.U64(ClearSeqVar + 8 + 8 * ((latch & 1) ^ 1), other);
    }

    /// <summary>Sets a plain u64 clear_seq (5.10-5.12).</summary>
    public void SetPlainClearSeq(ulong seq) => _img.U64(ClearSeqVar, seq);

    /// <summary>Overwrites a descriptor's state_var and text positions.</summary>
    public void PatchDesc(ulong index, ulong stateVar, ulong begin, ulong next)
    {
        ulong d = Descs + index * DescSize;
        _img.U64(d, stateVar);
        _img.U64(d + 8, begin);
        _img.U64(d + 16, next);
    }

    /// <summary>Overwrites head_id and tail_id.</summary>
    public void PatchIds(ulong head, ulong tail)
    {
        HeadId = head;
        TailId = tail;
        Sync();
    }

    /// <summary>Overwrites a u32 field of the ring struct (0 = count_bits).</summary>
    public void PatchRingU32(int offset, uint v) => _img.U32(Ring + (ulong)offset, v);

    /// <summary>Offset of the text data ring inside the ring struct.</summary>
    public int TextDataRingOffset => _textDataRing;
}
