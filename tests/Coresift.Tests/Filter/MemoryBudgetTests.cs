using Coresift.Filter;

namespace Coresift.Tests.Filter;

public class MemoryBudgetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("coresift-budget-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Writes a file under the fake root.</summary>
    private void Put(string rel, string text)
    {
        string path = Path.Combine(_root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void MemAvailable_is_the_budget_without_a_cgroup_limit()
    {
        Put("proc/meminfo", "MemTotal:       2048000 kB\nMemFree:         100000 kB\nMemAvailable:    500000 kB\n");
        Put("proc/self/cgroup", "0::/\n");
        Put("cg/memory.max", "max\n");
        var b = MemoryBudget.FromSystem(Path.Combine(_root, "proc"), Path.Combine(_root, "cg"));
        Assert.Equal(500000L * 1024 - MemoryBudget.RuntimeReserve, b.Bytes);
        Assert.Contains("MemAvailable", b.Source);
    }

    [Fact]
    public void MemFree_is_used_when_MemAvailable_is_missing()
    {
        Put("proc/meminfo", "MemTotal:       2048000 kB\nMemFree:         100000 kB\n");
        var b = MemoryBudget.FromSystem(Path.Combine(_root, "proc"), Path.Combine(_root, "cg"));
        Assert.Equal(100000L * 1024 - MemoryBudget.RuntimeReserve, b.Bytes);
    }

    [Fact]
    public void A_cgroup_v2_limit_below_free_memory_sets_the_budget()
    {
        Put("proc/meminfo", "MemAvailable:   20000000 kB\n");
        Put("proc/self/cgroup", "0::/kdump.slice\n");
        Put("cg/kdump.slice/memory.max", $"{96 << 20}\n");
        Put("cg/kdump.slice/memory.current", $"{10 << 20}\n");
        var b = MemoryBudget.FromSystem(Path.Combine(_root, "proc"), Path.Combine(_root, "cg"));
        Assert.Equal((86L << 20) - MemoryBudget.RuntimeReserve, b.Bytes);
        Assert.Contains("cgroup v2", b.Source);
    }

    [Fact]
    public void A_cgroup_v1_limit_is_read_from_the_memory_hierarchy()
    {
        Put("proc/meminfo", "MemAvailable:   20000000 kB\n");
        Put("proc/self/cgroup", "9:pids:/\n4:memory:/capture\n1:name=systemd:/\n");
        Put("cg/memory/capture/memory.limit_in_bytes", $"{64 << 20}\n");
        Put("cg/memory/capture/memory.usage_in_bytes", $"{4 << 20}\n");
        var b = MemoryBudget.FromSystem(Path.Combine(_root, "proc"), Path.Combine(_root, "cg"));
        Assert.Equal((60L << 20) - MemoryBudget.RuntimeReserve, b.Bytes);
        Assert.Contains("cgroup v1", b.Source);
    }
}
