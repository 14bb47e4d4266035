#include "harness/cli/environment.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace copyscope::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

record::Run Recorded() {
  record::Run run;
  run.mutable_plan()->add_transports("two_copy");
  record::Host* h = run.mutable_host();
  h->set_hostname("box");
  h->set_kernel("Linux 6.1.0-18-amd64 #1 SMP x86_64");
  h->set_kernel_release("6.1.0-18-amd64");
  h->set_kernel_cmdline("root=/dev/vda1 quiet");
  h->set_cpu_model("Test CPU");
  h->set_cpu_count(2);
  h->set_cpu_cores(2);
  h->set_governor("performance");
  h->set_governors("performance");
  h->set_turbo("on");
  h->set_turbo_source("/sys/devices/system/cpu/cpufreq/boost");
  record::KeyValue* kv = h->add_mitigations();
  kv->set_key("spectre_v2");
  kv->set_value("Mitigation: Retpolines");
  h->set_thp_enabled("madvise");
  h->set_thp_defrag("never");
  h->set_irqbalance("not running");
  kv = h->add_sysctls();
  kv->set_key("net.core.rmem_max");
  kv->set_value("212992");
  h->set_interface("lo");
  h->set_mtu(65536);
  h->set_testbed_fingerprint(std::string(64, 'a'));
  record::Build* b = run.mutable_build();
  b->set_version("0.1.0");
  b->set_stamped(true);
  b->set_git_commit("0123456789abcdef0123456789abcdef01234567");
  b->set_git_dirty(0);
  b->set_compiler("gcc 12.2.0");
  b->set_compilation_mode("opt");
  b->set_bazel_version("4.2.3");
  record::LibraryVersion* l = b->add_libraries();
  l->set_name("OpenSSL");
  l->set_version("3.0.11");
  l->set_source("OpenSSL_version() at run time");
  b->set_binary_sha256(std::string(64, 'b'));
  for (const char* name : {"two_copy", "zero_copy"}) {
    record::PluginInfo* p = run.add_plugins();
    p->set_name(name);
    p->set_version("1.0");
    p->set_abi_major(1);
    p->set_abi_minor(1);
    p->set_status("ok");
    p->set_sha256(std::string(64, 'c'));
    p->set_path(std::string("/a/") + name + ".so");
  }
  run.mutable_isolation()->set_mode("loopback");
  run.mutable_isolation()->set_reason("asked for");
  run.mutable_topology()->set_pin_plan("server: cpus:0\nclient: cpus:1\n");
  return run;
}

std::string Text(const std::vector<FactChange>& changes) {
  return FormatChanges(changes);
}

TEST(EnvironmentTest, ShowsEveryRecordedFactBySection) {
  const std::string text = FormatEnvironment(Recorded());
  for (const char* want :
       {"testbed\n  fingerprint: aaaa", "host\n  hostname: box\n",
        "  kernel cmdline: root=/dev/vda1 quiet\n",
        "  turbo: on (/sys/devices/system/cpu/cpufreq/boost)\n",
        "  mitigation spectre_v2: Mitigation: Retpolines\n",
        "  thp enabled: madvise\n", "  irqbalance: not running\n",
        "  sysctl net.core.rmem_max: 212992\n", "build\n  version: 0.1.0\n",
        "  commit: 0123456789abcdef0123456789abcdef01234567 (clean)\n",
        "  bazel: 4.2.3\n",
        "  library OpenSSL: 3.0.11; OpenSSL_version() at run time\n",
        "  binary sha256: bbbb", "plugin two_copy\n  version: 1.0\n  abi: 1.1",
        "isolation\n  mode: loopback\n",
        "  pinning: \n      server: cpus:0\n      client: cpus:1\n"}) {
    EXPECT_THAT(text, HasSubstr(want));
  }
}

TEST(EnvironmentTest, ShowsTheDataPathAndThePeer) {
  record::Run run = Recorded();
  record::Host* h = run.mutable_host();
  h->set_nic_driver("veth");
  h->set_link_speed_mbps(10000);
  record::KeyValue* kv = h->add_offloads();
  kv->set_key("gro");
  kv->set_value("on");
  record::PeerHost* peer = run.mutable_peer();
  peer->set_target("198.18.0.1:7000");
  peer->set_role("server");
  peer->mutable_host()->set_cpu_model("Peer CPU");
  peer->mutable_host()->set_interface("eth1");
  const std::string text = FormatEnvironment(run);
  for (const char* want :
       {"data path\n  interface: lo\n  mtu: 65536\n  nic driver: veth\n"
        "  link speed: 10000 Mb/s\n  offload gro: on\n",
        "peer\n  target: 198.18.0.1:7000\n  role: server\n",
        "peer host\n  cpu model: Peer CPU\n",
        "peer data path\n  interface: eth1\n"}) {
    EXPECT_THAT(text, HasSubstr(want));
  }
  // The run finds those: a rerun does not call them differences.
  EXPECT_THAT(DiffEnvironment(run, Recorded()), IsEmpty());
}

