// The two halves of moving messages over one endpoint, shared by the
// stream and request-response loops of the runner.
//
//   MessagePool pool(size, fields, async ? InFlight(size) : 1);
//   Sender tx(ep, pool, async);
//   absl::Status s = tx.SendOne();   // picks a free message, sends it
//   s = tx.Drain();                  // waits until every buffer is back
//   Receiver rx(ep, size);
//   int rc = rx.RecvOne();           // 0, -EPIPE at end of stream, -errno
//
// A transport with CS_CAP_ASYNC_RELEASE keeps buffers until reap() hands
// their tags back; Sender keeps the pool's messages on a free list and only
// waits in reap() when none is free.
#ifndef COPYSCOPE_HARNESS_ENGINE_FLOW_H_
#define COPYSCOPE_HARNESS_ENGINE_FLOW_H_

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "harness/engine/endpoint.h"
#include "harness/engine/message_pool.h"

namespace copyscope::engine {

class Sender {
 public:
  // name prefixes errors that are not the plugin's own, e.g. "mine server".
  Sender(Endpoint& ep, const MessagePool& pool, bool async, std::string name);
  absl::Status SendOne();
  absl::Status Drain();  // async: reaps until every message is free

 private:
  absl::Status Reap(const char* why);
  Endpoint& ep_;
  const MessagePool& pool_;
  const bool async_;
  const std::string name_;
  std::vector<uint32_t> free_;
  std::vector<uint64_t> tags_;
};

class Receiver {
 public:
  Receiver(Endpoint& ep, size_t size);
  bool ok() const { return buf_ != nullptr; }
  int RecvOne();
  absl::Status Error(int rc) const { return ep_.Error(rc, "recv"); }

 private:
  Endpoint& ep_;
  std::unique_ptr<char, decltype(&std::free)> buf_;
  cs_recv_args args_;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_FLOW_H_
