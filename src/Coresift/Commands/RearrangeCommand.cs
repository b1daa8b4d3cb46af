using Coresift.App.Cli;
using Coresift.Common;
using Coresift.Output;

namespace Coresift.App.Commands;

/// <summary>-R DUMPFILE: rebuilds a dump file from the flattened stream on standard input.</summary>
public sealed class RearrangeCommand(DumpOptions options, MessageSink sink, Func<Stream> openStdin)
{
    /// <summary>Runs the rearrangement; returns the exit code.</summary>
    public int Run()
    {
        if (options.OutputPaths.Count < 1)
            throw new CoresiftException("DUMPFILE must be given");
        string dumpfile = options.OutputPaths[0];
        using var output = FileOutputSink.Create(dumpfile, options.Force, options.SizeLimit);
        using var input = openStdin();
        long records = FlattenedReader.Rearrange(input, output);
        sink.DebugLine($"{records} flattened records replayed");
        sink.Info($"The dumpfile is saved to {dumpfile}.");
        return 0;
    }
}
