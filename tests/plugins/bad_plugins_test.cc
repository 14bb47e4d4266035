// The misbehaving plugins of tests/plugins, each loaded with the real loader
// (PluginSet::LoadFile) and, when its fault is in an endpoint, driven up to
// that fault, always in a forked child: the fault costs the child only, and
// the parent checks how the child ended (its exit status, the signal that
// killed it, or still running at a deadline and then killed) and what it
// reported on a pipe before that.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "plugins/copyscope_transport.h"
#include "plugins/loader.h"

namespace copyscope::plugins {
namespace {

// A child that has not ended by then is hung: every child here that ends
// does so in well under a second.
constexpr int kDeadlineMs = 3000;
// A child's exit status after loading: kLoaded + the PluginStatus.
constexpr int kLoaded = 10;
// A child that ran past the fault it was driven to exits with this.
constexpr int kNoFault = 99;
constexpr size_t kMessageSize = 64;

std::string PluginPath(const std::string& name) {
  const char* root = std::getenv("TEST_SRCDIR");
  return std::string(root != nullptr ? root : ".") +
         "/copyscope/tests/plugins/" + name + ".so";
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// How a child ended.
struct Outcome {
  bool hung = false;  // still running at the deadline (then killed)
  bool exited = false;
  int exit_code = -1;
  int signal = 0;      // the signal that ended it, if any
  std::string report;  // what it wrote before it ended

  std::string Describe() const {
    std::string how = hung     ? "hung"
                      : exited ? "exited " + std::to_string(exit_code)
                               : std::string("killed by ") + strsignal(signal);
    return how + "; report: " + report;
  }
};

// Messages a driven child got through, in memory shared with the parent,
// which reads them once the child is gone.
struct Progress {
  uint64_t sent = 0;
  uint64_t received = 0;
};

class SharedProgress {
 public:
  SharedProgress()
      : p_(static_cast<Progress*>(mmap(nullptr, sizeof(Progress),
                                       PROT_READ | PROT_WRITE,
                                       MAP_SHARED | MAP_ANONYMOUS, -1, 0))) {}
  ~SharedProgress() {
    if (p_ != MAP_FAILED) munmap(p_, sizeof(Progress));
  }
  Progress* get() const { return p_ == MAP_FAILED ? nullptr : p_; }

 private:
  Progress* p_;
};

// Runs body(report_fd) in a forked child, which exits with what body
// returns; waits at most deadline_ms for it to end, then kills it.
Outcome RunInChild(const std::function<int(int)>& body,
                   int deadline_ms = kDeadlineMs) {
  Outcome o;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << strerror(errno);
    return o;
  }
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    rlimit no_core = {0, 0};  // the crashes here are on purpose
    setrlimit(RLIMIT_CORE, &no_core);
    _exit(body(fds[1]));
  }
  close(fds[1]);
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    close(fds[0]);
    return o;
  }
  // The report until end of file, which comes when the child ends.
  const int64_t deadline = NowMs() + deadline_ms;
  for (;;) {
    const int64_t left = deadline - NowMs();
    if (left <= 0) {
      o.hung = true;
      break;
    }
    pollfd p = {fds[0], POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left));
    if (n <= 0) continue;  // EINTR, or the deadline (seen above)
    char buf[1024];
    ssize_t r = read(fds[0], buf, sizeof(buf));
    if (r > 0) {
      o.report.append(buf, static_cast<size_t>(r));
    } else if (r == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  if (o.hung) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    o.hung = w == 0;  // it may have ended at the deadline after all
    if (o.hung) kill(pid, SIGKILL);
  }
  if (o.hung || waitpid(pid, &status, WNOHANG) == 0) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!o.hung) {
    o.exited = WIFEXITED(status);
    o.exit_code = o.exited ? WEXITSTATUS(status) : -1;
    o.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  return o;
}

// In a child: loads the plugin, reports "<status>: <reason>" and returns
// kLoaded + its status.
int LoadAndReport(const std::string& name, int report) {
  PluginSet set;
  Plugin p = set.LoadFile(PluginPath(name));
  dprintf(report, "%s: %s", StatusName(p.status), p.reason.c_str());
  return kLoaded + static_cast<int>(p.status);
}

Outcome Load(const std::string& name) {
  return RunInChild([&](int report) { return LoadAndReport(name, report); });
}

// In a child: a plugin's sender and receiver endpoints on the two ends of a
// stream socket pair.
struct Pair {
  PluginSet set;
  const cs_transport* t = nullptr;
  int fds[2] = {-1, -1};
  cs_endpoint* tx = nullptr;
  cs_endpoint* rx = nullptr;

