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

    /// <summary>The budget read from the fake /proc and cgroup trees under the test's root.</summary>
    private MemoryBudget FromFakeSystem() => MemoryBudget.FromSystem(Path.Combine(_root, "proc"), Path.Combine(_root, "cg"));

    [Fact]
    public void MemAvailable_is_the_budget_without_a_cgroup_limit()
    {
        Put("proc/meminfo", "MemTotal:       2048000 kB\nMemFree:         100000 kB\nMemAvailable:    500000 kB\n");
        Put("proc/self/cgroup", "0::/\n");
        Put("cg/memory.max", "max\n");
        var b = FromFakeSystem();
        Assert.Equal(500000L * 1024 - MemoryBudget.RuntimeReserve, b.Bytes);
        Assert.Contains("MemAvailable", b.Source);
    }

    [Fact]
    public void MemFree_is_used_when_MemAvailable_is_missing()
    {
        Put("proc/meminfo", "MemTotal:       2048000 kB\nMemFree:         100000 kB\n");
        var b = FromFakeSystem();
        Assert.Equal(100000L * 1024 - MemoryBudget.RuntimeReserve, b.Bytes);
    }

    [Fact]
    public void A_cgroup_v2_limit_below_free_memory_sets_the_budget()
    {
        Put("proc/meminfo", "MemAvailable:   20000000 kB\n");
        Put("proc/self/cgroup", "0::/kdump.slice\n");
        Put("cg/kdump.slice/memory.max", $"{96 << 20}\n");
        Put("cg/kdump.slice/memory.current", $"{10 << 20}\n");
        var b = FromFakeSystem();
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
        var b = FromFakeSystem();
        Assert.Equal((60L << 20) - MemoryBudget.RuntimeReserve, b.Bytes);
        Assert.Contains("cgroup v1", b.Source);
    }

    [Fact]
    public void A_cgroup_v2_limit_on_an_ancestor_binds_a_child_whose_own_is_max()
    {
        // systemd: MemoryMax= on kdump.slice, the service in it has memory.max "max"
        Put("proc/meminfo", "MemAvailable:   20000000 kB\n");
        Put("proc/self/cgroup", "0::/kdump.slice/kdump.service\n");
        Put("cg/kdump.slice/memory.max", $"{96 << 20}\n");
        Put("cg/kdump.slice/memory.current", $"{10 << 20}\n");
        Put("cg/kdump.slice/kdump.service/memory.max", "max\n");
        Put("cg/kdump.slice/kdump.service/memory.current", $"{8 << 20}\n");
        var b = FromFakeSystem();
        Assert.Equal((86L << 20) - MemoryBudget.RuntimeReserve, b.Bytes);
        Assert.Contains("cgroup v2 memory.max 98304 KiB (of the ancestor /kdump.slice)", b.Source);
    }

    [Fact]
    public void The_least_room_of_a_cgroup_and_its_ancestors_sets_the_budget()
    {
        Put("proc/meminfo", "MemAvailable:   20000000 kB\n");
        Put("proc/self/cgroup", "0::/a/b/c\n");
        Put("cg/memory.max", $"{1 << 20}\n"); // the root has no limit files; one here must not count
        Put("cg/a/memory.max", $"{512 << 20}\n");
        Put("cg/a/memory.current", $"{100 << 20}\n");
        Put("cg/a/b/memory.max", $"{128 << 20}\n");
        Put("cg/a/b/memory.current", $"{90 << 20}\n");   // room 38 MiB: the least
        Put("cg/a/b/c/memory.max", $"{96 << 20}\n");
        Put("cg/a/b/c/memory.current", $"{20 << 20}\n"); // room 76 MiB
        var b = FromFakeSystem();
        Assert.Equal((38L << 20) - MemoryBudget.RuntimeReserve, b.Bytes);
        Assert.Contains("(of the ancestor /a/b)", b.Source);

        // Own limit tightest: the source names no ancestor.
        Put("cg/a/b/c/memory.max", $"{40 << 20}\n");     // room 20 MiB
        b = FromFakeSystem();
        Assert.Equal(Math.Max(MemoryBudget.Minimum, (20L << 20) - MemoryBudget.RuntimeReserve), b.Bytes);
        Assert.Contains("cgroup v2 memory.max 40960 KiB, 20480 KiB in use", b.Source);
    }

    [Fact]
    public void A_cgroup_v1_limit_on_an_ancestor_counts()
    {
        Put("proc/meminfo", "MemAvailable:   20000000 kB\n");
        Put("proc/self/cgroup", "4:memory:/capture/child\n");
        Put("cg/memory/capture/memory.limit_in_bytes", $"{64 << 20}\n");
        Put("cg/memory/capture/memory.usage_in_bytes", $"{4 << 20}\n");
        Put("cg/memory/capture/child/memory.limit_in_bytes", "9223372036854771712\n"); // v1's "no limit"
        Put("cg/memory/capture/child/memory.usage_in_bytes", $"{2 << 20}\n");
        var b = FromFakeSystem();
        Assert.Equal((60L << 20) - MemoryBudget.RuntimeReserve, b.Bytes);
        Assert.Contains("cgroup v1 memory.limit_in_bytes 65536 KiB (of the ancestor /capture)", b.Source);
    }

    [Fact]
    public void A_path_outside_the_cgroup_namespace_reads_no_ancestors()
    {
        Put("proc/meminfo", "MemAvailable:   20000000 kB\n");
        Put("proc/self/cgroup", "0::/../outside/x\n");
        Put("cg/memory.max", $"{1 << 20}\n");
        var b = FromFakeSystem();
        Assert.Contains("MemAvailable", b.Source);
    }

    [Fact]
    public void Less_takes_the_writers_buffers_out_and_says_so_but_not_below_the_floor()
    {
        var b = new MemoryBudget(64L << 20, "cgroup v2 memory.max 98304 KiB");
        var rest = b.Less(10L << 20, "the writer's buffers");
        Assert.Equal(54L << 20, rest.Bytes);
        Assert.EndsWith(", less 10240 KiB for the writer's buffers", rest.Source);
        Assert.Equal(MemoryBudget.Minimum, b.Less(100L << 20, "x").Bytes);
    }

    [Fact]
    public void The_writers_buffers_grow_with_threads_and_cache_size()
    {
        long one = Coresift.Output.KdumpWriter.PageStream.BufferBytes(4096, 5120, 1 << 20, 1);
        long four = Coresift.Output.KdumpWriter.PageStream.BufferBytes(4096, 5120, 1 << 20, 4);
        Assert.InRange(one, 8L << 20, 16L << 20);   // three batch slots of 512 pages plus two 1 MiB caches
        Assert.True(four > one);
        Assert.True(Coresift.Output.KdumpWriter.PageStream.BufferBytes(4096, 5120, 64 << 10, 1) < one);
    }
}
