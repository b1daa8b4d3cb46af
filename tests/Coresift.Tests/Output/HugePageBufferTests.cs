using Coresift.Output;

namespace Coresift.Tests.Output;

/// <summary>The writer's arena for packed pages: mapped outside the GC heap, zeroed, bounds-checked, unmapped once.</summary>
public class HugePageBufferTests
{
    [Fact]
    public void A_buffer_is_zeroed_writable_and_bounds_checked()
    {
        const int length = 3 * 512 * 4432;   // three batch slots of the LZO writer
        using var buffer = new HugePageBuffer(length);
        Assert.Equal(length, buffer.Length);
        var all = buffer.AsSpan(0, length);
        Assert.True(all.IndexOfAnyExcept((byte)0) < 0);
        buffer.AsSpan(length - 16, 16).Fill(0xab);
        Assert.Equal(0xab, all[length - 1]);
        Assert.Equal(0, all[length - 17]);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.AsSpan(length - 15, 16).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.AsSpan(-1, 1).Length);
        Assert.Equal(8L << 20, HugePageBuffer.ResidentBytes(length));   // 6.5 MiB, in whole 2 MiB pages
        Assert.Equal(2L << 20, HugePageBuffer.ResidentBytes(1));
    }

    [Fact]
    public void A_disposed_buffer_refuses_spans()
    {
        var buffer = new HugePageBuffer(4096);
        buffer.Dispose();
        buffer.Dispose();   // twice is harmless
        Assert.Throws<ObjectDisposedException>(() => buffer.AsSpan(0, 1).Length);
    }
}
