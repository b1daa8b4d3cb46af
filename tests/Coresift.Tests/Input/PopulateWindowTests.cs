using System.Collections.Concurrent;
using Coresift.Input;

namespace Coresift.Tests.Input;

/// <summary>
/// How the mmap path sizes its MADV_POPULATE_READ windows: they grow (64 KiB to 1 MiB) while a thread reads on
/// sequentially, each thread being its own stream, and stay at 64 KiB for scattered reads (no pages mapped in vain).
/// The test hook that can fail a window sees every window the reader populates.
/// </summary>
public class PopulateWindowTests
{
    private const int P = 4096;
    private const int Unit = 64 << 10;
    private const int MaxWindow = 1 << 20;

    /// <summary>Opens an n-page file through the mapping, recording every window populated (none fails).</summary>
    private static (VmcoreFile File, ConcurrentQueue<(long Offset, long Length)> Windows, string Path) Open(int pages)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"coresift-win-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, new byte[(long)pages * P]);
        var windows = new ConcurrentQueue<(long, long)>();
        var f = VmcoreFile.Open(path, noMmap: false, (offset, length) =>
        {
            windows.Enqueue((offset, length));
            return false;
        });
        Assert.True(f.IsMapped);
        return (f, windows, path);
    }

    [Fact]
    public void A_sequential_reader_populates_windows_growing_to_1_MiB()
    {
        var (f, windows, path) = Open(2048); // 8 MiB
        try
        {
            for (int i = 0; i < 2048; i++)
                Assert.True(f.TryGetSpan((long)i * P, P, out _));
            // 64 + 128 + 256 + 512 KiB, then 1 MiB windows: 4 + 7 (the last one cut at the end of the file).
            Assert.Equal(MaxWindow, windows.Max(w => w.Length));
            Assert.InRange(windows.Count, 9, 12);
            Assert.Equal(8L << 20, windows.Sum(w => w.Length));
        }
        finally
        {
            f.Dispose();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Two_threads_reading_in_lockstep_are_two_sequential_streams()
    {
        var (f, windows, path) = Open(4096); // 16 MiB, one half per thread
        try
        {
            // The threads alternate page by page: one shared read position would see every read as a jump.
            using var barrier = new Barrier(2);
            void Reader(int firstPage)
            {
                for (int i = 0; i < 2048; i++)
                {
                    barrier.SignalAndWait();
                    Assert.True(f.TryGetSpan((long)(firstPage + i) * P, P, out _));
                }
            }
            var a = Task.Factory.StartNew(() => Reader(0), TaskCreationOptions.LongRunning);
            var b = Task.Factory.StartNew(() => Reader(2048), TaskCreationOptions.LongRunning);
            await Task.WhenAll(a, b);
            Assert.InRange(windows.Count, 18, 26);
            Assert.Equal(MaxWindow, windows.Max(w => w.Length));
        }
        finally
        {
            f.Dispose();
            File.Delete(path);
        }
    }

    [Fact]
    public void Scattered_reads_populate_single_units()
    {
        var (f, windows, path) = Open(2048);
        try
        {
            // One page every 256 KiB: every read lands in a new unit that does not follow the last window.
            for (int i = 0; i < 2048; i += 64)
                Assert.True(f.TryGetSpan((long)i * P, P, out _));
            Assert.Equal(32, windows.Count);
            Assert.All(windows, w => Assert.Equal(Unit, w.Length));
        }
        finally
        {
            f.Dispose();
            File.Delete(path);
        }
    }
}
