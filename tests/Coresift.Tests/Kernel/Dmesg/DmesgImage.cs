using System.Buffers.Binary;
using System.Text;
using Coresift.Kernel;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Kernel.Dmesg;

/// <summary>Kernel variables and buffers for the log tests: byte regions at kernel-map addresses plus VMCOREINFO lines.</summary>
/// <remarks>The same image becomes a <see cref="FakeKernelMemory"/> for unit tests or a synthetic ELF vmcore that makedumpfile reads.</remarks>
public sealed class DmesgImage
{
    /// <summary>__START_KERNEL_map: image addresses are this plus a physical address (phys_base 0).</summary>
    public const ulong KernelMap = 0xffffffff80000000;

    /// <summary>RAM of the synthetic vmcore.</summary>
    public const ulong RamBytes = 16UL << 20;

    private readonly SortedDictionary<ulong, byte[]> _regions = new();
    private ulong _nextPhys = 0x100000;

    /// <summary>VMCOREINFO lines (without OSRELEASE).</summary>
    public List<string> Lines { get; } = new();

    /// <summary>OSRELEASE written to VMCOREINFO.</summary>
    public string OsRelease { get; set; } = "6.1.0-synthetic";

    /// <summary>Allocates a zeroed region and returns its virtual address.</summary>
    public ulong Alloc(long size, int align = 8)
    {
        if (size <= 0 || size > 16 << 20)
            throw new ArgumentOutOfRangeException(nameof(size));
        ulong p = (_nextPhys + (ulong)align - 1) & ~((ulong)align - 1);
        _nextPhys = (p + (ulong)size + 63) & ~63UL;
        if (_nextPhys > RamBytes / 2)
            throw new InvalidOperationException("the dmesg image outgrew its RAM");
        ulong vaddr = KernelMap + p;
        _regions[vaddr] = new byte[size];
        return vaddr;
    }

    /// <summary>A writable view of [vaddr, vaddr + length) inside one region.</summary>
    public Span<byte> At(ulong vaddr, int length)
    {
        foreach (var (start, bytes) in _regions)
            if (vaddr >= start && vaddr - start + (ulong)length <= (ulong)bytes.Length)
                return bytes.AsSpan((int)(vaddr - start), length);
        throw new ArgumentOutOfRangeException(nameof(vaddr), $"{vaddr:x} is not inside one region");
    }

    /// <summary>Writes a little-endian u64.</summary>
    public void U64(ulong vaddr, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(At(vaddr, 8), v);

    /// <summary>Writes a little-endian u32.</summary>
    public void U32(ulong vaddr, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(At(vaddr, 4), v);

    /// <summary>Writes a little-endian u16.</summary>
    public void U16(ulong vaddr, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(At(vaddr, 2), v);

    /// <summary>Reads a little-endian u64.</summary>
    public ulong ReadU64(ulong vaddr) => BinaryPrimitives.ReadUInt64LittleEndian(At(vaddr, 8));

    /// <summary>Drops a region (to make memory unreadable).</summary>
    public void Remove(ulong vaddr) => _regions.Remove(vaddr);

    /// <summary>Adds a VMCOREINFO line.</summary>
    public void Line(string line) => Lines.Add(line);

    /// <summary>The VMCOREINFO text.</summary>
    public string VmcoreinfoText => $"OSRELEASE={OsRelease}\nPAGESIZE=4096\n" + string.Join("", Lines.Select(l => l + "\n"));

    /// <summary>Parsed VMCOREINFO.</summary>
    public VmcoreInfo Info => VmcoreInfo.Parse(VmcoreinfoText);

    /// <summary>The regions as fake kernel memory.</summary>
    public FakeKernelMemory ToMemory()
    {
        var m = new FakeKernelMemory();
        foreach (var (v, b) in _regions)
            m.Add(v, (byte[])b.Clone());
        return m;
    }

    /// <summary>An x86_64 ELF vmcore (program headers at 64) with real page tables mapping the regions at their kernel-map addresses.</summary>
    public byte[] ToVmcore()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, RamBytes)]);
        foreach (var (v, b) in _regions)
        {
            ulong p = v - KernelMap;
            for (ulong page = p & ~0xfffUL; page < p + (ulong)b.Length; page += 4096)
                k.Map(KernelMap + page, page, 12);
            for (int i = 0; i < b.Length;)
            {
                ulong a = p + (ulong)i;
                int n = Math.Min(b.Length - i, 4096 - (int)(a & 0xfff));
                b.AsSpan(i, n).CopyTo(k.Page(a >> 12).AsSpan((int)(a & 0xfff)));
                i += n;
            }
        }
        // init_uts_ns: makedumpfile checks the release in memory against OSRELEASE.
        const ulong uts = 0x80000;
        const int utsField = 65;
        k.Map(KernelMap + uts, uts, 12);
        Encoding.ASCII.GetBytes(OsRelease).CopyTo(k.Page(uts >> 12).AsSpan((int)(uts & 0xfff) + 2 * utsField));
        var utsLines = $"SYMBOL(init_uts_ns)={KernelMap + uts:x}\nOFFSET(uts_namespace.name)=0\n";
        // The synthetic kernel's own entries (page tables, mem_map) with this image's release and log entries.
        // Its utsname, if it has one, is replaced by this image's.
        var text = string.Join("", k.VmcoreinfoText().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("SYMBOL(init_uts_ns)=", StringComparison.Ordinal) && !l.StartsWith("OFFSET(uts_namespace.name)=", StringComparison.Ordinal))
            .Select(l => l.StartsWith("OSRELEASE=", StringComparison.Ordinal) ? $"OSRELEASE={OsRelease}\n" : l + "\n"));
        return k.ToElf(new ElfOptions { VmcoreinfoOverride = text + utsLines + string.Join("", Lines.Select(l => l + "\n")) });
    }

    /// <summary>ASCII bytes of a string.</summary>
    public static byte[] Ascii(string s) => Encoding.Latin1.GetBytes(s);
}
