// The runner: measures one sample of one cell (one transport, message size
// and number of connections) in stream mode (either direction) or
// request-response mode (one connection, or one per transaction: crr), for
// a duration or a count of messages.
//
//   LoopbackNetwork net;
//   config::CellSpec spec;
//   spec.transport = "two_copy";  spec.size = 4096;  spec.threads = 2;
//   CellPlugins plugins{plugin.transport, nullptr};   // see plugins.h
//   RunnerConfig config;                // warm-up 200ms, duration 1s
//   CellResult r = RunCell(spec, plugins, config, net, /*hooks=*/nullptr);
//   if (r.status.ok()) ... r.sample.connections(0).bytes() ...
//
// The result is the sample's raw measurements (record.proto's Sample:
// per connection the measuring side's window, bytes and messages, both
// threads' reports, the plugins' counters; the rr latency histogram). The
// figures derived from them (throughput, rates, percentiles, CPU per role)
// are computed once, by harness/record/metrics.h.
//
// Structure. A cell is two sides (side_run.h), each with one worker thread
// per connection, driven by one protocol (cell_driver.h): RunCell runs both
// sides in this process (LocalSide, local_side.h); `copyscope run` runs
// each side in an agent process (harness/control) with the same driver and
// the same side code. Every worker first runs ThreadHooks::OnThreadStart
// (pinning plugs in there) and Network::SetupThread (namespace isolation
// plugs in there). The server's workers listen on ephemeral ports of
// Network::ServerAddress and the driver hands the ports to the client
// side (readiness by handshake, never by sleeping); each worker opens its
// plugin endpoint and waits at its side's gate until the driver says go.
// In stream mode the sending side is the server (direction
// server-to-client) or the client; the receiving side opens its endpoint
// with plugins.recv_transport when one is set (a receive variant paired
// with any sender); its counters are the receiver's.
//
// Phases (duration mode, config.messages == 0). The driver sets each
// side's phase: warm-up for config.warmup, the measured interval for
// config.duration, then cool-down (every window closes while messages
// still flow, so no receiver sees its stream end inside its window), and
// stop once every window of both sides is closed. Every loop steps one
// Window (window.h): one relaxed atomic load per message, no lock per
// message; the window records the thread's clock, count, rusage and
// measure hooks at its edges, so the receiver's byte count is exactly what
// it received inside its own window. Throughput is computed at the
// receiver.
//
// Count mode (config.messages = N > 0): each sender sends
// config.warmup_messages first, then N; each receiver opens its window
// after the last warm-up message and closes it at the N-th measured one.
// The phase flag then only says stop (on failure or interrupt).
//
// Request-response (spec.mode == kRequestResponse): both endpoints are
// CS_ROLE_BOTH; the client sends a request of RequestSize() bytes, the
// server receives it and answers with ResponseSize() bytes, the client
// receives it. The client reads CLOCK_MONOTONIC around every transaction
// (the one place with a clock read per message) and records the round trip
// into a Histogram; the window and the counts are the client's.
//
// Connect-request-response (kConnectRequestResponse, crr): the same
// transaction on a connection of its own. The server keeps its listening
// socket for the sample; per transaction it accepts, opens its endpoint,
// receives the request, sends the response, waits for the client to close
// and closes. The client connects (a blocking connect(), to the same port
// every time), opens its endpoint, sends, receives and closes first, so
// TIME_WAIT stays on the client as with netperf's TCP_CRR; the histogram
// holds whole transactions, socket() to close(). The workers wait at the
// gate before their first connection (the server listening, the client
// with nothing open). When its loop ends the client connects once more and
// closes without a request: the server's end of the sample. TCP_INFO is
// not read (no socket lives across the window's edges); each side reads
// its namespace's TIME_WAIT count and listen-queue and SYN-retransmit
// counters at its window's edges instead (net_stats.h). connect() failing
// with EADDRNOTAVAIL fails the cell naming the exhausted ephemeral ports.
//
// Verifying (config.verify). Each sender writes the pattern of every
// message into its buffers just before sending it, each receiver checks
// every byte (flow.h, payload.h); a request and a response carry patterns
// of different directions.
//
// Sending. Messages come from a MessagePool. A transport with
// CS_CAP_ASYNC_RELEASE gets up to InFlight(size) messages in flight and
// gives them back through reap(); otherwise one message is reused at once.
// On stop the sender reaps everything outstanding and shuts down its write
// side; the receiver drains until end of stream.
//
// Failure. Every wait is bounded: accept/connect and the gate by
// config.io_timeout plus a margin, every plugin wait by the endpoint's
// io_timeout_ms, and the driver gives the sides io_timeout + 3 x margin to
// finish after stop. The first error of any thread (a plugin's errno and
// message as an absl::Status naming transport and role) fails its side:
// every socket of that side is shut down so no thread stays blocked, the
// driver aborts the other side, and the run goes on with the next cell. A
// thread that still does not return (a plugin ignoring its own timeout)
// is left detached and the cell is "hung: ..."; `network`, `hooks` and the
// plugin must then outlive it (an agent process is replaced instead).
// SIGPIPE is ignored process-wide.
#ifndef COPYSCOPE_HARNESS_ENGINE_RUNNER_H_
#define COPYSCOPE_HARNESS_ENGINE_RUNNER_H_

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "harness/config/plan.h"
#include "harness/engine/network.h"
#include "harness/engine/thread_hooks.h"
#include "harness/record/record.pb.h"
#include "plugins/copyscope_transport.h"

