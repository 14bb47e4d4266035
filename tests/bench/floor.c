/* floor: the least work a two-copy stream can do, to measure copyscope's
 * own cost against (tools/floor-compare). One sender thread send()s the
 * same SIZE-byte buffer in a loop, one receiver thread recv()s into one
 * SIZE-byte buffer (both 64-byte aligned, as copyscope's are), each pinned
 * to its CPU, over a loopback TCP connection. After --warmup seconds the
 * receiver's bytes are counted for --seconds.
 *
 *   floor --size=65536 --seconds=2 --warmup=0.1 --sender-cpu=0 \
 *         --receiver-cpu=1
 *   floor size=65536 seconds=2.000012 bytes=3843293184 gbps=15.3731 ...
 *         sender_cpu_s=1.98 receiver_cpu_s=1.21
 *
 * sender_cpu_s and receiver_cpu_s are each thread's CPU time within the
 * measured interval: on a machine shared with other work, bytes per
 * CPU-second tell the cost of the loop apart from the share of the CPUs
 * the scheduler gave it.
 *
 * Two switches reproduce what copyscope does differently, one at a time:
 *   --recv=stream   recv(SIZE) of whatever has arrived (the default);
 *   --recv=message  recv() of the rest of the current SIZE-byte message
 *                   until it is whole, as two_copy's receive loop does;
 *   --recv=waitall  recv(SIZE, MSG_WAITALL);
 *   --counters=none|sender|receiver|both  opens, on that thread, the
 *                   software events copyscope counts per thread by default
 *                   (task-clock, context-switches, cpu-migrations,
 *                   page-faults, one group), enabled for the whole run.
 *
 * Exit 0 with that one line on stdout; 2 on a bad flag; 1 on a failure
 * (one line on stderr). The sockets have no SO_SNDTIMEO/SO_RCVTIMEO (a
 * timer armed on every blocking wait would be work copyscope does not do);
 * the run is bounded instead by the main thread, which gives the threads
 * 5 s to end after the measured interval and otherwise exits, taking them
 * with it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/floor_util.h"

enum { kJoinTimeoutSeconds = 5 };
enum { kRecvStream, kRecvMessage, kRecvWaitall };

typedef struct side {
  int fd;
  int peer_fd; /* the other end, shut down with fd when this side fails */
  int cpu;     /* < 0: not pinned */
  size_t size;
  char* buf;
  int counted;      /* open the software counters on this thread */
  int error;        /* errno of a failure, 0 if none */
  const char* what; /* what failed */
} side;

static atomic_int g_stop;            /* the sender stops sending */
static atomic_int g_failed;          /* a side failed (the first says why) */
static atomic_uint_fast64_t g_bytes; /* received so far */
static int g_recv_mode = kRecvStream;

static double Now(void) { return Clock(CLOCK_MONOTONIC); }

/* Pins the thread and, if asked, opens its counters; 0 or an errno, with
 * *what saying which step failed. */
static int Setup(const side* s, const char** what) {
  static const uint64_t kEvents[] = {
      PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_CONTEXT_SWITCHES,
      PERF_COUNT_SW_CPU_MIGRATIONS, PERF_COUNT_SW_PAGE_FAULTS};
  int leader = -1;
  size_t i;
  if (s->cpu >= 0) {
    cpu_set_t set;
    int rc;
    CPU_ZERO(&set);
    CPU_SET(s->cpu, &set);
    *what = "pin to its CPU";
    rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc != 0) return rc;
  }
  for (i = 0; s->counted && i < sizeof(kEvents) / sizeof(kEvents[0]); ++i) {
    struct perf_event_attr attr;
    long fd;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = kEvents[i];
    attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
                       PERF_FORMAT_TOTAL_TIME_RUNNING;
    *what = "perf_event_open";
    fd = syscall(SYS_perf_event_open, &attr, 0, -1, leader, 0);
    if (fd < 0) return errno;
    if (leader < 0) leader = (int)fd;
  }
  return 0;
}

/* Records a side's failure, unless the other side failed first (then
 * this one is its consequence), and shuts both ends down so that the other
 * side's blocked send() or recv() returns. */
static void* Failed(side* s, const char* what, int error) {
  int none = 0;
  if (atomic_compare_exchange_strong(&g_failed, &none, 1)) {
    s->what = what;
    s->error = error;
  }
  shutdown(s->fd, SHUT_RDWR);
  shutdown(s->peer_fd, SHUT_RDWR);
  return NULL;
}

