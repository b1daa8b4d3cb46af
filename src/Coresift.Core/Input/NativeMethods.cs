using System.Runtime.InteropServices;

namespace Coresift.Input;

/// <summary>The libc calls coresift makes (bound directly in the static binary through DirectPInvoke).</summary>
internal static partial class NativeMethods
{
    /// <summary>MADV_DONTNEED: drop the pages of a range from this process (file pages stay in the page cache).</summary>
    public const int MadvDontNeed = 4;

    /// <summary>madvise(2).</summary>
    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);
}
