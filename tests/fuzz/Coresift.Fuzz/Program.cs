using Coresift.Common;
using SharpFuzz;

namespace Coresift.Fuzzing;

/// <summary>The AFL++ entry point: <c>Coresift.Fuzz TARGET</c> under afl-fuzz, or <c>Coresift.Fuzz TARGET --run FILE...</c> to replay inputs.</summary>
public static class Program
{
    /// <summary>Largest input read (afl-fuzz's own cap is 1 MiB).</summary>
    private const int MaxInput = 1 << 20;

    /// <summary>Runs the harness; exit code 2 on usage errors, 1 when a replayed input crashed.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 0 || Array.IndexOf(FuzzTargets.Names, args[0]) < 0)
        {
            Console.Error.WriteLine($"usage: Coresift.Fuzz TARGET [--run FILE...]; targets: {string.Join(' ', FuzzTargets.Names)}");
            return 2;
        }
        string target = args[0];
        string scratch = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"coresift-fuzz-{target}-{Environment.ProcessId}");
        try
        {
            if (args.Length > 1 && args[1] == "--run")
                return Replay(target, args[2..], scratch);
            Fuzzer.OutOfProcess.Run(stream =>
            {
                try
                {
                    FuzzTargets.Run(target, ReadAll(stream), scratch);
                }
                catch (CoresiftException)
                {
                    // The one accepted failure: a clear one-line error. Anything else escapes and is a crash.
                }
            });
            return 0;
        }
        finally
        {
            File.Delete(scratch);
        }
    }

    /// <summary>Runs each file once and prints what happened (crash inputs print their stack trace).</summary>
    private static int Replay(string target, string[] files, string scratch)
    {
        int rc = 0;
        foreach (var f in files)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                FuzzTargets.Run(target, File.ReadAllBytes(f), scratch);
                Console.WriteLine($"{f}: ok ({sw.ElapsedMilliseconds} ms)");
            }
            catch (CoresiftException e)
            {
                Console.WriteLine($"{f}: error ({sw.ElapsedMilliseconds} ms): {e.Message}");
            }
            catch (Exception e)
            {
                Console.WriteLine($"{f}: CRASH ({sw.ElapsedMilliseconds} ms): {e}");
                rc = 1;
            }
        }
        return rc;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var ms = new MemoryStream();
        var buf = new byte[64 * 1024];
        int n;
        while (ms.Length < MaxInput && (n = stream.Read(buf, 0, buf.Length)) > 0)
            ms.Write(buf, 0, n);
        return ms.ToArray();
    }
}
