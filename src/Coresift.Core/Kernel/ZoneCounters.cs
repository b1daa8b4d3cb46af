using System.Buffers.Binary;

namespace Coresift.Kernel;

/// <summary>The kernel's own page counters, read from the dump: an independent check of the page-struct scan.</summary>
public static class ZoneCounters
{
    /// <summary>Sums zone->vm_stat[NR_FREE_PAGES] over every zone of every node; null when VMCOREINFO lacks the layout.</summary>
    /// <remarks>Per-CPU counter deltas not yet folded into the zone are not included, so the sum may differ by a few pages.</remarks>
    public static long? FreePages(VmcoreInfo info, IKernelMemory mem)
    {
        if (info.Symbol("node_data") is not ulong nodeData
            || info.Offset("pglist_data.node_zones") is not long zonesOff
            || info.Offset("pglist_data.nr_zones") is not long nrZonesOff
            || info.Size("zone") is not long zoneSize
            || info.Offset("zone.vm_stat") is not long vmStatOff
            || info.Number("NR_FREE_PAGES") is not long nrFree
            || zoneSize <= 0 || zoneSize > 1 << 20 || nrFree is < 0 or > 1024)
            return null;
        long nodes = Math.Clamp(info.Length("node_data") ?? 1, 1, 1 << 16);
        long total = 0;
        bool any = false;
        Span<byte> b = stackalloc byte[8];
        for (long n = 0; n < nodes; n++)
        {
            if (!mem.TryRead(nodeData + (ulong)(n * 8), b))
                return null;
            ulong pgdat = BinaryPrimitives.ReadUInt64LittleEndian(b);
            if (pgdat == 0)
                continue;
            if (!mem.TryRead(pgdat + (ulong)nrZonesOff, b[..4]))
                continue;
            int nrZones = BinaryPrimitives.ReadInt32LittleEndian(b);
            if (nrZones is < 0 or > 16)
                return null;
            for (int z = 0; z < nrZones; z++)
            {
                ulong zone = pgdat + (ulong)zonesOff + (ulong)(z * zoneSize);
                if (!mem.TryRead(zone + (ulong)vmStatOff + (ulong)(nrFree * 8), b))
                    return null;
                total += BinaryPrimitives.ReadInt64LittleEndian(b);
                any = true;
            }
        }
        return any ? total : null;
    }
}