  // False with a line on report when anything fails.
  bool Open(const std::string& name, int report,
            const std::vector<cs_option>& options = {},
            int io_timeout_ms = 1000) {
    Plugin p = set.LoadFile(PluginPath(name));
    if (p.status != PluginStatus::kOk) {
      dprintf(report, "load: %s\n", p.reason.c_str());
      return false;
    }
    t = p.transport;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      dprintf(report, "socketpair: %s\n", strerror(errno));
      return false;
    }
    return OpenOne(fds[0], CS_ROLE_SENDER, options, io_timeout_ms, &tx,
                   report) &&
           OpenOne(fds[1], CS_ROLE_RECEIVER, options, io_timeout_ms, &rx,
                   report);
  }

  bool OpenOne(int fd, uint32_t role, const std::vector<cs_option>& options,
               int io_timeout_ms, cs_endpoint** ep, int report) {
    cs_endpoint_config c;
    memset(&c, 0, sizeof(c));
    c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
    c.role = role;
    c.fd = fd;
    c.io_timeout_ms = io_timeout_ms;
    c.max_fields = 8;
    c.max_batch = 1;
    c.max_message_size = kMessageSize;
    c.options = options.empty() ? nullptr : options.data();
    c.option_count = static_cast<uint32_t>(options.size());
    char err[256] = "";
    int rc = t->open(&c, ep, err, sizeof(err));
    if (rc != 0) dprintf(report, "open: %d %s\n", rc, err);
    return rc == 0;
  }

  int Send(const iovec* fields, uint32_t count, uint64_t tag) {
    cs_message m = {fields, count, 0, tag};
    return t->send(tx, &m, 1);
  }

  int Recv(void* buf, size_t len) {
    cs_recv_args a;
    memset(&a, 0, sizeof(a));
    a.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
    a.buf = buf;
    a.len = len;
    return t->recv(rx, &a);
  }
};

// Byte b of message i.
char PatternByte(uint64_t i, size_t b) {
  return static_cast<char>((i * 31 + b) & 0xff);
}

// In a child: messages of kMessageSize bytes in one field, each sent and
// then received, counted in *progress, up to `limit` messages; returns
// kNoFault after them, or 1 (reported) when a call fails.
int Exchange(Pair& pair, Progress* progress, uint64_t limit, int report) {
  char out[kMessageSize], in[kMessageSize];
  for (uint64_t i = 0; i < limit; ++i) {
    for (size_t b = 0; b < kMessageSize; ++b) out[b] = PatternByte(i, b);
    iovec field = {out, kMessageSize};
    int rc = pair.Send(&field, 1, i);
    if (rc != 0) {
      dprintf(report, "send %llu: %d\n", (unsigned long long)i, rc);
      return 1;
    }
    ++progress->sent;
    rc = pair.Recv(in, kMessageSize);
    if (rc != 0) {
      dprintf(report, "recv %llu: %d\n", (unsigned long long)i, rc);
      return 1;
    }
    ++progress->received;
  }
  return kNoFault;
}

// ---------------------------------------------------------------------------
// Loading.

TEST(BadPlugins, PluginsWhoseFaultIsInAnEndpointLoad) {
  for (const char* name : {"crash_send", "exit_recv", "hang_recv",
                           "corrupt_send", "absurd_counts"}) {
    Outcome o = Load(name);
    EXPECT_TRUE(o.exited && o.exit_code == kLoaded)
        << name << ": " << o.Describe();
    EXPECT_EQ(o.report, "ok: ") << name;
  }
}

TEST(BadPlugins, AbortProbeKillsTheLoadingProcessWithSigabrt) {
  Outcome o = Load("abort_probe");
  EXPECT_EQ(o.signal, SIGABRT) << o.Describe();
  EXPECT_EQ(o.report, "");
}

TEST(BadPlugins, HangProbeNeverReturns) {
  Outcome o = Load("hang_probe");
  EXPECT_TRUE(o.hung) << o.Describe();
  EXPECT_EQ(o.report, "");
}

// A malformed descriptor must be rejected; a loader that does not check it
// may also crash on it. Either way only the child pays, and the child never
// hangs (RunInChild's deadline). Today's loader accepts long_name (it does
// not bound a name's length) and reads past many_options' array of 2 until
// it faults (SIGSEGV), so these run as their own, manual, target
// (:loader_limits_test) until the loader bounds both.
void ExpectRejectedOrCrashed(const std::string& name) {
  Outcome o = Load(name);
  SCOPED_TRACE(name + ": " + o.Describe());
  EXPECT_FALSE(o.hung);
  const bool rejected = o.exited && o.exit_code == kLoaded + 2;
  const bool crashed = o.signal != 0;
  EXPECT_TRUE(rejected || crashed);
  if (rejected) {
    EXPECT_EQ(o.report.rfind("rejected: ", 0), 0u);
  }
  printf("%s: %s\n", name.c_str(), o.Describe().c_str());
}

