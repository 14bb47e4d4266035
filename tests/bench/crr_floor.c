/* crr_floor: the least work a connection-rate transaction can do, to
 * measure copyscope --mode=crr against (tools/floor-compare --mode=crr), as
 * floor.c is for streams. No Debian 12 package measures a connection rate
 * (netperf, whose TCP_CRR this is, is not in its archive), so this loop is
 * the peer.
 *
 * One server thread and one client thread, each pinned to its CPU. The
 * server listens on an ephemeral port and, per connection, accept()s,
 * recv()s the whole request, send()s the response, waits for the client's
 * close (recv() returning 0) and close()s. The client, per transaction,
 * makes a socket, connect()s (blocking), send()s the request, recv()s the
 * whole response and close()s: it closes first, so TIME_WAIT stays on its
 * side, as with netperf and copyscope. Each buffer is allocated once,
 * 64-byte aligned. After --warmup seconds the client's transactions are
 * counted for --seconds, each timed socket() to close() with
 * CLOCK_MONOTONIC (two clock reads a transaction, as copyscope's).
 *
 *   crr_floor --size=64 --seconds=1 --warmup=0.1 --server-cpu=0 \
 *             --client-cpu=1
 *   crr_floor size=64 request=64 response=64 seconds=1.000012
 *       connections=21001 cps=21000.7 p50_us=45.1 p99_us=80.2 ...
 *       server_cpu_s=0.61 client_cpu_s=0.72
 *
 * --fork runs the server in a process of its own, as netserver is to
 * netperf and copyscope's server agent to its client agent: a switch
 * between the two ends is then a switch between address spaces, which
 * costs more than one between threads of a process when both share a CPU.
 *
 * --server-netns=PATH and --client-netns=PATH (e.g. /run/netns/NAME) put
 * each thread in a network namespace first, and --address=IPV4 is where the
 * server listens and the client connects (default 127.0.0.1): the two ends
 * of a veth, as copyscope --isolation=netns.
 *
 * server_cpu_s and client_cpu_s are each thread's CPU time within the
 * measured interval (softirq work done in its context included).
 * connect() failing with EADDRNOTAVAIL is "ephemeral ports exhausted".
 * Exit 0 with that one line on stdout; 2 on a bad flag; 1 on a failure (one
 * line on stderr). The main thread bounds the run: the threads get 5 s to
 * end after the measured interval, else it exits, taking them with it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/floor_util.h"

enum { kJoinTimeoutSeconds = 5 };
enum { kWarmup = 0, kMeasure = 1, kStop = 2 };
/* Transactions whose latency is kept: the rest are counted only. */
enum { kMaxSamples = 1 << 22 };

typedef struct side {
  int cpu; /* < 0: not pinned */
  const char* netns;
  int error;        /* errno of a failure, 0 if none */
  const char* what; /* what failed */
} side;

static atomic_int g_phase;
static atomic_int g_failed;
static atomic_uint_fast64_t g_counted; /* transactions begun in kMeasure */
static size_t g_request, g_response;
static struct sockaddr_in g_addr; /* the server's, port set once listening */
static int g_listen_fd = -1;
static uint32_t* g_latency_ns; /* of the counted transactions, in order */
static atomic_int g_client_fd = -1, g_server_fd = -1; /* for a failure */

static int64_t NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --fork: the server process's CPU time (its one thread's). */
static double ProcessCpuSeconds(pid_t pid) {
  clockid_t clock;
  return clock_getcpuclockid(pid, &clock) == 0 ? Clock(clock) : 0;
}

/* Pins the thread and enters its namespace, if asked; 0 or an errno. */
static int Setup(side* s) {
  if (s->cpu >= 0) {
    cpu_set_t set;
    int rc;
    CPU_ZERO(&set);
    CPU_SET(s->cpu, &set);
    s->what = "pin to its CPU";
    rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc != 0) return rc;
  }
  if (s->netns != NULL) {
    int fd = open(s->netns, O_RDONLY | O_CLOEXEC);
    s->what = "enter its network namespace";
    if (fd < 0) return errno;
    if (setns(fd, CLONE_NEWNET) != 0) {
      int err = errno;
      close(fd);
      return err;
    }
    close(fd);
  }
  return 0;
}

/* Records a side's failure unless the other failed first, and wakes the
 * other side (its socket and the listener shut down). */
