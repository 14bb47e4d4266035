// Runs the fixed test workload, for `perf stat` to count:
//   page_toucher PAGES SPIN_ITERATIONS
// Touches PAGES fresh pages, then spins SPIN_ITERATIONS steps. Exit 0, or 2
// on bad arguments.
#include <cstdio>
#include <cstdlib>

#include "perfmon/testdata/workload.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: page_toucher PAGES SPIN_ITERATIONS\n");
    return 2;
  }
  const long pages = std::strtol(argv[1], nullptr, 10);
  const long long spins = std::strtoll(argv[2], nullptr, 10);
  if (pages <= 0 || spins < 0) {
    std::fprintf(stderr,
                 "page_toucher: PAGES must be > 0, SPIN_ITERATIONS >= 0\n");
    return 2;
  }
  if (copyscope::perfmon::testdata::TouchFreshPages(
          static_cast<size_t>(pages)) == 0) {
    std::perror("page_toucher: mmap");
    return 1;
  }
  const unsigned long long sink = copyscope::perfmon::testdata::Spin(
      static_cast<unsigned long long>(spins));
  return sink == 42 ? 3 : 0;  // uses the result; 42 does not occur in practice
}
