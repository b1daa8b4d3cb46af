using System.Numerics;

namespace Coresift.Filter;

/// <summary>A cycle's 2nd bitmap kept compactly: as runs of set bits (free, cache and user pages come in long runs) or as raw words, whichever is smaller.</summary>
public sealed class CompactBitmap
{
    private readonly ulong _base;
    private readonly ulong _length;
    private readonly uint[]? _runs;     // pairs (start offset, length) of set bits
    private readonly ulong[]? _words;   // the raw bitmap when runs would not be smaller

    /// <summary>Memory the compact form takes.</summary>
    public long Bytes => _runs is not null ? _runs.Length * 4L : _words!.Length * 8L;

    /// <summary>True when kept as runs.</summary>
    public bool IsRuns => _runs is not null;

    private CompactBitmap(ulong basePfn, ulong length, uint[]? runs, ulong[]? words)
    {
        _base = basePfn;
        _length = length;
        _runs = runs;
        _words = words;
    }

    /// <summary>Encodes a bitmap (of at most 2^32 pfns).</summary>
    public static CompactBitmap Encode(Bitmap b)
    {
        if (b.Length > uint.MaxValue)
            throw new ArgumentException("a cycle holds at most 2^32 pfns", nameof(b));
        ReadOnlySpan<ulong> words = b.Words;
        // Count runs first: a run starts wherever a set bit follows a clear one.
        ulong runs = 0;
        ulong prevTop = 0;
        foreach (ulong w in words)
        {
            runs += (ulong)BitOperations.PopCount(w & ~((w << 1) | prevTop));
            prevTop = w >> 63;
        }
        if (runs * 8 >= (ulong)words.Length * 8)
            return new CompactBitmap(b.BasePfn, b.Length, null, words.ToArray());
        var list = new uint[runs * 2];
        int n = 0;
        ulong pfn = b.NextSet(b.BasePfn);
        while (pfn != ulong.MaxValue)
        {
            ulong end = NextClear(words, pfn - b.BasePfn, b.Length) + b.BasePfn;
            list[n++] = (uint)(pfn - b.BasePfn);
            list[n++] = (uint)(end - pfn);
            pfn = end >= b.BasePfn + b.Length ? ulong.MaxValue : b.NextSet(end);
        }
        return new CompactBitmap(b.BasePfn, b.Length, list, null);
    }

    /// <summary>The first clear bit at or after offset i (or length).</summary>
    private static ulong NextClear(ReadOnlySpan<ulong> words, ulong i, ulong length)
    {
        ulong wi = i >> 6;
        ulong w = ~words[(int)wi] & (ulong.MaxValue << (int)(i & 63));
        while (w == 0)
        {
            if (++wi >= (ulong)words.Length)
                return length;
            w = ~words[(int)wi];
        }
        return Math.Min(length, (wi << 6) + (ulong)BitOperations.TrailingZeroCount(w));
    }

    /// <summary>Rebuilds the bitmap.</summary>
    public Bitmap Decode()
    {
        var b = new Bitmap(_base, _length);
        if (_words is not null)
        {
            b.LoadWords(_words);
            return b;
        }
        for (int i = 0; i < _runs!.Length; i += 2)
            b.SetRange(_base + _runs[i], _base + _runs[i] + _runs[i + 1]);
        return b;
    }
}
