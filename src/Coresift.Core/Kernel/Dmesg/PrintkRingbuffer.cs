using System.Buffers.Binary;
using Coresift.Common;

namespace Coresift.Kernel.Dmesg;

/// <summary>The 5.10+ log: the lockless printk_ringbuffer (descriptor ring, printk_info array, text data ring).</summary>
/// <remarks>
/// As makedumpfile does: every descriptor id from tail_id to head_id is looked up at index id mod count; it is printed
/// when the descriptor still holds that id in the committed or finalized state. Its text block [begin, next) is taken
/// modulo the data size (a block that wraps lies at offset 0), skips the block's leading id word, and is cut to
/// printk_info.text_len. printk_info.seq is not checked. --partial-dmesg starts at the descriptor whose index matches
/// clear_seq.
/// </remarks>
internal static class PrintkRingbuffer
{
    /// <summary>Largest log_buf_len believed: 2^30 bytes of text (see <see cref="KernelLog.MaxLogBufferBytes"/>).</summary>
    private const int MaxSizeBits = 30;

    /// <summary>Most descriptor-count bits believed: the kernel gives one descriptor per 32 bytes of text, so 2^25 for 1 GiB.</summary>
    private const int MaxCountBits = 25;

    /// <summary>Largest struct size believed for prb_desc, printk_info and printk_ringbuffer.</summary>
    private const int MaxStructBytes = 4096;

    /// <summary>Descriptor ids are the low 62 bits of state_var; the top two bits are the state.</summary>
    private const ulong IdMask = (1UL << 62) - 1;

    /// <summary>state_var's state field: committed (1) and finalized (2) records are complete.</summary>
    private const ulong StateCommitted = 1, StateFinalized = 2;

    /// <summary>Each data block starts with the unsigned long id of its descriptor.</summary>
    private const int BlockIdBytes = 8;

    /// <summary>Every SIZE/OFFSET the reader uses, looked up and range-checked in one place.</summary>
    private sealed class Layout
    {
        /// <summary>SIZE(printk_ringbuffer) and where its two rings start in it.</summary>
        public int RingSize, DescRing, TextDataRing;

        /// <summary>Descriptor-ring fields, as offsets in struct printk_ringbuffer.</summary>
        public int CountBits, Descs, Infos, HeadId, TailId;

        /// <summary>SIZE(prb_desc) and its fields: state_var, text_blk_lpos.begin and .next.</summary>
        public int DescSize, StateVar, TextBlkBegin, TextBlkNext;

        /// <summary>SIZE(printk_info) and the fields printed: ts_nsec, text_len.</summary>
        public int InfoSize, InfoTsNsec, InfoTextLen;

        /// <summary>Text-data-ring fields, as offsets in struct printk_ringbuffer.</summary>
        public int SizeBits, Data;

        /// <summary>OFFSET(latched_seq.val) when clear_seq is a latched_seq (5.13+); null for a plain u64.</summary>
        public int? LatchedVal;

