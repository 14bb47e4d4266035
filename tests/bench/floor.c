/* floor: the least work a two-copy stream can do, to measure copyscope's
 * own cost against (tools/floor-compare). One sender thread send()s the
 * same SIZE-byte buffer in a loop, one receiver thread recv()s into one
 * SIZE-byte buffer, each pinned to its CPU, over a loopback TCP connection.
 * After --warmup seconds the receiver's bytes are counted for --seconds.
 *
 *   floor --size=65536 --seconds=2 --warmup=0.1 --sender-cpu=0 \
 *         --receiver-cpu=1
 *   floor size=65536 seconds=2.000012 bytes=3843293184 gbps=15.3731 ...
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
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kJoinTimeoutSeconds = 5 };

typedef struct side {
  int fd;
  int cpu; /* < 0: not pinned */
  size_t size;
  char* buf;
  int error; /* errno of a failure, 0 if none */
} side;

static atomic_int g_stop;            /* the sender stops sending */
static atomic_uint_fast64_t g_bytes; /* received so far */

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int Pin(int cpu) {
  cpu_set_t set;
  if (cpu < 0) return 0;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void* Send(void* arg) {
  side* s = (side*)arg;
  if ((s->error = Pin(s->cpu)) != 0) return NULL;
  while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
    size_t done = 0;
    while (done < s->size) {
      ssize_t n = send(s->fd, s->buf + done, s->size - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += (size_t)n;
      } else if (n < 0 && errno != EINTR) {
        s->error = errno;
        return NULL;
      }
    }
  }
  shutdown(s->fd, SHUT_WR);
  return NULL;
}

static void* Receive(void* arg) {
  side* s = (side*)arg;
  uint_fast64_t bytes = 0;
  if ((s->error = Pin(s->cpu)) != 0) return NULL;
  for (;;) {
    ssize_t n = recv(s->fd, s->buf, s->size, 0);
    if (n > 0) {
      bytes += (uint_fast64_t)n;
      atomic_store_explicit(&g_bytes, bytes, memory_order_relaxed);
    } else if (n == 0) {
      return NULL; /* the sender stopped */
    } else if (errno != EINTR) {
      s->error = errno;
      return NULL;
    }
  }
}

static void SleepFor(double seconds) {
  struct timespec ts;
  ts.tv_sec = (time_t)seconds;
  ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
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

static int Usage(const char* why) {
  fprintf(stderr,
          "floor: %s\nusage: floor --size=BYTES [--seconds=2] [--warmup=0.1] "
          "[--sender-cpu=N] [--receiver-cpu=N]\n",
          why);
  return 2;
}

/* Parses "--name=value" into *out when arg is that flag; 1 if it was. */
static int Flag(const char* arg, const char* name, double lo, double hi,
                double* out, int* bad) {
  size_t n = strlen(name);
  char* end = NULL;
  double v;
  if (strncmp(arg, name, n) != 0 || arg[n] != '=') return 0;
  errno = 0;
  v = strtod(arg + n + 1, &end);
  if (errno != 0 || end == arg + n + 1 || v < lo || v > hi) {
    *bad = 1;
    return 1;
  }
  if (*end == 'K' || *end == 'k') {
    v *= 1024;
    ++end;
  }
  if (*end != '\0') *bad = 1;
  *out = v;
  return 1;
}

int main(int argc, char** argv) {
  double size = 0, seconds = 2, warmup = 0.1, tx_cpu = -1, rx_cpu = -1;
  double t0, t1;
  uint_fast64_t b0, b1;
  side tx, rx;
  pthread_t tx_thread, rx_thread;
  struct timespec join_by;
  int fds[2] = {-1, -1}, i, bad = 0;
  for (i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (!Flag(a, "--size", 1, 1 << 30, &size, &bad) &&
        !Flag(a, "--seconds", 0.01, 600, &seconds, &bad) &&
        !Flag(a, "--warmup", 0, 60, &warmup, &bad) &&
        !Flag(a, "--sender-cpu", -1, 4095, &tx_cpu, &bad) &&
        !Flag(a, "--receiver-cpu", -1, 4095, &rx_cpu, &bad)) {
      bad = 1;
    }
    if (bad) return Usage(a);
  }
  if (size < 1) return Usage("--size is required");
  if (Connect(fds) != 0) return 1;

  memset(&tx, 0, sizeof(tx));
  memset(&rx, 0, sizeof(rx));
  tx.fd = fds[0];
  rx.fd = fds[1];
  tx.cpu = (int)tx_cpu;
  rx.cpu = (int)rx_cpu;
  tx.size = rx.size = (size_t)size;
  tx.buf = malloc(tx.size);
  rx.buf = malloc(rx.size);
  if (tx.buf == NULL || rx.buf == NULL) return Fail("malloc");
  for (i = 0; (size_t)i < tx.size; ++i) tx.buf[i] = (char)i;
  memset(rx.buf, 0, rx.size);

  if (pthread_create(&rx_thread, NULL, Receive, &rx) != 0 ||
      pthread_create(&tx_thread, NULL, Send, &tx) != 0) {
    return Fail("pthread_create");
  }
  SleepFor(warmup);
  b0 = atomic_load(&g_bytes);
  t0 = Now();
  SleepFor(seconds);
  b1 = atomic_load(&g_bytes);
  t1 = Now();
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
    errno = tx.error != 0 ? tx.error : rx.error;
    return Fail(tx.error != 0 ? "sender" : "receiver");
  }
  printf(
      "floor size=%zu seconds=%.6f bytes=%llu gbps=%.4f sender_cpu=%d "
      "receiver_cpu=%d\n",
      tx.size, t1 - t0, (unsigned long long)(b1 - b0),
      (double)(b1 - b0) * 8 / (t1 - t0) / 1e9, tx.cpu, rx.cpu);
  free(tx.buf);
  free(rx.buf);
  close(fds[0]);
  close(fds[1]);
  return 0;
}
