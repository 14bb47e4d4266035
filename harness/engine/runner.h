// The runner: measures one sample of one cell (one transport, message size
// and number of connections) in stream mode (either direction) or
// request-response mode, for a duration or a count of messages.
//
//   LoopbackNetwork net;
//   CellSpec spec;
//   spec.transport = plugin.transport;  spec.transport_name = plugin.name;
//   spec.size = 4096;  spec.fields = 8;  spec.threads = 2;
//   RunnerConfig config;                // warm-up 200ms, duration 1s
//   CellResult r = RunCell(spec, config, net, /*hooks=*/nullptr);
//   if (r.status.ok()) printf("%.2f Gbit/s\n", *r.throughput_gbps);
//
// Thread model. Each of the N connections has a server thread and a client
// thread. Every worker thread first runs ThreadHooks::OnThreadStart (pinning
// plugs in there) and Network::SetupThread (namespace isolation plugs in
// there). The server thread then listens on an ephemeral port of
// Network::ServerAddress and publishes the port (a notification: readiness
// by handshake, never by sleeping); its client connects; each opens its
// plugin endpoint (server: sender, client: receiver), and all 2N workers
// and the main thread meet at a start barrier. In stream mode the receiving
// side opens its endpoint with spec.recv_transport when one is set (a
// receive variant paired with any sender); its counters are the
// receiver's.
//
// Phases (duration mode, config.messages == 0). The main thread drives one
// phase flag: warm-up for config.warmup, the measured interval for
// config.duration, then stop. The hot loops read the flag with one relaxed
// atomic load per message; no lock per message. When a worker observes the
// measured interval begin or end it reads CLOCK_MONOTONIC, its message
// count and getrusage(RUSAGE_THREAD), and calls
// ThreadHooks::OnMeasureStart/Stop (per-thread perf counters plug in
// there), so the receiver's byte count is exactly what it received inside
// its own window. Throughput is computed at the receiver.
//
// Count mode (config.messages = N > 0): each sender sends
// config.warmup_messages first, then N; each receiver opens its window
// after the last warm-up message and closes it at the N-th measured one.
// The phase flag then only says stop (on failure or interrupt).
//
// Request-response (spec.mode == Mode::kRequestResponse): both endpoints
// are CS_ROLE_BOTH; the client sends a request of request_size bytes, the
// server receives it and answers with response_size bytes, the client
// receives it. The client reads CLOCK_MONOTONIC around every transaction
// (the one place with a clock read per message) and records the round
// trip into a Histogram; the window and the counts are the client's.
//
// Sending. Messages come from a MessagePool. A transport with
// CS_CAP_ASYNC_RELEASE gets up to InFlight(size) messages in flight and
// gives them back through reap(); otherwise one message is reused at once.
// On stop the sender reaps everything outstanding and shuts down its write
// side; the receiver drains until end of stream.
//
// Failure. Every wait is bounded: accept/connect and the barrier by
// config.io_timeout (plus a margin), every plugin wait by the endpoint's
// io_timeout_ms, and the main thread gives the workers io_timeout + margin
// to finish after stop. The first error of any thread (a plugin's errno and
// message as an absl::Status naming transport and role) fails the cell:
// every socket of the cell is shut down so no thread stays blocked, and the
// run goes on with the next cell. A thread that still does not finish (a
// plugin ignoring its own timeout) is left detached and the cell fails;
// `network`, `hooks` and the plugin must then outlive it, which they do when
// they live as long as the process. SIGPIPE is ignored process-wide.
#ifndef COPYSCOPE_HARNESS_ENGINE_RUNNER_H_
#define COPYSCOPE_HARNESS_ENGINE_RUNNER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "harness/engine/network.h"
#include "harness/engine/results.h"
#include "harness/engine/thread_hooks.h"
#include "plugins/copyscope_transport.h"

namespace copyscope::harness {

struct CellSpec {
  const cs_transport* transport = nullptr;  // a validated, usable plugin
  std::string transport_name;
  uint64_t size = 4096;  // bytes per message, >= 1
  uint32_t fields = 8;   // requested fields per message (capped at size)
  int threads = 1;       // connections, >= 1
  std::vector<std::pair<std::string, std::string>> options;  // key, value
  // Stream mode: the plugin of the receiving side when it is not
  // `transport` (nullptr: `transport` receives too), with its options.
  const cs_transport* recv_transport = nullptr;
  std::string recv_transport_name;
  std::vector<std::pair<std::string, std::string>> recv_options;
  Mode mode = Mode::kStream;
  Direction direction = Direction::kServerToClient;  // stream mode
  uint64_t request_size = 0;                         // rr; 0: size
  uint64_t response_size = 0;                        // rr; 0: size
};

struct RunnerConfig {
  absl::Duration warmup = absl::Milliseconds(200);
  absl::Duration duration = absl::Seconds(1);
  absl::Duration io_timeout = absl::Seconds(10);
  // Slack on top of io_timeout for setup and for finishing after stop.
  absl::Duration margin = absl::Seconds(5);
  // In-flight messages of an async-release transport: at most this many,
  // and at most this many bytes.
  uint32_t max_in_flight = 64;
  size_t in_flight_bytes = size_t{64} << 20;
  // Count mode: messages (rr: transactions) per connection, measured after
  // warmup_messages; 0 selects duration mode.
  uint64_t messages = 0;
  uint64_t warmup_messages = 0;
  // Count mode: the bound on the whole measured part of a cell.
  absl::Duration count_timeout = absl::Minutes(10);
  // When set and it becomes true (e.g. on SIGINT), the cell stops within
  // about 50 ms and fails with a CANCELLED status.
  const std::atomic<bool>* interrupt = nullptr;
};

// Runs one cell and returns its result, summarized (see results.h). Never
// throws or aborts on a plugin's failure: the result's status says what
// went wrong. hooks may be null.
CellResult RunCell(const CellSpec& spec, const RunnerConfig& config,
                   Network& network, ThreadHooks* hooks);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_ENGINE_RUNNER_H_
