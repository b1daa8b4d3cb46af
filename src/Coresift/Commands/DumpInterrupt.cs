using System.Runtime.InteropServices;

namespace Coresift.App.Commands;

/// <summary>
/// SIGTERM, SIGINT and SIGHUP while a dump is being written: the first one asks the writer to stop, so the header,
/// the bitmaps and the incomplete flag still reach the file; a second one (or any while no dump is being written)
/// gets the default action and ends the process at once.
/// </summary>
/// <remarks>Tests make one without signals and call <see cref="Request"/> at the point they want.</remarks>
public sealed class DumpInterrupt : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _armed;
    private int _signals;
    private string? _reason;

    /// <summary>Cancelled on the first signal (or <see cref="Request"/>); the page loops poll it.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>True once a stop was asked for.</summary>
    public bool Requested => _cts.IsCancellationRequested;

    /// <summary>What asked for the stop ("SIGTERM", ...), or null.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Handles SIGTERM, SIGINT and SIGHUP for this process (AOT-safe PosixSignalRegistration).</summary>
    public static DumpInterrupt FromSignals()
    {
        var interrupt = new DumpInterrupt();
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP })
        {
            try
            {
                interrupt._registrations.Add(PosixSignalRegistration.Create(signal, interrupt.OnSignal));
            }
            catch (Exception e) when (e is PlatformNotSupportedException or IOException)
            {
                // Without the registration the signal keeps its default action: the process ends (no incomplete flag).
            }
        }
        return interrupt;
    }

    /// <summary>From now until the returned object is disposed, the first signal stops the dump instead of the process.</summary>
    public IDisposable Arm()
    {
        Interlocked.Increment(ref _armed);
        return new Disarm(this);
    }

    /// <summary>Asks the dump to stop (what a signal does; tests call it directly).</summary>
    public void Request(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        _cts.Cancel();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // A second signal, or one while nothing is being written: the default action (the process ends).
        if (Volatile.Read(ref _armed) == 0 || Interlocked.Increment(ref _signals) > 1)
            return;
        context.Cancel = true;
        Request(context.Signal switch
        {
            PosixSignal.SIGTERM => "SIGTERM",
            PosixSignal.SIGINT => "SIGINT",
            PosixSignal.SIGHUP => "SIGHUP",
            var s => s.ToString(),
        });
    }

    /// <summary>Removes the signal handlers.</summary>
    public void Dispose()
    {
        foreach (var r in _registrations)
            r.Dispose();
        _registrations.Clear();
    }

    private sealed class Disarm(DumpInterrupt owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                Interlocked.Decrement(ref owner._armed);
        }
    }
}
