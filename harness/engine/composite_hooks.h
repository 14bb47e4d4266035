// Several ThreadHooks on every worker thread, as one: pinning first (so the
// counters open on the CPU the thread will run on), then counters, and so
// on. Start hooks run in the order given; stop and end hooks in reverse, so
// the innermost observer (the counters) stops first and the measured
// interval of the outer ones contains it.
//
//   PinningHooks pin(&plan, threads);
//   CounterHooks counters(counter_options, threads);
//   CompositeHooks hooks({&pin, &counters});
//   RunCell(spec, config, network, &hooks);
//
// The first OnThreadStart error stops the chain and is returned (the cell
// fails). Like the runner, OnThreadEnd still reaches every hook, including
// those whose start never ran or failed, so each must tolerate that.
#ifndef COPYSCOPE_HARNESS_ENGINE_COMPOSITE_HOOKS_H_
#define COPYSCOPE_HARNESS_ENGINE_COMPOSITE_HOOKS_H_

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "harness/engine/thread_hooks.h"

namespace copyscope::engine {

class CompositeHooks final : public ThreadHooks {
 public:
  // The hooks are not owned and must outlive this object; nulls are
  // skipped.
  explicit CompositeHooks(std::vector<ThreadHooks*> hooks) {
    for (ThreadHooks* h : hooks) {
      if (h != nullptr) hooks_.push_back(h);
    }
  }

  absl::Status OnThreadStart(const ThreadContext& t) override {
    for (ThreadHooks* h : hooks_) {
      absl::Status s = h->OnThreadStart(t);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  void OnMeasureStart(const ThreadContext& t) override {
    for (ThreadHooks* h : hooks_) h->OnMeasureStart(t);
  }
  void OnMeasureStop(const ThreadContext& t) override {
    for (auto it = hooks_.rbegin(); it != hooks_.rend(); ++it) {
      (*it)->OnMeasureStop(t);
    }
  }
  void OnThreadEnd(const ThreadContext& t) override {
    for (auto it = hooks_.rbegin(); it != hooks_.rend(); ++it) {
      (*it)->OnThreadEnd(t);
    }
  }

  void OnSideEnd(Side side, record::Sample* part) override {
    for (ThreadHooks* h : hooks_) h->OnSideEnd(side, part);
  }

  size_t size() const { return hooks_.size(); }

 private:
  std::vector<ThreadHooks*> hooks_;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_COMPOSITE_HOOKS_H_
