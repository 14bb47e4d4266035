// What a cell measured, per connection and in sum, and the numbers derived
// from it: receiver-side throughput, message rate, mean time per message,
// round-trip latency (rr), per role CPU cost, plugin counters per side, and
// the zero-copy copied fraction.
//
//   CellResult cell = RunCell(...);        // fills connections and status
//   Summarize(&cell);                      // fills the derived fields
//   if (cell.throughput_gbps) printf("%.2f Gbit/s\n", *cell.throughput_gbps);
//
// Values that were not measured stay empty (std::nullopt), never zero.
#ifndef COPYSCOPE_HARNESS_ENGINE_RESULTS_H_
#define COPYSCOPE_HARNESS_ENGINE_RESULTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "harness/engine/histogram.h"
#include "harness/engine/network.h"

namespace copyscope::harness {

// Plugin counters by name (see cs_transport.counters).
using CounterMap = std::map<std::string, uint64_t>;

// Generic counter names of the ABI that the copied fraction is built from:
// zero-copy sends the kernel completed, and those it copied anyway.
inline constexpr char kZeroCopyCompletions[] = "zerocopy_completions";
inline constexpr char kZeroCopyCopied[] = "zerocopy_copied";

// One perf_event counter of one thread over the measured interval.
// state is "counted", "scaled", "not_run" or "unsupported"; raw and value
// are empty unless the event counted (never a fake zero).
struct PerfCounterRecord {
  std::string event;  // e.g. "cycles", "task-clock"
  std::string pmu;    // e.g. "cpu", "cpu_core", "software"
  std::string state;
  std::optional<uint64_t> raw;
  std::optional<double> value;  // scaled for multiplexing
  uint64_t enabled_ns = 0;
  uint64_t running_ns = 0;
  std::string reason;  // why unsupported / not run
};

// What one worker thread (a server or a client of one connection) recorded
// besides bytes: where it ran, what it cost. Filled by the runner and by
// ThreadHooks (through ThreadContext::report); absent values stay empty.
struct ThreadReport {
  Side side = Side::kServer;
  int connection = 0;
  // Placement: the CPU it was pinned to (-1: not pinned), the CPUs seen at
  // start and end, every CPU observed, and its migrations (when known).
  int pinned_cpu = -1;
  std::optional<int> start_cpu;
  std::optional<int> end_cpu;
  std::vector<int> cpus_seen;
  std::optional<int64_t> migrations;
  bool migrated_while_pinned = false;
  // getrusage(RUSAGE_THREAD) over the measured interval.
  std::optional<double> user_cpu_s;
  std::optional<double> sys_cpu_s;
  std::optional<int64_t> voluntary_cs;
  std::optional<int64_t> involuntary_cs;
  // The length of this thread's own measured interval (its clock), which
  // the rusage and perf values above cover.
  std::optional<double> window_s;
  // perf_event counters over the measured interval.
  std::vector<PerfCounterRecord> perf;
};

// How a cell moves data. Stream: one side sends, the other receives, as
// fast as they can. Request-response (rr): the client sends a request, the
// server receives it and sends a response, the client receives it; the
// client times each round trip.
enum class Mode { kStream, kRequestResponse };
// Which side sends in stream mode.
enum class Direction { kServerToClient, kClientToServer };

const char* ModeName(Mode mode);                 // "stream", "rr"
const char* DirectionName(Direction direction);  // "server-to-client", ...

struct ConnectionResult {
  ThreadReport server;  // the listening side
  ThreadReport client;  // the connecting side
  // The measuring side's window (stream: the receiver; rr: the client):
  // from when it observed the measured interval begin to when it observed
  // it end (its own CLOCK_MONOTONIC), and what it counted in between.
  absl::Duration rx_window = absl::ZeroDuration();
  uint64_t rx_bytes = 0;     // rr: request + response bytes
  uint64_t rx_messages = 0;  // rr: transactions
  // Totals since the endpoints opened (warm-up and drain included); in rr
  // mode, the client's sent requests and received responses.
  uint64_t tx_messages_total = 0;
  uint64_t rx_messages_total = 0;
  CounterMap server_counters;  // the plugin's counters of each side
  CounterMap client_counters;
  // rr: the round trips of the measured interval, in nanoseconds.
  std::optional<Histogram> latency;
};

// One sample: one repetition of one cell.
struct CellResult {
  std::string transport;
  // Stream mode: the receiving side's plugin (--recv); "": `transport`.
  std::string recv_transport;
  uint64_t size = 0;    // bytes per message (the cell's key)
  uint32_t fields = 0;  // fields per message actually used: min(F, size)
  int threads = 0;      // connections
  Mode mode = Mode::kStream;
  Direction direction = Direction::kServerToClient;
  uint64_t request_size = 0;   // rr only
  uint64_t response_size = 0;  // rr only
  absl::Status status;         // the first error of any thread, or OK
  std::vector<ConnectionResult> connections;

  // Filled by Summarize() when status is OK.
  std::optional<double> throughput_gbps;   // sum of rx_bytes*8/rx_window
  std::optional<double> messages_per_sec;  // stream: sum of msgs/window
  // Stream: mean over connections of rx_window/rx_messages, in
  // microseconds: the average spacing of messages on one connection, not
  // a latency.
  std::optional<double> mean_us_per_msg;
  std::optional<double> transactions_per_sec;  // rr
  std::optional<Histogram> latency;            // rr: merged over connections
  CounterMap server_counters;                  // summed over connections
  CounterMap client_counters;                  // summed over connections
  // zerocopy_copied / zerocopy_completions over both sides, when both are
  // reported and completions > 0.
  std::optional<double> zc_copied_fraction;
  // Every derived value by name (see MetricNames in the README): the rates
  // above, rr percentiles, and per role CPU use, context switches and
  // hardware counters. A value not measured has no entry.
  std::map<std::string, double> metrics;
};

// What surrounds a run, filled by the CLI before the cells run and stored
// in the record as is: the isolation used and why, the CPU topology and
// the pinning plan, and notes (e.g. "hardware counters unsupported here:
// ..."). The defaults describe a plain loopback run.
struct RunContext {
  std::string isolation_mode = "loopback";
  std::string isolation_reason = "no isolation requested";
  // e.g. {"interface", "veth0"}, {"mtu", "1500"}, {"server_address", ...},
  // {"gso", "on"}; "interface" and "mtu" also name the host's MTU entry.
  std::vector<std::pair<std::string, std::string>> isolation_details;
  std::string topology_summary;
  std::string pin_plan;
  std::vector<std::string> notes;
};

// Adds counters into a sum, by name.
void AddCounters(const std::vector<std::pair<std::string, uint64_t>>& in,
                 CounterMap* sum);

// The copied fraction of a role's counters, if it reports both counters.
std::optional<double> CopiedFraction(const CounterMap& counters);

// Fills the derived fields of `cell` from its connections. A cell whose
// status is OK but where some connection measured nothing becomes failed.
// Role metrics (server_/client_ prefixed): cpu_util (CPU seconds over the
// measured interval per second of it, summed over the role's threads;
// 1.0 = one CPU busy), bytes_per_cpu_s, cs (voluntary + involuntary
// context switches, summed), and cycles, l1_misses, llc_misses from the
// perf records named cycles, L1-dcache-load-misses and cache-misses; a
// role metric exists only when every thread of the role measured it. The
// unprefixed cs, cycles, l1_misses, llc_misses are server + client.
void Summarize(CellResult* cell);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_ENGINE_RESULTS_H_