        /// <summary>Reads the layout; offsets must leave room for the field inside its struct.</summary>
        public static Layout From(VmcoreInfo info)
        {
            var l = new Layout();
            l.RingSize = KernelReads.Field(info.Size("printk_ringbuffer"), "SIZE(printk_ringbuffer)", MaxStructBytes + 1);
            int descRingSize = KernelReads.Field(info.Size("prb_desc_ring"), "SIZE(prb_desc_ring)", MaxStructBytes + 1);
            int dataRingSize = KernelReads.Field(info.Size("prb_data_ring"), "SIZE(prb_data_ring)", MaxStructBytes + 1);
            l.DescRing = KernelReads.Field(info.Offset("printk_ringbuffer.desc_ring"), "OFFSET(printk_ringbuffer.desc_ring)", l.RingSize - descRingSize + 1);
            l.TextDataRing = KernelReads.Field(info.Offset("printk_ringbuffer.text_data_ring"), "OFFSET(printk_ringbuffer.text_data_ring)", l.RingSize - dataRingSize + 1);
            // atomic_long_t wraps a single counter; its offset is 0 wherever it is exported.
            long counter = info.Offset("atomic_long_t.counter") ?? 0;
            ThrowHelper.Check(counter == 0, $"VMCOREINFO OFFSET(atomic_long_t.counter)={counter} is not supported");
            l.CountBits = l.DescRing + KernelReads.Field(info.Offset("prb_desc_ring.count_bits"), "OFFSET(prb_desc_ring.count_bits)", descRingSize - 3);
            l.Descs = l.DescRing + KernelReads.Field(info.Offset("prb_desc_ring.descs"), "OFFSET(prb_desc_ring.descs)", descRingSize - 7);
            l.Infos = l.DescRing + KernelReads.Field(info.Offset("prb_desc_ring.infos"), "OFFSET(prb_desc_ring.infos)", descRingSize - 7);
            l.HeadId = l.DescRing + KernelReads.Field(info.Offset("prb_desc_ring.head_id"), "OFFSET(prb_desc_ring.head_id)", descRingSize - 7);
            l.TailId = l.DescRing + KernelReads.Field(info.Offset("prb_desc_ring.tail_id"), "OFFSET(prb_desc_ring.tail_id)", descRingSize - 7);
            l.SizeBits = l.TextDataRing + KernelReads.Field(info.Offset("prb_data_ring.size_bits"), "OFFSET(prb_data_ring.size_bits)", dataRingSize - 3);
            l.Data = l.TextDataRing + KernelReads.Field(info.Offset("prb_data_ring.data"), "OFFSET(prb_data_ring.data)", dataRingSize - 7);

            l.DescSize = KernelReads.Field(info.Size("prb_desc"), "SIZE(prb_desc)", MaxStructBytes + 1);
            int lposSize = KernelReads.Field(info.Size("prb_data_blk_lpos"), "SIZE(prb_data_blk_lpos)", MaxStructBytes + 1);
            l.StateVar = KernelReads.Field(info.Offset("prb_desc.state_var"), "OFFSET(prb_desc.state_var)", l.DescSize - 7);
            int blk = KernelReads.Field(info.Offset("prb_desc.text_blk_lpos"), "OFFSET(prb_desc.text_blk_lpos)", l.DescSize - lposSize + 1);
            l.TextBlkBegin = blk + KernelReads.Field(info.Offset("prb_data_blk_lpos.begin"), "OFFSET(prb_data_blk_lpos.begin)", lposSize - 7);
            l.TextBlkNext = blk + KernelReads.Field(info.Offset("prb_data_blk_lpos.next"), "OFFSET(prb_data_blk_lpos.next)", lposSize - 7);

            l.InfoSize = KernelReads.Field(info.Size("printk_info"), "SIZE(printk_info)", MaxStructBytes + 1);
            l.InfoTsNsec = KernelReads.Field(info.Offset("printk_info.ts_nsec"), "OFFSET(printk_info.ts_nsec)", l.InfoSize - 7);
            l.InfoTextLen = KernelReads.Field(info.Offset("printk_info.text_len"), "OFFSET(printk_info.text_len)", l.InfoSize - 1);

            // clear_seq became a latched_seq in 5.13 (a seqcount, then two copies); before, a plain u64.
            if (info.Offset("latched_seq.val") is long val)
            {
                // The seqcount comes first (4 bytes), then the two u64 copies.
                ThrowHelper.Check(val is >= 4 and <= MaxStructBytes, $"VMCOREINFO OFFSET(latched_seq.val)={val} is out of range");
                long size = info.Size("latched_seq") ?? val + 16;
                ThrowHelper.Check(val + 16 <= size, $"VMCOREINFO SIZE(latched_seq)={size} cannot hold OFFSET(latched_seq.val)={val}");
                l.LatchedVal = (int)val;
            }
            return l;
        }
    }

    /// <summary>Writes the records from tail_id (or the clear_seq point) to head_id.</summary>
    public static string? Write(VmcoreInfo info, IKernelMemory mem, bool partial, LogTextWriter output)
    {
        var l = Layout.From(info);
        ulong prb = KernelReads.U64(mem, KernelReads.Symbol(info, "prb"), "prb");
        var rb = new byte[l.RingSize];
        KernelReads.Read(mem, prb, rb, "printk_ringbuffer");
        uint countBits = BinaryPrimitives.ReadUInt32LittleEndian(rb.AsSpan(l.CountBits));
        uint sizeBits = BinaryPrimitives.ReadUInt32LittleEndian(rb.AsSpan(l.SizeBits));
        ThrowHelper.CheckLimit(sizeBits, MaxSizeBits, "the printk text data ring's size_bits");
        ThrowHelper.CheckLimit(countBits, MaxCountBits, "the printk descriptor ring's count_bits");
        ThrowHelper.Check(countBits <= sizeBits, $"the printk ring has more descriptors (2^{countBits}) than text bytes (2^{sizeBits})");
        ulong count = 1UL << (int)countBits;
        ulong size = 1UL << (int)sizeBits;
        output.Cap(LogTextWriter.OutputBound((long)size));
        ulong headId = BinaryPrimitives.ReadUInt64LittleEndian(rb.AsSpan(l.HeadId)) & IdMask;
        ulong tailId = BinaryPrimitives.ReadUInt64LittleEndian(rb.AsSpan(l.TailId)) & IdMask;

        var ring = new Ring(l, output, count, size,
            new KernelBuffer(mem, BinaryPrimitives.ReadUInt64LittleEndian(rb.AsSpan(l.Descs)), (long)count * l.DescSize, "the printk descriptors"),
            new KernelBuffer(mem, BinaryPrimitives.ReadUInt64LittleEndian(rb.AsSpan(l.Infos)), (long)count * l.InfoSize, "the printk_info array"),
            new KernelBuffer(mem, BinaryPrimitives.ReadUInt64LittleEndian(rb.AsSpan(l.Data)), (long)size, "the printk text data ring"));

        if (partial)
        {
            ulong clearSeq = ReadClearSeq(info, mem, l);
            // The record with sequence number s lives at descriptor index s mod count.
            ulong start = unchecked(headId - (headId & (count - 1)) + (clearSeq & (count - 1)));
            // makedumpfile takes this id even when it lies past head_id, and then loops without end; one lap back is
            // the descriptor that can still hold clear_seq.
            if ((clearSeq & (count - 1)) > (headId & (count - 1)))
                start = unchecked(start - count);
            tailId = start & IdMask;
        }
        return ring.Run(tailId, headId);
    }

