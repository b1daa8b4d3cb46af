using System.Buffers.Binary;
using Coresift.Common;

namespace Coresift.Kernel.Dmesg;

/// <summary>The 3.5-5.9 log: variable-length struct printk_log records (struct log before 3.11) in a ring of log_buf_len bytes.</summary>
/// <remarks>
/// The walk starts at log_first_idx (clear_idx for --partial-dmesg, when exported) and follows each record's len until
/// log_next_idx; a record with len 0 marks the wrap: the record at offset 0 stands in for it. As in makedumpfile, the
/// walk stops at the first offset seen twice ("Cycle when parsing dmesg detected.") or whose header would run past the
/// buffer ("Index outside log_buf detected."), keeping what was written before.
/// </remarks>
internal static class PrintkLogRecords
{
    /// <summary>Largest record header believed (16 bytes, 20 or 24 with caller_id).</summary>
    private const int MaxHeaderBytes = 256;

    /// <summary>Field offsets of the record header, from VMCOREINFO.</summary>
    private readonly record struct Layout(int HeaderSize, int TsNsec, int Len, int TextLen)
    {
        /// <summary>Reads SIZE/OFFSET of printk_log, or of log (3.5-3.10), and checks every field lies in the header.</summary>
        public static Layout From(VmcoreInfo info)
        {
            string s = info.Size("printk_log") is null && info.Size("log") is not null ? "log" : "printk_log";
            int size = KernelReads.Field(info.Size(s), $"SIZE({s})", MaxHeaderBytes + 1);
            int ts = KernelReads.Field(info.Offset($"{s}.ts_nsec"), $"OFFSET({s}.ts_nsec)", size - 7);
            int len = KernelReads.Field(info.Offset($"{s}.len"), $"OFFSET({s}.len)", size - 1);
            int textLen = KernelReads.Field(info.Offset($"{s}.text_len"), $"OFFSET({s}.text_len)", size - 1);
            return new Layout(size, ts, len, textLen);
        }
    }

    /// <summary>Writes every record from the start index to log_next_idx; returns the warning when the walk hits corruption.</summary>
    public static string? Write(VmcoreInfo info, IKernelMemory mem, bool partial, LogTextWriter output)
    {
        var layout = Layout.From(info);
        ulong buf = KernelReads.U64(mem, KernelReads.Symbol(info, "log_buf"), "log_buf");
        uint bufLen = KernelReads.U32(mem, KernelReads.Symbol(info, "log_buf_len"), "log_buf_len");
        ThrowHelper.CheckLimit(bufLen, KernelLog.MaxLogBufferBytes, "log_buf_len");
        ThrowHelper.Check(bufLen >= layout.HeaderSize, $"log_buf_len ({bufLen}) is smaller than one record header");
        uint first = KernelReads.U32(mem, KernelReads.Symbol(info, "log_first_idx"), "log_first_idx");
        uint next = KernelReads.U32(mem, KernelReads.Symbol(info, "log_next_idx"), "log_next_idx");
        // Without clear_idx in VMCOREINFO (before 4.6) --partial-dmesg prints everything, as makedumpfile does.
        uint start = partial && info.Symbol("clear_idx") is ulong clearVar ? KernelReads.U32(mem, clearVar, "clear_idx") : first;

        var ring = new KernelBuffer(mem, buf, bufLen, "log_buf");
        output.Cap(LogTextWriter.OutputBound(bufLen));
        var walk = new Walk(ring, layout, output, buf);
        return walk.Run(start, next);
    }

    /// <summary>One pass over the records, with the state that bounds it.</summary>
    private sealed class Walk(KernelBuffer ring, Layout layout, LogTextWriter output, ulong buf)
    {
        private readonly SparseBitSet _seen = new(ring.Length);
        private readonly byte[] _header = new byte[layout.HeaderSize];
        private byte[] _text = new byte[256];
        // In an intact ring records are disjoint, so their texts add up to at most the buffer; more means overlap.
        private long _textBudget = ring.Length;

        /// <summary>Follows the records from start to next; returns null when next is reached, else the warning.</summary>
        public string? Run(uint start, uint next)
        {
            long idx = start;
            if (idx > ring.Length - layout.HeaderSize)
                return Corrupt("Index outside log_buf detected.", idx);
            _seen.Add(idx);
            while (idx != next)
            {
                ReadHeader(idx);
                long record = idx;
                ushort len = BinaryPrimitives.ReadUInt16LittleEndian(_header.AsSpan(layout.Len));
                if (len == 0)
                {
                    // The wrap marker: the record at the start of the buffer follows.
                    record = 0;
                    ReadHeader(0);
                    len = BinaryPrimitives.ReadUInt16LittleEndian(_header.AsSpan(layout.Len));
                }
                if (!Print(record))
                    return Corrupt("Overlapping records detected.", record);
                idx = record + len;
                if (idx > ring.Length - layout.HeaderSize)
                    return Corrupt("Index outside log_buf detected.", idx);
                if (!_seen.Add(idx))
                    return Corrupt("Cycle when parsing dmesg detected.", idx);
            }
            return null;
        }

        /// <summary>Reads the record header at idx into _header.</summary>
        private void ReadHeader(long idx) => ring.Read(idx, _header);

        /// <summary>Prints the record whose header is in _header; false when the texts exceed what the buffer can hold.</summary>
        private bool Print(long record)
        {
            ulong ts = BinaryPrimitives.ReadUInt64LittleEndian(_header.AsSpan(layout.TsNsec));
            int textLen = BinaryPrimitives.ReadUInt16LittleEndian(_header.AsSpan(layout.TextLen));
            long textAt = record + layout.HeaderSize;
            // makedumpfile reads past its copy of the buffer here; the bytes that exist are all we can show.
            textLen = (int)Math.Min(textLen, ring.Length - textAt);
            _textBudget -= textLen;
            if (_textBudget < 0)
                return false;
            if (_text.Length < textLen)
                _text = new byte[Math.Max(textLen, _text.Length * 2)];
            var text = _text.AsSpan(0, textLen);
            ring.Read(textAt, text);
            output.WriteRecord(ts, text);
            return true;
        }

        /// <summary>The warning: makedumpfile's two lines and the place, on one line.</summary>
        private string Corrupt(string what, long idx) => $"{what} {KernelLog.CorruptedMessage} (log_buf = 0x{buf:x}, idx = 0x{idx:x})";
    }
}

/// <summary>A set of offsets below a bound, stored as 64 Ki-bit pages allocated on first use.</summary>
internal sealed class SparseBitSet(long bound)
{
    private const int PageBits = 1 << 16;
    private readonly Dictionary<long, ulong[]> _pages = new();

    /// <summary>Adds an offset in [0, bound); false when it was already present.</summary>
    public bool Add(long value)
    {
        if (unchecked((ulong)value) >= unchecked((ulong)bound))
            throw new ArgumentOutOfRangeException(nameof(value));
        long page = value / PageBits;
        if (!_pages.TryGetValue(page, out var bits))
            _pages[page] = bits = new ulong[PageBits / 64];
        int bit = (int)(value % PageBits);
        ulong mask = 1UL << (bit & 63);
        if ((bits[bit >> 6] & mask) != 0)
            return false;
        bits[bit >> 6] |= mask;
        return true;
    }
}
