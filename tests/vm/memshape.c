/*
 * memshape: tiny static helper run inside the test guest (see make-vmcore.sh).
 *
 *   memshape gen TAG MIB            write MIB MiB of low-entropy text to stdout
 *   memshape hold DATA_MIB ZERO_MIB THP READYFILE
 *                                   map anonymous memory, fill DATA_MIB with
 *                                   text, write a zero byte into every page of
 *                                   ZERO_MIB (touched zero pages), create
 *                                   READYFILE, then sleep forever
 *   memshape churn MIB              map, fill with text, unmap, exit
 *                                   (leaves freed pages that hold garbage)
 *   memshape scrub MIB              map, touch every page (the kernel hands
 *                                   out zeroed pages), unmap, exit: replaces
 *                                   boot-time garbage in free memory by zeros
 *
 * Every 4 KiB page starts with a unique line "TAG page NNNNNNNN" followed by
 * repeated filler text, so pages are distinguishable but compress well.
 * THP=1 aligns the mappings to 2 MiB and asks for huge pages (MADV_HUGEPAGE);
 * THP=0 asks for small pages (MADV_NOHUGEPAGE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)

static const char filler[] =
    "coresift test pattern: the quick brown fox jumps over the lazy dog. ";

static unsigned char filler_page[PAGE];

static void fill_page(unsigned char *p, const char *tag, unsigned long idx)
{
    if (filler_page[0] == 0) {
        size_t fl = sizeof(filler) - 1;
        for (size_t off = 0; off < PAGE; off++)
            filler_page[off] = (unsigned char)filler[off % fl];
        filler_page[PAGE - 1] = '\n';
    }
    memcpy(p, filler_page, PAGE);
    char head[64];
    int n = snprintf(head, sizeof(head), "%s page %08lu\n", tag, idx);
    memcpy(p, head, (size_t)n);
}

static unsigned long parse_mib(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > (1UL << 20)) {
        fprintf(stderr, "memshape: bad size '%s'\n", s);
        exit(2);
    }
    return v;
}

static unsigned char *map_anon(unsigned long bytes, int thp)
{
    if (bytes == 0)
        return NULL;
    unsigned long len = bytes + (thp ? HUGE : 0);
    unsigned char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        perror("memshape: mmap");
        exit(1);
    }
    unsigned char *p = raw;
    if (thp) {
        uintptr_t a = ((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1);
        p = (unsigned char *)a;
    }
    if (madvise(p, bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0)
        perror("memshape: madvise (ignored)");
    return p;
}

static int do_gen(const char *tag, unsigned long mib)
{
    static unsigned char page[PAGE];
    unsigned long pages = mib * (1UL << 20) / PAGE;
    for (unsigned long i = 0; i < pages; i++) {
        fill_page(page, tag, i);
        size_t done = 0;
        while (done < PAGE) {
            ssize_t w = write(1, page + done, PAGE - done);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                perror("memshape: write");
                return 1;
            }
            done += (size_t)w;
        }
    }
    return 0;
}

static int do_hold(unsigned long data_mib, unsigned long zero_mib, int thp,
                   const char *ready)
{
    unsigned long db = data_mib << 20, zb = zero_mib << 20;
    unsigned char *d = map_anon(db, thp);
    unsigned char *z = map_anon(zb, thp);
    for (unsigned long i = 0; i < db / PAGE; i++)
        fill_page(d + i * PAGE, "HOLD-ANON", i);
    for (unsigned long i = 0; i < zb / PAGE; i++)
        ((volatile unsigned char *)z)[i * PAGE] = 0;
    int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror("memshape: ready file");
        return 1;
    }
    dprintf(fd, "pid %d data %p %lu MiB zero %p %lu MiB thp %d\n",
            (int)getpid(), (void *)d, data_mib, (void *)z, zero_mib, thp);
    close(fd);
    for (;;)
        pause();
}

static int do_churn(unsigned long mib)
{
    unsigned long b = mib << 20;
    unsigned char *p = map_anon(b, 0);
    for (unsigned long i = 0; i < b / PAGE; i++)
        fill_page(p + i * PAGE, "CHURN-FREED", i);
    if (b && munmap(p, b) != 0) {
        perror("memshape: munmap");
        return 1;
    }
    return 0;
}

static int do_scrub(unsigned long mib)
{
    unsigned long b = mib << 20;
    unsigned char *p = map_anon(b, 0);
    for (unsigned long i = 0; i < b / PAGE; i++)
        ((volatile unsigned char *)p)[i * PAGE] = 0;
    if (b && munmap(p, b) != 0) {
        perror("memshape: munmap");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "gen"))
        return do_gen(argv[2], parse_mib(argv[3]));
    if (argc == 6 && !strcmp(argv[1], "hold"))
        return do_hold(parse_mib(argv[2]), parse_mib(argv[3]),
                       atoi(argv[4]) != 0, argv[5]);
    if (argc == 3 && !strcmp(argv[1], "churn"))
        return do_churn(parse_mib(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "scrub"))
        return do_scrub(parse_mib(argv[2]));
    fprintf(stderr, "usage: memshape gen TAG MIB | hold DATA_MIB ZERO_MIB THP READYFILE | churn MIB | scrub MIB\n");
    return 2;
}