    /// <summary>clear_seq: a plain u64, or a latched_seq whose copy val[s &amp; 1] is current for latch sequence s.</summary>
    private static ulong ReadClearSeq(VmcoreInfo info, IKernelMemory mem, Layout l)
    {
        ulong at = KernelReads.Symbol(info, "clear_seq");
        if (l.LatchedVal is not int val)
            return KernelReads.U64(mem, at, "clear_seq");
        uint latch = KernelReads.U32(mem, at, "clear_seq");
        return KernelReads.U64(mem, unchecked(at + (ulong)val + 8 * (latch & 1)), "clear_seq");
    }

    /// <summary>The descriptor walk and text extraction.</summary>
    private sealed class Ring(Layout l, LogTextWriter output, ulong count, ulong size, KernelBuffer descs, KernelBuffer infos, KernelBuffer data)
    {
        private readonly byte[] _desc = new byte[l.DescSize];
        private readonly byte[] _text = new byte[ushort.MaxValue]; // text_len is a u16

        // In an intact ring the blocks of complete records are disjoint, so their texts add up to at most the ring.
        private long _textBudget = (long)size;

        /// <summary>Prints the ids from tail to head (inclusive, modulo 2^62) in order; returns the warning when the ring is corrupt.</summary>
        public string? Run(ulong tail, ulong head)
        {
            ulong span = unchecked(head - tail) & IdMask;
            if (span < count)
            {
                for (ulong k = 0; k <= span; k++)
                {
                    if (!Emit(unchecked(tail + k) & IdMask))
                        return Overlap();
                }
                return null;
            }
            // More ids than descriptors (never in an intact ring; up to 2^62 when tail is past head). makedumpfile steps
            // through every id; only a descriptor that holds an id of the range prints, once, at that id's turn. Find
            // those with one pass over the descriptors and print them in the same order.
            var turns = new List<ulong>();
            for (ulong index = 0; index < count; index++)
            {
                ulong id = StateVar(index) & IdMask;
                ulong turn = unchecked(id - tail) & IdMask;
                if ((id & (count - 1)) == index && turn <= span)
                    turns.Add(turn);
            }
            turns.Sort();
            foreach (ulong turn in turns)
            {
                if (!Emit(unchecked(tail + turn) & IdMask))
                    return Overlap();
            }
            return null;
        }

        /// <summary>The warning for more text than the ring holds.</summary>
        private string Overlap() => $"Text blocks overlap (more text than the ring's {size} bytes). {KernelLog.CorruptedMessage}";

        /// <summary>Reads descriptor index into _desc and returns its state_var.</summary>
        private ulong StateVar(ulong index)
        {
            descs.Read((long)(index * (ulong)l.DescSize), _desc);
            return BinaryPrimitives.ReadUInt64LittleEndian(_desc.AsSpan(l.StateVar));
        }

        /// <summary>Prints descriptor id when it is complete and still holds that id; false when the text budget is spent.</summary>
        private bool Emit(ulong id)
        {
            ulong index = id & (count - 1);
            ulong sv = StateVar(index);
            ulong state = sv >> 62;
            if ((sv & IdMask) != id || state is not (StateCommitted or StateFinalized))
                return true;
            ulong begin = BinaryPrimitives.ReadUInt64LittleEndian(_desc.AsSpan(l.TextBlkBegin)) & (size - 1);
            ulong next = BinaryPrimitives.ReadUInt64LittleEndian(_desc.AsSpan(l.TextBlkNext)) & (size - 1);
            if (begin == next)
                return true; // no data (FAILED_LPOS, NO_LPOS) or an empty block
            if (begin > next)
                begin = 0; // the block wrapped: its data sits at the start of the ring
            begin += BlockIdBytes;

            Span<byte> info = stackalloc byte[10];
            long infoAt = (long)(index * (ulong)l.InfoSize);
            infos.Read(infoAt + l.InfoTsNsec, info[..8]);
            ulong ts = BinaryPrimitives.ReadUInt64LittleEndian(info);
            infos.Read(infoAt + l.InfoTextLen, info.Slice(8, 2));
            ulong textLen = BinaryPrimitives.ReadUInt16LittleEndian(info[8..]);
            // next - begin is unsigned in makedumpfile: a block too short for its id word does not limit the text.
            if (next >= begin)
                textLen = Math.Min(textLen, next - begin);
            // makedumpfile reads past its copy of the ring here; only bytes inside the ring are shown.
            textLen = begin >= size ? 0 : Math.Min(textLen, size - begin);
            _textBudget -= (long)textLen;
            if (_textBudget < 0)
                return false;
            var text = _text.AsSpan(0, (int)textLen);
            data.Read((long)begin, text);
            output.WriteRecord(ts, text);
            return true;
        }
    }
}