namespace copyscope::engine {

// The plugins of a cell, resolved from its names (plugins.h: Resolve).
struct CellPlugins {
  const cs_transport* transport = nullptr;       // a validated, usable plugin
  const cs_transport* recv_transport = nullptr;  // stream mode; null: none
  // --background's plugin (latency under load); null: none.
  const cs_transport* background = nullptr;
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
  // --verify: every message carries a pattern of (connection, direction,
  // sequence, offset) that its receiver checks byte for byte (payload.h);
  // the first wrong byte ends the cell "corrupt: message N offset M".
  // Costs CPU on both sides, so off by default.
  bool verify = false;
  // --interval: the measuring side (stream: the receiver; rr, crr: the
  // client) cuts its window into slices this long (slice_clock.h,
  // window.h) and the sample holds them (Sample.slices); zero: no slices.
  absl::Duration interval = absl::ZeroDuration();
  // Datagram cells (a transport with CS_CAP_DATAGRAM, over UDP): messages
  // per send() of a stream sender whose plugin batches (CS_CAP_BATCHING);
  // 0: as many as fit in 64 KiB (65536 / size), at most 64.
  uint32_t batch = 0;
  // --rate: each stream sender paces itself to this many bits per second
  // of messages (per connection, as iperf3 -b is per stream); 0: unpaced.
  double rate_bps = 0;
  // Datagram rr: how long the client waits for a response before it counts
  // the transaction as a timeout and sends the next request.
  absl::Duration rr_timeout = absl::Milliseconds(200);
  // crr: where /proc is (net_stats.h); tests give a fake one.
  std::string proc_root = "/proc";
  // crr, tests only: called instead of connect(2) for every transaction's
  // connection (e.g. to fail with EADDRNOTAVAIL); never sent to an agent.
  int (*connect_for_testing)(int fd, const struct sockaddr* addr,
                             socklen_t len) = nullptr;
};

struct CellResult {
  // OK, or the first error of any thread (CANCELLED when interrupted).
  absl::Status status;
  // The raw measurements; status "ok", "failed: <message>" or, verifying,
  // "corrupt: message N offset M" (N counts the messages of that direction
  // of one connection from 0); no metrics (record/metrics.h derives them),
  // rep unset (the caller numbers it).
  record::Sample sample;
  // The run cannot go on (a side's agent cannot be started or reached):
  // the sample was not measured and the sweep stops with `status`.
  bool fatal = false;
};

// Runs one cell and returns its result. Never throws or aborts on a
// plugin's failure: the status says what went wrong. A cell whose threads
// finished but where some connection measured nothing is failed too. hooks
// may be null.
CellResult RunCell(const config::CellSpec& spec, const CellPlugins& plugins,
                   const RunnerConfig& config, Network& network,
                   ThreadHooks* hooks);

// SIGPIPE ignored process-wide (once): a peer that went away is an EPIPE.
void IgnoreSigpipe();

// Fields per message actually used: min(spec.fields, spec.size).
uint32_t FieldsUsed(const config::CellSpec& spec);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_RUNNER_H_
