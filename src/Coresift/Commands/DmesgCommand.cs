using Coresift.App.Cli;
using Coresift.Common;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Kernel.Dmesg;

namespace Coresift.App.Commands;

/// <summary>--dump-dmesg [--partial-dmesg] VMCORE LOGFILE (or stdout with -F): the kernel log held in the dump.</summary>
public sealed class DmesgCommand(DumpOptions options, MessageSink sink, Func<Stream> openStdout)
{
    /// <summary>Extracts the log; returns the exit code (1 when the log was cut short by corruption, as makedumpfile).</summary>
    public int Run()
    {
        if (options.InputPaths.Count < 1 || (!options.Flatten && options.OutputPaths.Count < 1))
            throw new CoresiftException("VMCORE and LOGFILE must be given");
        string vmcore = options.InputPaths[0];
        string? logfile = options.Flatten ? null : options.OutputPaths[0];
        Stream output;
        try
        {
            output = logfile is null ? openStdout()
                : new FileStream(logfile, options.Force ? FileMode.Create : FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        }
        catch (IOException) when (logfile is not null && !options.Force && File.Exists(logfile))
        {
            throw new CoresiftException($"Can't open the dump file({logfile}). File exists");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CoresiftException($"Can't open the dump file({logfile}). {IoErrors.Describe(e)}");
        }
        bool ok = false;
        try
        {
            using var input = DumpInput.Open(vmcore, Limits.Default, InputMapping.UsePread(vmcore, options.NonMmap, sink));
            var kernel = KernelModel.Build(input, Limits.Default, needPageStructs: false);
            if (kernel.Info is null)
                throw new CoresiftException($"{vmcore} doesn't contain vmcoreinfo, which --dump-dmesg needs");
            if (kernel.AddressSpace is null)
                throw new CoresiftException($"the kernel's page tables in {vmcore} could not be used{(kernel.Warning is { } w ? ": " + w : "")}");
            var (format, warning) = KernelLog.Write(kernel.Info, kernel.AddressSpace, options.PartialDmesg, output);
            output.Flush();
            sink.DebugLine($"log format: {format}");
            ok = true;
            if (warning is not null)
            {
                sink.ErrorLine(warning);
                return 1; // what could be read is kept, as makedumpfile does
            }
            sink.Info(logfile is null ? "The dmesg log is written to standard output." : $"The dmesg log is saved to {logfile}.");
            return 0;
        }
        finally
        {
            if (logfile is not null)
            {
                output.Dispose();
                if (!ok && new FileInfo(logfile).Length == 0)
                    File.Delete(logfile);
            }
        }
    }
}
