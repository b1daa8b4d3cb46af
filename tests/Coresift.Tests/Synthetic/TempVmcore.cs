using Coresift.Common;
using Coresift.Filter;
using Coresift.Input;
using Coresift.Kernel;

namespace Coresift.Tests.Synthetic;

/// <summary>A synthetic vmcore written to a temporary file for the duration of a test.</summary>
public sealed class TempVmcore : IDisposable
{
    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Writes bytes to a fresh temporary file.</summary>
    public TempVmcore(byte[] bytes)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"coresift-test-{Guid.NewGuid():N}.vmcore");
        File.WriteAllBytes(Path, bytes);
    }

    /// <summary>Runs the whole filter at a dump level and returns the filter (stats and bitmaps).</summary>
    public DumpFilter Filter(int level, Limits? limits = null)
    {
        using var input = DumpInput.Open(Path, limits ?? Limits.Default);
        var lv = (DumpLevel)level;
        var model = KernelModel.Build(input, limits ?? Limits.Default, DumpFilter.NeedsPageStructs(lv));
        var filter = new DumpFilter(model, lv);
        filter.Run(countZeroPages: true);
        return filter;
    }

    /// <summary>Deletes the file.</summary>
    public void Dispose() => File.Delete(Path);
}
