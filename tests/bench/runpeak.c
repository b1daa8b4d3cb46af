/* runpeak.c: run a command and report its exit status, peak RSS and peak anonymous memory, for memcap-v2.sh's guest.
 *
 *   runpeak OUTFILE COMMAND [ARG...]
 *
 * Forks COMMAND, samples RssAnon from /proc/PID/status every 20 ms while it runs, reaps it with wait4() and writes
 * one line to OUTFILE:
 *   exit=N maxrss_kib=N anon_kib=N wall_s=S user_s=S sys_s=S
 * exit is the exit code, or 128 + the signal number for a killed child; maxrss_kib is the child's ru_maxrss
 * (KiB on Linux: VmHWM). busybox 1.35's `time -f %M` prints ru_maxrss times 4 (it takes the value for pages), so it
 * is not used. Exits with the child's exit value.
 *
 * Built statically on the host: gcc -static -Os -s -o runpeak runpeak.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long rss_anon_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: runpeak OUTFILE COMMAND [ARG...]\n");
        return 2;
    }
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        perror("runpeak: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "runpeak: exec %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    long anon = 0;
    int status = 0;
    struct rusage ru;
    for (;;) {
        memset(&ru, 0, sizeof ru);
        pid_t r = wait4(pid, &status, WNOHANG, &ru);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            perror("runpeak: wait4");
            return 2;
        }
        long a = rss_anon_kib(pid);
        if (a > anon)
            anon = a;
        usleep(20000);
    }
    double wall = now_s() - t0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror("runpeak: open the output file");
        return 2;
    }
    fprintf(out, "exit=%d maxrss_kib=%ld anon_kib=%ld wall_s=%.2f user_s=%.2f sys_s=%.2f\n", code, ru.ru_maxrss, anon,
            wall, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    fclose(out);
    return code;
}
