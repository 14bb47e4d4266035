// One side (server or client) of one cell, run by this process: its worker
// threads, one per connection, each with its socket, plugin endpoint and
// loop. The two sides of a cell never share memory: they meet only through
// their sockets and through the commands of whoever drives the cell
// (cell_driver.h), in this process (runner.h) or from a controller over a
// control channel (harness/control).
//
//   SideSetup setup{spec, plugins, Side::kServer, config, &network, hooks};
//   std::shared_ptr<SideRun> server = SideRun::Start(setup);
//   // poll(server->fd()) and look at the state after every wake-up:
//   server->ports();      // once listening(): the client connects there
//   server->ready();      // every worker connected, endpoint open, waiting
//   server->Go();         // the start barrier opens
//   server->SetPhase(kMeasure); ... server->SetPhase(kCooldown);
//   server->windows_closed();  ... server->SetPhase(kStop);
//   server->finished();   // every worker returned
//   SideOutcome out = server->Collect();  // this side's part of the sample
//
// Workers. Every worker first runs ThreadHooks::OnThreadStart and
// Network::SetupThread, then the server's listens on an ephemeral port of
// Network::ServerAddress(i) (inet6: ServerAddress6(i); unix: a socket file
// in the side's own directory) and accepts, or the client's connects to
// setup.ports[i] at setup.address; then it opens its endpoint and waits at the
// gate (bounded by io_timeout + margin). After Go() it runs its loop (stream
// sender or receiver, rr client or server) under a Window (window.h) that
// follows this side's phase; count mode needs no phase but kStop (abort).
//
// Slices (config.interval > 0). The measuring side (stream: the receiver;
// rr: the client) runs a SliceClock (slice_clock.h) from the measurement's
// start (duration mode: SetPhase(kMeasure); count mode: Go()) and its loops
// mark each tick in their Window; Collect() sums the connections' parts of
// each slice into the sample's `slices` (rr: with the slice's round trips).
//
// Failure. The first error of any worker (or Fail()) is kept, the phase
// goes to kStop, the gate aborts, and every socket of the side is shut down
// so that no worker stays blocked in the kernel; the peer side then sees
// its connections end. A worker that still does not return (a plugin deaf
// to shutdown and to its own timeout) is detached by Collect() and counted
// in threads_left: the process must then not dlclose its plugin.
#ifndef COPYSCOPE_HARNESS_ENGINE_SIDE_RUN_H_
#define COPYSCOPE_HARNESS_ENGINE_SIDE_RUN_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "harness/config/plan.h"
#include "harness/engine/network.h"
#include "harness/engine/runner.h"
#include "harness/engine/thread_hooks.h"
#include "harness/engine/window.h"
#include "harness/record/record.pb.h"

namespace copyscope::engine {

struct SideSetup {
  config::CellSpec spec;
  CellPlugins plugins;
  Side side = Side::kServer;
  RunnerConfig config;
  Network* network = nullptr;    // must outlive the workers
  ThreadHooks* hooks = nullptr;  // may be null; must outlive the workers
  // Client: the port of each connection's server (spec.threads of them).
  std::vector<uint16_t> ports;
  // Client: where the server listens (its SideRun::address()); "": the
  // network's address for spec.family (unix needs the server's).
  std::string address;
};

// This side's part of a cell's sample: per connection its ThreadReport,
// its plugin counters, and what it measured (the receiver's or rr client's
// window, bytes and messages; its own message totals); the rr client adds
// the latency histogram. MergeSides (cell_driver.h) joins the two parts.
struct SideOutcome {
  absl::Status status;  // the side's first error, or OK
  record::Sample sample;
  int threads_left = 0;  // workers that never returned (detached)
};

class SideRun {
 public:
  // Starts the workers at once; never fails (errors show in error()).
  // An invalid setup fails the side before any worker starts.
  static std::shared_ptr<SideRun> Start(const SideSetup& setup);
  ~SideRun();
  SideRun(const SideRun&) = delete;
  SideRun& operator=(const SideRun&) = delete;

  // Readable whenever the state below may have changed; Acknowledge()
  // before looking at the state, so no change is missed.
  int fd() const;
  void Acknowledge();

  // Server: every worker listens (ports() has one port per connection), or
  // one could not.
  bool listening() const;
  std::vector<uint16_t> ports() const;
  // Server: where its ports are, for the client (SideSetup::address): the
  // network's address of spec.family, or for unix the private directory
  // this side made for its socket files (removed when the side's state
  // goes; each file is unlinked once its connection is accepted).
  std::string address() const;
  // Every worker waits at the gate.
  bool ready() const;
  // Every worker closed its window, or returned.
  bool windows_closed() const;
  // Every worker returned.
  bool finished() const;
  // The first error, or OK.
  absl::Status error() const;

  // Opens the gate: the loops start in kWarmup.
  void Go();
  void SetPhase(Phase phase);
  // Records `status` if it is the first error, and unblocks every worker.
  void Fail(absl::Status status);

  // Joins the workers that returned and detaches the others, then returns
  // this side's part of the sample. Call once, after finished() or when
  // giving up on the workers.
  SideOutcome Collect();

  // Internal state shared with the workers; public for the worker function.
  struct State;

 private:
  explicit SideRun(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;  // also owned by every worker
  std::vector<std::thread> threads_;
  bool collected_ = false;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_SIDE_RUN_H_
