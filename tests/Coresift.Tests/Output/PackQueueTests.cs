using Coresift.Output;

namespace Coresift.Tests.Output;

/// <summary>The worker queue behind the parallel page writer: batches queued ahead, stripes, failures.</summary>
public class PackQueueTests
{
    private sealed class Batch(int count) : PackQueue.IBatch
    {
        public int[] Hits { get; } = new int[count];
        public int[] Worker { get; } = new int[count];
        public int Count { get; set; } = count;
        public PackQueue.Completion Done { get; } = new();
    }

    private sealed class WorkerState(int id)
    {
        public int Id { get; } = id;
    }

    /// <summary>A stripe packer that packs item after item of its stripe.</summary>
    private static Action<WorkerState, PackQueue.IBatch, int, int> Each(Action<WorkerState, PackQueue.IBatch, int> item) =>
        (w, b, from, to) =>
        {
            for (int i = from; i < to; i++)
                item(w, b, i);
        };

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 8)]
    [InlineData(4, 3)]
    [InlineData(3, 1000)]   // more stripes than items: one item per stripe
    public void Every_item_of_every_batch_is_packed_once_with_batches_queued_ahead(int threads, int stripes)
    {
        int rented = 0, returned = 0;
        var batches = Enumerable.Range(0, 3).Select(_ => new Batch(517)).ToArray();
        using (var q = new PackQueue<WorkerState>(threads, () => new WorkerState(Interlocked.Increment(ref rented)),
                   _ => Interlocked.Increment(ref returned), Each((w, b, i) =>
                   {
                       var batch = (Batch)b;
                       Interlocked.Increment(ref batch.Hits[i]);
                       batch.Worker[i] = w.Id;
                   })))
        {
            // Round after round, as the writer does: two batches ahead of the one consumed.
            for (int round = 0; round < 20; round++)
            {
                foreach (var b in batches)
                    Array.Clear(b.Hits);
                q.Post(batches[0], stripes);
                q.Post(batches[1], stripes);
                q.Wait(batches[0]);
                q.Post(batches[2], stripes);
                q.Wait(batches[1]);
                q.Wait(batches[2]);
                Assert.All(batches, b => Assert.All(b.Hits, h => Assert.Equal(1, h)));
            }
        }
        Assert.Equal(threads, rented);
        Assert.Equal(threads, returned);
    }

    [Fact]
    public void A_short_last_batch_and_an_empty_one_complete()
    {
        var small = new Batch(3);
        var empty = new Batch(0);
        using var q = new PackQueue<WorkerState>(2, () => new WorkerState(0), _ => { }, Each((_, b, i) => ((Batch)b).Hits[i]++));
        q.Post(small, 8);
        q.Post(empty, 8);
        q.Wait(small);
        q.Wait(empty);
        Assert.Equal([1, 1, 1], small.Hits);
    }

    [Fact]
    public void A_failing_item_surfaces_in_Wait_and_the_workers_still_stop()
    {
        var batch = new Batch(100);
        var q = new PackQueue<WorkerState>(2, () => new WorkerState(0), _ => { }, Each((_, b, i) =>
        {
            if (i == 42)
                throw new InvalidDataException("page 42");
            ((Batch)b).Hits[i]++;
        }));
        q.Post(batch, 4);
        var e = Assert.Throws<InvalidDataException>(() => q.Wait(batch));
        Assert.Equal("page 42", e.Message);
        q.Dispose(); // joins the workers: a hang here fails the test run
    }
}
