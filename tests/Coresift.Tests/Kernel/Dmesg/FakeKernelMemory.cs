using Coresift.Kernel;

namespace Coresift.Tests.Kernel.Dmesg;

/// <summary>Kernel virtual memory made of byte arrays at chosen addresses; everything else is unmapped.</summary>
public sealed class FakeKernelMemory : IKernelMemory
{
    private readonly SortedDictionary<ulong, byte[]> _regions = new();

    /// <summary>Number of TryRead calls so far (to see that hostile input does not make us spin).</summary>
    public long Reads { get; private set; }

    /// <summary>Maps bytes at a virtual address (replacing a region that starts at the same address).</summary>
    public void Add(ulong vaddr, byte[] bytes) => _regions[vaddr] = bytes;

    /// <summary>Identity translation of mapped addresses.</summary>
    public bool TryTranslate(ulong vaddr, out ulong paddr, out ulong mappingSize)
    {
        paddr = vaddr;
        mappingSize = 4096;
        return Find(vaddr, out _, out _);
    }

    /// <summary>Copies mapped bytes; reads may span adjacent regions.</summary>
    public bool TryRead(ulong vaddr, Span<byte> destination)
    {
        Reads++;
        while (destination.Length > 0)
        {
            if (!Find(vaddr, out var region, out int offset))
                return false;
            int n = Math.Min(destination.Length, region.Length - offset);
            region.AsSpan(offset, n).CopyTo(destination);
            destination = destination[n..];
            vaddr = unchecked(vaddr + (ulong)n);
        }
        return true;
    }

    private bool Find(ulong vaddr, out byte[] region, out int offset)
    {
        foreach (var (start, bytes) in _regions)
        {
            if (start > vaddr)
                break;
            if (vaddr - start < (ulong)bytes.Length)
            {
                region = bytes;
                offset = (int)(vaddr - start);
                return true;
            }
        }
        region = [];
        offset = 0;
        return false;
    }
}
