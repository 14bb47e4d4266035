#include "harness/config/plan.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "harness/config/profiles.h"

namespace copyscope::config {
namespace {

using Plugin = record::PluginInfo;

// A plugin as the plan sees it: name, status, options, capabilities.
Plugin Info(const std::string& name, const std::string& status = "ok",
            const std::string& reason = "", int options = 0,
            bool receives = false) {
  Plugin p;
  p.set_name(name);
  const bool file = name.size() > 3 && name.substr(name.size() - 3) == ".so";
  p.set_path("/p/" + name + (file ? "" : ".so"));
  p.set_status(status);
  p.set_reason(reason);
  const char* keys[] = {"batch", "mode"};
  for (int i = 0; i < options; ++i) {
    record::PluginOption* o = p.add_options();
    o->set_key(keys[i]);
  }
  if (receives) p.add_capabilities("recv");
  return p;
}

std::vector<Plugin> Plugins() {
  std::vector<Plugin> p;
  p.push_back(Info("alpha"));
  p.push_back(Info("beta", "ok", "", 2));
  p.push_back(Info("delta", "unavailable", "needs kernel 9.9"));
  p.push_back(Info("broken.so", "rejected", "no entry symbol"));
  p.push_back(Info("gamma", "ok", "", 1));
  return p;
}

RunOptions Options() {
  RunOptions o;
  o.sizes = {4096, 65536};
  o.threads = {1, 2};
  o.fields = 8;
  return o;
}

std::string Error(const RunOptions& o, const std::string& mention,
                  const std::vector<Plugin>& plugins = Plugins()) {
  absl::StatusOr<Plan> plan = MakePlan(o, plugins);
  EXPECT_FALSE(plan.ok());
  if (plan.ok()) return "";
  std::string msg(plan.status().message());
  EXPECT_TRUE(absl::StrContains(msg, mention)) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  return msg;
}

TEST(MakePlanTest, DefaultIsEveryUsablePluginWithNotesForTheRest) {
  absl::StatusOr<Plan> plan = MakePlan(Options(), Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->transports,
            (std::vector<std::string>{"alpha", "beta", "gamma"}));
  ASSERT_EQ(plan->notes.size(), 2u);
  EXPECT_TRUE(absl::StrContains(plan->notes[0], "delta"));
  EXPECT_TRUE(absl::StrContains(plan->notes[0], "needs kernel 9.9"));
  EXPECT_TRUE(absl::StrContains(plan->notes[1], "no entry symbol"));
}

TEST(MakePlanTest, CellsInTransportSizeThreadsOrder) {
  RunOptions o = Options();
  o.transports = {"beta", "alpha"};
  absl::StatusOr<Plan> plan = MakePlan(o, Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->cells.size(), 8u);
  const CellSpec& first = plan->cells[0];
  EXPECT_EQ(first.transport, "beta");
  EXPECT_EQ(first.size, 4096u);
  EXPECT_EQ(first.threads, 1);
  EXPECT_EQ(first.fields, 8u);
  EXPECT_EQ(plan->cells[1].threads, 2);
  EXPECT_EQ(plan->cells[2].size, 65536u);
  EXPECT_EQ(plan->cells[4].transport, "alpha");
  EXPECT_TRUE(plan->notes.empty());
}

TEST(MakePlanTest, FamilyIsACellDimensionBeforeTheSize) {
  RunOptions o = Options();
  o.transports = {"alpha"};
  o.threads = {1};
  o.families = {Family::kUnix, Family::kInet6};
  absl::StatusOr<Plan> plan = MakePlan(o, Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->cells.size(), 4u);
  EXPECT_EQ(plan->cells[0].family, Family::kUnix);
  EXPECT_EQ(plan->cells[0].size, 4096u);
  EXPECT_EQ(plan->cells[1].family, Family::kUnix);
  EXPECT_EQ(plan->cells[1].size, 65536u);
  EXPECT_EQ(plan->cells[2].family, Family::kInet6);
  EXPECT_EQ(plan->cells[0].Label(), "alpha@unix");
  EXPECT_EQ(plan->cells[2].Label(), "alpha@inet6");
  o.families = {Family::kInet};
  plan = MakePlan(o, Plugins());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cells[0].Label(), "alpha");
}

TEST(MakePlanTest, ExplicitTransportErrors) {
  RunOptions o = Options();
  o.transports = {"nope"};
  std::string msg = Error(o, "unknown transport 'nope'");
  EXPECT_TRUE(absl::StrContains(msg, "alpha, beta, gamma")) << msg;
  o.transports = {"alpha", "delta"};
  Error(o, "needs kernel 9.9");
  o.transports = {"broken.so"};
  Error(o, "no entry symbol");
}

TEST(MakePlanTest, ExplicitPluginFileMustLoad) {
  RunOptions o = Options();
  o.sources.plugin_files = {"/p/broken.so"};
  Error(o, "--plugin=/p/broken.so: rejected: no entry symbol");
  o.sources.plugin_files = {"/p/beta.so"};
  EXPECT_TRUE(MakePlan(o, Plugins()).ok());
}

TEST(MakePlanTest, ScopedOptionGoesToItsTransportOnly) {
  RunOptions o = Options();
  o.transport_opts = {
      {"beta", "batch", "4"}, {"beta", "batch", "16"}, {"beta", "mode", "b"}};
  absl::StatusOr<Plan> plan = MakePlan(o, Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const CellSpec& c : plan->cells) {
    if (c.transport == "beta") {
      EXPECT_EQ(c.options, (std::vector<std::pair<std::string, std::string>>{
                               {"batch", "16"}, {"mode", "b"}}));
    } else {
      EXPECT_TRUE(c.options.empty());
    }
  }
}

TEST(MakePlanTest, UnscopedOptionMustSuitEverySelectedTransport) {
  RunOptions o = Options();
  o.transports = {"beta", "gamma"};
  o.transport_opts = {{"", "batch", "2"}};
  absl::StatusOr<Plan> plan = MakePlan(o, Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const CellSpec& c : plan->cells) EXPECT_EQ(c.options.size(), 1u);
  o.transport_opts = {{"", "mode", "b"}};  // gamma has only "batch"
  std::string msg = Error(o, "transport 'gamma' has no option 'mode'");
  EXPECT_TRUE(absl::StrContains(msg, "its options: batch")) << msg;
}

TEST(MakePlanTest, OptionErrors) {
  RunOptions o = Options();
  o.transport_opts = {{"alpha", "batch", "1"}};
  Error(o, "it takes no options");
  o.transport_opts = {{"zeta", "batch", "1"}};
  Error(o, "transport 'zeta' is not known");
  o.transports = {"alpha"};
  o.transport_opts = {{"beta", "batch", "1"}};
  Error(o, "transport 'beta' is not in this run");
}

TEST(MakePlanTest, NoUsablePlugin) {
  std::vector<Plugin> none = {Plugins()[2]};
  absl::StatusOr<Plan> plan = MakePlan(Options(), none);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(absl::StrContains(plan.status().message(), "copyscope list"));
}

// Plugins() and three that can receive, one of them unavailable.
std::vector<Plugin> WithReceivers() {
  std::vector<Plugin> p = Plugins();
  p.push_back(Info("rx", "ok", "", 2, true));
  p.push_back(Info("rx2", "ok", "", 2, true));
  p.push_back(Info("rxdead", "unavailable", "io_uring disabled", 2, true));
  return p;
}

std::string RecvError(const RunOptions& o, const std::string& mention) {
  std::string msg = Error(o, mention, WithReceivers());
  EXPECT_TRUE(absl::StartsWith(msg, "--recv")) << msg;
  return msg;
}

TEST(MakePlanTest, BackgroundIsTheInnermostCellDimension) {
  RunOptions o = Options();
  o.mode = Mode::kRequestResponse;
  o.transports = {"alpha"};
  o.backgrounds = {Background{}, Background{"rx", 2, 65536}};
  o.transport_opts = {{"rx", "batch", "8"}};
  absl::StatusOr<Plan> plan = MakePlan(o, WithReceivers());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->cells.size(), 8u);  // 2 sizes x 2 threads x 2 backgrounds
  for (size_t i = 0; i < plan->cells.size(); ++i) {
    const CellSpec& c = plan->cells[i];
    EXPECT_EQ(c.background.none(), i % 2 == 0) << i;
    EXPECT_EQ(c.background_options.size(), i % 2) << i;
  }
  const CellSpec& c = plan->cells[1];
  EXPECT_EQ(c.background.Text(), "rx:2:65536");
  EXPECT_EQ(c.background_options, (OptionList{{"batch", "8"}}));
  CellSpec b = c.BackgroundCell();
  EXPECT_EQ(b.transport, "rx");
  EXPECT_EQ(b.threads, 2);
  EXPECT_EQ(b.size, 65536u);
  EXPECT_EQ(b.mode, Mode::kStream);
  EXPECT_EQ(b.direction, Direction::kServerToClient);
  EXPECT_TRUE(b.background.none());
}

