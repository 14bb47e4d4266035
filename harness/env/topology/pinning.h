// Pinning policies (--pin-server, --pin-client, --pin-fallback) and the plan
// that turns them into one server CPU and one client CPU per connection on a
// given Topology. Planning is pure: it works the same on the live machine and
// on an hwloc XML fixture, so --dry-run can show plans for other machines.
//
// Usage:
//   PinOptions opts = run_options.pin;            // parsed by config
//   absl::StatusOr<PinPlan> plan = PlanPinning(*topo, *opts, threads);
//   if (!plan.ok()) return plan.status();         // exit 2, one line
//   std::cout << FormatPlan(*plan, *topo);        // --dry-run
//   // connection i: plan->placements[i].server_cpu / .client_cpu
//   // (kUnpinned = leave the thread where the scheduler puts it)
//
// Rules (also in README.md):
//  - Pools. pcore: the P-cores (every core where the machine is not hybrid).
//    ecore: the E-cores (an error where there are none). spread and compact:
//    every CPU. cpus:LIST: exactly the listed CPUs, in the order written.
//    none: the role is not pinned.
//  - Fill order. spread, pcore, ecore: the first thread of every core before
//    any second thread; P-cores before E-cores; cores taken from the NUMA
//    nodes in turn. compact: all threads of a core, core after core, node 0
//    first. cpus:LIST: as written.
//  - Sharing. Server and client never share a CPU unless the user said so:
//    two cpus:LISTs are taken literally (even if they overlap); a policy
//    facing a cpus:LIST leaves the listed CPUs out; of two policies, a pool
//    strictly inside the other keeps its CPUs and the wider one goes around
//    it (spread server + ecore client: the client keeps every E-core);
//    otherwise the shared cores are split: in every (kind, NUMA node) group
//    the first half of the cores (rounded up) goes to the server, the rest to
//    the client. E.g. pcore/pcore on 8 P-cores: server cores 0-3, client 4-7.
//  - smt-pair must be given for both roles: connection i gets the two threads
//    of the i-th SMT core (spread order), server on the first, client on the
//    second.
//  - Too few CPUs (or E-cores asked where there are none) is an error unless
//    --pin-fallback=any, which widens a policy's pool with CPUs neither role
//    uses, then reuses CPUs round-robin; a cpus:LIST or smt-pair is never
//    widened, only reused. Every such change is written to fallback_notes.
//  - A CPU absent from the topology and bad syntax are always errors.
#ifndef COPYSCOPE_HARNESS_ENV_TOPOLOGY_PINNING_H_
#define COPYSCOPE_HARNESS_ENV_TOPOLOGY_PINNING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/config/pin_policy.h"
#include "harness/env/topology/topology.h"

namespace copyscope::topology {

// The policies themselves are parsed once, with the other options, by
// harness/config/pin_policy.h.
using config::PinFallback;
using config::PinOptions;
using config::PinPolicy;
using config::PolicyKind;

// Where the two threads of one connection go; kUnpinned = not pinned.
struct Placement {
  int server_cpu = kUnpinned;
  int client_cpu = kUnpinned;
};

struct PinPlan {
  PinOptions options;
  int connections = 0;
  // The CPUs each role may draw from after sharing, in fill order; empty for
  // an unpinned role.
  std::vector<int> server_pool;
  std::vector<int> client_pool;
  // One per connection: placements[i] is connection i.
  std::vector<Placement> placements;
  // What --pin-fallback=any changed, one sentence each; empty if nothing.
  std::vector<std::string> fallback_notes;

  bool used_fallback() const { return !fallback_notes.empty(); }
};

// Plans `connections` server/client thread pairs. Errors are InvalidArgument
// with one line naming the problem and the fix (exit code 2 for the CLI).
absl::StatusOr<PinPlan> PlanPinning(const Topology& topo,
                                    const PinOptions& options, int connections);

// Text for --dry-run: the options, both pools, one row per connection (CPU,
// core, kind and NUMA node of each role) and the fallback notes.
std::string FormatPlan(const PinPlan& plan, const Topology& topo);

// The CPU order a policy fills on the whole topology (no sharing applied):
// empty for none, smt-pair, and ecore without E-cores. For tests and tools.
std::vector<int> PolicyFillOrder(const Topology& topo, const PinPolicy& policy);

}  // namespace copyscope::topology

#endif  // COPYSCOPE_HARNESS_ENV_TOPOLOGY_PINNING_H_
