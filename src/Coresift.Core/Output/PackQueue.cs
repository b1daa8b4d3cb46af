using System.Runtime.ExceptionServices;

namespace Coresift.Output;

/// <summary>
/// Worker threads that pack batches of pages cut into stripes of consecutive items. Stripes of several batches may be
/// queued at once; a worker takes the oldest stripe left, so no worker waits while a batch's last stripe finishes.
/// The owner waits for each batch in turn (<see cref="Wait"/>) and consumes it in order.
/// </summary>
/// <typeparam name="TWorker">A worker's private state (its codec and buffers), rented for the thread's lifetime.</typeparam>
internal sealed class PackQueue<TWorker> : IDisposable
{
    private readonly Queue<(PackQueue.IBatch Batch, int From, int To)> _stripes = new();
    private readonly Action<TWorker, PackQueue.IBatch, int, int> _pack;
    private readonly Func<TWorker> _rent;
    private readonly Action<TWorker> _return;
    private readonly Thread[] _threads;
    private bool _closed;
    private Exception? _failure;

    /// <summary>Starts threads workers; pack(worker, batch, from, to) packs the stripe [from, to) of a batch (a worker gets
    /// a stripe whole, so that it can read the stripe's pages with one call).</summary>
    public PackQueue(int threads, Func<TWorker> rent, Action<TWorker> giveBack, Action<TWorker, PackQueue.IBatch, int, int> pack)
    {
        _rent = rent;
        _return = giveBack;
        _pack = pack;
        _threads = new Thread[Math.Max(1, threads)];
        for (int t = 0; t < _threads.Length; t++)
        {
            _threads[t] = new Thread(Work) { IsBackground = true, Name = "coresift pack" };
            _threads[t].Start();
        }
    }

    /// <summary>Queues items [0, batch.Count) as the given number of stripes.</summary>
    public void Post(PackQueue.IBatch batch, int stripes)
    {
        int n = batch.Count;
        stripes = Math.Clamp(stripes, 1, Math.Max(1, n));
        batch.Done.Reset(stripes);
        lock (_stripes)
        {
            for (int k = 0; k < stripes; k++)
                _stripes.Enqueue((batch, (int)((long)n * k / stripes), (int)((long)n * (k + 1) / stripes)));
            Monitor.PulseAll(_stripes);
        }
    }

    /// <summary>Waits until every stripe of batch is packed; rethrows a worker's exception.</summary>
    public void Wait(PackQueue.IBatch batch)
    {
        batch.Done.Wait();
        if (Volatile.Read(ref _failure) is { } failure)
            ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Waits until every stripe of batch is packed, packing queued stripes (of this or later batches) with the owner's
    /// own worker meanwhile; rethrows a worker's exception. An owner that helps lets the queue run one thread fewer,
    /// so that the threads packing and the thread consuming are no more than the CPUs asked for.
    /// </summary>
    public void WaitHelping(PackQueue.IBatch batch, TWorker helper)
    {
        while (!batch.Done.IsDone)
        {
            (PackQueue.IBatch Batch, int From, int To) stripe;
            lock (_stripes)
            {
                if (!_stripes.TryDequeue(out stripe))
                    break;
            }
            Run(helper, stripe);
        }
        Wait(batch);
    }

    /// <summary>Packs one stripe (unless a worker failed already) and signals its batch.</summary>
    private void Run(TWorker worker, (PackQueue.IBatch Batch, int From, int To) stripe)
    {
        try
        {
            if (Volatile.Read(ref _failure) is null && stripe.From < stripe.To)
                _pack(worker, stripe.Batch, stripe.From, stripe.To);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
        }
        finally
        {
            stripe.Batch.Done.Signal();
        }
    }

    /// <summary>A worker: takes stripes in order until the queue is closed and empty.</summary>
    private void Work()
    {
        var worker = _rent();
        try
        {
            while (true)
            {
                (PackQueue.IBatch Batch, int From, int To) stripe;
                lock (_stripes)
                {
                    while (_stripes.Count == 0 && !_closed)
                        Monitor.Wait(_stripes);
                    if (!_stripes.TryDequeue(out stripe))
                        return;
                }
                Run(worker, stripe);
            }
        }
        finally
        {
            _return(worker);
        }
    }

    /// <summary>Lets the workers finish the stripes already queued, then joins them.</summary>
    public void Dispose()
    {
        lock (_stripes)
        {
            _closed = true;
            Monitor.PulseAll(_stripes);
        }
        foreach (var t in _threads)
            t.Join();
    }
}

/// <summary>The batch contract and completion counter of <see cref="PackQueue{TWorker}"/>.</summary>
internal static class PackQueue
{
    /// <summary>A batch of items packed by the queue's workers.</summary>
    public interface IBatch
    {
        /// <summary>The number of items to pack.</summary>
        int Count { get; }

        /// <summary>Counts the batch's stripes still being packed.</summary>
        Completion Done { get; }
    }

    /// <summary>A countdown of stripes that the owner can wait on (reset for each use of a batch).</summary>
    public sealed class Completion
    {
        private readonly object _gate = new();
        private int _left;

        /// <summary>Arms the countdown for stripes stripes.</summary>
        public void Reset(int stripes)
        {
            lock (_gate)
                _left = stripes;
        }

        /// <summary>One stripe is done.</summary>
        public void Signal()
        {
            lock (_gate)
            {
                if (--_left == 0)
                    Monitor.PulseAll(_gate);
            }
        }

        /// <summary>True once every stripe is done.</summary>
        public bool IsDone
        {
            get
            {
                lock (_gate)
                    return _left == 0;
            }
        }

        /// <summary>Blocks until every stripe is done.</summary>
        public void Wait()
        {
            lock (_gate)
            {
                while (_left > 0)
                    Monitor.Wait(_gate);
            }
        }
    }
}
