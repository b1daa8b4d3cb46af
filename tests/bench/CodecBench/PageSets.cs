using System.Buffers.Binary;
using System.Text;

namespace Coresift.Bench;

/// <summary>A named set of 4096-byte pages.</summary>
internal sealed record PageSet(string Name, byte[][] Pages)
{
    /// <summary>The page size every set uses.</summary>
    public const int PageSize = 4096;

    /// <summary>The total input bytes.</summary>
    public long Bytes => (long)Pages.Length * PageSize;
}

/// <summary>Deterministic synthetic pages, and pages sampled from a file.</summary>
internal static class PageSets
{
    private static readonly string[] s_words =
    [
        "the", "kernel", "memory", "page", "device", "usb", "pci", "irq", "cpu", "node", "zone", "DMA32", "Normal",
        "mapped", "reserved", "ACPI:", "table", "found", "enabled", "disabled", "error", "warning", "driver", "module",
        "loaded", "xhci_hcd", "ext4", "filesystem", "mounted", "with", "ordered", "data", "mode", "systemd[1]:",
        "Started", "Reached", "target", "network", "interface", "link", "is", "up", "down", "for", "on", "at", "of",
    ];

    /// <summary>The synthetic sets: sparse, text, kstruct, random and mixed (the four interleaved).</summary>
    public static List<PageSet> Synthetic(int pagesPerSet)
    {
        var sparse = Make(pagesPerSet, 1, Sparse);
        var text = Make(pagesPerSet, 2, Text);
        var kstruct = Make(pagesPerSet, 3, KernelStructs);
        var random = Make(pagesPerSet, 4, (rng, p) => rng.NextBytes(p));
        var mixed = new byte[pagesPerSet][];
        for (int i = 0; i < pagesPerSet; i++)
            mixed[i] = (i % 4) switch { 0 => sparse[i], 1 => text[i], 2 => kstruct[i], _ => random[i] };
        return [new("sparse", sparse), new("text", text), new("kstruct", kstruct), new("random", random), new("mixed", mixed)];
    }

    /// <summary>Up to maxPages non-zero pages spread evenly over a file (e.g. an ELF vmcore), or, for a kdump-compressed
    /// dump, its first maxPages non-zero dumped pages in pfn order (e.g. every page a -d 31 dump keeps).</summary>
    public static PageSet FromFile(string path, int maxPages)
    {
        if (IsKdump(path))
            return FromKdump(path, maxPages);
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        long total = f.Length / PageSet.PageSize;
        long step = Math.Max(1, total / ((long)maxPages * 3));
        var pages = new List<byte[]>();
        var buf = new byte[PageSet.PageSize];
        for (long i = 0; i < total && pages.Count < maxPages; i += step)
        {
            f.Position = i * PageSet.PageSize;
            f.ReadExactly(buf);
            if (buf.AsSpan().ContainsAnyExcept((byte)0))
                pages.Add((byte[])buf.Clone());
        }
        return new PageSet("file", pages.ToArray());
    }

    /// <summary>True when the file starts with a kdump-compressed signature.</summary>
    private static bool IsKdump(string path)
    {
        using var f = File.OpenRead(path);
        var head = new byte[8];
        return f.Read(head) == head.Length && Coresift.Input.KdumpFile.HasSignature(head);
    }

    /// <summary>The dumped non-zero pages of a kdump-compressed file, decoded with coresift's reader, up to maxPages.</summary>
    private static PageSet FromKdump(string path, int maxPages)
    {
        using var input = Coresift.Input.DumpInput.Open(path, Coresift.Common.Limits.Default);
        var kdump = input.Kdump!;
        if (kdump.BlockSize != PageSet.PageSize)
            throw new InvalidDataException($"{path}: block size {kdump.BlockSize}, not {PageSet.PageSize}");
        var pages = new List<byte[]>();
        var buf = new byte[PageSet.PageSize];
        for (ulong pfn = kdump.Dumpable.NextSet(0); pfn != ulong.MaxValue && pages.Count < maxPages; pfn = kdump.Dumpable.NextSet(pfn + 1))
        {
            if (!kdump.TryReadPage(pfn, buf))
                throw new InvalidDataException($"{path}: page {pfn:x} does not decode");
            if (buf.AsSpan().ContainsAnyExcept((byte)0))
                pages.Add((byte[])buf.Clone());
        }
        return new PageSet("file", pages.ToArray());
    }

    private static byte[][] Make(int count, int seed, Action<Random, byte[]> fill)
    {
        var rng = new Random(seed);
        var pages = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            pages[i] = new byte[PageSet.PageSize];
            fill(rng, pages[i]);
        }
        return pages;
    }

    /// <summary>A zero page with 16 random non-zero bytes.</summary>
    private static void Sparse(Random rng, byte[] p)
    {
        for (int i = 0; i < 16; i++)
            p[rng.Next(p.Length)] = (byte)rng.Next(1, 256);
    }

    /// <summary>dmesg-like log lines.</summary>
    private static void Text(Random rng, byte[] p)
    {
        var sb = new StringBuilder();
        while (sb.Length < p.Length)
        {
            sb.Append($"[{rng.Next(0, 9999),5}.{rng.Next(0, 999999):D6}] ");
            int words = rng.Next(3, 12);
            for (int w = 0; w < words; w++)
            {
                sb.Append(rng.Next(8) == 0 ? $"0x{rng.Next():x}" : s_words[rng.Next(s_words.Length)]);
                sb.Append(w + 1 < words ? ' ' : '\n');
            }
        }
        Encoding.ASCII.GetBytes(sb.ToString(0, p.Length), p);
    }

    /// <summary>A slab-like page: objects of one size holding direct-map pointers, text pointers, small ints and zeros.</summary>
    private static void KernelStructs(Random rng, byte[] p)
    {
        int objSize = 64 << rng.Next(3);
        ulong slabBase = 0xffff888000000000UL + ((ulong)rng.Next(1 << 18) << 12);
        for (int obj = 0; obj + objSize <= p.Length; obj += objSize)
        {
            if (rng.Next(5) == 0)
                continue; // a free object stays zero
            for (int off = 0; off < objSize; off += 8)
            {
                ulong v = rng.Next(10) switch
                {
                    0 or 1 or 2 => slabBase + (ulong)(rng.Next(p.Length / 8) * 8),
                    3 => 0xffffffff81000000UL + (ulong)(rng.Next(1 << 16) * 16),
                    4 or 5 => (ulong)rng.Next(1000),
                    6 => (uint)rng.Next(),
                    _ => 0,
                };
                BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(obj + off), v);
            }
        }
    }
}
