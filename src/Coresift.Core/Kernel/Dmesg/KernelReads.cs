using System.Buffers.Binary;
using Coresift.Common;

namespace Coresift.Kernel.Dmesg;

/// <summary>Little-endian reads of kernel variables that raise a one-line bad-input error when memory is missing.</summary>
internal static class KernelReads
{
    /// <summary>Reads a u64 (pointer, unsigned long, atomic_long_t) at a virtual address.</summary>
    public static ulong U64(IKernelMemory mem, ulong vaddr, string what)
    {
        Span<byte> b = stackalloc byte[8];
        Read(mem, vaddr, b, what);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>Reads a u32 (int, unsigned int) at a virtual address.</summary>
    public static uint U32(IKernelMemory mem, ulong vaddr, string what)
    {
        Span<byte> b = stackalloc byte[4];
        Read(mem, vaddr, b, what);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>Reads bytes at a virtual address.</summary>
    public static void Read(IKernelMemory mem, ulong vaddr, Span<byte> destination, string what)
    {
        if (!mem.TryRead(vaddr, destination))
            ThrowHelper.BadInput($"cannot read {what} at 0x{vaddr:x}");
    }

    /// <summary>The error for a VMCOREINFO entry the log reader needs but the dump lacks.</summary>
    public static BadInputException Missing(string key) => new($"VMCOREINFO lacks {key}, which reading the kernel log needs");

    /// <summary>A SYMBOL() address or the missing-entry error.</summary>
    public static ulong Symbol(VmcoreInfo info, string name) => info.Symbol(name) ?? throw Missing($"SYMBOL({name})");

    /// <summary>A field offset or size from VMCOREINFO, checked to lie in [0, limit).</summary>
    public static int Field(long? value, string key, int limit)
    {
        if (value is not long v)
            throw Missing(key);
        ThrowHelper.Check(v >= 0 && v < limit, $"VMCOREINFO {key}={v} is out of range");
        return (int)v;
    }
}
