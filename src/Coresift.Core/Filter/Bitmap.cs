using System.Numerics;

namespace Coresift.Filter;

/// <summary>A bitmap over pfns [BasePfn, BasePfn + Length), least-significant bit first as in kdump files.</summary>
public sealed class Bitmap
{
    private readonly ulong[] _words;

    /// <summary>The first pfn covered.</summary>
    public ulong BasePfn { get; }

    /// <summary>The number of pfns covered.</summary>
    public ulong Length { get; }

    /// <summary>Creates an all-clear bitmap.</summary>
    public Bitmap(ulong basePfn, ulong length)
    {
        BasePfn = basePfn;
        Length = length;
        _words = new ulong[(length + 63) / 64];
    }

    /// <summary>The raw words (bit i of word w is pfn BasePfn + 64w + i).</summary>
    public ReadOnlySpan<ulong> Words => _words;

    /// <summary>True when pfn is set.</summary>
    public bool Test(ulong pfn)
    {
        ulong i = pfn - BasePfn;
        return i < Length && (_words[i >> 6] & (1UL << (int)(i & 63))) != 0;
    }

    /// <summary>Sets every pfn of [start, end) that lies inside the bitmap.</summary>
    public void SetRange(ulong start, ulong end) => Apply(start, end, set: true);

    /// <summary>Clears every pfn of [start, end) inside the bitmap; returns how many were set before.</summary>
    public ulong ClearRange(ulong start, ulong end) => Apply(start, end, set: false);

    /// <summary>Sets or clears a range word by word; returns the number of bits that changed.</summary>
    private ulong Apply(ulong start, ulong end, bool set)
    {
        ulong lo = Math.Max(start, BasePfn) - BasePfn;
        ulong hi = Math.Min(end, BasePfn + Length);
        if (hi <= BasePfn)
            return 0;
        hi -= BasePfn;
        ulong changed = 0;
        while (lo < hi)
        {
            int bit = (int)(lo & 63);
            int count = (int)Math.Min(64UL - (ulong)bit, hi - lo);
            ulong mask = (count == 64 ? ulong.MaxValue : ((1UL << count) - 1)) << bit;
            ref ulong w = ref _words[lo >> 6];
            if (set)
            {
                changed += (ulong)BitOperations.PopCount(~w & mask);
                w |= mask;
            }
            else
            {
                changed += (ulong)BitOperations.PopCount(w & mask);
                w &= ~mask;
            }
            lo += (ulong)count;
        }
        return changed;
    }

    /// <summary>ORs raw little-endian bitmap bytes (LSB first) in at bit offset firstBit (a multiple of 8).</summary>
    public void LoadBytes(ulong firstBit, ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            ulong bit = firstBit + (ulong)i * 8;
            if (bit >= Length || bytes[i] == 0)
                continue;
            ulong v = bytes[i];
            if (bit + 8 > Length)
                v &= (1UL << (int)(Length - bit)) - 1;
            _words[bit >> 6] |= v << (int)(bit & 63);
        }
    }

    /// <summary>Clears every bit that is clear in other (bits past other's end are cleared too).</summary>
    public void And(Bitmap other)
    {
        if (other.BasePfn != BasePfn)
            throw new ArgumentException("bitmaps differ in base", nameof(other));
        ReadOnlySpan<ulong> o = other._words;
        for (int i = 0; i < _words.Length; i++)
            _words[i] &= i < o.Length ? o[i] : 0;
    }

    /// <summary>Replaces the bits with raw words of the same extent.</summary>
    public void LoadWords(ReadOnlySpan<ulong> words) => words[.._words.Length].CopyTo(_words);

    /// <summary>Clears bits that are clear in other over this bitmap's range (other may cover more pfns; bases on 64-pfn boundaries).</summary>
    public void AndWith(Bitmap other)
    {
        if ((BasePfn & 63) != 0 || (other.BasePfn & 63) != 0 || other.BasePfn > BasePfn)
            throw new ArgumentException("bitmaps must start on 64-pfn boundaries and other must start first", nameof(other));
        ulong shift = (BasePfn - other.BasePfn) >> 6;
        ReadOnlySpan<ulong> o = other._words;
        for (int i = 0; i < _words.Length; i++)
        {
            ulong j = shift + (ulong)i;
            _words[i] &= j < (ulong)o.Length ? o[(int)j] : 0;
        }
    }

    /// <summary>The number of set bits.</summary>
    public ulong PopCount()
    {
        ulong n = 0;
        foreach (ulong w in _words)
            n += (ulong)BitOperations.PopCount(w);
        return n;
    }

    /// <summary>The number of set bits among pfns [start, end); pfns outside the bitmap count as clear.</summary>
    public ulong CountSet(ulong start, ulong end)
    {
        if (end <= start || end <= BasePfn || (start >= BasePfn && start - BasePfn >= Length))
            return 0;
        ulong lo = (start > BasePfn ? start : BasePfn) - BasePfn;
        ulong hi = Math.Min(end - BasePfn, Length);
        ulong first = lo >> 6, last = (hi - 1) >> 6, n = 0;
        for (ulong w = first; w <= last; w++)
        {
            ulong word = _words[w];
            if (w == first)
                word &= ulong.MaxValue << (int)(lo & 63);
            if (w == last && (hi & 63) != 0)
                word &= (1UL << (int)(hi & 63)) - 1;
            n += (ulong)BitOperations.PopCount(word);
        }
        return n;
    }

    /// <summary>Copies another bitmap of the same extent into this one.</summary>
    public void CopyFrom(Bitmap other)
    {
        if (other.BasePfn != BasePfn || other.Length != Length)
            throw new ArgumentException("bitmaps differ in extent", nameof(other));
        other._words.CopyTo(_words, 0);
    }

    /// <summary>The next set pfn at or after pfn, or ulong.MaxValue.</summary>
    public ulong NextSet(ulong pfn)
    {
        if (pfn < BasePfn)
            pfn = BasePfn;
        ulong i = pfn - BasePfn;
        if (i >= Length)
            return ulong.MaxValue;
        ulong wi = i >> 6;
        ulong w = _words[wi] & (ulong.MaxValue << (int)(i & 63));
        while (true)
        {
            if (w != 0)
            {
                ulong found = (wi << 6) + (ulong)BitOperations.TrailingZeroCount(w);
                return found < Length ? BasePfn + found : ulong.MaxValue;
            }
            if (++wi >= (ulong)_words.Length)
                return ulong.MaxValue;
            w = _words[wi];
        }
    }
}
