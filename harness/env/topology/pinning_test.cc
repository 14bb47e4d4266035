#include "harness/env/topology/pinning.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace copyscope::topology {
namespace {

using config::ParsePinOptions;
using config::ParsePinPolicy;

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Topology Fixture(const std::string& name) {
  absl::StatusOr<Topology> t =
      Topology::FromXmlFile("harness/env/topology/testdata/" + name);
  EXPECT_TRUE(t.ok()) << t.status();
  return *std::move(t);
}

PinOptions Options(const std::string& server, const std::string& client,
                   const std::string& fallback = "error") {
  absl::StatusOr<PinOptions> o = ParsePinOptions(server, client, fallback);
  EXPECT_TRUE(o.ok()) << o.status();
  return *std::move(o);
}

std::vector<int> ServerCpus(const PinPlan& plan) {
  std::vector<int> out;
  for (const Placement& p : plan.placements) out.push_back(p.server_cpu);
  return out;
}

std::vector<int> ClientCpus(const PinPlan& plan) {
  std::vector<int> out;
  for (const Placement& p : plan.placements) out.push_back(p.client_cpu);
  return out;
}

std::vector<int> First(const std::vector<int>& v, int n) {
  return std::vector<int>(v.begin(), v.begin() + n);
}

// One policy pair and the CPUs it must pick for 8 connections; 1, 2 and 4
// connections must pick the first 1, 2 and 4 of them.
struct Expectation {
  const char* server;
  const char* client;
  std::vector<int> server_cpus;  // Empty: unpinned.
  std::vector<int> client_cpus;  // Empty: unpinned.
};

void CheckPlans(const Topology& topo, const Expectation& e) {
  for (int n : {1, 2, 4, 8}) {
    SCOPED_TRACE(testing::Message()
                 << "--pin-server=" << e.server << " --pin-client=" << e.client
                 << " n=" << n);
    absl::StatusOr<PinPlan> plan =
        PlanPinning(topo, Options(e.server, e.client), n);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_FALSE(plan->used_fallback());
    ASSERT_EQ(plan->placements.size(), static_cast<size_t>(n));
    EXPECT_THAT(ServerCpus(*plan), e.server_cpus.empty()
                                       ? std::vector<int>(n, kUnpinned)
                                       : First(e.server_cpus, n));
    EXPECT_THAT(ClientCpus(*plan), e.client_cpus.empty()
                                       ? std::vector<int>(n, kUnpinned)
                                       : First(e.client_cpus, n));
  }
}

// Hybrid fixture: P-core k holds CPUs 2k and 2k+1 (k = 0..7), E-cores are
// CPUs 16-19.
TEST(PinningTest, HybridPlansFor1To8Connections) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  const std::vector<Expectation> cases = {
      // One thread per core first (P-cores, then E-cores), then siblings.
      {"spread", "none", {0, 2, 4, 6, 8, 10, 12, 14}, {}},
      {"compact", "none", {0, 1, 2, 3, 4, 5, 6, 7}, {}},
      {"pcore", "none", {0, 2, 4, 6, 8, 10, 12, 14}, {}},
      {"none", "pcore", {}, {0, 2, 4, 6, 8, 10, 12, 14}},
      // Same pools: the P-cores are split, server cores 0-3, client 4-7.
      {"pcore",
       "pcore",
       {0, 2, 4, 6, 1, 3, 5, 7},
       {8, 10, 12, 14, 9, 11, 13, 15}},
      {"spread",
       "spread",
       {0, 2, 4, 6, 16, 17, 1, 3},
       {8, 10, 12, 14, 18, 19, 9, 11}},
      {"compact",
       "compact",
       {0, 1, 2, 3, 4, 5, 6, 7},
       {8, 9, 10, 11, 12, 13, 14, 15}},
      {"smt-pair",
       "smt-pair",
       {0, 2, 4, 6, 8, 10, 12, 14},
       {1, 3, 5, 7, 9, 11, 13, 15}},
      {"cpus:0-7",
       "cpus:8-15",
       {0, 1, 2, 3, 4, 5, 6, 7},
       {8, 9, 10, 11, 12, 13, 14, 15}},
      {"cpus:3,1-2,9-13", "none", {3, 1, 2, 9, 10, 11, 12, 13}, {}},
  };
  for (const Expectation& e : cases) CheckPlans(t, e);
}

