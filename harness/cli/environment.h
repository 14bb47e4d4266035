// The environment a record describes, as named facts: the testbed
// fingerprint, the host (machine facts, sysctls), the data path (interface,
// MTU, NIC driver, speed, offloads, IRQs), on two hosts the peer (its
// agent, host and data path), the build (stamp, Bazel, flags, libraries,
// the binary's SHA-256), the plugins, the isolation and the topology. `show DIR
// --env` prints them; `rerun` prints those that differ between a record and
// this machine before it runs.
//
//   std::fputs(FormatEnvironment(run).c_str(), stdout);
//   std::vector<FactChange> d = DiffEnvironment(recorded, now);
//   std::fputs(FormatChanges(d).c_str(), stdout);
//   // "  build binary sha256: 3f0c... -> 9a41..."
//   std::fputs(BuildJson(run.build()).c_str(), stdout);   // --version --json
//
// A fact the record does not have (a record older than the field) is left
// out of the facts, so an old record shows what it holds and no more.
#ifndef COPYSCOPE_HARNESS_CLI_ENVIRONMENT_H_
#define COPYSCOPE_HARNESS_CLI_ENVIRONMENT_H_

#include <string>
#include <vector>

#include "harness/record/record.pb.h"

namespace copyscope::cli {

struct Fact {
  std::string section;  // "testbed", "host", "build", "plugin two_copy", ...
  std::string name;     // "kernel release", "sysctl net.core.rmem_max"
  std::string value;    // may hold line breaks (the pinning plan)
};

// Every fact of the record's header, in the order shown.
std::vector<Fact> EnvironmentFacts(const record::Run& run);

// The facts under a title line per section, "  name: value" each.
std::string FormatEnvironment(const record::Run& run);

// A fact whose value differs; "" stands for absent.
struct FactChange {
  std::string name;  // "section name"
  std::string before;
  std::string after;
};

// The facts of the build, the host and the plugins the recorded run used
// that differ between `recorded` and `now` (the isolation, the topology,
// the data path and the peer are left out: the run decides or finds those,
// and its record holds them).
std::vector<FactChange> DiffEnvironment(const record::Run& recorded,
                                        const record::Run& now);

// One line per change, "  NAME: BEFORE -> AFTER" ("(none)" for absent).
std::string FormatChanges(const std::vector<FactChange>& changes);

// The build as one pretty JSON object (record::Build, field names as in
// record.proto), for `copyscope --version --json`.
std::string BuildJson(const record::Build& build);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_ENVIRONMENT_H_
