/* Touches one 4 KiB page of a file every STRIDE KiB, either through one mapping of the whole file (map) or with one
 * pread(2) per page (read), and loads every word of each page; prints the time per page and the page faults.
 *   gcc -O2 -o /tmp/touchpages tests/bench/touchpages.c
 *   /tmp/touchpages map|read FILE STRIDE_KIB
 * Environment: NOHUGE=1 maps with MADV_NOHUGEPAGE (4 KiB mappings); WIN=KIB populates the mapping (MADV_POPULATE_READ)
 * a window of that size at a time before touching its pages. Session 9 of results/LZO-D31-EXPERIMENTS.md used it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "map") && strcmp(argv[1], "read"))) {
        fprintf(stderr, "usage: %s map|read FILE STRIDE_KIB\n", argv[0]);
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[2]);
        return 1;
    }
    size_t n = (size_t)st.st_size & ~(size_t)((2 << 20) - 1);
    size_t stride = (size_t)atol(argv[3]) << 10;
    if (stride < 4096 || n == 0) {
        fprintf(stderr, "stride must be at least 4 KiB, the file at least 2 MiB\n");
        return 2;
    }
    unsigned long sum = 0;
    long pages = 0;
    double t0 = now();
    if (!strcmp(argv[1], "map")) {
        unsigned long *p = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        if (getenv("NOHUGE"))
            madvise(p, n, MADV_NOHUGEPAGE);
        size_t win = getenv("WIN") ? (size_t)atol(getenv("WIN")) << 10 : 0, populated = 0;
        for (size_t o = 0; o < n; o += stride, pages++) {
            if (win && o >= populated) {
                madvise((char *)p + o, o + win <= n ? win : n - o, MADV_POPULATE_READ);
                populated = o + win;
            }
            const unsigned long *q = p + o / 8;
            for (int i = 0; i < 512; i++)
                sum += q[i];
        }
    } else {
        unsigned long *buf = aligned_alloc(4096, 4096);
        for (size_t o = 0; o < n; o += stride, pages++) {
            if (pread(fd, buf, 4096, (off_t)o) != 4096) {
                perror("pread");
                return 1;
            }
            for (int i = 0; i < 512; i++)
                sum += buf[i];
        }
    }
    double t = now() - t0;
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    printf("%s %ld pages %.1f ms (%.2f us a page) user %.1f ms sys %.1f ms faults %ld (%lx)\n", argv[1], pages, t * 1e3,
           t * 1e6 / pages, r.ru_utime.tv_sec * 1e3 + r.ru_utime.tv_usec / 1e3,
           r.ru_stime.tv_sec * 1e3 + r.ru_stime.tv_usec / 1e3, r.ru_minflt, sum & 0xf);
    return 0;
}