TEST(PinningTest, HybridPcoreServerEcoreClient) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  const PinOptions o = Options("pcore", "ecore");
  for (int n : {1, 2, 4}) {
    absl::StatusOr<PinPlan> plan = PlanPinning(t, o, n);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_THAT(ServerCpus(*plan), First({0, 2, 4, 6}, n));
    EXPECT_THAT(ClientCpus(*plan), First({16, 17, 18, 19}, n));
    EXPECT_THAT(plan->server_pool,
                ElementsAreArray(
                    {0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15}));
    EXPECT_THAT(plan->client_pool, ElementsAre(16, 17, 18, 19));
  }
  absl::StatusOr<PinPlan> eight = PlanPinning(t, o, 8);
  ASSERT_FALSE(eight.ok());
  EXPECT_EQ(eight.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(eight.status().message(),
            "--pin-client=ecore: 8 connections need 8 CPUs for the client but "
            "its pool has 4 (16-19); fix: use fewer threads, a wider policy "
            "such as spread, or add --pin-fallback=any");
}

TEST(PinningTest, HybridEcoreAlone) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  for (int n : {1, 2, 4}) {
    absl::StatusOr<PinPlan> plan = PlanPinning(t, Options("ecore", "none"), n);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_THAT(ServerCpus(*plan), First({16, 17, 18, 19}, n));
  }
  EXPECT_FALSE(PlanPinning(t, Options("ecore", "none"), 8).ok());
}

TEST(PinningTest, NarrowPoolKeepsItsCpusAndWidePoolGoesAround) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  absl::StatusOr<PinPlan> plan = PlanPinning(t, Options("spread", "ecore"), 4);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(ServerCpus(*plan), ElementsAre(0, 2, 4, 6));
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(16, 17, 18, 19));
  plan = PlanPinning(t, Options("spread", "pcore"), 4);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(ServerCpus(*plan), ElementsAre(16, 17, 18, 19));
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(0, 2, 4, 6));
}

TEST(PinningTest, PolicyLeavesOutTheOtherRolesCpuList) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  absl::StatusOr<PinPlan> plan =
      PlanPinning(t, Options("cpus:0-3", "pcore"), 4);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(ServerCpus(*plan), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(4, 6, 8, 10));
  EXPECT_THAT(plan->client_pool,
              ElementsAre(4, 6, 8, 10, 12, 14, 5, 7, 9, 11, 13, 15));
}

// NUMA fixture: core c (0-3 on node 0, 4-7 on node 1) holds CPUs c and c+8.
TEST(PinningTest, NumaPlansFor1To8Connections) {
  Topology t = Fixture("numa_2socket.xml");
  const std::vector<Expectation> cases = {
      // spread takes the NUMA nodes in turn.
      {"spread", "none", {0, 4, 1, 5, 2, 6, 3, 7}, {}},
      {"pcore",
       "none",
       {0, 4, 1, 5, 2, 6, 3, 7},
       {}},  // Not hybrid: all cores.
      {"compact", "none", {0, 8, 1, 9, 2, 10, 3, 11}, {}},
      // Shared cores split per node: server i and client i share a node.
      {"spread",
       "spread",
       {0, 4, 1, 5, 8, 12, 9, 13},
       {2, 6, 3, 7, 10, 14, 11, 15}},
      {"pcore",
       "pcore",
       {0, 4, 1, 5, 8, 12, 9, 13},
       {2, 6, 3, 7, 10, 14, 11, 15}},
      {"compact",
       "compact",
       {0, 8, 1, 9, 4, 12, 5, 13},
       {2, 10, 3, 11, 6, 14, 7, 15}},
      {"smt-pair",
       "smt-pair",
       {0, 4, 1, 5, 2, 6, 3, 7},
       {8, 12, 9, 13, 10, 14, 11, 15}},
      {"cpus:0-3,8-11",
       "cpus:4-7,12-15",
       {0, 1, 2, 3, 8, 9, 10, 11},
       {4, 5, 6, 7, 12, 13, 14, 15}},
      // The same explicit list for both roles is taken literally.
      {"cpus:0-7",
       "cpus:0-7",
       {0, 1, 2, 3, 4, 5, 6, 7},
       {0, 1, 2, 3, 4, 5, 6, 7}},
  };
  for (const Expectation& e : cases) CheckPlans(t, e);
  absl::StatusOr<PinPlan> plan = PlanPinning(t, Options("ecore", "none"), 1);
  EXPECT_FALSE(plan.ok());
}

