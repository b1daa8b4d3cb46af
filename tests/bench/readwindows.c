/*
 * readwindows: how fast threads read a file in windows, with pread into a buffer of their own or through one shared
 * mapping (each window faulted in with MADV_POPULATE_READ and dropped with MADV_DONTNEED after), as a dump writer's
 * workers do. Used to choose how coresift's parallel writer reads runs of pages (LZO-D31-EXPERIMENTS.md, session 7).
 *
 *   gcc -O2 -pthread -o readwindows readwindows.c
 *   readwindows read|mmap THREADS WINDOW_BYTES FILE
 *
 * The threads take windows in turn from a shared counter and sum every 64-bit word of each (so that every byte is
 * loaded). Prints the elapsed seconds and the sum (the same for both modes).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

static int fd, use_mmap;
static size_t file_len, window;
static char *base;
static atomic_long next_window;
static uint64_t sums[64];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *reader(void *arg)
{
    long id = (long)arg;
    char *buf = aligned_alloc(4096, window);
    uint64_t s = 0;
    for (;;) {
        size_t off = (size_t)atomic_fetch_add(&next_window, 1) * window;
        if (off >= file_len)
            break;
        size_t n = file_len - off < window ? file_len - off : window;
        const uint64_t *p;
        if (!use_mmap) {
            for (size_t done = 0; done < n;) {
                ssize_t r = pread(fd, buf + done, n - done, off + done);
                if (r <= 0) {
                    perror("pread");
                    exit(1);
                }
                done += r;
            }
            p = (const uint64_t *)buf;
        } else {
            madvise(base + off, (n + 4095) & ~4095UL, MADV_POPULATE_READ);
            p = (const uint64_t *)(base + off);
        }
        for (size_t i = 0; i < n / 8; i++)
            s += p[i];
        if (use_mmap)
            madvise(base + off, n & ~4095UL, MADV_DONTNEED);
    }
    sums[id] = s;
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "read") && strcmp(argv[1], "mmap"))) {
        fprintf(stderr, "usage: readwindows read|mmap THREADS WINDOW_BYTES FILE\n");
        return 2;
    }
    use_mmap = !strcmp(argv[1], "mmap");
    int threads = atoi(argv[2]);
    window = strtoul(argv[3], NULL, 0);
    if (threads < 1 || threads > 64 || window < 4096 || window % 4096) {
        fprintf(stderr, "readwindows: 1-64 threads, a window of whole 4 KiB pages\n");
        return 2;
    }
    struct stat st;
    fd = open(argv[4], O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[4]);
        return 1;
    }
    file_len = st.st_size;
    if (use_mmap && (base = mmap(NULL, file_len, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    double t0 = now();
    pthread_t th[64];
    for (long i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, reader, (void *)i);
    uint64_t sum = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        sum += sums[i];
    }
    printf("%.3f %016llx\n", now() - t0, (unsigned long long)sum);
    return 0;
}