static void* Failed(side* s, const char* what, int error) {
  int none = 0, fd;
  if (atomic_compare_exchange_strong(&g_failed, &none, 1)) {
    s->what = what;
    s->error = error;
  }
  atomic_store(&g_phase, kStop);
  if (g_listen_fd >= 0) shutdown(g_listen_fd, SHUT_RDWR);
  if ((fd = atomic_load(&g_client_fd)) >= 0) shutdown(fd, SHUT_RDWR);
  if ((fd = atomic_load(&g_server_fd)) >= 0) shutdown(fd, SHUT_RDWR);
  return NULL;
}

/* len bytes from fd: 0, -1 on end of stream before any byte, else errno. */
static int RecvAll(int fd, char* p, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, p + got, len - got, 0);
    if (n > 0) {
      got += (size_t)n;
    } else if (n == 0) {
      return got == 0 ? -1 : EPIPE;
    } else if (errno != EINTR) {
      return errno;
    }
  }
  return 0;
}

static int SendAll(int fd, const char* p, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += (size_t)n;
    } else if (n < 0 && errno != EINTR) {
      return errno;
    }
  }
  return 0;
}

static void* Serve(void* arg) {
  side* s = (side*)arg;
  char* request = Buffer(g_request);
  char* response = Buffer(g_response);
  char byte;
  int rc = Setup(s);
  if (rc != 0) return Failed(s, s->what, rc);
  if (request == NULL || response == NULL) return Failed(s, "malloc", ENOMEM);
  for (;;) {
    int fd = accept4(g_listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (atomic_load(&g_failed)) return NULL;
      return Failed(s, "accept", errno);
    }
    atomic_store(&g_server_fd, fd);
    rc = RecvAll(fd, request, g_request);
    if (rc == -1) { /* the client's connection without a request: the end */
      atomic_store(&g_server_fd, -1);
      close(fd);
      return NULL;
    }
    if (rc == 0) rc = SendAll(fd, response, g_response);
    if (rc == 0) {
      ssize_t n;
      do {
        n = recv(fd, &byte, 1, 0); /* the client's close */
      } while (n < 0 && errno == EINTR);
      rc = n == 0 ? 0 : n > 0 ? EPROTO : errno;
    }
    atomic_store(&g_server_fd, -1);
    close(fd);
    if (rc != 0) return Failed(s, "server transaction", rc);
  }
}

/* A blocking connect of a new socket to the server: the fd, or -errno. */
static int Connect(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  atomic_store(&g_client_fd, fd);
  if (connect(fd, (const struct sockaddr*)&g_addr, sizeof(g_addr)) != 0) {
    int err = errno;
    atomic_store(&g_client_fd, -1);
    close(fd);
    return -err;
  }
  return fd;
}

static void* Client(void* arg) {
  side* s = (side*)arg;
  char* request = Buffer(g_request);
  char* response = Buffer(g_response);
  uint_fast64_t counted = 0;
  int rc = Setup(s);
  if (rc != 0) return Failed(s, s->what, rc);
  if (request == NULL || response == NULL) return Failed(s, "malloc", ENOMEM);
  for (;;) {
    const int phase = atomic_load_explicit(&g_phase, memory_order_relaxed);
    int64_t t0, t1;
    int fd;
    if (phase == kStop) break;
    t0 = NowNs();
    fd = Connect();
    if (fd < 0) {
      return Failed(s,
                    -fd == EADDRNOTAVAIL ? "connect: ephemeral ports "
                                           "exhausted"
                                         : "connect",
                    -fd);
    }
    rc = SendAll(fd, request, g_request);
    if (rc == 0) rc = RecvAll(fd, response, g_response);
    atomic_store(&g_client_fd, -1);
    close(fd);
    if (rc != 0) return Failed(s, "client transaction", rc < 0 ? EPIPE : rc);
    t1 = NowNs();
    if (phase == kMeasure) {
      if (counted < kMaxSamples) g_latency_ns[counted] = (uint32_t)(t1 - t0);
      atomic_store_explicit(&g_counted, ++counted, memory_order_relaxed);
    }
  }
  /* The end: a connection without a request. */
  rc = Connect();
  if (rc < 0) return Failed(s, "connect", -rc);
  atomic_store(&g_client_fd, -1);
  close(rc);
  return NULL;
}

static int Fail(const char* what) {
  fprintf(stderr, "crr_floor: %s: %s\n", what, strerror(errno));
  return 1;
}

