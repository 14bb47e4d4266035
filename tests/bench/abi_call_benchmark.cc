// What a call through the plugin ABI costs compared with calling the same
// code directly. The same function bodies (noop_transport.h) are called
//   Inline:   compiled into this binary, inlined at the call site;
//   Direct:   compiled into this binary, behind a plain call the compiler
//             may not inline or specialise (noipa);
//   Abi:      through the descriptor of bench_noop.so, loaded by the
//             plugin loader (dlopen, RTLD_NOW | RTLD_LOCAL), as the harness
//             calls every transport.
// for counters() (two counters written out) and send() (one 8-field
// message, bytes counted, nothing sent). Abi minus Direct is the price of
// the indirect call through the descriptor and of the plugin being a
// separate position-independent object.
//
//   bazel run -c opt //tests/bench:abi_call_benchmark
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "plugins/copyscope_transport.h"
#include "plugins/loader.h"
#include "tests/bench/noop_transport.h"

namespace copyscope::bench {
namespace {

// Where bench_noop.so is: in this binary's runfiles.
std::string NoopPluginPath() {
  const std::string rel = "copyscope/tests/bench/bench_noop.so";
  std::vector<std::string> candidates;
  if (const char* r = std::getenv("RUNFILES_DIR")) {
    candidates.push_back(std::string(r) + "/" + rel);
  }
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    candidates.push_back(std::string(exe) + ".runfiles/" + rel);
  }
  candidates.push_back("tests/bench/bench_noop.so");  // cwd of `bazel run`
  for (const std::string& c : candidates) {
    if (access(c.c_str(), R_OK) == 0) return c;
  }
  return "";
}

// The loaded plugin and one open endpoint of it, for the whole process.
struct Loaded {
  plugins::PluginSet set;
  const cs_transport* t = nullptr;
  cs_endpoint* ep = nullptr;
  std::string error;

  Loaded() {
    std::string path = NoopPluginPath();
    if (path.empty()) {
      error = "bench_noop.so not found in the runfiles";
      return;
    }
    plugins::Plugin p = set.LoadFile(path);
    if (p.status != plugins::PluginStatus::kOk) {
      error = path + ": " + p.reason;
      return;
    }
    cs_endpoint_config config = {};
    config.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
    config.role = CS_ROLE_SENDER;
    config.fd = -1;
    char err[256] = "";
    if (p.transport->open(&config, &ep, err, sizeof(err)) != 0) {
      error = std::string("open: ") + err;
      return;
    }
    t = p.transport;
  }
};

Loaded& Plugin() {
  static Loaded* loaded = new Loaded;
  return *loaded;
}

// An 8-field message of 64-byte fields (the bodies only read the lengths).
struct EightFields {
  char data[8][64] = {};
  iovec iov[8];
  cs_message message;
  EightFields() {
    for (int i = 0; i < 8; ++i) iov[i] = {data[i], sizeof(data[i])};
    message = {iov, 8, 0, 0};
  }
};

__attribute__((noipa)) uint32_t DirectCounters(const noop_endpoint* ep,
                                               cs_counter* out, uint32_t max) {
  return noop_counters(ep, out, max);
}

__attribute__((noipa)) int DirectSend(noop_endpoint* ep,
                                      const cs_message* messages,
                                      uint32_t count) {
  return noop_send(ep, messages, count);
}

void BM_CountersInline(benchmark::State& state) {
  noop_endpoint ep = {7, 4096};
  cs_counter out[2];
  for (auto _ : state) {
    benchmark::DoNotOptimize(&ep);
    uint32_t n = noop_counters(&ep, out, 2);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_CountersInline);

void BM_CountersDirect(benchmark::State& state) {
  noop_endpoint ep = {7, 4096};
  cs_counter out[2];
  for (auto _ : state) {
    uint32_t n = DirectCounters(&ep, out, 2);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_CountersDirect);

void BM_CountersAbi(benchmark::State& state) {
  Loaded& p = Plugin();
  if (p.t == nullptr) return state.SkipWithError(p.error.c_str());
  cs_counter out[2];
  for (auto _ : state) {
    uint32_t n = p.t->counters(p.ep, out, 2);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_CountersAbi);

void BM_SendInline(benchmark::State& state) {
  noop_endpoint ep = {0, 0};
  EightFields m;
  for (auto _ : state) {
    benchmark::DoNotOptimize(&m.message);
    int rc = noop_send(&ep, &m.message, 1);
    benchmark::DoNotOptimize(rc);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(ep.bytes);
}
BENCHMARK(BM_SendInline);

void BM_SendDirect(benchmark::State& state) {
  noop_endpoint ep = {0, 0};
  EightFields m;
  for (auto _ : state) {
    int rc = DirectSend(&ep, &m.message, 1);
    benchmark::DoNotOptimize(rc);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(ep.bytes);
}
BENCHMARK(BM_SendDirect);

void BM_SendAbi(benchmark::State& state) {
  Loaded& p = Plugin();
  if (p.t == nullptr) return state.SkipWithError(p.error.c_str());
  EightFields m;
  for (auto _ : state) {
    int rc = p.t->send(p.ep, &m.message, 1);
    benchmark::DoNotOptimize(rc);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_SendAbi);

}  // namespace
}  // namespace copyscope::bench
