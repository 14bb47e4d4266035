#include "harness/table.h"

#include "gtest/gtest.h"

namespace copyscope::harness {
namespace {

TEST(FormatColumnsTest, AlignsAndTrims) {
  EXPECT_EQ(FormatColumns({"name", "n", "note"},
                          {{"a", "1", ""}, {"longer", "123", "x"}},
                          {false, true, false}),
            "name      n  note\n"
            "a         1\n"
            "longer  123  x\n");
}

TEST(FormatTableTest, RowsOfCells) {
  CellResult ok;
  ok.transport = "alpha";
  ok.size = 4096;
  ok.threads = 1;
  ok.throughput_gbps = 21.034;
  ok.messages_per_sec = 641906;
  CellResult zc;
  zc.transport = "beta";
  zc.size = 65536;
  zc.threads = 2;
  zc.throughput_gbps = 9.5;
  zc.messages_per_sec = 18120;
  zc.zc_copied_fraction = 1.0;
  CellResult bad;
  bad.transport = "gamma";
  bad.size = 256;
  bad.threads = 8;
  bad.status = absl::InternalError("gamma receiver: recv failed: boom");
  EXPECT_EQ(FormatTable({ok, zc, bad}),
            "transport  size  threads  Gbit/s  Mmsg/s  zc copied %  status\n"
            "alpha        4K        1   21.03   0.642            -  ok\n"
            "beta        64K        2    9.50   0.018        100.0  ok\n"
            "gamma       256        8       -       -            -  failed: "
            "gamma receiver: recv failed: boom\n");
}

}  // namespace
}  // namespace copyscope::harness
