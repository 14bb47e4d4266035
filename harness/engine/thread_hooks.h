// Per-thread hook points of the runner: how CPU pinning, per-thread perf
// counters and similar observers attach to the server and client threads
// without the runner knowing about them.
//
//   class Pinning : public ThreadHooks {
//    public:
//     absl::Status OnThreadStart(const ThreadContext& t) override {
//       return PinTo(t.side == Side::kServer ? server_cpu_ : client_cpu_);
//     }
//   };
//   Pinning pin;
//   RunCell(spec, config, &network, &pin);
//
// Order on every worker thread: OnThreadStart, Network::SetupThread,
// sockets and endpoint, start barrier, [OnMeasureStart ... OnMeasureStop],
// drain, endpoint closed, OnThreadEnd. The measure hooks run on the worker
// thread at the very moments it reads its own clock and counts, so they
// cover exactly the measured interval; they are skipped if the thread never
// reached it. Hooks are called from many threads at once.
#ifndef COPYSCOPE_HARNESS_ENGINE_THREAD_HOOKS_H_
#define COPYSCOPE_HARNESS_ENGINE_THREAD_HOOKS_H_

#include <string>

#include "absl/status/status.h"
#include "harness/engine/network.h"
#include "harness/record/record.pb.h"

namespace copyscope::engine {

struct ThreadContext {
  Side side = Side::kServer;  // the listening or the connecting end
  int connection = 0;         // 0 .. connections-1
  int connections = 1;        // in this cell
  std::string transport;
  // This thread's record in the cell's sample: hooks write what they
  // observe (placement, counters) here. Owned by the runner; only this
  // thread writes it while the cell runs.
  record::ThreadReport* report = nullptr;
};

class ThreadHooks {
 public:
  virtual ~ThreadHooks() = default;

  // First thing on the thread. An error fails the cell.
  virtual absl::Status OnThreadStart(const ThreadContext&) {
    return absl::OkStatus();
  }
  // When the thread observes the measured interval begin / end. Keep short.
  virtual void OnMeasureStart(const ThreadContext&) {}
  virtual void OnMeasureStop(const ThreadContext&) {}
  // Last thing on the thread, after its endpoint and socket are closed.
  virtual void OnThreadEnd(const ThreadContext&) {}
  // Once per side and sample, after every thread of the side ended: what
  // the hooks observed of the side as a whole (e.g. the host's CPU load)
  // goes into its part of the sample.
  virtual void OnSideEnd(Side, record::Sample*) {}
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_THREAD_HOOKS_H_
