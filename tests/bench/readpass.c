/*
 * readpass: the "read the input once" half of the -l -d 0 bound (bench.py builds it with gcc).
 *
 *   readpass read FILE   read() the whole file in 1 MiB blocks
 *   readpass mmap FILE   map the whole file and load every byte (sum of its 64-bit words)
 *
 * Prints the elapsed seconds. A dump tool may read its input either way; the bound takes the faster.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "read") && strcmp(argv[1], "mmap"))) {
        fprintf(stderr, "usage: readpass read|mmap FILE\n");
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[2]);
        return 1;
    }
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