static void* Send(void* arg) {
  side* s = (side*)arg;
  const char* what = NULL;
  int rc = Setup(s, &what);
  if (rc != 0) return Failed(s, what, rc);
  while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
    size_t done = 0;
    while (done < s->size) {
      ssize_t n = send(s->fd, s->buf + done, s->size - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += (size_t)n;
      } else if (n < 0 && errno != EINTR) {
        return Failed(s, "send", errno);
      }
    }
  }
  shutdown(s->fd, SHUT_WR);
  return NULL;
}

static void* Receive(void* arg) {
  side* s = (side*)arg;
  uint_fast64_t bytes = 0;
  size_t got = 0; /* --recv=message: of the current message */
  const int flags = g_recv_mode == kRecvWaitall ? MSG_WAITALL : 0;
  const char* what = NULL;
  int rc = Setup(s, &what);
  if (rc != 0) return Failed(s, what, rc);
  for (;;) {
    ssize_t n = g_recv_mode == kRecvMessage
                    ? recv(s->fd, s->buf + got, s->size - got, 0)
                    : recv(s->fd, s->buf, s->size, flags);
    if (n > 0) {
      bytes += (uint_fast64_t)n;
      got = (got + (size_t)n) % s->size;
      atomic_store_explicit(&g_bytes, bytes, memory_order_relaxed);
    } else if (n == 0) {
      return NULL; /* the sender stopped */
    } else if (errno != EINTR) {
      return Failed(s, "recv", errno);
    }
  }
}

static int Fail(const char* what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  return 1;
}

/* A connected loopback TCP pair: fds[0] the accepted end, fds[1] the
 * connecting one. */
static int Connect(int fds[2]) {
  struct sockaddr_in addr;
  socklen_t len = sizeof(addr);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return Fail("socket");
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr*)&addr, sizeof(addr)) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, (struct sockaddr*)&addr, &len) != 0) {
    return Fail("listen on 127.0.0.1");
  }
  fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fds[1] < 0 || connect(fds[1], (struct sockaddr*)&addr, sizeof(addr))) {
    return Fail("connect");
  }
  fds[0] = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (fds[0] < 0) return Fail("accept");
  close(listener);
  return 0;
}

static const char kUsage[] =
    "usage: floor --size=BYTES [--seconds=2] [--warmup=0.1] [--sender-cpu=N]\n"
    "             [--receiver-cpu=N] [--recv=stream|message|waitall]\n"
    "             [--counters=none|sender|receiver|both]\n"
    "One thread send()s a SIZE-byte buffer in a loop, another recv()s into\n"
    "one buffer, over loopback TCP (127.0.0.1); after --warmup seconds the\n"
    "receiver's bytes are counted for --seconds (0.01..600), then both stop.\n"
    "  --size=BYTES      message size, 1 to 64M; K and M: x 1024, 1024^2\n"
    "  --sender-cpu=N    pin the sending thread to CPU N (-1: not pinned)\n"
    "  --receiver-cpu=N  pin the receiving thread to CPU N (-1: not pinned)\n"
    "  --recv=MODE       stream: recv(SIZE) of whatever has arrived;\n"
    "                    message: recv() the rest of each message until\n"
    "                    whole; waitall: recv(SIZE, MSG_WAITALL)\n"
    "  --counters=WHO    open copyscope's per-thread software counters\n"
    "                    on the sender, the receiver or both\n"
    "Prints one line: floor size=... seconds=... bytes=... gbps=... and\n"
    "each thread's CPU seconds in the interval (sender_cpu_s=...).\n"
    "Exit 0; 2 on a bad flag; 1 on a failure (one line on stderr).\n";

static int Usage(const char* why) {
  fprintf(stderr, "floor: %s\n%s", why, kUsage);
  return 2;
}

/* Parses "--name=word" into *out (the word's index in words, NULL-ended)
 * when arg is that flag; 1 if it was. */
static int Choice(const char* arg, const char* name, const char* const* words,
                  int* out, int* bad) {
  size_t n = strlen(name);
  int i;
  if (strncmp(arg, name, n) != 0 || arg[n] != '=') return 0;
  for (i = 0; words[i] != NULL; ++i) {
    if (strcmp(arg + n + 1, words[i]) == 0) {
      *out = i;
      return 1;
    }
  }
  *bad = 1;
  return 1;
}

