namespace Coresift.Kernel;

/// <summary>x86_64 paging constants (Intel SDM vol. 3 ch. 4; Linux Documentation/arch/x86/x86_64/mm.rst).</summary>
internal static class X86_64Layout
{
    public const ulong StartKernelMap = 0xffffffff80000000;   // __START_KERNEL_map
    public const ulong EntryAddressMask = 0x000ffffffffff000;  // bits 12..51 of a table entry
    public const ulong Present = 1UL << 0;                     // _PAGE_PRESENT
    public const ulong PageSizeBit = 1UL << 7;                 // _PAGE_PSE at PUD/PMD level
    public const int EntriesPerTable = 512;
    public const int EntryBytes = 8;
    public const int ShiftPte = 12, ShiftPmd = 21, ShiftPud = 30, ShiftP4d = 39, ShiftPgd5 = 48;
    public const ulong KernelHalf4Level = 0xffff800000000000;  // lowest canonical kernel address, 48-bit VA
    public const ulong KernelHalf5Level = 0xff00000000000000;  // lowest canonical kernel address, 57-bit VA
    public const ulong DefaultPageOffset4 = 0xffff888000000000; // direct map base without KASLR
    public const ulong DefaultPageOffset5 = 0xff11000000000000;
    public const ulong DefaultVmemmap4 = 0xffffea0000000000;
    public const ulong DefaultVmemmap5 = 0xffd4000000000000;
}
