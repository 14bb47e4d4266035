#include "harness/env/host_info.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace copyscope::env {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(MemAvailableTest, ReadsTheKernelsLine) {
  EXPECT_EQ(MemAvailableBytes(Write("meminfo",
                                    "MemTotal:  24000000 kB\n"
                                    "MemFree:    1000 kB\n"
                                    "MemAvailable:   20480 kB\n")),
            uint64_t{20480} * 1024);
  EXPECT_FALSE(MemAvailableBytes(Write("old", "MemTotal: 1 kB\n")).has_value());
  EXPECT_FALSE(
      MemAvailableBytes(Write("junk", "MemAvailable: lots\n")).has_value());
  EXPECT_FALSE(MemAvailableBytes("/nonexistent/meminfo").has_value());
  EXPECT_TRUE(MemAvailableBytes().has_value());  // this machine's
}

TEST(CollectHostTest, RecordsWhatItCanAndSaysWhatItCannot) {
  record::Host h = CollectHost("lo");
  EXPECT_FALSE(h.kernel().empty());
  EXPECT_GT(h.cpu_count(), 0);
  EXPECT_EQ(h.interface(), "lo");
  EXPECT_EQ(h.sysctls_size(), static_cast<int>(RecordedSysctls().size()));
  for (const record::KeyValue& kv : h.sysctls())
    EXPECT_FALSE(kv.value().empty());
}

}  // namespace
}  // namespace copyscope::env
