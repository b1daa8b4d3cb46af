using System.Buffers;

namespace Coresift.Kernel.Dmesg;

/// <summary>Writes log records as makedumpfile's --dump-dmesg does: a "[seconds.micros] " prefix, the text with escapes, a newline.</summary>
/// <remarks>
/// Inside the text, a newline is followed by as many spaces as the prefix is long; bytes that are neither printable ASCII
/// nor whitespace become \xNN. Output is buffered and flushed to the stream in large pieces.
/// </remarks>
internal sealed class LogTextWriter : IDisposable
{
    private const int BufferBytes = 64 << 10;
    private const ulong NanosPerSecond = 1_000_000_000;
    private const ulong NanosPerMicro = 1_000;
    private readonly Stream _output;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    private int _used;

    /// <summary>Bytes written so far (flushed or not).</summary>
    public long Written { get; private set; }

    /// <summary>Creates a writer onto a stream.</summary>
    public LogTextWriter(Stream output) => _output = output;

    /// <summary>Writes one record: timestamp prefix, optional caller column, escaped text, newline.</summary>
    public void WriteRecord(ulong tsNsec, ReadOnlySpan<byte> text, uint? callerId = null)
    {
        Span<byte> prefix = stackalloc byte[64];
        int n = FormatPrefix(tsNsec, callerId, prefix);
        prefix = prefix[..n];
        Put(prefix);
        foreach (byte b in text)
        {
            if (b == (byte)'\n')
            {
                PutByte(b);
                PutSpaces(n);
            }
            else if (IsPrintableOrSpace(b))
            {
                PutByte(b);
            }
            else
            {
                Span<byte> esc = [(byte)'\\', (byte)'x', Hex(b >> 4), Hex(b & 0xf)];
                Put(esc);
            }
        }
        PutByte((byte)'\n');
    }

    /// <summary>Writes bytes unchanged (the pre-3.5 character ring).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes) => Put(bytes);

    /// <summary>Formats "[%5llu.%06lu] " and, when a caller id is given, "[%8s] " holding T&lt;pid&gt; or C&lt;cpu&gt;.</summary>
    internal static int FormatPrefix(ulong tsNsec, uint? callerId, Span<byte> dst)
    {
        ulong seconds = tsNsec / NanosPerSecond;
        ulong micros = tsNsec % NanosPerSecond / NanosPerMicro;
        int n = 0;
        dst[n++] = (byte)'[';
        n += PadLeft(seconds, 5, (byte)' ', dst[n..]);
        dst[n++] = (byte)'.';
        n += PadLeft(micros, 6, (byte)'0', dst[n..]);
        dst[n++] = (byte)']';
        dst[n++] = (byte)' ';
        if (callerId is uint id)
        {
            Span<byte> column = stackalloc byte[16];
            column[0] = (id & 0x80000000) != 0 ? (byte)'C' : (byte)'T';
            int len = 1 + PadLeft(id & 0x7fffffff, 1, (byte)' ', column[1..]);
            dst[n++] = (byte)'[';
            for (int i = len; i < 8; i++)
                dst[n++] = (byte)' ';
            column[..len].CopyTo(dst[n..]);
            n += len;
            dst[n++] = (byte)']';
            dst[n++] = (byte)' ';
        }
        return n;
    }

    /// <summary>isprint() or isspace() in the C locale: 0x20-0x7e and 0x09-0x0d.</summary>
    internal static bool IsPrintableOrSpace(byte b) => b is >= 0x20 and <= 0x7e or >= 0x09 and <= 0x0d;

    /// <summary>Writes value in decimal, left-padded with pad to at least width characters; returns the length.</summary>
    private static int PadLeft(ulong value, int width, byte pad, Span<byte> dst)
    {
        Span<byte> digits = stackalloc byte[20];
        int d = 0;
        do
        {
            digits[d++] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
        while (value != 0);
        int n = 0;
        for (int i = d; i < width; i++)
            dst[n++] = pad;
        while (d > 0)
            dst[n++] = digits[--d];
        return n;
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private void PutByte(byte b)
    {
        if (_used == BufferBytes)
            Flush();
        _buffer[_used++] = b;
        Written++;
    }

    private void PutSpaces(int count)
    {
        for (int i = 0; i < count; i++)
            PutByte((byte)' ');
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (_used == BufferBytes)
                Flush();
            int n = Math.Min(bytes.Length, BufferBytes - _used);
            bytes[..n].CopyTo(_buffer.AsSpan(_used));
            _used += n;
            Written += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Writes the buffered bytes to the stream.</summary>
    public void Flush()
    {
        _output.Write(_buffer, 0, _used);
        _used = 0;
    }

    /// <summary>Flushes and returns the buffer to the pool.</summary>
    public void Dispose()
    {
        Flush();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}
