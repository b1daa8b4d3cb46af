using System.Buffers.Binary;
using System.Text;

namespace Coresift.Tests.Codecs;

/// <summary>Deterministic inputs for the LZO tests.</summary>
internal static class LzoTestData
{
    private static readonly string[] s_words =
        ["the", "kernel", "page", "memory", "zone", "device", "irq", "usb", "ext4", "mounted", "error", "for", "on", "at", "0x", "cpu"];

    /// <summary>The named input kinds used by the round-trip tests.</summary>
    public static readonly string[] Kinds = ["zeros", "text", "random", "kernel", "mixed", "pattern3", "pattern7", "pattern13"];

    /// <summary>An input of one kind and length.</summary>
    public static byte[] Make(string kind, int length, int seed = 1) => kind switch
    {
        "zeros" => new byte[length],
        "text" => Text(length, seed),
        "random" => Random(length, seed),
        "kernel" => KernelPages(length, seed),
        "mixed" => Mixed(length, seed),
        "pattern3" => Pattern(length, 3, seed),
        "pattern7" => Pattern(length, 7, seed),
        "pattern13" => Pattern(length, 13, seed),
        _ => throw new ArgumentException(kind),
    };

    /// <summary>Random bytes.</summary>
    public static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>Log-like lines of words and numbers.</summary>
    public static byte[] Text(int length, int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        while (sb.Length < length)
        {
            sb.Append('[').Append(rng.Next(100000)).Append("] ");
            int words = rng.Next(2, 10);
            for (int i = 0; i < words; i++)
                sb.Append(s_words[rng.Next(s_words.Length)]).Append(i + 1 < words ? ' ' : '\n');
        }
        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }

    /// <summary>Slab-like pages: kernel pointers, small integers and zeros in 8-byte slots.</summary>
    public static byte[] KernelPages(int length, int seed)
    {
        var rng = new Random(seed);
        var b = new byte[length];
        ulong slab = 0xffff888000000000UL + ((ulong)rng.Next(1 << 18) << 12);
        for (int off = 0; off + 8 <= length; off += 8)
        {
            ulong v = rng.Next(8) switch
            {
                0 or 1 or 2 => slab + (ulong)(rng.Next(512) * 8),
                3 => 0xffffffff81000000UL + (ulong)(rng.Next(1 << 16) * 16),
                4 => (ulong)rng.Next(100),
                _ => 0,
            };
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(off), v);
        }
        return b;
    }

    /// <summary>Alternating runs of text, zeros, random bytes and repeats of earlier data.</summary>
    public static byte[] Mixed(int length, int seed)
    {
        var rng = new Random(seed);
        var b = new byte[length];
        int pos = 0;
        while (pos < length)
        {
            int run = Math.Min(length - pos, rng.Next(1, 600));
            switch (rng.Next(4))
            {
                case 0:
                    Text(run, rng.Next()).CopyTo(b, pos);
                    break;
                case 1:
                    break;
                case 2:
                    rng.NextBytes(b.AsSpan(pos, run));
                    break;
                default:
                    if (pos > 0)
                    {
                        int from = rng.Next(Math.Max(0, pos - 60000), pos);
                        for (int i = 0; i < run; i++)
                            b[pos + i] = b[from + i];
                    }
                    break;
            }
            pos += run;
        }
        return b;
    }

    /// <summary>A random pattern of the given period repeated.</summary>
    public static byte[] Pattern(int length, int period, int seed)
    {
        var unit = Random(period, seed);
        var b = new byte[length];
        for (int i = 0; i < length; i++)
            b[i] = unit[i % period];
        return b;
    }

    /// <summary>length random bytes at 0 repeated at distance (zeros in between, so the greedy search reaches it), then 64 random bytes.</summary>
    /// <remarks>A distance shorter than the length gives an overlapping repeat with that period.</remarks>
    public static byte[] WithMatch(int distance, int length, int seed)
    {
        var rng = new Random(seed);
        var b = new byte[distance + length + 64];
        rng.NextBytes(b.AsSpan(0, Math.Min(distance, length)));
        for (int i = 0; i < length; i++)
            b[distance + i] = b[i];
        rng.NextBytes(b.AsSpan(distance + length));
        return b;
    }
}