static const char kUsage[] =
    "usage: crr_floor --size=BYTES [--request-size=BYTES]\n"
    "                 [--response-size=BYTES] [--seconds=1] [--warmup=0.1]\n"
    "                 [--server-cpu=N] [--client-cpu=N] [--address=IPV4]\n"
    "                 [--server-netns=PATH] [--client-netns=PATH] [--fork]\n"
    "A transaction per connection over TCP: the client connects, sends the\n"
    "request, receives the response and closes; the server accepts,\n"
    "receives, answers and closes after the client. After --warmup seconds\n"
    "the client's transactions are counted for --seconds (0.01..600).\n"
    "  --size=BYTES           request and response size, 1 to 64M (K, M:\n"
    "                         x 1024, 1024^2); --request-size and\n"
    "                         --response-size set one of them\n"
    "  --server-cpu=N         pin the server thread to CPU N (-1: not pinned)\n"
    "  --client-cpu=N         pin the client thread to CPU N (-1: not pinned)\n"
    "  --address=IPV4         the server's address (default 127.0.0.1)\n"
    "  --server-netns=PATH    the server thread's network namespace\n"
    "  --client-netns=PATH    the client thread's network namespace\n"
    "  --fork                 the server in a process of its own\n"
    "Prints one line: crr_floor size=... seconds=... connections=... cps=...\n"
    "p50_us=... p99_us=... and each thread's CPU seconds in the interval.\n"
    "Exit 0; 2 on a bad flag; 1 on a failure (one line on stderr).\n";

static int Usage(const char* why) {
  fprintf(stderr, "crr_floor: %s\n%s", why, kUsage);
  return 2;
}

/* "--name=text" into *out when arg is that flag; 1 if it was. */
static int Text(const char* arg, const char* name, const char** out, int* bad) {
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0 || arg[n] != '=') return 0;
  *out = arg + n + 1;
  if (**out == '\0') *bad = 1;
  return 1;
}

static int CompareU32(const void* a, const void* b) {
  uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
  return x < y ? -1 : x > y;
}

static double Percentile(const uint32_t* sorted, size_t n, double p) {
  size_t i = (size_t)(p / 100 * (double)n);
  if (n == 0) return 0;
  return sorted[i < n ? i : n - 1] / 1e3;
}

