#include "harness/engine/plugins.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/record/sha256.h"

namespace copyscope::engine {
namespace {

// The plugin's string, at most max bytes of it ("" for NULL): a descriptor
// is validated before it is described, but its strings are still read
// within their bounds.
std::string Bounded(const char* s, size_t max) {
  return s != nullptr ? std::string(s, strnlen(s, max)) : std::string();
}

// The usable plugin of that name, or why there is none.
absl::StatusOr<const cs_transport*> Usable(const plugins::PluginSet& set,
                                           const std::string& name) {
  for (const plugins::Plugin& p : set.plugins()) {
    if (p.name == name && p.status == plugins::PluginStatus::kOk) {
      return p.transport;
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("transport '", name, "' is not loaded and usable here"));
}

}  // namespace

std::vector<std::string> CapabilityNames(uint64_t capabilities) {
  static constexpr struct {
    uint64_t bit;
    const char* name;
  } kCaps[] = {
      {CS_CAP_SCATTER_GATHER, "scatter_gather"},
      {CS_CAP_ASYNC_RELEASE, "async_release"},
      {CS_CAP_ZERO_COPY_SEND, "zero_copy_send"},
      {CS_CAP_BATCHING, "batching"},
      {CS_CAP_RECV, "recv"},
      {CS_CAP_RECV_IN_PLACE, "recv_in_place"},
      {CS_CAP_RECV_DISCARDS, "recv_discards"},
      {CS_CAP_DATAGRAM, "datagram"},
  };
  std::vector<std::string> names;
  uint64_t rest = capabilities;
  for (const auto& c : kCaps) {
    if (capabilities & c.bit) names.push_back(c.name);
    rest &= ~c.bit;
  }
  if (rest != 0) names.push_back(absl::StrFormat("0x%x", rest));
  return names;
}

record::PluginInfo Describe(const plugins::Plugin& p) {
  record::PluginInfo info;
  info.set_name(p.name);
  info.set_path(p.path);
  info.set_status(plugins::StatusName(p.status));
  info.set_reason(p.reason);
  if (const cs_transport* t = p.transport) {
    info.set_version(Bounded(t->version, plugins::kMaxVersionBytes));
    info.set_abi_major(t->abi_major);
    info.set_abi_minor(t->abi_minor);
    info.set_description(Bounded(t->description, plugins::kMaxTextBytes));
    for (const std::string& c : CapabilityNames(t->capabilities)) {
      info.add_capabilities(c);
    }
    const uint32_t options =
        std::min(t->option_count, plugins::kMaxDescriptorOptions);
    for (uint32_t i = 0; t->options != nullptr && i < options; ++i) {
      const cs_option_desc& o = t->options[i];
      if (o.key == nullptr) continue;
      record::PluginOption* po = info.add_options();
      po->set_key(Bounded(o.key, plugins::kMaxNameBytes));
      po->set_default_value(Bounded(o.default_value, plugins::kMaxTextBytes));
      po->set_help(Bounded(o.help, plugins::kMaxTextBytes));
    }
  }
  absl::StatusOr<std::string> sha = record::Sha256File(p.path);
  info.set_sha256(
      sha.ok() ? *sha : absl::StrCat("unreadable: ", sha.status().message()));
  return info;
}

absl::StatusOr<CellPlugins> Resolve(const plugins::PluginSet& set,
                                    const config::CellSpec& cell) {
  CellPlugins out;
  absl::StatusOr<const cs_transport*> t = Usable(set, cell.transport);
  if (!t.ok()) return t.status();
  out.transport = *t;
  if (!cell.recv_transport.empty()) {
    absl::StatusOr<const cs_transport*> r = Usable(set, cell.recv_transport);
    if (!r.ok()) return r.status();
    out.recv_transport = *r;
  }
  if (!cell.background.none()) {
    absl::StatusOr<const cs_transport*> b =
        Usable(set, cell.background.transport);
    if (!b.ok()) return b.status();
    out.background = *b;
  }
  return out;
}

}  // namespace copyscope::engine
