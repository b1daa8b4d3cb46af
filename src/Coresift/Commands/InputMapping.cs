using Coresift.Filter;
using Coresift.Input;

namespace Coresift.App.Commands;

/// <summary>Chooses between mapping the input and reading it with pread, from what a mapping would cost.</summary>
/// <remarks>
/// Mapping /proc/vmcore fills the page tables for the whole file at once (the kernel remaps old memory eagerly): 8 bytes
/// per 4 KiB page, 2 MiB per GiB, and they stay until the file is closed. In a small crashkernel reservation that can be
/// the memory that runs out; pread costs nothing up front.
/// </remarks>
internal static class InputMapping
{
    /// <summary>True when the input should not be mapped: --non-mmap, or page tables for it over an eighth of the budget.</summary>
    public static bool UsePread(string path, bool nonMmap, MessageSink sink)
    {
        if (nonMmap)
            return true;
        long length;
        try
        {
            length = VmcoreFile.LengthOf(path); // a block device has st_size 0: measured with lseek
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false; // opening the input reports the problem
        }
        long pageTables = length / 512;
        var budget = MemoryBudget.FromSystem();
        if (pageTables <= budget.Bytes / 8)
            return false;
        sink.DebugLine($"input        : read with pread: mapping it would take {pageTables >> 10} KiB of page tables, over an eighth of the {budget.Bytes >> 10} KiB budget");
        return true;
    }
}