TEST(LoaderLimits, LongNameIsRejectedOrCrashesOnlyTheChild) {
  ExpectRejectedOrCrashed("long_name");
}

TEST(LoaderLimits, ManyOptionsIsRejectedOrCrashesOnlyTheChild) {
  ExpectRejectedOrCrashed("many_options");
}

// ---------------------------------------------------------------------------
// Faults in endpoints, driven in a child.

TEST(BadPlugins, CrashSendSegfaultsInItsSendOfMessage200) {
  SharedProgress progress;
  ASSERT_NE(progress.get(), nullptr);
  Outcome o = RunInChild([&](int report) {
    Pair pair;
    if (!pair.Open("crash_send", report)) return 1;
    return Exchange(pair, progress.get(), 400, report);
  });
  EXPECT_EQ(o.signal, SIGSEGV) << o.Describe();
  EXPECT_EQ(progress.get()->sent, 200u);
  EXPECT_EQ(progress.get()->received, 200u);
}

TEST(BadPlugins, ExitRecvExitsInItsRecvOfMessage200) {
  for (const char* code : {"", "0", "42"}) {
    SCOPED_TRACE(std::string("exit_code=") + code);
    SharedProgress progress;
    ASSERT_NE(progress.get(), nullptr);
    Outcome o = RunInChild([&](int report) {
      Pair pair;
      std::vector<cs_option> options;
      if (code[0] != '\0') options.push_back({"exit_code", code});
      if (!pair.Open("exit_recv", report, options)) return 1;
      return Exchange(pair, progress.get(), 400, report);
    });
    EXPECT_TRUE(o.exited && o.exit_code == atoi(code)) << o.Describe();
    EXPECT_EQ(progress.get()->sent, 201u);  // message 200 went out
    EXPECT_EQ(progress.get()->received, 200u);
  }
}

TEST(BadPlugins, ExitRecvRefusesAnExitCodeOutOfRange) {
  Outcome o = RunInChild([](int report) {
    Pair pair;
    return pair.Open("exit_recv", report, {{"exit_code", "256"}}) ? 0 : 1;
  });
  EXPECT_TRUE(o.exited && o.exit_code == 1) << o.Describe();
  EXPECT_NE(o.report.find("exit_code='256' is not a number in 0..255"),
            std::string::npos)
      << o.report;
}

TEST(BadPlugins, HangRecvBlocksForeverDeafToShutdownAndItsTimeout) {
  SharedProgress progress;
  ASSERT_NE(progress.get(), nullptr);
  Outcome o = RunInChild([&](int report) {
    Pair pair;
    // A 100 ms io_timeout_ms (SO_RCVTIMEO): recv() of a working plugin
    // would return -ETIMEDOUT, or -EPIPE once the socket is shut down.
    if (!pair.Open("hang_recv", report, {}, 100)) return 1;
    int rc = Exchange(pair, progress.get(), 200, report);
    if (rc != kNoFault) return rc;
    std::thread shut([&pair] {
      usleep(100 * 1000);  // let the receive block first
      shutdown(pair.fds[0], SHUT_RDWR);
      shutdown(pair.fds[1], SHUT_RDWR);
    });
    char in[kMessageSize];
    rc = pair.Recv(in, kMessageSize);
    dprintf(report, "recv returned %d\n", rc);
    shut.join();
    return kNoFault;
  });
  EXPECT_TRUE(o.hung) << o.Describe();
  EXPECT_EQ(o.report, "");
  EXPECT_EQ(progress.get()->received, 200u);
}

