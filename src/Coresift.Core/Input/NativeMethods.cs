using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Coresift.Input;

/// <summary>The libc calls coresift makes (bound directly in the static binary through DirectPInvoke).</summary>
internal static partial class NativeMethods
{
    /// <summary>MADV_DONTNEED: drop the pages of a range from this process (file pages stay in the page cache).</summary>
    public const int MadvDontNeed = 4;

    /// <summary>MADV_POPULATE_READ (Linux 5.14+): fault a range in now; an unreadable page gives an error instead of SIGBUS.</summary>
    public const int MadvPopulateRead = 22;

    /// <summary>errno values madvise may return.</summary>
    public const int Eintr = 4, Eio = 5, Eagain = 11, Enomem = 12, Efault = 14, Einval = 22, Enosys = 38, Ehwpoison = 133;

    /// <summary>lseek(2) whence: the offset is relative to the end of the file (for a block device: its size).</summary>
    public const int SeekEnd = 2;

    /// <summary>lseek(2).</summary>
    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long Lseek(SafeFileHandle fd, long offset, int whence);

    /// <summary>MADV_HUGEPAGE: back a range with transparent huge pages where the kernel can.</summary>
    public const int MadvHugePage = 14;

    /// <summary>mmap(2) protection and flags for private anonymous memory.</summary>
    public const int ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20;

    /// <summary>mmap(2); returns -1 (MAP_FAILED) on failure.</summary>
    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    /// <summary>munmap(2).</summary>
    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    /// <summary>statfs f_type of procfs (PROC_SUPER_MAGIC).</summary>
    public const long ProcSuperMagic = 0x9fa0;

    /// <summary>fstatfs(2); buf receives struct statfs, whose first field on 64-bit Linux is the 8-byte f_type.</summary>
    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    public static unsafe partial int Fstatfs(SafeFileHandle fd, byte* buf);

    /// <summary>madvise(2).</summary>
    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);
}
