#include "harness/cli/plugin_list.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/cli/table.h"

namespace copyscope::harness {
namespace {

const char* Or(const char* s, const char* fallback) {
  return s != nullptr ? s : fallback;
}

}  // namespace

std::string CapabilityNames(uint64_t capabilities) {
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
  };
  std::vector<std::string> names;
  uint64_t rest = capabilities;
  for (const auto& c : kCaps) {
    if (capabilities & c.bit) names.push_back(c.name);
    rest &= ~c.bit;
  }
  if (rest != 0) names.push_back(absl::StrFormat("0x%x", rest));
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

std::string FormatPluginList(const std::vector<plugins::Plugin>& plugins) {
  if (plugins.empty()) {
    return "no plugins found (use --plugin-dir=DIR or --plugin=PATH)\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const plugins::Plugin& p : plugins) {
    const cs_transport* t = p.transport;
    rows.push_back({p.name, plugins::StatusName(p.status),
                    t ? Or(t->version, "?") : "-",
                    t ? CapabilityNames(t->capabilities) : "-"});
  }
  std::string out = FormatColumns(
      {"transport", "status", "version", "capabilities"}, rows, {});
  for (const plugins::Plugin& p : plugins) {
    const cs_transport* t = p.transport;
    absl::StrAppend(&out, "\n", p.name, ": ",
                    t ? Or(t->description, "") : "(not loaded)", "\n");
    if (!p.reason.empty()) absl::StrAppend(&out, "  reason  ", p.reason, "\n");
    absl::StrAppend(&out, "  path    ", p.path, "\n");
    if (t == nullptr || t->options == nullptr) continue;
    for (uint32_t i = 0; i < t->option_count; ++i) {
      const cs_option_desc& o = t->options[i];
      absl::StrAppend(&out, "  option  ", Or(o.key, "?"), "=",
                      Or(o.default_value, ""), "  ", Or(o.help, ""), "\n");
    }
  }
  return out;
}

}  // namespace copyscope::harness
