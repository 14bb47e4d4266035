// What one side of a cell does, worked out from the cell alone: whether it
// sends and receives, the sizes of what it sends and receives, how many
// messages its pool holds, and the endpoint it opens (plugin, role, limits,
// options). The runner opens exactly this; the checks before a sweep
// (preflight.h) open and size the same.
//
//   SidePlan server = PlanSide(cell, plugins, Side::kServer, config);
//   // or, where only the plugin's capability bits are known (a controller):
//   SidePlan s = PlanSide(cell, info_capabilities, Side::kServer, config);
//   server.endpoint.fd = fd;
//   absl::StatusOr<Endpoint> ep = Endpoint::Open(server.endpoint);
#ifndef COPYSCOPE_HARNESS_ENGINE_SIDE_H_
#define COPYSCOPE_HARNESS_ENGINE_SIDE_H_

#include <cstdint>

#include "harness/config/plan.h"
#include "harness/engine/endpoint.h"
#include "harness/engine/network.h"
#include "harness/engine/runner.h"

namespace copyscope::engine {

struct SidePlan {
  bool sends = false;
  bool receives = false;
  uint64_t tx_size = 0;     // bytes per message sent
  uint64_t rx_size = 0;     // bytes per message received
  uint32_t pool_count = 0;  // messages of the send pool (0: sends nothing)
  bool async = false;       // the sending plugin releases buffers later
  // A datagram cell (the transport has CS_CAP_DATAGRAM): UDP sockets, and
  // each message carries its sequence number in its first 8 bytes.
  bool datagram = false;
  uint32_t batch = 1;     // messages per send() (datagram stream senders)
  EndpointSpec endpoint;  // fd unset
};

// `capabilities`: the CS_CAP_* bits of the cell's transport (the sender's
// plugin). The endpoint's transport is left null, its name set.
SidePlan PlanSide(const config::CellSpec& cell, uint64_t capabilities,
                  Side side, const RunnerConfig& config);

// The same, with the endpoint's transport taken from `plugins`.
SidePlan PlanSide(const config::CellSpec& cell, const CellPlugins& plugins,
                  Side side, const RunnerConfig& config);

// The memory a side's messages take: its send pool and receive buffer.
uint64_t SideMemory(const SidePlan& side);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_SIDE_H_
