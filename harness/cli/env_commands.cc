#include "harness/cli/env_commands.h"

#include <cstdio>

#include "absl/status/statusor.h"
#include "harness/env/isolation/check.h"
#include "harness/env/topology/topology.h"

namespace copyscope::cli {

int TopoCommand(const std::string& topology_xml) {
  absl::StatusOr<topology::Topology> topo =
      topology::Topology::Load(topology_xml);
  if (!topo.ok()) {
    std::fprintf(stderr, "copyscope: %s\n",
                 std::string(topo.status().message()).c_str());
    return 2;
  }
  std::fputs(topo->FormatTable().c_str(), stdout);
  std::printf("%s: %s\n", topo->source().c_str(), topo->Summary().c_str());
  return 0;
}

int NetnsCheckCommand() {
  isolation::CheckReport report = isolation::Check();
  std::fputs(report.text.c_str(), stdout);
  return report.ok ? 0 : 1;
}

}  // namespace copyscope::cli
