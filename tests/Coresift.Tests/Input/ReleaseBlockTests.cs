using Coresift.Input;

namespace Coresift.Tests.Input;

/// <summary>
/// Input pages are dropped from the mapping only a whole 2 MiB block at a time, once every page of the block was released
/// (a partial drop would unmap the whole 2 MiB entry of a large-folio page cache while its other pages are still read):
/// nothing is dropped before it is released, everything released is dropped in the end, in any order, and the bytes read
/// after a drop are the file's.
/// </summary>
public class ReleaseBlockTests
{
    private const int P = 4096;
    private const int Pages = 1500;   // 5.9 MiB: three or four blocks, the last one cut by the end of the file

    /// <summary>A file of Pages pages, each filled with its own index, opened through the mapping and read once; deleted on dispose.</summary>
    private sealed class MappedFile : IDisposable
    {
        private readonly string _path = Path.Combine(Path.GetTempPath(), $"coresift-rel-{Guid.NewGuid():N}");

        public VmcoreFile File { get; }

        public MappedFile()
        {
            var bytes = new byte[(long)Pages * P];
            for (int i = 0; i < Pages; i++)
                bytes.AsSpan(i * P, P).Fill((byte)i);
            System.IO.File.WriteAllBytes(_path, bytes);
            File = VmcoreFile.Open(_path);
            Assert.True(File.IsMapped);
            for (int i = 0; i < Pages; i++)
                Assert.True(File.TryGetSpan((long)i * P, P, out _));
        }

        public void Dispose()
        {
            File.Dispose();
            System.IO.File.Delete(_path);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pages_released_one_by_one_are_dropped_by_whole_blocks_and_all_in_the_end(bool shuffled)
    {
        using var mapped = new MappedFile();
        var f = mapped.File;
        int[] order = Enumerable.Range(0, Pages).ToArray();
        if (shuffled)
            new Random(7).Shuffle(order);
        long released = 0, drops = 0, last = 0;
        foreach (int i in order)
        {
            f.Release((long)i * P, P);
            released += P;
            Assert.True(f.DroppedBytes <= released, "a page was dropped before it was released");
            if (f.DroppedBytes != last)
                drops++;
            last = f.DroppedBytes;
        }
        Assert.Equal((long)Pages * P, f.DroppedBytes);
        // A drop per block, not per page: at most four blocks (and never more drops than blocks).
        Assert.InRange(drops, 3, 4);
    }

    [Fact]
    public void A_partly_released_block_stays_mapped_and_the_data_reads_back_after_a_drop()
    {
        using var mapped = new MappedFile();
        var f = mapped.File;
        // One page short of everything: at least the block holding the last page is kept.
        f.Release(0, (long)(Pages - 1) * P);
        Assert.InRange(f.DroppedBytes, 1, (long)(Pages - 1) * P - 1);
        f.Release((long)(Pages - 1) * P, P);
        Assert.Equal((long)Pages * P, f.DroppedBytes);
        // Dropped pages fault in again with the file's bytes.
        foreach (int i in new[] { 0, 511, 512, 700, Pages - 1 })
        {
            Assert.True(f.TryGetSpan((long)i * P, P, out var page));
            Assert.False(page.ContainsAnyExcept((byte)i));
        }
    }

    [Fact]
    public void Ranges_that_do_not_start_on_a_page_are_dropped_too()
    {
        // A QEMU core's segment data starts 0x558 bytes into a file page: each pfn's bytes span two file pages, so
        // neighbouring ranges share a page. Released in order, every block must still be dropped.
        using var mapped = new MappedFile();
        var f = mapped.File;
        const long Skew = 0x558, Chunk = 37L * P;
        long total = (long)Pages * P;
        f.Release(0, Skew);
        for (long at = Skew; at < total; at += Chunk)
            f.Release(at, Math.Min(Chunk, total - at));
        Assert.Equal(total, f.DroppedBytes);
    }
}
