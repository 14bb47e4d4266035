// The text of `copyscope list`: every plugin found, with its status (ok,
// unavailable, rejected), version, capabilities, description, reason, path
// and the options it accepts.
//
//   std::vector<record::PluginInfo> plugins = ...;   // engine/plugins.h
//   fputs(FormatPluginList(plugins).c_str(), stdout);
#ifndef COPYSCOPE_HARNESS_CLI_PLUGIN_LIST_H_
#define COPYSCOPE_HARNESS_CLI_PLUGIN_LIST_H_

#include <string>
#include <vector>

#include "harness/record/record.pb.h"

namespace copyscope::cli {

std::string FormatPluginList(const std::vector<record::PluginInfo>& plugins);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_PLUGIN_LIST_H_
