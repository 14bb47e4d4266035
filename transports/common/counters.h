// Counters: what a transport's counters() reports. CounterList collects an
// endpoint's named totals in order; SendCounters are the two every socket
// sender keeps; CopyCounters() answers counters() from a list. Header-only,
// over the ABI header.
//
//   copyscope::transports::CounterList list;
//   list.AddSendCounters(send_counters);  // send_calls, short_writes
//   list.Add("copied_bytes", copied_bytes);
//   return CopyCounters(list.data(), list.size(), out, max);
#ifndef COPYSCOPE_TRANSPORTS_COMMON_COUNTERS_H_
#define COPYSCOPE_TRANSPORTS_COMMON_COUNTERS_H_

#include <stdint.h>

#include "plugins/copyscope_transport.h"

namespace copyscope::transports {

// Counters every socket transport keeps about its sending system calls.
struct SendCounters {
  uint64_t send_calls = 0;    // send/sendmsg calls that accepted bytes
  uint64_t short_writes = 0;  // of those, calls that accepted fewer bytes
                              // than offered
};

// An endpoint's counters, in the order counters() reports them.
class CounterList {
 public:
  static constexpr uint32_t kCapacity = 16;

  void Add(const char* name, uint64_t value) {
    if (size_ < kCapacity) items_[size_++] = {name, value};
  }
  // send_calls and short_writes, the counters every socket sender keeps.
  void AddSendCounters(const SendCounters& c) {
    Add("send_calls", c.send_calls);
    Add("short_writes", c.short_writes);
  }
  const cs_counter* data() const { return items_; }
  uint32_t size() const { return size_; }

 private:
  cs_counter items_[kCapacity] = {};
  uint32_t size_ = 0;
};

// Writes counters[0..n) into out (at most max) and returns n, as the ABI's
// counters() does.
inline uint32_t CopyCounters(const cs_counter* counters, uint32_t n,
                             cs_counter* out, uint32_t max) {
  for (uint32_t i = 0; i < n && i < max && out != nullptr; ++i) {
    out[i] = counters[i];
  }
  return n;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_COUNTERS_H_
