// The text of `copyscope list`: every plugin found, with its status (ok,
// unavailable, rejected), version, capabilities, description, reason, path
// and the options it accepts.
//
//   plugins::PluginSet set;  ... load ...
//   fputs(FormatPluginList(set.plugins()).c_str(), stdout);
//   CapabilityNames(CS_CAP_SCATTER_GATHER | CS_CAP_RECV);
//       // "scatter_gather,recv"
#ifndef COPYSCOPE_HARNESS_CLI_PLUGIN_LIST_H_
#define COPYSCOPE_HARNESS_CLI_PLUGIN_LIST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "plugins/loader.h"

namespace copyscope::harness {

// Comma-separated names of the CS_CAP_* bits, unknown bits as hex;
// "none" for 0.
std::string CapabilityNames(uint64_t capabilities);

std::string FormatPluginList(const std::vector<plugins::Plugin>& plugins);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_CLI_PLUGIN_LIST_H_
