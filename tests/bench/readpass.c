/*
 * readpass: the "read the input once" half of the -l -d 0 bound (bench.py builds it with gcc).
 *
 *   readpass read FILE   read() the whole file in 1 MiB blocks
 *   readpass mmap FILE   map the whole file and load every byte (sum of its 64-bit words)
 *
 * Prints the elapsed seconds. A dump tool may read its input either way; the bound takes the faster.
 *
 *   readpass read|mmap FILE STRIDE_KIB
 *
 * Touches one 4 KiB page every STRIDE_KIB KiB instead (every word of it loaded), with one pread(2) per page or through
 * one shared mapping, and also prints the pages, the time per page and the page faults: what scattered pages cost
 * (results/LZO-D31-EXPERIMENTS.md, session 9). With mmap, NOHUGE=1 maps with MADV_NOHUGEPAGE (4 KiB mappings) and
 * WIN=KIB populates the mapping (MADV_POPULATE_READ) a window of that size at a time before touching its pages.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* The STRIDE_KIB mode: one 4 KiB page every stride bytes of the first whole 2 MiB blocks of the file. */
static int touch_pages(const char *mode, int fd, size_t size, size_t stride)
{
    size_t n = size & ~(size_t)((2 << 20) - 1);
    if (stride < 4096 || n == 0) {
        fprintf(stderr, "the stride must be at least 4 KiB, the file at least 2 MiB\n");
        return 2;
    }
    uint64_t sum = 0;
    long pages = 0;
    double t0 = now();
    if (!strcmp(mode, "mmap")) {
        uint64_t *p = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
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
            const uint64_t *q = p + o / 8;
            for (int i = 0; i < 512; i++)
                sum += q[i];
        }
    } else {
        uint64_t *buf = aligned_alloc(4096, 4096);
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
    printf("%.6f %llu %ld pages, %.2f us a page, %ld page faults\n", t, (unsigned long long)sum, pages, t * 1e6 / pages,
           r.ru_minflt);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 || (strcmp(argv[1], "read") && strcmp(argv[1], "mmap"))) {
        fprintf(stderr, "usage: readpass read|mmap FILE [STRIDE_KIB]\n");
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[2]);
        return 1;
    }
    if (argc == 4)
        return touch_pages(argv[1], fd, (size_t)st.st_size, (size_t)atol(argv[3]) << 10);
    uint64_t sum = 0;
    double t0 = now();
    if (!strcmp(argv[1], "read")) {
        size_t bs = 1 << 20;
        uint64_t *buf = aligned_alloc(4096, bs);
        ssize_t n;
        while ((n = read(fd, buf, bs)) > 0)
            sum += buf[0];
        if (n < 0) {
            perror("read");
            return 1;
        }
    } else if (st.st_size > 0) {
        const uint64_t *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        madvise((void *)p, (size_t)st.st_size, MADV_SEQUENTIAL);
        size_t words = (size_t)st.st_size / 8;
        for (size_t i = 0; i < words; i++)
            sum += p[i];
    }
    double t = now() - t0;
    printf("%.6f %llu\n", t, (unsigned long long)sum);
    return 0;
}
