// Cost of the request-response hot path's bookkeeping: one Histogram::Record
// per round trip, and the merge of per-thread histograms at the end.
//   bazel run -c opt //tests/bench:histogram_benchmark
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "harness/engine/histogram.h"

namespace {

using copyscope::engine::Histogram;

// Round trips of 10 us to 1 ms, log-uniform, as a loaded machine gives.
std::vector<uint64_t> RoundTrips(size_t n) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(4.0, 6.0);
  std::vector<uint64_t> v(n);
  for (uint64_t& x : v)
    x = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
  return v;
}

void BM_Record(benchmark::State& state) {
  const std::vector<uint64_t> values = RoundTrips(4096);
  Histogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i]);
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(h.Percentile(50.0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Record);

void BM_Merge(benchmark::State& state) {
  Histogram a, b;
  for (uint64_t v : RoundTrips(100000)) b.Record(v);
  for (auto _ : state) {
    a.Merge(b);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Merge);

void BM_Percentiles(benchmark::State& state) {
  Histogram h;
  for (uint64_t v : RoundTrips(100000)) h.Record(v);
  for (auto _ : state) {
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
      benchmark::DoNotOptimize(h.Percentile(p));
    }
  }
}
BENCHMARK(BM_Percentiles);

}  // namespace
