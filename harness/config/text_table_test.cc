#include "harness/config/text_table.h"

#include "gtest/gtest.h"

namespace copyscope::config {
namespace {

TEST(FormatColumnsTest, AlignsAndTrims) {
  EXPECT_EQ(FormatColumns({"name", "n", "note"},
                          {{"a", "1", ""}, {"longer", "123", "x"}},
                          {false, true, false}),
            "name      n  note\n"
            "a         1\n"
            "longer  123  x\n");
}

TEST(FormatRowsTest, TheFirstRowIsTheHeaderAllLeftAligned) {
  EXPECT_EQ(FormatRows({{"CPU", "KIND"}, {"0", "P-core"}, {"16", "E"}}),
            "CPU  KIND\n"
            "0    P-core\n"
            "16   E\n");
  EXPECT_EQ(FormatRows({}), "");
}

}  // namespace
}  // namespace copyscope::config
