// Cost of one per-CPU load snapshot, the work done at each edge of a
// measured interval: reading /proc/stat and parsing its cpu lines.
//   bazel run -c opt //harness/env:cpu_load_benchmark
// The read is most of it, and grows with the CPU count (the kernel formats
// the whole file, per-IRQ sums included); the label gives this machine's.
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "harness/env/cpu_load.h"

namespace copyscope::env {
namespace {

void BM_ReadCpuSnapshot(benchmark::State& state) {
  size_t cpus = 0;
  for (auto _ : state) {
    absl::StatusOr<CpuSnapshot> s = ReadCpuSnapshot();
    if (!s.ok()) {
      state.SkipWithError(std::string(s.status().message()).c_str());
      return;
    }
    cpus = s->cpus.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetLabel(absl::StrCat(cpus, " CPUs"));
}
BENCHMARK(BM_ReadCpuSnapshot);

// The parse alone, on the cpu lines of a 256-CPU machine.
void BM_ParseProcStat256(benchmark::State& state) {
  std::string text = "cpu  1 2 3 4 5 6 7 8 0 0\n";
  for (int cpu = 0; cpu < 256; ++cpu) {
    absl::StrAppend(&text, "cpu", cpu,
                    " 126443 313 56409 414792 1064 0 4832 0 0 0\n");
  }
  absl::StrAppend(&text, "intr 6786717 0 0 0\nctxt 22154829\n");
  for (auto _ : state) {
    absl::StatusOr<CpuSnapshot> s = ParseProcStat(text, 100, "bench");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ParseProcStat256);

}  // namespace
}  // namespace copyscope::env
