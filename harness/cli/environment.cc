#include "harness/cli/environment.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "harness/env/testbed.h"

namespace copyscope::cli {
namespace {

class Facts {
 public:
  explicit Facts(std::vector<Fact>* out) : out_(out) {}
  // Adds the fact unless its value is empty (not in the record).
  void Add(const std::string& section, const std::string& name,
           const std::string& value) {
    if (!value.empty()) out_->push_back({section, name, value});
  }

 private:
  std::vector<Fact>* out_;
};

std::string Commit(const record::Build& b) {
  if (!b.stamped()) return "unknown (unstamped build)";
  const char* dirty = b.git_dirty() == 1   ? " (dirty)"
                      : b.git_dirty() == 0 ? " (clean)"
                                           : " (dirty flag unknown)";
  return absl::StrCat(b.git_commit(), dirty);
}

void HostFacts(const record::Host& h, const std::string& s, Facts* f) {
  f->Add(s, "hostname", h.hostname());
  f->Add(s, "kernel", h.kernel());
  f->Add(s, "kernel release", h.kernel_release());
  f->Add(s, "kernel cmdline", h.kernel_cmdline());
  f->Add(s, "cpu model", h.cpu_model());
  if (h.cpu_count() > 0) f->Add(s, "cpus", absl::StrCat(h.cpu_count()));
  if (h.cpu_cores() > 0) f->Add(s, "cores", absl::StrCat(h.cpu_cores()));
  f->Add(s, "governor", h.governors().empty() ? h.governor() : h.governors());
  f->Add(s, "turbo",
         h.turbo_source().empty()
             ? h.turbo()
             : absl::StrCat(h.turbo(), " (", h.turbo_source(), ")"));
  for (const record::KeyValue& kv : h.mitigations()) {
    f->Add(s, absl::StrCat("mitigation ", kv.key()), kv.value());
  }
  f->Add(s, "thp enabled", h.thp_enabled());
  f->Add(s, "thp defrag", h.thp_defrag());
  f->Add(s, "irqbalance", h.irqbalance());
  for (const record::KeyValue& kv : h.sysctls()) {
    f->Add(s, absl::StrCat("sysctl ", kv.key()), kv.value());
  }
}

// The interface the data crossed and the device behind it.
void DataPathFacts(const record::Host& h, const std::string& s, Facts* f) {
  f->Add(s, "interface", h.interface());
  if (h.has_mtu()) f->Add(s, "mtu", absl::StrCat(h.mtu()));
  f->Add(s, "nic driver", h.nic_driver());
  if (h.has_link_speed_mbps()) {
    f->Add(s, "link speed", absl::StrCat(h.link_speed_mbps(), " Mb/s"));
  }
  for (const record::KeyValue& kv : h.offloads()) {
    f->Add(s, absl::StrCat("offload ", kv.key()), kv.value());
  }
  for (const record::KeyValue& kv : h.irq_affinity()) {
    f->Add(s, absl::StrCat("irq ", kv.key(), " cpus"), kv.value());
  }
  for (size_t i = 0; i < static_cast<size_t>(h.nic_notes_size()); ++i) {
    f->Add(s, absl::StrCat("note ", i + 1), h.nic_notes(static_cast<int>(i)));
  }
}

void PeerFacts(const record::PeerHost& p, Facts* f) {
  f->Add("peer", "target", p.target());
  f->Add("peer", "role", p.role());
  f->Add("peer", "address", p.address());
  f->Add("peer", "version", p.version());
  f->Add("peer", "deployed to", p.deployed_to());
  f->Add("peer", "topology", p.topology());
  HostFacts(p.host(), "peer host", f);
  DataPathFacts(p.host(), "peer data path", f);
}

void BuildFacts(const record::Build& b, Facts* f) {
  const std::string s = "build";
  f->Add(s, "version", b.version());
  f->Add(s, "commit", Commit(b));
  f->Add(s, "compiler", b.compiler());
  f->Add(s, "compilation mode", b.compilation_mode());
  f->Add(s, "bazel", b.bazel_version());
  f->Add(s, "compiler path", b.compiler_path());
  f->Add(s, "compile flags", b.compile_flags());
  f->Add(s, "link flags", b.link_flags());
  for (const record::LibraryVersion& l : b.libraries()) {
    f->Add(s, absl::StrCat("library ", l.name()),
           absl::StrCat(l.version(), l.api().empty() ? "" : " (API ", l.api(),
                        l.api().empty() ? "" : ")", "; ", l.source()));
  }
  f->Add(s, "binary sha256", b.binary_sha256());
}

void PluginFacts(const record::PluginInfo& p, Facts* f) {
  const std::string s = absl::StrCat("plugin ", p.name());
  f->Add(s, "version", p.version());
  f->Add(s, "abi", absl::StrCat(p.abi_major(), ".", p.abi_minor()));
  f->Add(s, "status",
         p.reason().empty() ? p.status()
                            : absl::StrCat(p.status(), ": ", p.reason()));
  f->Add(s, "sha256", p.sha256());
  f->Add(s, "path", p.path());
}

std::string Shown(const std::string& v, const char* absent) {
  return v.empty() ? absent : v;
}

}  // namespace

std::vector<Fact> EnvironmentFacts(const record::Run& run) {
  std::vector<Fact> out;
  Facts f(&out);
  const std::string fp = env::TestbedFingerprintOf(run);
  f.Add("testbed", "fingerprint",
        run.host().testbed_fingerprint().empty()
            ? absl::StrCat(fp, " (computed: the record predates it)")
            : fp);
  HostFacts(run.host(), "host", &f);
  DataPathFacts(run.host(), "data path", &f);
  if (run.has_peer()) PeerFacts(run.peer(), &f);
  BuildFacts(run.build(), &f);
  for (const record::PluginInfo& p : run.plugins()) PluginFacts(p, &f);
  const record::Isolation& iso = run.isolation();
  f.Add("isolation", "mode", iso.mode());
  f.Add("isolation", "reason", iso.reason());
  for (const record::KeyValue& kv : iso.details()) {
    f.Add("isolation", kv.key(), kv.value());
  }
  f.Add("topology", "summary", run.topology().summary());
  f.Add("topology", "pinning", run.topology().pin_plan());
  return out;
}

std::string FormatEnvironment(const record::Run& run) {
  std::string out;
  std::string section;
  for (const Fact& fact : EnvironmentFacts(run)) {
    if (fact.section != section) {
      section = fact.section;
      absl::StrAppend(&out, section, "\n");
    }
    std::string value = fact.value;
    if (value.find('\n') != std::string::npos) {
      if (value.back() == '\n') value.pop_back();
      value = absl::StrCat("\n      ",
                           absl::StrReplaceAll(value, {{"\n", "\n      "}}));
    }
    absl::StrAppend(&out, "  ", fact.name, ": ", value, "\n");
  }
  return out;
}

std::vector<FactChange> DiffEnvironment(const record::Run& recorded,
                                        const record::Run& now) {
  // The plugins of the recorded run's cells.
  std::set<std::string> used(recorded.plan().transports().begin(),
                             recorded.plan().transports().end());
  used.insert(recorded.plan().recv_transports().begin(),
              recorded.plan().recv_transports().end());
  for (const std::string& b : recorded.plan().backgrounds()) {
    if (b != "none") used.insert(b.substr(0, b.find(':')));  // TRANSPORT:...
  }
  auto relevant = [&](const Fact& f) {
    if (f.section == "host") return true;
    if (f.section == "build") return true;
    if (f.section.rfind("plugin ", 0) == 0) {
      return used.count(f.section.substr(7)) > 0 && f.name != "path";
    }
    return false;
  };
  // Facts by name, in the recorded order, then those only `now` has.
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::string, std::string>> values;
  auto add = [&](const record::Run& run, bool is_now) {
    for (const Fact& f : EnvironmentFacts(run)) {
      if (!relevant(f)) continue;
      const std::string name = absl::StrCat(f.section, " ", f.name);
      auto [it, inserted] = values.try_emplace(name);
      if (inserted) order.push_back(name);
      (is_now ? it->second.second : it->second.first) = f.value;
    }
  };
  add(recorded, false);
  add(now, true);
  std::vector<FactChange> out;
  for (const std::string& name : order) {
    const auto& [before, after] = values[name];
    if (before == after) continue;
    out.push_back({name, before, after});
  }
  return out;
}

std::string FormatChanges(const std::vector<FactChange>& changes) {
  std::string out;
  for (const FactChange& c : changes) {
    absl::StrAppend(&out, "  ", c.name, ": ", Shown(c.before, "(not recorded)"),
                    " -> ", Shown(c.after, "(absent)"), "\n");
  }
  return out;
}

std::string BuildJson(const record::Build& build) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(build, &out, options).ok()) {
    return "{}\n";
  }
  return out;
}

}  // namespace copyscope::cli
