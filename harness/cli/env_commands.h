// The subcommands that look at the machine rather than run cells:
//
//   copyscope topo [--topology-xml=FILE]   the CPU table and summary line
//   copyscope netns check                   can netns isolation work here?
//
//   return TopoCommand(inv.run.topology_xml);   // 0, or 2 for a bad file
//   return NetnsCheckCommand();                 // 0 works, 1 does not
#ifndef COPYSCOPE_HARNESS_CLI_ENV_COMMANDS_H_
#define COPYSCOPE_HARNESS_CLI_ENV_COMMANDS_H_

#include <string>

namespace copyscope::cli {

// Prints the topology of this machine (or of an hwloc XML file): one row per
// logical CPU, then its summary line. Exit code.
int TopoCommand(const std::string& topology_xml);

// Prints isolation::Check()'s findings, one per line, and its verdict.
// Exit code: 0 if netns isolation works here, 1 if not.
int NetnsCheckCommand();

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_ENV_COMMANDS_H_