TEST(MakePlanTest, BackgroundErrors) {
  RunOptions o = Options();
  o.mode = Mode::kRequestResponse;
  o.backgrounds = {Background{"nope", 1, 4096}};
  std::string msg = Error(o, "unknown transport 'nope'", WithReceivers());
  EXPECT_TRUE(absl::StartsWith(msg, "--background=nope:1:4096")) << msg;
  o.backgrounds = {Background{"rxdead", 1, 4096}};
  Error(o, "io_uring disabled", WithReceivers());
  o.backgrounds = {Background{"alpha", 1, 4096}};  // cannot receive
  Error(o, "cannot receive", WithReceivers());
}

TEST(MakePlanTest, NoRecvMeansEachTransportReceivesItself) {
  absl::StatusOr<Plan> plan = MakePlan(Options(), WithReceivers());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->recv_transports.empty());
  for (const CellSpec& c : plan->cells) {
    EXPECT_EQ(c.recv_transport, "");
    EXPECT_EQ(c.Label(), c.transport);
  }
}

TEST(MakePlanTest, RecvIsACellDimensionAfterTheTransport) {
  RunOptions o = Options();
  o.transports = {"beta", "alpha"};
  o.recv = {"rx", "rx2"};
  absl::StatusOr<Plan> plan = MakePlan(o, WithReceivers());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->transports, (std::vector<std::string>{"beta", "alpha"}));
  EXPECT_EQ(plan->recv_transports, (std::vector<std::string>{"rx", "rx2"}));
  ASSERT_EQ(plan->cells.size(), 16u);  // 2 transports x 2 x 2 sizes x 2
  const char* order[][2] = {
      {"beta", "rx"}, {"beta", "rx2"}, {"alpha", "rx"}, {"alpha", "rx2"}};
  for (size_t i = 0; i < plan->cells.size(); ++i) {
    const CellSpec& c = plan->cells[i];
    EXPECT_EQ(c.transport, order[i / 4][0]) << i;
    EXPECT_EQ(c.recv_transport, order[i / 4][1]) << i;
    EXPECT_EQ(c.Label(), std::string(order[i / 4][0]) + "/" + order[i / 4][1]);
  }
  EXPECT_EQ(plan->cells[0].size, 4096u);
  EXPECT_EQ(plan->cells[1].threads, 2);
  EXPECT_EQ(plan->cells[2].size, 65536u);
}

