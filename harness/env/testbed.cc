#include "harness/env/testbed.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/env/build_facts.h"
#include "harness/env/build_info.h"
#include "harness/env/host_info.h"
#include "harness/record/sha256.h"

namespace copyscope::env {
namespace {

std::string OrUnknown(const std::string& s) { return s.empty() ? kUnknown : s; }

// The release in uname's "Linux 6.1.0-18-amd64 #1 SMP ... x86_64", for
// records that predate kernel_release.
std::string ReleaseOfUname(const std::string& kernel) {
  std::vector<std::string> words =
      absl::StrSplit(kernel, ' ', absl::SkipEmpty());
  return words.size() >= 2 ? words[1] : kUnknown;
}

}  // namespace

void AddMachineFacts(const MachineFacts& m, record::Host* host) {
  host->set_kernel_release(m.kernel_release);
  host->set_kernel_cmdline(m.kernel_cmdline);
  host->set_cpu_cores(m.counts.cores);
  host->set_governors(m.governors.summary);
  host->set_turbo(m.turbo.state);
  host->set_turbo_source(m.turbo.source);
  host->clear_mitigations();
  for (const auto& [name, text] : m.mitigations) {
    record::KeyValue* kv = host->add_mitigations();
    kv->set_key(name);
    kv->set_value(text);
  }
  host->set_thp_enabled(m.thp_enabled);
  host->set_thp_defrag(m.thp_defrag);
  host->set_irqbalance(m.irqbalance);
}

record::Host CollectHostProvenance(const std::string& interface,
                                   std::optional<int> mtu,
                                   const std::string& root) {
  record::Host host = CollectHost(interface, mtu);
  AddMachineFacts(CollectMachineFacts(root), &host);
  return host;
}

record::Build CollectBuild(const std::string& binary) {
  record::Build b;
  const BuildInfo& info = GetBuildInfo();
  b.set_version(info.version);
  b.set_stamped(info.stamped);
  b.set_git_commit(info.git_commit);
  b.set_git_dirty(info.git_dirty);
  b.set_compiler(info.compiler);
  b.set_compilation_mode(info.compilation_mode);
  const BuildFacts& facts = GetBuildFacts();
  b.set_bazel_version(facts.bazel_version);
  b.set_compiler_path(facts.compiler_path);
  b.set_compile_flags(facts.compile_flags);
  b.set_link_flags(facts.link_flags);
  for (const LibraryVersion& l : facts.libraries) {
    record::LibraryVersion* rl = b.add_libraries();
    rl->set_name(l.name);
    rl->set_version(l.version);
    rl->set_api(l.api);
    rl->set_source(l.source);
  }
  absl::StatusOr<std::string> sha = BinarySha256(binary);
  b.set_binary_sha256(
      sha.ok() ? *sha : absl::StrCat("unreadable: ", sha.status().message()));
  return b;
}

TestbedFacts TestbedFactsOfRecord(const record::Run& run) {
  const record::Host& h = run.host();
  TestbedFacts t;
  t.cpu_model = OrUnknown(h.cpu_model());
  t.cpus = h.cpu_count();
  t.cores = h.cpu_cores();
  t.kernel_release = h.kernel_release().empty() ? ReleaseOfUname(h.kernel())
                                                : h.kernel_release();
  // Records before schema 5 have cpu0's governor only.
  t.governor = h.governors().empty() ? OrUnknown(h.governor()) : h.governors();
  t.turbo = OrUnknown(h.turbo());
  t.thp_enabled = OrUnknown(h.thp_enabled());
  t.thp_defrag = OrUnknown(h.thp_defrag());
  for (const record::KeyValue& kv : h.mitigations()) {
    t.mitigations[kv.key()] = kv.value();
  }
  for (const record::KeyValue& kv : h.sysctls()) {
    t.sysctls.emplace_back(kv.key(), kv.value());
  }
  // The path the data took: the kind of link (a veth's name changes from
  // run to run), its MTU and, in namespaces, the sysctls the sockets saw.
  const std::string& mode = run.isolation().mode();
  std::string link = mode == "loopback" ? "loopback"
                     : mode == "netns"
                         ? "veth"
                         : absl::StrCat(OrUnknown(mode), " ", h.interface());
  if (h.has_mtu()) absl::StrAppend(&link, " mtu ", h.mtu());
  // The device behind it, where the record read it: speed and offloads
  // change the figures as much as the MTU does.
  if (h.has_link_speed_mbps()) {
    absl::StrAppend(&link, " speed ", h.link_speed_mbps(), " Mb/s");
  }
  for (const record::KeyValue& kv : h.offloads()) {
    absl::StrAppend(&link, " ", kv.key(), "=", kv.value());
  }
  t.nic = link;
  t.nic_driver = h.nic_driver();
  for (const record::KeyValue& kv : run.isolation().details()) {
    if (absl::StartsWith(kv.key(), "netns_sysctl.")) {
      t.sysctls.emplace_back(kv.key(), kv.value());
    }
  }
  return t;
}

std::string ComputeTestbedFingerprint(const record::Run& run) {
  if (!run.has_peer()) return TestbedFingerprint(TestbedFactsOfRecord(run));
  // Two hosts: both machines and the side the peer ran.
  record::Run peer;
  *peer.mutable_host() = run.peer().host();
  *peer.mutable_isolation() = run.isolation();
  return record::Sha256Hex(
      absl::StrCat(TestbedCanonicalText(TestbedFactsOfRecord(run)), "peer ",
                   run.peer().role(), "\n",
                   TestbedCanonicalText(TestbedFactsOfRecord(peer))));
}

std::string TestbedFingerprintOf(const record::Run& run) {
  const std::string& stored = run.host().testbed_fingerprint();
  return stored.empty() ? ComputeTestbedFingerprint(run) : stored;
}

}  // namespace copyscope::env
