using Coresift.Common;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Kernel;

public class X86_64AddressSpaceTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Translates_1G_and_4K_mappings_with_4_and_5_level_tables(int levels)
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 0x4000000)], levels: levels);
        k.Map(0xffffc90000001000, 0x3000, 12);          // a vmalloc-style 4 KiB page
        k.Map(0xffffffffc0200000, 0x200000, 21);        // a 2 MiB page
        k.FillPage(0x3, 0x77);
        using var f = new TempVmcore(k.ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var info = VmcoreInfo.Parse(input.VmcoreInfoBytes!, Limits.Default);
        var space = X86_64AddressSpace.Create(input.Memory, info, input.Loads);
        Assert.Equal(levels, space.Levels);

        Assert.True(space.TryTranslate(k.DirectMap(0x123456), out ulong p, out ulong size));
        Assert.Equal(0x123456UL, p);
        Assert.Equal(1UL << 30, size);
        Assert.True(space.TryTranslate(0xffffc90000001abc, out p, out size));
        Assert.Equal(0x3abcUL, p);
        Assert.Equal(4096UL, size);
        Assert.True(space.TryTranslate(0xffffffffc0212345, out p, out size));
        Assert.Equal(0x212345UL, p);
        Assert.Equal(2UL << 20, size);
        Assert.False(space.TryTranslate(0xffffc90000002000, out _, out _)); // not mapped

        var buf = new byte[8];
        Assert.True(space.TryRead(0xffffc90000001ff8, buf));
        Assert.All(buf, b => Assert.Equal(0x77, b));
    }

    [Fact]
    public void Phys_base_moves_the_root_table()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 0x4000000)]) { PhysBase = -0x1000000 };
        using var f = new TempVmcore(k.ToElf());
        using var input = DumpInput.Open(f.Path, Limits.Default);
        var space = X86_64AddressSpace.Create(input.Memory, VmcoreInfo.Parse(input.VmcoreInfoBytes!, Limits.Default), input.Loads);
        Assert.Equal(k.RootTable, space.RootTable);
        Assert.True(space.TryTranslate(k.DirectMap(0x1000), out ulong p, out _));
        Assert.Equal(0x1000UL, p);
    }
}
