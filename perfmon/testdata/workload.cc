#include "perfmon/testdata/workload.h"

#include <sys/mman.h>
#include <unistd.h>

namespace copyscope::perfmon::testdata {

size_t TouchFreshPages(size_t pages) {
  const size_t page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t bytes = pages * page_size;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 0;
  // One fault per base page: no transparent huge pages of any size.
  madvise(mem, bytes, MADV_NOHUGEPAGE);
  volatile char* p = static_cast<volatile char*>(mem);
  for (size_t i = 0; i < pages; ++i) p[i * page_size] = 1;
  munmap(mem, bytes);
  return pages;
}

uint64_t Spin(uint64_t iterations) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    // Keep every step observable so the loop stays a loop.
    asm volatile("" : "+r"(x));
  }
  return x;
}

}  // namespace copyscope::perfmon::testdata
