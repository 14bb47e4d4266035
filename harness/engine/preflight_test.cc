#include "harness/engine/preflight.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/engine/in_tree_plugins_testing.h"

namespace copyscope::engine {
namespace {

class PreflightTest : public InTreePluginsTest {
 protected:
  // A plan of one stream cell of the first usable plugin that declares an
  // option, with that option set to `value`.
  config::Plan PlanWithOption(const std::string& value, std::string* name) {
    for (const plugins::Plugin* p : Usable()) {
      if (p->transport->option_count == 0) continue;
      *name = p->name;
      config::CellSpec cell = SpecFor(*p, 4096, 1);
      cell.options = {{p->transport->options[0].key, value}};
      config::Plan plan;
      plan.cells.push_back(cell);
      return plan;
    }
    ADD_FAILURE() << "no usable plugin with an option";
    return {};
  }
};

TEST_F(PreflightTest, DefaultOptionsOpenInEveryRole) {
  config::Plan plan;
  for (const plugins::Plugin* p : Usable()) {
    plan.cells.push_back(SpecFor(*p, 4096, 1));
    config::CellSpec rr = SpecFor(*p, 64, 1);
    rr.mode = config::Mode::kRequestResponse;
    plan.cells.push_back(rr);
  }
  EXPECT_TRUE(CheckPluginOptions(plugin_set(), plan, RunnerConfig()).ok());
}

TEST_F(PreflightTest, AValueThePluginRefusesIsAnErrorBeforeAnyCell) {
  std::string name;
  config::Plan plan = PlanWithOption("not-a-value-anyone-takes", &name);
  absl::Status s = CheckPluginOptions(plugin_set(), plan, RunnerConfig());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), name)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not-a-value-anyone-takes")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "copyscope list")) << s;
  EXPECT_EQ(std::string(s.message()).find('\n'), std::string::npos);
}

TEST_F(PreflightTest, MemoryCountsBothSidesOfEveryConnection) {
  const plugins::Plugin* p = Usable().front();
  config::Plan plan;
  plan.cells.push_back(SpecFor(*p, 1 << 20, 8));
  plan.cells.push_back(SpecFor(*p, 4096, 1));
  const uint64_t need = LargestCellMemory(plugin_set(), plan, RunnerConfig());
  // Every connection: at least one 1 MiB message sent and one received.
  EXPECT_GE(need, uint64_t{8} * 2 * (1 << 20));
  EXPECT_LE(need, uint64_t{8} * (64 + 1) * (1 << 20));
}

}  // namespace
}  // namespace copyscope::engine
