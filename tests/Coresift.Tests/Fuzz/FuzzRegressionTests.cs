using System.Buffers.Binary;
using Coresift.Codecs;
using Coresift.Common;
using Coresift.Input;
using Coresift.Kernel;
using Coresift.Tests.Integration;
using Coresift.Tests.Synthetic;

namespace Coresift.Tests.Fuzz;

/// <summary>Bugs found by fuzzing (tests/fuzz), each pinned by a minimal input. Saved raw inputs: tests/fuzz/regressions/.</summary>
public class FuzzRegressionTests
{
    /// <summary>Found by the mutation pass (kernel target): OFFSET(page.flags) 4 bytes before the end of struct page made the classifier read past it (ArgumentOutOfRangeException).</summary>
    [Theory]
    [InlineData("OFFSET(page.flags)=60")]
    [InlineData("OFFSET(page.private)=64")]
    [InlineData("OFFSET(page._mapcount)=62")]
    [InlineData("OFFSET(page.lru)=56")]
    [InlineData("OFFSET(page.compound_order)=2147483648")]
    [InlineData("OFFSET(page.compound_dtor)=64\nNUMBER(HUGETLB_PAGE_DTOR)=2")]
    [InlineData("OFFSET(folio._folio_order)=9999")]
    public void Struct_page_fields_outside_SIZE_page_are_a_clear_error(string line)
    {
        var info = VmcoreInfo.Parse($"SIZE(page)=64\nOFFSET(page.mapping)=24\nOFFSET(page.compound_head)=8\n{line}\n");
        var e = Assert.Throws<BadInputException>(() => KernelTraits.FromVmcoreInfo(info));
        Assert.Contains("outside SIZE(page)=64", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Struct_page_fields_at_the_end_of_struct_page_are_accepted()
    {
        var info = VmcoreInfo.Parse("SIZE(page)=64\nOFFSET(page.mapping)=56\nOFFSET(page._mapcount)=60\nOFFSET(page.lru)=48\n");
        var t = KernelTraits.FromVmcoreInfo(info);
        Assert.Equal(56, t.MappingOffset);
        Assert.Equal(60, t.MapcountOffset);
    }

    private static byte[] Regression(string name) => File.ReadAllBytes(Path.Combine(TestEnvironment.RepoRoot, "tests", "fuzz", "regressions", name));

    /// <summary>Found by AFL++ (kdump target): a zlib stream with a bad header made ZLibStream throw ZLibException, which escaped the codec.</summary>
    [Fact]
    public void A_zlib_page_that_zlib_rejects_outright_reads_as_unavailable()
    {
        // 0x78 0x9c is a valid zlib header; 0x7f 0x9c names a window larger than zlib allows.
        var dst = new byte[4096];
        Assert.Equal(-1, new ZlibPageCodec().Decompress([0x7f, 0x9c, 0x01, 0x02, 0x03, 0x04], dst));
        using var vmcore = new TempVmcore(Regression("kdump--zlib-exception"));
        using var input = DumpInput.Open(vmcore.Path, Limits.Default);
        var kd = input.Kdump!;
        var page = new byte[kd.BlockSize];
        for (ulong pfn = kd.Dumpable.NextSet(0); pfn < kd.EndPfn; pfn = kd.Dumpable.NextSet(pfn + 1))
            _ = kd.TryReadPage(pfn, page);
    }

    /// <summary>Found by AFL++ (kdump target, under a 512 MiB heap limit): max_mapnr 3e9 in a 5 KiB file allocated a 370 MB bitmap before any read failed.</summary>
    [Fact]
    public void A_max_mapnr_larger_than_the_file_fails_before_allocating_bitmaps()
    {
        using var vmcore = new TempVmcore(Regression("kdump--huge-max-mapnr-bitmap"));
        var e = Assert.Throws<BadInputException>(() => DumpInput.Open(vmcore.Path, Limits.Default).Dispose());
        Assert.Contains("its bitmaps for max_mapnr", e.Message);
    }

    /// <summary>The same through a flattened file, whose logical size a record far out can make huge without storing the bytes.</summary>
    [Fact]
    public void A_flattened_kdump_with_a_far_record_does_not_size_bitmaps_by_its_logical_length()
    {
        string seed = Path.Combine(TestEnvironment.RepoRoot, "tests", "fuzz", "corpus", "kdump", "v6-lzo");
        var kdump = File.ReadAllBytes(seed);
        BinaryPrimitives.WriteUInt64LittleEndian(kdump.AsSpan(1024 + 96), 1UL << 36); // max_mapnr_64: an 8 GiB bitmap
        BinaryPrimitives.WriteUInt32LittleEndian(kdump.AsSpan(436), 1u << 24);          // bitmap_blocks large enough
        var flat = Fuzz.SeedCorpus.Flatten(kdump, reorder: false);
        // One more record, 1 byte at 2^40, before the end marker: the logical file is then 1 TiB long.
        var far = new byte[17];
        BinaryPrimitives.WriteInt64BigEndian(far, 1L << 40);
        BinaryPrimitives.WriteInt64BigEndian(far.AsSpan(8), 1);
        flat = [.. flat.AsSpan(0, flat.Length - 16), .. far, .. flat.AsSpan(flat.Length - 16)];
        using var vmcore = new TempVmcore(flat);
        var e = Assert.Throws<BadInputException>(() => DumpInput.Open(vmcore.Path, Limits.Default).Dispose());
        Assert.Contains("its bitmaps for max_mapnr", e.Message);
    }

    /// <summary>
    /// Inputs AFL++ saved (tests/fuzz/regressions/TARGET--what), replayed through the fuzz target: each must parse or fail
    /// with a coresift error within 2 s. The test suite builds with overflow checks, so the overflow finds fail here without their fix.
    /// </summary>
    [Theory]
    [InlineData("kdump--zlib-exception")]             // ZLibException escaped ZlibPageCodec.Decompress
    [InlineData("kdump--huge-max-mapnr-bitmap")]      // 413 MB bitmap allocated for a 5 KiB file (OutOfMemory under a 512 MiB heap)
    [InlineData("elf--size-page-overflow")]           // SIZE(page) beyond int: (int) cast overflowed (wrapped in Release)
    [InlineData("elf--translate-cache-underflow")]    // translation cache test vaddr - base underflowed (checked builds)
    [InlineData("dmesg--translate-cache-underflow")]  // the same through the log readers (46 saved crashes, one bug)
    [InlineData("kernel--pg-flag-bit-overflow")]      // NUMBER(PG_slab) beyond int: (int) cast overflowed in PageTypeTest.FromFlagBit
    [InlineData("kernel--negative-mem-section-length")] // LENGTH(mem_section)=-56: (ulong) conversion overflowed in checked builds
    [InlineData("elf--static-mem-section-walk-slow")] // p_memsz of 240 TiB: 2^24 static mem_section entries, one page walk each (3 s)
    [InlineData("elf--huge-memsz-slow")]              // the same with MAX_PHYSMEM_BITS=6 (1.3 s)
    public void Fuzzed_input_parses_or_fails_cleanly(string name)
    {
        string target = name[..name.IndexOf("--", StringComparison.Ordinal)];
        string scratch = Path.Combine(Path.GetTempPath(), $"coresift-regression-{Guid.NewGuid():N}");
        try
        {
            Assert.Null(MutationPassTests.RunOne(target, Regression(name), scratch));
        }
        finally
        {
            File.Delete(scratch);
        }
    }

    /// <summary>Found by review while writing the kdump target: offset_vmcoreinfo near 2^63 overflowed the "inside the notes" test.</summary>
    [Theory]
    [InlineData(long.MaxValue - 10)]
    [InlineData(long.MaxValue)]
    public void A_vmcoreinfo_offset_near_the_top_of_off_t_is_a_clear_error(long offset)
    {
        var kdump = File.ReadAllBytes(Path.Combine(TestEnvironment.RepoRoot, "tests", "fuzz", "corpus", "kdump", "v6-lzo"));
        BinaryPrimitives.WriteInt64LittleEndian(kdump.AsSpan(1024 + 32), offset); // offset_vmcoreinfo
        BinaryPrimitives.WriteInt64LittleEndian(kdump.AsSpan(1024 + 40), 100);    // size_vmcoreinfo
        using var vmcore = new TempVmcore(kdump);
        var e = Assert.Throws<BadInputException>(() => DumpInput.Open(vmcore.Path, Limits.Default).Dispose());
        Assert.Contains("truncated", e.Message);
    }

    /// <summary>Found while probing the elf target: 18,000 PT_LOADs took 16 s (the overlap cutting was quadratic); now a sweep.</summary>
    [Fact]
    public void Many_PT_LOADs_are_indexed_quickly_and_the_earliest_segment_wins()
    {
        var k = new SyntheticKernel(Generation.Linux6_1, [(0, 1UL << 20)]) { Cpus = 1 };
        var opts = new ElfOptions { SegmentsOverride = [(0, 1UL << 20)] };
        for (int i = 0; i < 16000; i++)
            opts.ExtraLoads.Add(((ulong)(i * 7 % 16000) << 12, 0, 4096, 0)); // zero-filled pages; the first 256 overlap RAM
        k.Page(3)[5] = 0x5a;
        using var vmcore = new TempVmcore(k.ToElf(opts));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var input = DumpInput.Open(vmcore.Path, Limits.Default);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
        var b = new byte[8];
        Assert.True(input.Memory.TryRead(3 * 4096, b));
        Assert.Equal(0x5a, b[5]);                                         // RAM (first in the file) wins over the zero pages
        Assert.True(input.Memory.TryRead(15999UL << 12, b));
        Assert.False(input.Memory.TryRead(16000UL << 12, b));
    }

    /// <summary>Found by review after the PG_slab find: SECTION_SIZE_BITS and MAX_PHYSMEM_BITS were cast to int before their range check.</summary>
    [Theory]
    [InlineData("NUMBER(SECTION_SIZE_BITS)=20", "NUMBER(SECTION_SIZE_BITS)=4294967316")]
    [InlineData("NUMBER(MAX_PHYSMEM_BITS)=36", "NUMBER(MAX_PHYSMEM_BITS)=4294967332")]
    public void Section_geometry_beyond_int_is_a_clear_error(string line, string replacement)
    {
        var seed = File.ReadAllBytes(Path.Combine(TestEnvironment.RepoRoot, "tests", "fuzz", "corpus", "kernel", "6.1-vmemmap"));
        int nul = Array.IndexOf(seed, (byte)0);
        string text = System.Text.Encoding.ASCII.GetString(seed, 0, nul);
        Assert.Contains(line, text);
        var image = Fuzzing.SparseImage.Parse([.. System.Text.Encoding.ASCII.GetBytes(text.Replace(line, replacement)), .. seed.AsSpan(nul)]);
        var info = VmcoreInfo.Parse(image.Vmcoreinfo, Limits.Default);
        var space = X86_64AddressSpace.Create(image, info, []);
        var e = Assert.Throws<BadInputException>(() => MemMap.Build(info, space, space.KernelSpaceStart, 12, image.RamBytes >> 12, Limits.Default));
        Assert.Contains("implausible SECTION_SIZE_BITS", e.Message);
    }

    /// <summary>Found by review of the kernel target's paths: the SPARSEMEM_EXTREME root array was read in one allocation of roots x 8 bytes (512 MiB for 2^26 sections of one root each).</summary>
    [Fact]
    public void The_mem_section_root_array_is_not_one_allocation_sized_by_the_dump()
    {
        var info = VmcoreInfo.Parse("SIZE(page)=64\nSYMBOL(mem_section)=ffff888000000000\nSIZE(mem_section)=4096\n" +
            "OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=13\nNUMBER(MAX_PHYSMEM_BITS)=46\n");
        long before = GC.GetAllocatedBytesForCurrentThread();
        // 2^27 pfns in 2-page sections, one section per root: 2^26 root pointers, all zero.
        var e = Assert.Throws<BadInputException>(() => MemMap.Build(info, new ZeroKernelMemory(), 0xffff800000000000, 12, 1UL << 27, Limits.Default));
        Assert.Contains("No valid memory section", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "allocated more than 16 MiB");
    }

    /// <summary>Kernel memory that reads as zeros in the kernel half and is unmapped below it.</summary>
    private sealed class ZeroKernelMemory : IKernelMemory
    {
        public bool TryTranslate(ulong vaddr, out ulong paddr, out ulong mappingSize)
        {
            (paddr, mappingSize) = (vaddr, 4096);
            return vaddr >= 0xffff800000000000;
        }

        public bool TryRead(ulong vaddr, Span<byte> destination)
        {
            if (vaddr < 0xffff800000000000)
                return false;
            destination.Clear();
            return true;
        }
    }
}
