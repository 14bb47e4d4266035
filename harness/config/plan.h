// From validated options and the plugins found to the cells a run measures:
// which transports (explicit, or every usable plugin), their
// --transport-opt values checked against the keys each plugin declares,
// the receive plugins of --recv (each usable and able to receive), the
// background plugins of --background (usable, able to receive), and the
// cells in order (transport, then receive plugin, then address family
// (--family), then size, then threads, then background).
//
//   std::vector<record::PluginInfo> plugins = ...;   // engine/plugins.h
//   absl::StatusOr<Plan> plan = MakePlan(options, plugins);
//   if (!plan.ok()) { /* one-line error, exit 2 */ }
//   for (const std::string& n : plan->notes) fprintf(stderr, "%s\n", ...);
//   for (const CellSpec& cell : plan->cells) ... cell.Label() ...
//
// Plugins are named here, never loaded: a cell names its plugins and the
// side that runs it resolves them. No transport is named by this code: the
// default set is whatever was found with status ok; one that is not ok is
// skipped with a note, unless it was asked for by name or by --plugin,
// which is an error naming its reason.
#ifndef COPYSCOPE_HARNESS_CONFIG_PLAN_H_
#define COPYSCOPE_HARNESS_CONFIG_PLAN_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/config/options.h"
#include "harness/config/types.h"
#include "harness/record/record.pb.h"

namespace copyscope::config {

using OptionList = std::vector<std::pair<std::string, std::string>>;

// One cell: a transport, a message size and a number of connections, with
// everything a side needs to run it.
struct CellSpec {
  std::string transport;  // the plugin's name
  // Stream mode: the plugin of the receiving side when it is not
  // `transport` (--recv); "": `transport` receives too.
  std::string recv_transport;
  uint64_t size = 4096;  // bytes per message, >= 1
  uint32_t fields = 8;   // requested fields per message (capped at size)
  int threads = 1;       // connections, >= 1
  OptionList options;    // of `transport`: key, value
  OptionList recv_options;
  Mode mode = Mode::kStream;
  Direction direction = Direction::kServerToClient;  // stream mode
  uint64_t request_size = 0;                         // rr; 0: size
  uint64_t response_size = 0;                        // rr; 0: size
  // --background (rr): stream flows of another plugin on the same sides,
  // measured beside the round trips; none() for a cell without.
  Background background;
  OptionList background_options;  // of background.transport
  Family family = Family::kInet;  // of the data sockets (--family)

  // The transport as tables show it: "two_copy", or "two_copy/uring_recv";
  // a family other than inet follows an "@": "two_copy@unix".
  std::string Label() const;
  // The background's flows as a cell of their own: a stream of
  // background.size bytes, background.threads connections, server to
  // client, one field per message.
  CellSpec BackgroundCell() const;
  // rr: the request and response sizes in bytes (size when not set).
  uint64_t RequestSize() const { return request_size ? request_size : size; }
  uint64_t ResponseSize() const { return response_size ? response_size : size; }
};

struct Plan {
  std::vector<std::string> transports;  // selected, in run order
  // --recv's plugins, in order (empty: each transport receives itself).
  std::vector<std::string> recv_transports;
  std::vector<CellSpec> cells;
  std::vector<std::string> notes;  // one line each, e.g. skipped plugins
};

absl::StatusOr<Plan> MakePlan(const RunOptions& options,
                              const std::vector<record::PluginInfo>& plugins);

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_PLAN_H_