int main(int argc, char** argv) {
  double size = 0, request = 0, response = 0, seconds = 1, warmup = 0.1;
  double server_cpu = -1, client_cpu = -1;
  const char* address = "127.0.0.1";
  const char *server_netns = NULL, *client_netns = NULL;
  double t0, t1, s_cpu0, c_cpu0, s_cpu1, c_cpu1;
  uint_fast64_t n0, n1;
  size_t kept;
  side server, client;
  pthread_t server_thread, client_thread;
  struct timespec join_by;
  socklen_t len = sizeof(g_addr);
  int i, bad = 0, listen_ns_fd = -1, own_ns_fd = -1, fork_server = 0;
  pid_t child = -1;
  for (i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(kUsage, stdout);
      return 0;
    }
    if (strcmp(a, "--fork") == 0) {
      fork_server = 1;
      continue;
    }
    if (!Flag(a, "--size", 1, 64 << 20, 1, &size, &bad) &&
        !Flag(a, "--request-size", 1, 64 << 20, 1, &request, &bad) &&
        !Flag(a, "--response-size", 1, 64 << 20, 1, &response, &bad) &&
        !Flag(a, "--seconds", 0.01, 600, 0, &seconds, &bad) &&
        !Flag(a, "--warmup", 0, 60, 0, &warmup, &bad) &&
        !Flag(a, "--server-cpu", -1, 4095, 1, &server_cpu, &bad) &&
        !Flag(a, "--client-cpu", -1, 4095, 1, &client_cpu, &bad) &&
        !Text(a, "--address", &address, &bad) &&
        !Text(a, "--server-netns", &server_netns, &bad) &&
        !Text(a, "--client-netns", &client_netns, &bad)) {
      bad = 1;
    }
    if (bad) return Usage(a);
  }
  if (size < 1) return Usage("--size is required");
  g_request = (size_t)(request > 0 ? request : size);
  g_response = (size_t)(response > 0 ? response : size);
  memset(&g_addr, 0, sizeof(g_addr));
  g_addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, address, &g_addr.sin_addr) != 1) {
    return Usage("--address is not an IPv4 address");
  }
  g_latency_ns = malloc(sizeof(uint32_t) * kMaxSamples);
  if (g_latency_ns == NULL) return Fail("malloc");

  /* The listening socket, made in the server's namespace by this thread,
   * which then returns to its own. */
  if (server_netns != NULL) {
    own_ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    listen_ns_fd = open(server_netns, O_RDONLY | O_CLOEXEC);
    if (own_ns_fd < 0 || listen_ns_fd < 0 ||
        setns(listen_ns_fd, CLONE_NEWNET) != 0) {
      return Fail(server_netns);
    }
  }
  g_listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (g_listen_fd < 0 ||
      bind(g_listen_fd, (struct sockaddr*)&g_addr, sizeof(g_addr)) != 0 ||
      listen(g_listen_fd, 16) != 0 ||
      getsockname(g_listen_fd, (struct sockaddr*)&g_addr, &len) != 0) {
    return Fail("listen");
  }
  if (own_ns_fd >= 0 && setns(own_ns_fd, CLONE_NEWNET) != 0) {
    return Fail("setns back");
  }

  memset(&server, 0, sizeof(server));
  memset(&client, 0, sizeof(client));
  server.cpu = (int)server_cpu;
  client.cpu = (int)client_cpu;
  server.netns = server_netns;
  client.netns = client_netns;
  if (fork_server) {
    fflush(stdout);
    fflush(stderr);
    child = fork();
    if (child < 0) return Fail("fork");
    if (child == 0) { /* the server process: its one thread serves */
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      Serve(&server);
      if (server.error != 0) {
        fprintf(stderr, "crr_floor: server: %s: %s\n", server.what,
                strerror(server.error));
        _exit(1);
      }
      _exit(0);
    }
  } else if (pthread_create(&server_thread, NULL, Serve, &server) != 0) {
    return Fail("pthread_create");
  }
  if (pthread_create(&client_thread, NULL, Client, &client) != 0) {
    return Fail("pthread_create");
  }
  SleepFor(warmup);
  s_cpu0 = fork_server ? ProcessCpuSeconds(child) : CpuSeconds(server_thread);
  c_cpu0 = CpuSeconds(client_thread);
  t0 = Clock(CLOCK_MONOTONIC);
  atomic_store(&g_phase, kMeasure);
  n0 = atomic_load(&g_counted);
  SleepFor(seconds);
  /* The CPU clocks first: a thread that ended has none to read. */
  s_cpu1 = fork_server ? ProcessCpuSeconds(child) : CpuSeconds(server_thread);
  c_cpu1 = CpuSeconds(client_thread);
  t1 = Clock(CLOCK_MONOTONIC);
  n1 = atomic_load(&g_counted);
  atomic_store(&g_phase, kStop);

  clock_gettime(CLOCK_REALTIME, &join_by);
  join_by.tv_sec += kJoinTimeoutSeconds;
  if (pthread_timedjoin_np(client_thread, NULL, &join_by) != 0 ||
      (!fork_server &&
       pthread_timedjoin_np(server_thread, NULL, &join_by) != 0)) {
    fprintf(stderr, "crr_floor: the threads did not stop within %d s\n",
            kJoinTimeoutSeconds);
    return 1;
  }
  if (fork_server) {
    int status = 0;
    const double deadline = Clock(CLOCK_MONOTONIC) + kJoinTimeoutSeconds;
    pid_t got;
    if (client.error != 0) kill(child, SIGKILL); /* it waits in accept() */
    while ((got = waitpid(child, &status, WNOHANG)) == 0 &&
           Clock(CLOCK_MONOTONIC) < deadline) {
      SleepFor(0.001); /* polling the child's end, bounded */
    }
    if (got != child) {
      kill(child, SIGKILL);
      fprintf(stderr, "crr_floor: the server did not stop within %d s\n",
              kJoinTimeoutSeconds);
      return 1;
    }
    if (client.error == 0 && (!WIFEXITED(status) || WEXITSTATUS(status))) {
      return 1; /* the server said why */
    }
  }
  if (server.error != 0 || client.error != 0) {
    const side* s = client.error != 0 ? &client : &server;
    fprintf(stderr, "crr_floor: %s: %s: %s\n",
            s == &client ? "client" : "server", s->what, strerror(s->error));
    return 1;
  }
  kept = n1 - n0 < kMaxSamples ? (size_t)(n1 - n0) : kMaxSamples;
  qsort(g_latency_ns, kept, sizeof(uint32_t), CompareU32);
  printf(
      "crr_floor size=%zu request=%zu response=%zu seconds=%.6f "
      "connections=%llu cps=%.1f p50_us=%.2f p99_us=%.2f server_cpu=%d "
      "client_cpu=%d address=%s server=%s server_cpu_s=%.6f "
      "client_cpu_s=%.6f\n",
      (size_t)size, g_request, g_response, t1 - t0,
      (unsigned long long)(n1 - n0), (double)(n1 - n0) / (t1 - t0),
      Percentile(g_latency_ns, kept, 50), Percentile(g_latency_ns, kept, 99),
      server.cpu, client.cpu, address, fork_server ? "process" : "thread",
      s_cpu1 - s_cpu0, c_cpu1 - c_cpu0);
  close(g_listen_fd);
  free(g_latency_ns);
  return 0;
}