TEST(EnvironmentTest, AnOldRecordShowsWhatItHolds) {
  record::Run old;
  old.mutable_host()->set_kernel("Linux 5.10.0 #1 SMP x86_64");
  old.mutable_host()->set_governor("powersave");
  old.mutable_build()->set_version("0.0.9");
  const std::string text = FormatEnvironment(old);
  EXPECT_THAT(text, HasSubstr("(computed: the record predates it)"));
  EXPECT_THAT(text, HasSubstr("  governor: powersave\n"));
  EXPECT_THAT(text, Not(HasSubstr("kernel cmdline")));
  EXPECT_THAT(text, Not(HasSubstr("cores")));
  EXPECT_THAT(text, HasSubstr("  commit: unknown (unstamped build)\n"));
}

TEST(DiffEnvironmentTest, TheSameEnvironmentHasNoChange) {
  EXPECT_THAT(DiffEnvironment(Recorded(), Recorded()), IsEmpty());
}

TEST(DiffEnvironmentTest, NamesEachChangeWithBothValues) {
  record::Run now = Recorded();
  now.mutable_build()->set_binary_sha256(std::string(64, 'd'));
  now.mutable_build()->set_git_dirty(1);
  now.mutable_host()->set_kernel_release("6.1.0-20-amd64");
  now.mutable_host()->set_governors("powersave");
  now.mutable_host()->mutable_sysctls(0)->set_value("4194304");
  now.mutable_plugins(0)->set_sha256(std::string(64, 'e'));
  const std::string text = Text(DiffEnvironment(Recorded(), now));
  EXPECT_THAT(text, HasSubstr("  build binary sha256: " + std::string(64, 'b') +
                              " -> " + std::string(64, 'd') + "\n"));
  EXPECT_THAT(text, HasSubstr("(clean) -> 0123"));
  EXPECT_THAT(text, HasSubstr("  host kernel release: 6.1.0-18-amd64 -> "
                              "6.1.0-20-amd64\n"));
  EXPECT_THAT(text, HasSubstr("  host governor: performance -> powersave\n"));
  EXPECT_THAT(text,
              HasSubstr("  host sysctl net.core.rmem_max: 212992 -> 4194304"));
  EXPECT_THAT(text, HasSubstr("  plugin two_copy sha256: "));
  EXPECT_EQ(DiffEnvironment(Recorded(), now).size(), 6u);
}

TEST(DiffEnvironmentTest, LeavesOutWhatTheRunDecidesAndUnusedPlugins) {
  record::Run now = Recorded();
  now.mutable_host()->set_interface("cs12s");
  now.mutable_host()->set_mtu(1500);
  now.mutable_isolation()->set_mode("netns");
  now.mutable_topology()->set_pin_plan("");
  now.mutable_plugins(1)->set_sha256(std::string(64, 'f'));  // zero_copy
  now.mutable_plugins(0)->set_path("/elsewhere/two_copy.so");
  EXPECT_THAT(DiffEnvironment(Recorded(), now), IsEmpty());
}

TEST(DiffEnvironmentTest, AMissingPluginAndANewFact) {
  record::Run recorded = Recorded();
  recorded.mutable_host()->clear_kernel_cmdline();  // an older record
  record::Run now = Recorded();
  now.mutable_plugins()->DeleteSubrange(0, 1);  // two_copy is gone
  std::vector<FactChange> d = DiffEnvironment(recorded, now);
  const std::string text = Text(d);
  EXPECT_THAT(text, HasSubstr("  host kernel cmdline: (not recorded) -> "
                              "root=/dev/vda1 quiet\n"));
  EXPECT_THAT(text, HasSubstr("  plugin two_copy status: ok -> (absent)\n"));
  EXPECT_THAT(text, HasSubstr("  plugin two_copy sha256: cccc"));
}

TEST(BuildJsonTest, IsTheBuildWithItsFieldNames) {
  const std::string json = BuildJson(Recorded().build());
  for (const char* want :
       {"\"binary_sha256\": \"bbbb", "\"bazel_version\": \"4.2.3\"",
        "\"libraries\": [", "\"name\": \"OpenSSL\"", "\"git_dirty\": 0"}) {
    EXPECT_THAT(json, HasSubstr(want));
  }
}

}  // namespace
}  // namespace copyscope::cli
