// Per-call cost of every in-tree transport's send path: one send() of one
// message through the plugin ABI (dlopen'd, as the harness calls it) on a
// connected loopback TCP pair whose other end a thread drains with plain
// recv() into a 1 MiB buffer. Sizes 64 B, 4 KiB and 64 KiB, with 1 and 8
// fields. The sending thread runs on the first CPU this process may use,
// the draining one on the second (unpinned with fewer than two).
//
//   bazel run -c opt //tests/bench:transport_send_benchmark
//   (append -- --benchmark_filter=two_copy/size:65536 for one case)
//
// A transport with CS_CAP_ASYNC_RELEASE keeps up to 64 messages (and at most
// 64 MiB) in flight and reaps them back as the harness does, so an
// iteration's cost includes its share of reaping. "Time" is wall time per
// send() (it includes waiting for socket buffer space, i.e. for the
// receiver); "CPU" is the sending thread's CPU time per send(), which on
// loopback includes the kernel's delivery into the receiving socket;
// bytes_per_second is what the receiver could be fed at that rate.
// send_calls_per_msg is the plugin's own send_calls counter per message
// (what a call means is the plugin's: a send system call, a submission).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "plugins/copyscope_transport.h"
#include "plugins/loader.h"
#include "transports/common/test_util.h"