TEST(MakePlanTest, ATransportsOwnPluginIsNoSeparateReceiver) {
  RunOptions o = Options();
  o.transports = {"rx", "alpha"};
  o.recv = {"rx"};
  absl::StatusOr<Plan> plan = MakePlan(o, WithReceivers());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->cells.size(), 8u);
  for (const CellSpec& c : plan->cells) {
    if (c.transport == "rx") {
      EXPECT_EQ(c.recv_transport, "");
    } else {
      EXPECT_EQ(c.recv_transport, "rx");
    }
  }
}

TEST(MakePlanTest, RecvErrorsNameTheFix) {
  RunOptions o = Options();
  o.transports = {"alpha"};
  o.recv = {"nope"};
  std::string msg = RecvError(o, "unknown receive transport 'nope'");
  EXPECT_TRUE(absl::StrContains(msg, RecvAliasText())) << msg;
  EXPECT_TRUE(absl::StrContains(msg, "rx, rx2")) << msg;
  EXPECT_FALSE(absl::StrContains(msg, "rxdead")) << msg;
  o.recv = {"rx", "rxdead"};
  msg = RecvError(o, "'rxdead' is unavailable: io_uring disabled");
  EXPECT_TRUE(absl::StrContains(msg, "leave it out of --recv")) << msg;
  o.recv = {"beta"};
  msg = RecvError(o, "'beta' cannot receive (no CS_CAP_RECV)");
  EXPECT_TRUE(absl::StrContains(msg, "use one that can: rx, rx2")) << msg;
}

