/* What the floor programs (floor.c, crr_floor.c) share: clocks, a sleep,
 * an aligned buffer and the parsing of a numeric flag. Static functions in
 * a header, so that each program stays one translation unit with no
 * library behind it. */
#ifndef COPYSCOPE_TESTS_BENCH_FLOOR_UTIL_H_
#define COPYSCOPE_TESTS_BENCH_FLOOR_UTIL_H_

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The clock's reading in seconds (0 if it cannot be read). */
static double Clock(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return 0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A thread's CPU time so far, user and system (softirq work done in its
 * context included, as in copyscope's per-thread rusage). */
static double CpuSeconds(pthread_t thread) {
  clockid_t clock;
  return pthread_getcpuclockid(thread, &clock) == 0 ? Clock(clock) : 0;
}

static void SleepFor(double seconds) {
  struct timespec ts;
  ts.tv_sec = (time_t)seconds;
  ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* size bytes, 64-byte aligned (as copyscope's buffers are), filled. */
static char* Buffer(size_t size) {
  char* p = aligned_alloc(64, (size + 63) / 64 * 64);
  size_t i;
  for (i = 0; p != NULL && i < size; ++i) p[i] = (char)i;
  return p;
}

/* Parses "--name=value" into *out when arg is that flag; 1 if it was. A
 * value may end in K (x 1024) or M (x 1024^2); it must lie within lo..hi and,
 * with whole, be a whole number, else *bad is set. */
static int Flag(const char* arg, const char* name, double lo, double hi,
                int whole, double* out, int* bad) {
  size_t n = strlen(name);
  char* end = NULL;
  double v;
  if (strncmp(arg, name, n) != 0 || arg[n] != '=') return 0;
  errno = 0;
  v = strtod(arg + n + 1, &end);
  if (errno != 0 || end == arg + n + 1) {
    *bad = 1;
    return 1;
  }
  if (*end == 'K' || *end == 'k') {
    v *= 1024;
    ++end;
  } else if (*end == 'M' || *end == 'm') {
    v *= 1024 * 1024;
    ++end;
  }
  if (*end != '\0' || !(v >= lo && v <= hi) || (whole && v != (long)v)) {
    *bad = 1;
  }
  *out = v;
  return 1;
}

#endif /* COPYSCOPE_TESTS_BENCH_FLOOR_UTIL_H_ */