void ExpectError(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), message);
}

TEST(PinningErrorsTest, EcoreOnMachineWithoutKinds) {
  Topology t = Fixture("vm_2core.xml");
  ExpectError(
      PlanPinning(t, Options("pcore", "ecore"), 1).status(),
      "--pin-client=ecore: this topology has no E-cores (2 cores (2 threads), "
      "1 package, 1 NUMA node, no CPU kinds (all cores alike)); fix: use "
      "--pin-client=pcore, spread or cpus:LIST, or add --pin-fallback=any");
}

TEST(PinningErrorsTest, MoreThreadsThanThePool) {
  Topology vm = Fixture("vm_2core.xml");
  ExpectError(PlanPinning(vm, Options("pcore", "pcore"), 2).status(),
              "--pin-server=pcore: 2 connections need 2 CPUs for the server "
              "but its pool has 1 (0), after sharing cores with "
              "--pin-client=pcore; fix: use fewer threads, a wider policy such "
              "as spread, or add --pin-fallback=any");
  Topology hybrid = Fixture("hybrid_i7_12700.xml");
  ExpectError(PlanPinning(hybrid, Options("cpus:0-1", "none"), 4).status(),
              "--pin-server=cpus:0-1: 4 connections need 4 CPUs for the server "
              "but the list has 2; fix: list more CPUs, use fewer threads, or "
              "add --pin-fallback=any to reuse the listed CPUs");
  ExpectError(PlanPinning(vm, Options("smt-pair", "smt-pair"), 1).status(),
              "--pin-server=smt-pair --pin-client=smt-pair: 1 connection needs "
              "1 core with two SMT threads but this topology has none (2 cores "
              "(2 threads), 1 package, 1 NUMA node, no CPU kinds (all cores "
              "alike)); fix: use fewer threads, spread for both roles, or add "
              "--pin-fallback=any");
  ExpectError(PlanPinning(hybrid, Options("smt-pair", "smt-pair"), 9).status(),
              "--pin-server=smt-pair --pin-client=smt-pair: 9 connections need "
              "9 cores with two SMT threads but this topology has 8; fix: use "
              "fewer threads, spread for both roles, or add "
              "--pin-fallback=any");
}

TEST(PinningErrorsTest, CpuNotPresent) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  ExpectError(
      PlanPinning(t, Options("cpus:0-3,64", "none"), 1).status(),
      "--pin-server=cpus:0-3,64: CPU 64 is not in the topology of "
      "harness/env/topology/testdata/hybrid_i7_12700.xml (CPUs 0-19); fix: "
      "pick CPUs listed by `copyscope topo`");
}

TEST(PinningErrorsTest, SmtPairNeedsBothRoles) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  ExpectError(PlanPinning(t, Options("pcore", "smt-pair"), 1).status(),
              "--pin-client=smt-pair puts each connection's server and client "
              "on the two threads of one core, so it needs "
              "--pin-server=smt-pair too (got --pin-server=pcore); fix: pass "
              "smt-pair for both roles");
}

TEST(PinningErrorsTest, NoConnections) {
  Topology t = Fixture("vm_2core.xml");
  EXPECT_EQ(PlanPinning(t, Options("none", "none"), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PinningFallbackTest, AnyWidensToFreeCpusAndSaysSo) {
  Topology vm = Fixture("vm_2core.xml");
  absl::StatusOr<PinPlan> plan =
      PlanPinning(vm, Options("pcore", "ecore", "any"), 1);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(ServerCpus(*plan), ElementsAre(0));
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(1));
  ASSERT_TRUE(plan->used_fallback());
  EXPECT_THAT(plan->fallback_notes,
              ElementsAre("--pin-client=ecore: this topology has no E-cores; "
                          "widened with free CPUs 1 outside the policy"));

  Topology hybrid = Fixture("hybrid_i7_12700.xml");
  plan = PlanPinning(hybrid, Options("pcore", "ecore", "any"), 8);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(ServerCpus(*plan), ElementsAre(0, 2, 4, 6, 8, 10, 12, 14));
  // The E-cores first, then P-core threads the server does not use.
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(16, 17, 18, 19, 1, 3, 5, 7));
  EXPECT_THAT(plan->fallback_notes,
              ElementsAre("--pin-client=ecore: its pool has 4 CPUs for 8 "
                          "connections; widened with free CPUs 1,3,5,7 outside "
                          "the policy"));
}

