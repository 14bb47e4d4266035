#include "harness/engine/preflight.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/engine/plugins.h"
#include "harness/engine/side.h"

namespace copyscope::engine {
namespace {

class PreflightTest : public InTreePluginsTest {
 protected:
  CapabilitiesOf Caps() {
    return [this](const std::string& name) -> uint64_t {
      std::optional<plugins::Plugin> p = plugin_set().Find(name);
      return p && p->transport ? p->transport->capabilities : 0;
    };
  }
  // Opens the endpoint of `check` in this process.
  absl::Status Open(const OpenCheck& check) {
    absl::StatusOr<CellPlugins> plugins = Resolve(plugin_set(), check.cell);
    if (!plugins.ok()) return plugins.status();
    return TryOpen(
        PlanSide(check.cell, *plugins, check.side, RunnerConfig()).endpoint);
  }
};

TEST_F(PreflightTest, EachPluginRoleAndOptionsIsCheckedOnce) {
  config::Plan plan;
  const plugins::Plugin* p = Usable().front();
  plan.cells.push_back(SpecFor(*p, 4096, 1));
  plan.cells.push_back(SpecFor(*p, 65536, 4));  // same endpoints again
  config::CellSpec rr = SpecFor(*p, 64, 1);
  rr.mode = config::Mode::kRequestResponse;
  plan.cells.push_back(rr);
  std::vector<OpenCheck> checks = OpenChecks(plan, Caps(), RunnerConfig());
  ASSERT_EQ(checks.size(), 3u);  // sender, receiver, sender+receiver
  EXPECT_EQ(checks[0].side, Side::kServer);
  EXPECT_EQ(checks[0].role, static_cast<uint32_t>(CS_ROLE_SENDER));
  EXPECT_EQ(checks[1].role, static_cast<uint32_t>(CS_ROLE_RECEIVER));
  EXPECT_EQ(checks[2].role, static_cast<uint32_t>(CS_ROLE_BOTH));
}

TEST_F(PreflightTest, DefaultOptionsOpenInEveryRole) {
  config::Plan plan;
  for (const plugins::Plugin* p : Usable()) {
    plan.cells.push_back(SpecFor(*p, 4096, 1));
    config::CellSpec rr = SpecFor(*p, 64, 1);
    rr.mode = config::Mode::kRequestResponse;
    plan.cells.push_back(rr);
  }
  for (const OpenCheck& c : OpenChecks(plan, Caps(), RunnerConfig())) {
    EXPECT_TRUE(Open(c).ok()) << c.plugin << " " << RoleName(c.role);
  }
}

TEST_F(PreflightTest, AValueThePluginRefusesIsAnErrorNamingTheFix) {
  for (const plugins::Plugin* p : Usable()) {
    if (p->transport->option_count == 0) continue;
    config::Plan plan;
    config::CellSpec cell = SpecFor(*p, 4096, 1);
    cell.options = {{p->transport->options[0].key, "not-a-value-anyone-takes"}};
    plan.cells.push_back(cell);
    OpenCheck c = OpenChecks(plan, Caps(), RunnerConfig()).front();
    absl::Status opened = Open(c);
    ASSERT_FALSE(opened.ok());
    absl::Status s = Refusal(c, opened);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(s.message(), p->name)) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "not-a-value-anyone-takes"))
        << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "copyscope list")) << s;
    EXPECT_EQ(std::string(s.message()).find('\n'), std::string::npos);
    return;
  }
  FAIL() << "no usable plugin with an option";
}

TEST_F(PreflightTest, MemoryCountsBothSidesOfEveryConnection) {
  const plugins::Plugin* p = Usable().front();
  config::Plan plan;
  plan.cells.push_back(SpecFor(*p, 1 << 20, 8));
  plan.cells.push_back(SpecFor(*p, 4096, 1));
  const uint64_t need = LargestCellMemory(plan, Caps(), RunnerConfig());
  // Every connection: at least one 1 MiB message sent and one received.
  EXPECT_GE(need, uint64_t{8} * 2 * (1 << 20));
  EXPECT_LE(need, uint64_t{8} * (64 + 1) * (1 << 20));
}

}  // namespace
}  // namespace copyscope::engine
