using System.Buffers;
using Coresift.Common;

namespace Coresift.Kernel.Dmesg;

/// <summary>Writes log records as makedumpfile's --dump-dmesg does: a "[seconds.micros] " prefix, the text with escapes, a newline.</summary>
/// <remarks>
/// Inside the text, a newline is followed by as many spaces as the prefix is long; bytes that are neither printable ASCII
/// nor whitespace become \xNN (\xffffffNN from 0x80 up, as a sign-extended char). Output is buffered and flushed to the stream in large pieces.
/// </remarks>
internal sealed class LogTextWriter : IDisposable
{
    /// <summary>Bytes collected before a write to the stream.</summary>
    private const int BufferBytes = 64 << 10;

    /// <summary>Timestamp units: ts_nsec is in nanoseconds, printed as seconds and microseconds.</summary>
    private const ulong NanosPerSecond = 1_000_000_000, NanosPerMicro = 1_000;

    private readonly Stream _output;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    private int _used;
    private long _maxBytes = long.MaxValue;

    /// <summary>Bytes written so far (flushed or not).</summary>
    public long Written { get; private set; }

    /// <summary>Creates a writer onto a stream.</summary>
    public LogTextWriter(Stream output) => _output = output;

    /// <summary>Lowers the most output accepted; beyond it the log is corrupt or hostile and a bad-input error is raised.</summary>
    public void Cap(long maxBytes) => _maxBytes = Math.Min(_maxBytes, maxBytes);

    /// <summary>The cap that no intact log reaches: every text byte expands to at most 22 output bytes (a newline and
    /// the indent), every record adds at most 22 bytes of prefix and newline, and records are at least 16 bytes long.</summary>
    public static long OutputBound(long bufferBytes) => checked(32 * bufferBytes + (1 << 20));

    /// <summary>Writes one record: timestamp prefix, escaped text, newline (makedumpfile 1.7.2 prints no caller id).</summary>
    public void WriteRecord(ulong tsNsec, ReadOnlySpan<byte> text)
    {
        Span<byte> prefix = stackalloc byte[32];
        int n = FormatPrefix(tsNsec, prefix);
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
            else if (b < 0x80)
            {
                Span<byte> esc = [(byte)'\\', (byte)'x', Hex(b >> 4), Hex(b & 0xf)];
                Put(esc);
            }
            else
            {
                // makedumpfile formats a signed char with %02x: bytes from 0x80 come out sign-extended to 32 bits.
                Span<byte> esc = [(byte)'\\', (byte)'x', (byte)'f', (byte)'f', (byte)'f', (byte)'f', (byte)'f', (byte)'f', Hex(b >> 4), Hex(b & 0xf)];
                Put(esc);
            }
        }
        PutByte((byte)'\n');
    }

    /// <summary>Writes bytes unchanged (the pre-3.5 character ring).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes) => Put(bytes);

    /// <summary>Formats "[%5llu.%06lu] " from a nanosecond timestamp; returns the length (at most 22).</summary>
    internal static int FormatPrefix(ulong tsNsec, Span<byte> dst)
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

    /// <summary>A lower-case hexadecimal digit.</summary>
    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    /// <summary>Appends one byte.</summary>
    private void PutByte(byte b)
    {
        if (Written >= _maxBytes)
            TooLong();
        if (_used == BufferBytes)
            Flush();
        _buffer[_used++] = b;
        Written++;
    }

    /// <summary>Appends spaces (the indent after a newline inside a record).</summary>
    private void PutSpaces(int count)
    {
        for (int i = 0; i < count; i++)
            PutByte((byte)' ');
    }

    /// <summary>Appends bytes.</summary>
    private void Put(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _maxBytes - Written)
            TooLong();
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

    /// <summary>Raises the error for output beyond the cap.</summary>
    private void TooLong() =>
        ThrowHelper.BadInput($"the kernel log would exceed {_maxBytes} bytes of output, more than its buffer can hold; the log is corrupt or hostile");

    /// <summary>Writes the buffered bytes to the stream.</summary>
    public void Flush()
    {
        _output.Write(_buffer, 0, _used);
        _used = 0;
    }

    /// <summary>Flushes and returns the buffer to the pool.</summary>
    public void Dispose()
    {
        try
        {
            Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
