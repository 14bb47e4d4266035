// A short TCP transfer across an Isolation, run the way the runner runs a
// connection: a server thread in the server namespace listens on
// server().address (ephemeral port), a client thread in the client namespace
// connects, sends a pattern, the server verifies every byte and answers with
// the count. It proves the path works and the threads sat where they should.
//
//   ProbeOptions opts;
//   opts.bytes = 1 << 20;
//   absl::StatusOr<ProbeResult> r = ProbeTransfer(*iso, opts);
//   // r->peer_address == iso->client().address,
//   // r->server_thread_ns == iso->server().ns_inode (netns mode)
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_PROBE_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_PROBE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/env/isolation/isolation.h"

namespace copyscope::isolation {

struct ProbeOptions {
  uint64_t bytes = 256 * 1024;
  // Bounds every blocking step (accept, connect, each send/recv); a path
  // that does not work fails with DeadlineExceeded instead of hanging.
  absl::Duration step_timeout = absl::Seconds(10);
  // If set, called on the calling thread once the bytes are verified, while
  // both threads are still inside their namespaces holding the connection
  // open; they finish when it returns.
  std::function<void()> while_connected;
};

struct ProbeResult {
  uint64_t bytes = 0;             // verified by the server
  uint16_t port = 0;              // the server's ephemeral port
  std::string peer_address;       // the client's address as accept() saw it
  uint64_t server_thread_ns = 0;  // namespace inode the server thread was in
  uint64_t client_thread_ns = 0;  // and the client thread
};

absl::StatusOr<ProbeResult> ProbeTransfer(const Isolation& iso,
                                          const ProbeOptions& options = {});

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_PROBE_H_
