// Fixed, deterministic workloads for the counter tests and the perf stat
// comparison: the same code runs in-process under CounterGroup and as the
// page_toucher binary under `perf stat`.
//
// Usage:
//   size_t touched = TouchFreshPages(2048);  // ~2048 minor page faults
//   uint64_t sink = Spin(20'000'000);       // pure CPU work
#ifndef COPYSCOPE_PERFMON_TESTDATA_WORKLOAD_H_
#define COPYSCOPE_PERFMON_TESTDATA_WORKLOAD_H_

#include <cstddef>
#include <cstdint>

namespace copyscope::perfmon::testdata {

// Maps `pages` fresh anonymous pages with huge pages disabled, writes one
// byte to each (one minor fault per page), then unmaps them. Returns the
// number of pages touched: 0 if the mapping failed.
size_t TouchFreshPages(size_t pages);

// `iterations` steps of a dependent integer recurrence the compiler cannot
// remove. Returns its result.
uint64_t Spin(uint64_t iterations);

}  // namespace copyscope::perfmon::testdata

#endif  // COPYSCOPE_PERFMON_TESTDATA_WORKLOAD_H_
