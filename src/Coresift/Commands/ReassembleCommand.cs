using Coresift.App.Cli;
using Coresift.Common;
using Coresift.Input;
using Coresift.Output;

namespace Coresift.App.Commands;

/// <summary>--reassemble DUMPFILE1 DUMPFILE2 [...] DUMPFILE: joins split files into one.</summary>
public sealed class ReassembleCommand(DumpOptions options, MessageSink sink)
{
    /// <summary>Runs the reassembly; returns the exit code.</summary>
    public int Run()
    {
        if (options.InputPaths.Count < 2 || options.OutputPaths.Count < 1)
            throw new CoresiftException("--reassemble needs at least two split files and DUMPFILE");
        string dumpfile = options.OutputPaths[0];
        using var output = FileOutputSink.Create(dumpfile, options.Force, options.SizeLimit);
        var files = new List<VmcoreFile>();
        try
        {
            var members = new List<KdumpFile>();
            foreach (var path in options.InputPaths)
            {
                var f = VmcoreFile.Open(path, options.NonMmap);
                files.Add(f);
                members.Add(new KdumpFile(f, Limits.Default));
            }
            ulong pages = Reassembler.Join(members, files, output);
            sink.DebugLine($"{pages} pages joined from {members.Count} files");
        }
        finally
        {
            foreach (var f in files)
                f.Dispose();
        }
        sink.Info($"The dumpfile is saved to {dumpfile}.");
        return 0;
    }
}
