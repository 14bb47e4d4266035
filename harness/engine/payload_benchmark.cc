// What --verify costs: the sender's Fill and the receiver's Check of one
// message, per byte, at 4 KiB and 64 KiB (bytes/s as GB/s).
//   bazel run -c opt //harness/engine:payload_benchmark
#include <cstdint>
#include <cstring>
#include <vector>

#include "benchmark/benchmark.h"
#include "harness/engine/payload.h"

namespace copyscope::engine::payload {
namespace {

void BM_Fill(benchmark::State& state) {
  std::vector<uint8_t> m(static_cast<size_t>(state.range(0)));
  uint64_t seq = 0;
  for (auto _ : state) {
    Fill(Key(0, kServerToClient, seq++), 0, m.data(), m.size());
    benchmark::DoNotOptimize(m.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}
BENCHMARK(BM_Fill)->Arg(4096)->Arg(65536);

void BM_Check(benchmark::State& state) {
  std::vector<uint8_t> m(static_cast<size_t>(state.range(0)));
  const uint64_t key = Key(0, kServerToClient, 0);
  Fill(key, 0, m.data(), m.size());
  for (auto _ : state) {
    size_t bad = Check(key, 0, m.data(), m.size());
    benchmark::DoNotOptimize(bad);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}
BENCHMARK(BM_Check)->Arg(4096)->Arg(65536);

// A plain copy of the same bytes, for scale: what a two-copy transport
// does with each byte on each side anyway.
void BM_Memcpy(benchmark::State& state) {
  std::vector<uint8_t> from(static_cast<size_t>(state.range(0)), 1);
  std::vector<uint8_t> to(from.size());
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), from.size());
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}
BENCHMARK(BM_Memcpy)->Arg(4096)->Arg(65536);

}  // namespace
}  // namespace copyscope::engine::payload