TEST(PinningFallbackTest, AnyReusesWhenNothingIsFree) {
  Topology vm = Fixture("vm_2core.xml");
  absl::StatusOr<PinPlan> plan =
      PlanPinning(vm, Options("pcore", "pcore", "any"), 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(ServerCpus(*plan), ElementsAre(0, 0));
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(1, 1));
  EXPECT_THAT(plan->fallback_notes,
              ElementsAre("--pin-server=pcore: 2 connections on 1 CPU (0); "
                          "CPUs reused round-robin",
                          "--pin-client=pcore: 2 connections on 1 CPU (1); "
                          "CPUs reused round-robin"));

  plan = PlanPinning(vm, Options("cpus:1", "cpus:1", "any"), 3);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(ServerCpus(*plan), ElementsAre(1, 1, 1));
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(1, 1, 1));
  EXPECT_EQ(plan->fallback_notes.size(), 2u);

  plan = PlanPinning(vm, Options("smt-pair", "smt-pair", "any"), 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(ServerCpus(*plan), ElementsAre(0, 0));
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(1, 1));
  EXPECT_EQ(plan->fallback_notes.size(), 2u);
}

TEST(PinningFallbackTest, AnyChangesNothingWhenThePoolSuffices) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  absl::StatusOr<PinPlan> plan =
      PlanPinning(t, Options("pcore", "ecore", "any"), 4);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->used_fallback());
  EXPECT_THAT(ClientCpus(*plan), ElementsAre(16, 17, 18, 19));
}

std::vector<std::string> Cells(const std::string& text,
                               const std::string& first) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> cells =
        absl::StrSplit(line, "  ", absl::SkipEmpty());
    for (std::string& c : cells) c = std::string(absl::StripAsciiWhitespace(c));
    if (!cells.empty() && cells[0] == first) return cells;
  }
  return {};
}

TEST(FormatPlanTest, ShowsPoolsRowsAndFallbacks) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  absl::StatusOr<PinPlan> plan = PlanPinning(t, Options("pcore", "ecore"), 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string text = FormatPlan(*plan, t);
  EXPECT_THAT(text,
              HasSubstr("pinning plan for 2 connections on "
                        "harness/env/topology/testdata/hybrid_i7_12700.xml: "
                        "--pin-server=pcore --pin-client=ecore "
                        "--pin-fallback=error\n"));
  EXPECT_THAT(text, HasSubstr("server pool: 0-15\nclient pool: 16-19\n"));
  EXPECT_THAT(Cells(text, "CONN"),
              ElementsAre("CONN", "SERVER CPU", "SERVER CORE", "CLIENT CPU",
                          "CLIENT CORE"));
  EXPECT_THAT(Cells(text, "1"), ElementsAre("1", "2", "core 1 P-core, node 0",
                                            "17", "core 9 E-core, node 0"));
  EXPECT_THAT(text, Not(HasSubstr("fallback:")));

  plan = PlanPinning(t, Options("spread", "none"), 1);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Cells(FormatPlan(*plan, t), "0"),
              ElementsAre("0", "0", "core 0 P-core, node 0", "unpinned", "-"));
  EXPECT_THAT(FormatPlan(*plan, t), HasSubstr("client pool: unpinned\n"));

  plan = PlanPinning(t, Options("pcore", "ecore", "any"), 8);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(FormatPlan(*plan, t),
              HasSubstr("\nfallback: --pin-client=ecore: its pool has 4 CPUs"));
}

TEST(PolicyFillOrderTest, EmptyWhereNothingToFill) {
  Topology vm = Fixture("vm_2core.xml");
  EXPECT_THAT(PolicyFillOrder(vm, ParsePinPolicy("ecore").value()), IsEmpty());
  EXPECT_THAT(PolicyFillOrder(vm, ParsePinPolicy("none").value()), IsEmpty());
  EXPECT_THAT(PolicyFillOrder(vm, ParsePinPolicy("spread").value()),
              ElementsAre(0, 1));
}

}  // namespace
}  // namespace copyscope::topology
