#include "harness/env/testbed.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/env/host_info.h"
#include "harness/record/sha256.h"

namespace copyscope::env {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

MachineFacts Machine() {
  MachineFacts m;
  m.kernel_cmdline = "BOOT_IMAGE=/vmlinuz quiet";
  m.kernel_release = "6.1.0-18-amd64";
  m.cpu_model = "Test CPU";
  m.counts = {4, 2};
  m.governors.summary = "performance";
  m.turbo = {"on", "/sys/devices/system/cpu/cpufreq/boost"};
  m.mitigations = {{"meltdown", "Not affected"},
                   {"spectre_v2", "Mitigation: Retpolines"}};
  m.thp_enabled = "madvise";
  m.thp_defrag = "never";
  m.irqbalance = "running";
  return m;
}

// A loopback run's record on Machine().
record::Run LoopbackRun() {
  record::Run run;
  record::Host* h = run.mutable_host();
  h->set_kernel("Linux 6.1.0-18-amd64 #1 SMP x86_64");
  h->set_hostname("a");
  h->set_cpu_model("Test CPU");
  h->set_cpu_count(4);
  h->set_governor("performance");
  record::KeyValue* kv = h->add_sysctls();
  kv->set_key("net.core.rmem_max");
  kv->set_value("212992");
  h->set_interface("lo");
  h->set_mtu(65536);
  AddMachineFacts(Machine(), h);
  run.mutable_isolation()->set_mode("loopback");
  return run;
}

TEST(AddMachineFactsTest, CopiesEveryFact) {
  record::Host h;
  AddMachineFacts(Machine(), &h);
  EXPECT_EQ(h.kernel_release(), "6.1.0-18-amd64");
  EXPECT_EQ(h.kernel_cmdline(), "BOOT_IMAGE=/vmlinuz quiet");
  EXPECT_EQ(h.cpu_cores(), 2);
  EXPECT_EQ(h.governors(), "performance");
  EXPECT_EQ(h.turbo(), "on");
  EXPECT_EQ(h.turbo_source(), "/sys/devices/system/cpu/cpufreq/boost");
  ASSERT_EQ(h.mitigations_size(), 2);
  EXPECT_EQ(h.mitigations(1).key(), "spectre_v2");
  EXPECT_EQ(h.mitigations(1).value(), "Mitigation: Retpolines");
  EXPECT_EQ(h.thp_enabled(), "madvise");
  EXPECT_EQ(h.thp_defrag(), "never");
  EXPECT_EQ(h.irqbalance(), "running");
}

TEST(CollectHostProvenanceTest, ReadsTheMachineUnderRoot) {
  const std::string root = absl::StrCat(std::getenv("TEST_TMPDIR"), "/root");
  fs::create_directories(root + "/proc");
  std::ofstream(root + "/proc/cmdline") << "root=/dev/vda1 mitigations=off\n";
  record::Host h = CollectHostProvenance("lo", 1500, root);
  EXPECT_EQ(h.kernel_cmdline(), "root=/dev/vda1 mitigations=off");
  EXPECT_EQ(h.thp_enabled(), kUnknown);  // not in the fake root
  EXPECT_EQ(h.mtu(), 1500);
  EXPECT_EQ(h.sysctls_size(), static_cast<int>(RecordedSysctls().size()));
}

TEST(TestbedFingerprintTest, SameFactsSameFingerprint) {
  record::Run a = LoopbackRun();
  record::Run b = LoopbackRun();
  // What changes from run to run, or is no property of the setup.
  b.mutable_host()->set_hostname("b");
  b.mutable_host()->set_irqbalance("not running");
  b.mutable_host()->set_kernel_cmdline("BOOT_IMAGE=/vmlinuz-new quiet");
  b.set_run_id("other");
  EXPECT_EQ(ComputeTestbedFingerprint(a), ComputeTestbedFingerprint(b));
  EXPECT_EQ(ComputeTestbedFingerprint(a).size(), 64u);
}

TEST(TestbedFingerprintTest, EachFactChangesIt) {
  const std::string base = ComputeTestbedFingerprint(LoopbackRun());
  auto changed = [&](auto edit) {
    record::Run r = LoopbackRun();
    edit(&r);
    return ComputeTestbedFingerprint(r) != base;
  };
  EXPECT_TRUE(changed([](record::Run* r) {
    r->mutable_host()->set_kernel_release("6.1.0-20-amd64");
  }));
  EXPECT_TRUE(changed(
      [](record::Run* r) { r->mutable_host()->set_governors("powersave"); }));
  EXPECT_TRUE(
      changed([](record::Run* r) { r->mutable_host()->set_turbo("off"); }));
  EXPECT_TRUE(changed(
      [](record::Run* r) { r->mutable_host()->set_thp_enabled("always"); }));
  EXPECT_TRUE(changed([](record::Run* r) {
    r->mutable_host()->mutable_mitigations(0)->set_value("Vulnerable");
  }));
  EXPECT_TRUE(changed([](record::Run* r) {
    r->mutable_host()->mutable_sysctls(0)->set_value("4194304");
  }));
  EXPECT_TRUE(
      changed([](record::Run* r) { r->mutable_host()->set_cpu_cores(4); }));
  EXPECT_TRUE(
      changed([](record::Run* r) { r->mutable_host()->set_mtu(16384); }));
  EXPECT_TRUE(changed(
      [](record::Run* r) { r->mutable_isolation()->set_mode("netns"); }));
}

TEST(TestbedFingerprintTest, AVethIsOneTestbedWhateverItsName) {
  auto netns = [](const std::string& veth, const std::string& syn) {
    record::Run r = LoopbackRun();
    r.mutable_isolation()->set_mode("netns");
    r.mutable_host()->set_interface(veth);
    r.mutable_host()->set_mtu(1500);
    record::KeyValue* kv = r.mutable_isolation()->add_details();
    kv->set_key("netns_sysctl.net.ipv4.tcp_syn_retries");
    kv->set_value(syn);
    kv = r.mutable_isolation()->add_details();
    kv->set_key("interface");
    kv->set_value(veth);
    return ComputeTestbedFingerprint(r);
  };
  EXPECT_EQ(netns("cs1234s", "6"), netns("cs9abcs", "6"));
  EXPECT_NE(netns("cs1234s", "6"), netns("cs1234s", "3"));
}

TEST(TestbedFingerprintTest, TheNicAndThePeerAreOfTheTestbed) {
  const std::string base = ComputeTestbedFingerprint(LoopbackRun());
  auto with = [](const std::function<void(record::Run*)>& change) {
    record::Run r = LoopbackRun();
    change(&r);
    return ComputeTestbedFingerprint(r);
  };
  const std::string driver =
      with([](record::Run* r) { r->mutable_host()->set_nic_driver("mlx5"); });
  const std::string speed = with(
      [](record::Run* r) { r->mutable_host()->set_link_speed_mbps(25000); });
  auto offload = [](const std::string& gro) {
    return [gro](record::Run* r) {
      record::KeyValue* kv = r->mutable_host()->add_offloads();
      kv->set_key("gro");
      kv->set_value(gro);
    };
  };
  auto peer = [](const std::string& cpu, const std::string& role) {
    return [cpu, role](record::Run* r) {
      r->mutable_peer()->set_role(role);
      r->mutable_peer()->mutable_host()->set_cpu_model(cpu);
      r->mutable_peer()->set_target("ignored");
    };
  };
  const std::set<std::string> all = {base,
                                     driver,
                                     speed,
                                     with(offload("on")),
                                     with(offload("off")),
                                     with(peer("A", "server")),
                                     with(peer("B", "server")),
                                     with(peer("A", "client"))};
  EXPECT_EQ(all.size(), 8u);
  EXPECT_EQ(with(peer("A", "server")), [&] {
    record::Run r = LoopbackRun();
    peer("A", "server")(&r);
    r.mutable_peer()->set_target("another name of it");
    return ComputeTestbedFingerprint(r);
  }());
}

TEST(TestbedFingerprintTest, StoredFingerprintWins) {
  record::Run r = LoopbackRun();
  EXPECT_EQ(TestbedFingerprintOf(r), ComputeTestbedFingerprint(r));
  r.mutable_host()->set_testbed_fingerprint("f00d");
  EXPECT_EQ(TestbedFingerprintOf(r), "f00d");
}

TEST(TestbedFingerprintTest, OldRecordsUseTheFactsTheyHave) {
  record::Run old = LoopbackRun();
  record::Host* h = old.mutable_host();
  h->clear_kernel_release();
  h->clear_governors();
  TestbedFacts t = TestbedFactsOfRecord(old);
  EXPECT_EQ(t.kernel_release, "6.1.0-18-amd64");  // from uname's text
  EXPECT_EQ(t.governor, "performance");           // cpu0's
  EXPECT_EQ(t.nic, "loopback mtu 65536");
  record::Run bare;
  t = TestbedFactsOfRecord(bare);
  EXPECT_EQ(t.cpu_model, kUnknown);
  EXPECT_EQ(t.kernel_release, kUnknown);
  EXPECT_EQ(t.turbo, kUnknown);
}

TEST(CollectBuildTest, NamesTheBinaryByItsSha256) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/bin");
  std::ofstream(path) << "not really a binary";
  record::Build b = CollectBuild(path);
  EXPECT_EQ(b.binary_sha256(), record::Sha256Hex("not really a binary"));
  EXPECT_FALSE(b.version().empty());
  EXPECT_FALSE(b.compilation_mode().empty());
  EXPECT_FALSE(b.bazel_version().empty());
  EXPECT_EQ(b.libraries_size(), 8);
  EXPECT_EQ(b.libraries(0).name(), "Abseil");
  b = CollectBuild(path + ".missing");
  EXPECT_THAT(b.binary_sha256(), StartsWith("unreadable: "));
  EXPECT_THAT(b.binary_sha256(), HasSubstr(".missing"));
}

}  // namespace
}  // namespace copyscope::env
