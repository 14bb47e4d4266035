#include "harness/cli/plugin_list.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/config/text_table.h"

namespace copyscope::cli {

std::string FormatPluginList(const std::vector<record::PluginInfo>& plugins) {
  if (plugins.empty()) {
    return "no plugins found (use --plugin-dir=DIR or --plugin=PATH)\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const record::PluginInfo& p : plugins) {
    const bool loaded = p.status() != "rejected";
    rows.push_back({p.name(), p.status(),
                    !loaded               ? "-"
                    : p.version().empty() ? "?"
                                          : p.version(),
                    !loaded ? "-"
                    : p.capabilities().empty()
                        ? "none"
                        : absl::StrJoin(p.capabilities(), ",")});
  }
  std::string out = config::FormatColumns(
      {"transport", "status", "version", "capabilities"}, rows);
  for (const record::PluginInfo& p : plugins) {
    const bool loaded = p.status() != "rejected";
    absl::StrAppend(&out, "\n", p.name(), ": ",
                    loaded ? p.description() : "(not loaded)", "\n");
    if (!p.reason().empty())
      absl::StrAppend(&out, "  reason  ", p.reason(), "\n");
    absl::StrAppend(&out, "  path    ", p.path(), "\n");
    for (const record::PluginOption& o : p.options()) {
      absl::StrAppend(&out, "  option  ", o.key(), "=", o.default_value(), "  ",
                      o.help(), "\n");
    }
  }
  return out;
}

}  // namespace copyscope::cli
