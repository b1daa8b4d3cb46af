using Coresift.Common;

namespace Coresift.Kernel.Dmesg;

/// <summary>The pre-3.5 log: a character ring of log_buf_len bytes; log_end counts every character ever written.</summary>
/// <remarks>
/// The text already holds "&lt;level&gt;" prefixes and newlines, so it is copied out unchanged, oldest byte first.
/// --partial-dmesg does not apply. When log_end is a multiple of log_buf_len (0 included) makedumpfile 1.7.2 fails
/// ("Can't read dmesg log.": it asks for zero bytes); here the result is the empty log, or the whole ring from offset 0.
/// </remarks>
internal static class PlainLogBuffer
{
    /// <summary>Copies the ring in order: the first log_end bytes, or (once it has wrapped) from log_end mod len round to the same place.</summary>
    public static string? Write(VmcoreInfo info, IKernelMemory mem, LogTextWriter output)
    {
        ulong logBufVar = KernelReads.Symbol(info, "log_buf");
        ulong lenVar = KernelReads.Symbol(info, "log_buf_len");
        ulong endVar = KernelReads.Symbol(info, "log_end");
        ulong buf = KernelReads.U64(mem, logBufVar, "log_buf");
        int len = unchecked((int)KernelReads.U32(mem, lenVar, "log_buf_len"));
        ThrowHelper.Check(len > 0, $"log_buf_len ({len}) is not a buffer size");
        ThrowHelper.CheckLimit((ulong)len, KernelLog.MaxLogBufferBytes, "log_buf_len");
        // log_end was an unsigned long up to 2.6.24 and an unsigned int from 2.6.25.
        ulong end = LogEndIsLong(info.OsRelease) ? KernelReads.U64(mem, endVar, "log_end") : KernelReads.U32(mem, endVar, "log_end");

        var ring = new KernelBuffer(mem, buf, len, "log_buf");
        if (end < (ulong)len)
        {
            Copy(ring, 0, (long)end, output);
        }
        else
        {
            long start = (long)(end & (ulong)(len - 1));
            Copy(ring, start, len, output);
            Copy(ring, 0, start, output);
        }
        return null;
    }

    /// <summary>True for kernels up to 2.6.24, whose log_end is an unsigned long.</summary>
    internal static bool LogEndIsLong(string? osRelease)
    {
        var v = KernelVersion.Parse(osRelease);
        return v is { } k && k.CompareTo(new KernelVersion(2, 6, 25)) < 0;
    }

    /// <summary>Copies ring bytes [from, to) to the output.</summary>
    private static void Copy(KernelBuffer ring, long from, long to, LogTextWriter output)
    {
        Span<byte> piece = stackalloc byte[4096];
        for (long at = from; at < to; at += piece.Length)
        {
            var part = piece[..(int)Math.Min(piece.Length, to - at)];
            ring.Read(at, part);
            output.WriteRaw(part);
        }
    }
}

/// <summary>major.minor.patch taken from OSRELEASE.</summary>
internal readonly record struct KernelVersion(int Major, int Minor, int Patch) : IComparable<KernelVersion>
{
    /// <summary>Parses the leading "a.b.c" of a release string; null when it does not start that way.</summary>
    public static KernelVersion? Parse(string? release)
    {
        if (release is null)
            return null;
        Span<int> parts = [0, 0, 0];
        int part = 0, digits = 0;
        foreach (char c in release)
        {
            if (c is >= '0' and <= '9' && digits < 6)
            {
                parts[part] = parts[part] * 10 + (c - '0');
                digits++;
            }
            else if (c == '.' && digits > 0 && part < 2)
            {
                part++;
                digits = 0;
            }
            else
            {
                break;
            }
        }
        return part >= 1 && digits > 0 || part == 2 ? new KernelVersion(parts[0], parts[1], parts[2]) : null;
    }

    /// <summary>Orders by major, minor, then patch.</summary>
    public int CompareTo(KernelVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);
}