int main(int argc, char** argv) {
  static const char* const kRecvModes[] = {"stream", "message", "waitall",
                                           NULL};
  static const char* const kCounted[] = {"none", "sender", "receiver", "both",
                                         NULL};
  double size = 0, seconds = 2, warmup = 0.1, tx_cpu = -1, rx_cpu = -1;
  double t0, t1, tx_cpu0, rx_cpu0, tx_cpu1, rx_cpu1;
  uint_fast64_t b0, b1;
  side tx, rx;
  pthread_t tx_thread, rx_thread;
  struct timespec join_by;
  int fds[2] = {-1, -1}, i, bad = 0, counted = 0;
  for (i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(kUsage, stdout);
      return 0;
    }
    if (!Flag(a, "--size", 1, 64 << 20, 1, &size, &bad) &&
        !Flag(a, "--seconds", 0.01, 600, 0, &seconds, &bad) &&
        !Flag(a, "--warmup", 0, 60, 0, &warmup, &bad) &&
        !Flag(a, "--sender-cpu", -1, 4095, 1, &tx_cpu, &bad) &&
        !Flag(a, "--receiver-cpu", -1, 4095, 1, &rx_cpu, &bad) &&
        !Choice(a, "--recv", kRecvModes, &g_recv_mode, &bad) &&
        !Choice(a, "--counters", kCounted, &counted, &bad)) {
      bad = 1;
    }
    if (bad) return Usage(a);
  }
  if (size < 1) return Usage("--size is required");
  if (Connect(fds) != 0) return 1;

  memset(&tx, 0, sizeof(tx));
  memset(&rx, 0, sizeof(rx));
  tx.fd = rx.peer_fd = fds[0];
  rx.fd = tx.peer_fd = fds[1];
  tx.cpu = (int)tx_cpu;
  rx.cpu = (int)rx_cpu;
  tx.size = rx.size = (size_t)size;
  tx.counted = counted == 1 || counted == 3;
  rx.counted = counted == 2 || counted == 3;
  tx.buf = Buffer(tx.size);
  rx.buf = Buffer(rx.size);
  if (tx.buf == NULL || rx.buf == NULL) return Fail("aligned_alloc");

  if (pthread_create(&rx_thread, NULL, Receive, &rx) != 0 ||
      pthread_create(&tx_thread, NULL, Send, &tx) != 0) {
    return Fail("pthread_create");
  }
  SleepFor(warmup);
  b0 = atomic_load(&g_bytes);
  t0 = Now();
  tx_cpu0 = CpuSeconds(tx_thread);
  rx_cpu0 = CpuSeconds(rx_thread);
  SleepFor(seconds);
  b1 = atomic_load(&g_bytes);
  t1 = Now();
  tx_cpu1 = CpuSeconds(tx_thread);
  rx_cpu1 = CpuSeconds(rx_thread);
  atomic_store(&g_stop, 1);

  clock_gettime(CLOCK_REALTIME, &join_by);
  join_by.tv_sec += kJoinTimeoutSeconds;
  if (pthread_timedjoin_np(tx_thread, NULL, &join_by) != 0 ||
      pthread_timedjoin_np(rx_thread, NULL, &join_by) != 0) {
    fprintf(stderr, "floor: the threads did not stop within %d s\n",
            kJoinTimeoutSeconds);
    return 1;
  }
  if (tx.error != 0 || rx.error != 0) {
    const side* s = tx.error != 0 ? &tx : &rx;
    fprintf(stderr, "floor: %s: %s: %s\n", s == &tx ? "sender" : "receiver",
            s->what, strerror(s->error));
    return 1;
  }
  printf(
      "floor size=%zu seconds=%.6f bytes=%llu gbps=%.4f sender_cpu=%d "
      "receiver_cpu=%d recv=%s counters=%s sender_cpu_s=%.6f "
      "receiver_cpu_s=%.6f\n",
      tx.size, t1 - t0, (unsigned long long)(b1 - b0),
      (double)(b1 - b0) * 8 / (t1 - t0) / 1e9, tx.cpu, rx.cpu,
      kRecvModes[g_recv_mode], kCounted[counted], tx_cpu1 - tx_cpu0,
      rx_cpu1 - rx_cpu0);
  free(tx.buf);
  free(rx.buf);
  close(fds[0]);
  close(fds[1]);
  return 0;
}