// A receiver that discards (recv_discards) has nothing --verify could
// check: named, it is an error; taken by default, it is left out.
TEST(MakePlanTest, VerifyRefusesReceiversThatDiscard) {
  std::vector<Plugin> plugins = WithReceivers();
  plugins.push_back(Info("drop", "ok", "", 0, /*receives=*/true));
  plugins.back().add_capabilities("recv_discards");
  RunOptions o = Options();
  o.verify = true;
  absl::StatusOr<Plan> plan = MakePlan(o, plugins);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(
      std::count(plan->transports.begin(), plan->transports.end(), "drop"), 0);
  EXPECT_TRUE(absl::StrContains(absl::StrJoin(plan->notes, "|"),
                                "skipping drop (--verify: it discards"));
  o.transports = {"alpha", "drop"};
  Error(o, "--verify: the transport 'drop' discards what it receives", plugins);
  o.recv = {"rx", "drop"};
  Error(o, "leave it out of --recv", plugins);
  // It may send to a receiver that keeps the bytes.
  o.recv = {"rx"};
  plan = MakePlan(o, plugins);
  ASSERT_TRUE(plan.ok()) << plan.status();
  o.verify = false;
  o.recv = {"drop"};
  plan = MakePlan(o, plugins);
  ASSERT_TRUE(plan.ok()) << plan.status();
}

TEST(MakePlanTest, OptionsReachTheReceivePlugin) {
  RunOptions o = Options();
  o.transports = {"beta"};
  o.recv = {"rx"};
  // Scoped: to the plugin that receives; unscoped: to the transports.
  o.transport_opts = {{"rx", "mode", "b"}, {"", "batch", "2"}};
  absl::StatusOr<Plan> plan = MakePlan(o, WithReceivers());
  ASSERT_TRUE(plan.ok()) << plan.status();
  using Opts = std::vector<std::pair<std::string, std::string>>;
  for (const CellSpec& c : plan->cells) {
    EXPECT_EQ(c.options, (Opts{{"batch", "2"}}));
    EXPECT_EQ(c.recv_options, (Opts{{"mode", "b"}}));
  }
  o.transport_opts = {{"rx", "nokey", "1"}};
  Error(o, "transport 'rx' has no option 'nokey'", WithReceivers());
  o.recv = {"rx2"};
  o.transport_opts = {{"rx", "mode", "b"}};
  Error(o, "'rx' is not in this run; selected: beta, rx2 (--recv)",
        WithReceivers());
}

// Datagram transports: named only (the default set leaves them out with a
// note), no count mode, sizes 8..65507, no stream receiver for them and no
// datagram receiver for a stream sender.
TEST(MakePlanTest, DatagramTransportsAndTheirLimits) {
  std::vector<Plugin> plugins = Plugins();
  Plugin udp = Info("udp", "ok", "", 0, /*receives=*/true);
  udp.add_capabilities("datagram");
  plugins.push_back(udp);
  plugins.push_back(Info("copy", "ok", "", 0, /*receives=*/true));
  RunOptions o = Options();
  o.sizes = {1472};
  absl::StatusOr<Plan> all = MakePlan(o, plugins);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(std::count(all->transports.begin(), all->transports.end(), "udp"),
            0);
  EXPECT_TRUE(absl::StrContains(absl::StrJoin(all->notes, "\n"),
                                "leaving out udp (a datagram transport"));
  o.transports = {"udp"};
  absl::StatusOr<Plan> named = MakePlan(o, plugins);
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->cells.size(), 2u);
  o.messages = 1000;
  Error(o, "--messages: datagram transport 'udp' may lose datagrams", plugins);
  o.messages = 0;
  o.sizes = {65536};
  Error(o, "--sizes: 65536 bytes for datagram transport 'udp'", plugins);
  o.sizes = {4};
  Error(o, "8 (its sequence number) to 65507 bytes", plugins);
  o.sizes = {1472};
  o.families = {Family::kInet, Family::kUnix};
  Error(o, "--family=unix: datagram transport 'udp' runs over IPv4", plugins);
  o.families = {Family::kInet};
  o.mode = Mode::kRequestResponse;
  o.backgrounds = {Background(), Background{"copy", 1, 65536}};
  Error(o, "--background: datagram transport 'udp' cells run without one",
        plugins);
  o.backgrounds.clear();
  o.mode = Mode::kStream;
  o.recv = {"copy"};
  Error(o, "--recv: 'copy' receives from stream sockets only", plugins);
  o.transports = {"alpha"};
  o.recv = {"udp"};
  Error(o, "--recv: 'udp' receives datagrams and 'alpha' sends on stream",
        plugins);
}

}  // namespace
}  // namespace copyscope::config