TEST(BadPlugins, CorruptSendInvertsByte7OfMessage100AndNeverItsSource) {
  Outcome o = RunInChild([](int report) {
    // One field, then three (5 + 5 + 54 bytes: byte 7 is in the second).
    const std::vector<std::vector<size_t>> layouts = {{64}, {5, 5, 54}};
    for (const std::vector<size_t>& layout : layouts) {
      Pair pair;
      if (!pair.Open("corrupt_send", report)) return 1;
      for (uint64_t i = 0; i < 150; ++i) {
        char out[kMessageSize], in[kMessageSize];
        for (size_t b = 0; b < kMessageSize; ++b) out[b] = PatternByte(i, b);
        iovec fields[3];
        size_t at = 0;
        for (size_t f = 0; f < layout.size(); ++f) {
          fields[f] = {out + at, layout[f]};
          at += layout[f];
        }
        if (pair.Send(fields, static_cast<uint32_t>(layout.size()), i) != 0 ||
            pair.Recv(in, kMessageSize) != 0) {
          dprintf(report, "message %llu failed\n", (unsigned long long)i);
          return 1;
        }
        for (size_t b = 0; b < kMessageSize; ++b) {
          if (in[b] != PatternByte(i, b)) {
            dprintf(report, "fields=%zu corrupt: message %llu offset %zu\n",
                    layout.size(), (unsigned long long)i, b);
          }
          if (out[b] != PatternByte(i, b)) {
            dprintf(report, "fields=%zu source written: message %llu\n",
                    layout.size(), (unsigned long long)i);
          }
        }
      }
    }
    return 0;
  });
  EXPECT_TRUE(o.exited && o.exit_code == 0) << o.Describe();
  EXPECT_EQ(o.report,
            "fields=1 corrupt: message 100 offset 7\n"
            "fields=3 corrupt: message 100 offset 7\n");
}

TEST(BadPlugins, AbsurdCountsReturnsMoreThanTheRoomItWasGiven) {
  for (const char* fault : {"", "too_many", "unknown_tag"}) {
    SCOPED_TRACE(std::string("reap=") + fault);
    Outcome o = RunInChild([&](int report) {
      Pair pair;
      std::vector<cs_option> options;
      if (fault[0] != '\0') options.push_back({"reap", fault});
      if (!pair.Open("absurd_counts", report, options)) return 1;
      if ((pair.t->capabilities & CS_CAP_ASYNC_RELEASE) == 0) {
        dprintf(report, "no CS_CAP_ASYNC_RELEASE\n");
      }
      // counters(): room for 2, with 2 guard entries after them.
      const uint64_t kGuard = 0x5eadbeef;
      cs_counter counters[4] = {
          {"", kGuard}, {"", kGuard}, {"", kGuard}, {"", kGuard}};
      dprintf(report, "counters max=0: %u\n",
              pair.t->counters(pair.tx, nullptr, 0));
      uint32_t all = pair.t->counters(pair.tx, counters, 2);
      dprintf(report, "counters max=2: %u, wrote %s, guard %s\n", all,
              counters[0].name,
              counters[2].value == kGuard && counters[3].value == kGuard
                  ? "intact"
                  : "overwritten");
      // reap(): 10 messages, 4 tags reaped, 40 messages, then the fault.
      uint64_t tags[8 + 2];
      char in[kMessageSize];
      for (uint64_t i = 0; i < 50; ++i) {
        char out[kMessageSize] = {};
        iovec field = {out, kMessageSize};
        if (pair.Send(&field, 1, i) != 0 || pair.Recv(in, kMessageSize) != 0) {
          dprintf(report, "message %llu failed\n", (unsigned long long)i);
          return 1;
        }
        if (i == 9) {
          int n = pair.t->reap(pair.tx, tags, 4, 0);
          dprintf(report, "reap max=4 after 10: %d, first %llu\n", n,
                  (unsigned long long)tags[0]);
        }
      }
      tags[8] = tags[9] = kGuard;
      int n = pair.t->reap(pair.tx, tags, 8, 0);
      dprintf(
          report, "reap max=8 after 50: %d, first %#llx, guard %s\n", n,
          (unsigned long long)tags[0],
          tags[8] == kGuard && tags[9] == kGuard ? "intact" : "overwritten");
      n = pair.t->reap(pair.tx, tags, 8, 0);
      dprintf(report, "then: %d, first %llu\n", n, (unsigned long long)tags[0]);
      return 0;
    });
    EXPECT_TRUE(o.exited && o.exit_code == 0) << o.Describe();
    const std::string counters =
        "counters max=0: 1000\n"
        "counters max=2: 1002, wrote send_calls, guard intact\n"
        "reap max=4 after 10: 4, first 0\n";
    if (std::string(fault) == "unknown_tag") {
      EXPECT_EQ(o.report, counters +
                              "reap max=8 after 50: 1, first "
                              "0xbadbadbadbadbad0, guard intact\n"
                              "then: 8, first 4\n");
    } else {
      EXPECT_EQ(o.report, counters +
                              "reap max=8 after 50: 13, first 0x4, guard "
                              "intact\n"
                              "then: 8, first 12\n");
    }
  }
}

}  // namespace
}  // namespace copyscope::plugins
