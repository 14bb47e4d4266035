// Drives one sample of a cell through its two sides, wherever they run: in
// this process (LocalSide, local_side.h) or in agent processes
// (harness/control). The driver only sends commands and reads events; it
// never calls plugin code itself.
//
//   LocalSide server(...), client(...);      // or two agents
//   CellResult r = DriveCell(config, server, client);
//
// The protocol of a sample, for either kind of side:
//   server.Start("", {})          -> kListening(address, ports)
//   client.Start(address, ports)  -> (both) kReady
//   Go                            -> the loops start, in warm-up
//   duration mode: Measure after config.warmup; Cooldown after
//     config.duration -> (both) kWindowsClosed; then Stop
//   count mode: the loops end by themselves (Stop only to abort)
//                                 -> (both) kResult(status, part of sample)
// Any kFailed or failed kResult makes the driver Abort both sides and wait
// for both results. Every wait is bounded: set-up and the windows by
// io_timeout + margin, count mode by count_timeout, the results after stop
// by io_timeout + 3 x margin; a side that misses its deadline is killed
// (Kill) and its result says why.
#ifndef COPYSCOPE_HARNESS_ENGINE_CELL_DRIVER_H_
#define COPYSCOPE_HARNESS_ENGINE_CELL_DRIVER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "harness/engine/runner.h"
#include "harness/record/record.pb.h"

namespace copyscope::engine {

enum class SideCommand { kGo, kMeasure, kCooldown, kStop, kAbort };

struct SideEvent {
  enum Kind { kListening, kReady, kWindowsClosed, kFailed, kResult };
  SideEvent() = default;
  explicit SideEvent(Kind k) : kind(k) {}
  Kind kind = kFailed;
  std::vector<uint16_t> ports;  // kListening
  std::string address;          // kListening: where the ports are
  absl::Status status;          // kFailed; kResult: the side's verdict
  record::Sample sample;        // kResult: the side's part (if status ok)
  // kResult: the side's process cannot run another cell (e.g. threads
  // left inside a plugin); an agent is then replaced.
  bool spent = false;
};

class SideHandle {
 public:
  virtual ~SideHandle() = default;

  // Starts this side of the sample (the client with the server's address
  // and ports; "" keeps the address it was set up with). Failures arrive
  // as events.
  virtual void Start(const std::string& address,
                     const std::vector<uint16_t>& ports) = 0;
  virtual void Command(SideCommand command) = 0;
  // poll()able: readable when NextEvent() may have something.
  virtual int fd() = 0;
  // The next event, if one is there; never blocks for long.
  virtual std::optional<SideEvent> NextEvent() = 0;
  // The side missed a deadline: stop it by force and return its kResult.
  virtual SideEvent Kill(absl::string_view why) = 0;
};

CellResult DriveCell(const RunnerConfig& config, SideHandle& server,
                     SideHandle& client);

// Joins the two parts of a sample (each side's reports, counters and
// measurements per connection), sums the plugin counters, and checks that
// some connection measured something (a connection that received nothing
// while others did was starved of CPU: record/metrics.h counts it).
absl::Status MergeSides(const record::Sample& server,
                        const record::Sample& client, record::Sample* out);

// A status whose message is the sample's status as it stands ("crashed:
// SIGSEGV in x (server)", "hung: ...", "corrupt: message 3 offset 9"),
// where other errors read "failed: <message>".
absl::Status Verdict(absl::StatusCode code, absl::string_view text);
bool IsVerdict(const absl::Status& status);
// "ok", the verdict's text, or "failed: <message>".
std::string SampleStatus(const absl::Status& status);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_CELL_DRIVER_H_