namespace copyscope::bench {
namespace {

using transports::unit::TcpPair;  // a sends, b is drained

// Sender and receiver CPUs: the first two this process may use (the
// sender on the first), or -1 when there are fewer than two.
struct Placement {
  int sender = -1;
  int receiver = -1;
};

Placement TwoCpus() {
  cpu_set_t set;
  Placement p;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return p;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (!CPU_ISSET(i, &set)) continue;
    if (p.sender < 0) {
      p.sender = i;
    } else {
      p.receiver = i;
      return p;
    }
  }
  return Placement();
}

bool PinTo(int cpu) {
  if (cpu < 0) return true;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// Pins the calling thread to one CPU for its lifetime, then restores it.
class ScopedPin {
 public:
  explicit ScopedPin(int cpu) {
    saved_ = pthread_getaffinity_np(pthread_self(), sizeof(old_), &old_) == 0;
    ok_ = PinTo(cpu);
  }
  ~ScopedPin() {
    if (saved_) pthread_setaffinity_np(pthread_self(), sizeof(old_), &old_);
  }
  bool ok() const { return ok_; }

 private:
  cpu_set_t old_;
  bool saved_ = false;
  bool ok_ = false;
};

// Reads and discards everything until end of stream or an error.
void DrainUntilEof(int fd, int cpu) {
  PinTo(cpu);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

// `count` messages of `size` bytes in min(fields, size) separately
// allocated fields each; message i has tag i.
class Messages {
 public:
  Messages(size_t size, uint32_t fields, uint32_t count) {
    fields = static_cast<uint32_t>(std::min<size_t>(fields, size));
    iovecs_.resize(count);
    for (uint32_t m = 0; m < count; ++m) {
      for (uint32_t f = 0; f < fields; ++f) {
        size_t len = size / fields + (f < size % fields ? 1 : 0);
        void* p = std::aligned_alloc(64, (len + 63) / 64 * 64);
        std::memset(p, 'a' + static_cast<int>(f % 26), len);
        buffers_.emplace_back(static_cast<char*>(p));
        iovecs_[m].push_back({p, len});
      }
    }
    for (uint32_t m = 0; m < count; ++m) {
      messages_.push_back({iovecs_[m].data(), fields, 0, m});
    }
  }
  const cs_message& operator[](uint32_t i) const { return messages_[i]; }
  uint32_t fields() const { return messages_[0].field_count; }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<char, Free>> buffers_;
  std::vector<std::vector<iovec>> iovecs_;
  std::vector<cs_message> messages_;
};

uint64_t CounterValue(const cs_transport* t, const cs_endpoint* ep,
                      const char* name) {
  cs_counter counters[32];
  uint32_t n = std::min<uint32_t>(t->counters(ep, counters, 32), 32);
  for (uint32_t i = 0; i < n; ++i) {
    if (std::strcmp(counters[i].name, name) == 0) return counters[i].value;
  }
  return 0;
}

void BM_Send(benchmark::State& state, const plugins::Plugin* plugin) {
  if (plugin->status != plugins::PluginStatus::kOk) {
    state.SkipWithError((std::string(plugins::StatusName(plugin->status)) +
                         ": " + plugin->reason)
                            .c_str());
    return;
  }
  const cs_transport* t = plugin->transport;
  const size_t size = static_cast<size_t>(state.range(0));
  const uint32_t fields = static_cast<uint32_t>(state.range(1));
  const bool async = (t->capabilities & CS_CAP_ASYNC_RELEASE) != 0;
  const uint32_t in_flight = async ? static_cast<uint32_t>(std::clamp<size_t>(
                                         (size_t{64} << 20) / size, 1, 64))
                                   : 1;
  const Placement cpus = TwoCpus();
  ScopedPin pin(cpus.sender);
  if (!pin.ok()) {
    state.SkipWithError("cannot pin the sending thread");
    return;
  }
  TcpPair pair;
  if (!pair.Connect(/*send_buffer=*/0)) {
    state.SkipWithError("cannot make a loopback TCP pair");
    return;
  }
  Messages messages(size, fields, in_flight);
  cs_endpoint_config config = {};
  config.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
  config.role = CS_ROLE_SENDER;
  config.fd = pair.a;
  config.io_timeout_ms = 10000;
  config.max_fields = messages.fields();
  config.max_batch = 1;
  config.max_message_size = size;
  cs_endpoint* ep = nullptr;
  char err[256] = "";
  if (t->open(&config, &ep, err, sizeof(err)) != 0) {
    state.SkipWithError((std::string("open: ") + err).c_str());
    return;
  }
  std::thread drain(DrainUntilEof, pair.b, cpus.receiver);
  std::vector<uint64_t> free_tags, reaped(in_flight);
  for (uint32_t i = in_flight; i > 0; --i) free_tags.push_back(i - 1);
  std::string error;
  for (auto _ : state) {
    if (free_tags.empty()) {
      int n = t->reap(ep, reaped.data(), in_flight, -1);
      if (n <= 0) {
        error =
            std::string("reap: ") + (n == 0 ? "timed out" : t->last_error(ep));
        break;
      }
      free_tags.insert(free_tags.end(), reaped.begin(), reaped.begin() + n);
    }
    const uint64_t tag = free_tags.back();
    free_tags.pop_back();
    if (t->send(ep, &messages[static_cast<uint32_t>(tag)], 1) != 0) {
      error = std::string("send: ") + t->last_error(ep);
      break;
    }
    if (!async) free_tags.push_back(tag);  // free again on return
  }
  while (error.empty() && free_tags.size() < in_flight) {
    int n = t->reap(ep, reaped.data(), in_flight, -1);
    if (n <= 0) {
      error = "reap after the loop failed";
      break;
    }
    free_tags.insert(free_tags.end(), reaped.begin(), reaped.begin() + n);
  }
  const uint64_t send_calls = CounterValue(t, ep, "send_calls");
  t->close(ep);
  shutdown(pair.a, SHUT_WR);
  drain.join();
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
  state.SetItemsProcessed(state.iterations());
  if (send_calls > 0) {
    state.counters["send_calls_per_msg"] =
        static_cast<double>(send_calls) /
        static_cast<double>(state.iterations());
  }
  state.SetLabel(std::to_string(messages.fields()) + " field(s), " +
                 std::to_string(in_flight) + " in flight" +
                 (cpus.sender < 0 ? ", unpinned"
                                  : ", cpus " + std::to_string(cpus.sender) +
                                        "->" + std::to_string(cpus.receiver)));
}

// Loads the in-tree plugins from the runfiles and registers one benchmark
// family per plugin; runs before main() (benchmark_main).
plugins::PluginSet* RegisterAll() {
  auto* set = new plugins::PluginSet;  // lives as long as the process
  std::string dir = plugins::DefaultPluginDirectory();
  std::string error;
  if (dir.empty() || !set->LoadDirectory(dir, &error)) {
    std::fprintf(stderr, "transport_send_benchmark: no plugins found (%s)\n",
                 dir.empty() ? "no runfiles" : error.c_str());
    return set;
  }
  for (const plugins::Plugin& p : set->plugins()) {
    if (p.status == plugins::PluginStatus::kRejected) {
      std::fprintf(stderr, "transport_send_benchmark: %s rejected: %s\n",
                   p.path.c_str(), p.reason.c_str());
      continue;
    }
    benchmark::RegisterBenchmark(("BM_Send/" + p.name).c_str(), BM_Send, &p)
        ->ArgNames({"size", "fields"})
        ->ArgsProduct({{64, 4096, 65536}, {1, 8}});
  }
  return set;
}

[[maybe_unused]] plugins::PluginSet* const g_plugins = RegisterAll();

}  // namespace
}  // namespace copyscope::bench
