// The sender's messages: each one F separately allocated fields totalling S
// bytes, filled with a pattern, described as a cs_message whose tag is its
// index in the pool.
//
//   SplitFields(10, 4);                        // {3, 3, 2, 2}
//   SplitFields(3, 8);                         // {1, 1, 1}: never empty
//   MessagePool pool(/*size=*/4096, /*fields=*/8, /*count=*/InFlight(4096));
//   transport->send(ep, &pool.message(0), 1);
//
// A transport with CS_CAP_ASYNC_RELEASE keeps buffers until reap() returns
// their tags, so the runner keeps up to InFlight(size) messages out at once;
// without it one message is reused at once.
#ifndef COPYSCOPE_HARNESS_ENGINE_MESSAGE_POOL_H_
#define COPYSCOPE_HARNESS_ENGINE_MESSAGE_POOL_H_

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "plugins/copyscope_transport.h"

namespace copyscope::engine {

// Field lengths of a `size`-byte message split into `fields` parts:
// min(fields, size) parts (no part is empty), lengths differing by at most
// one byte, the longer ones first. size >= 1 and fields >= 1.
std::vector<size_t> SplitFields(size_t size, uint32_t fields);

// How many messages to keep in flight: up to max_messages, bounded so their
// total stays within budget_bytes, and at least 1.
uint32_t InFlight(size_t message_size, size_t budget_bytes = size_t{64} << 20,
                  uint32_t max_messages = 64);

class MessagePool {
 public:
  // `count` messages of `size` bytes in min(fields, size) fields each; every
  // field is its own 64-byte-aligned allocation, written once with a
  // pattern. size, fields and count >= 1.
  MessagePool(size_t size, uint32_t fields, uint32_t count);
  MessagePool(MessagePool&&) = default;
  MessagePool& operator=(MessagePool&&) = default;

  uint32_t count() const { return static_cast<uint32_t>(messages_.size()); }
  size_t message_size() const { return size_; }
  uint32_t field_count() const { return field_count_; }

  // Message i, with tag == i. Valid while the pool lives.
  const cs_message& message(uint32_t i) const { return messages_[i]; }

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  size_t size_;
  uint32_t field_count_;
  std::vector<std::unique_ptr<char, FreeDeleter>> buffers_;
  std::vector<std::vector<iovec>> fields_;  // one iovec array per message
  std::vector<cs_message> messages_;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_MESSAGE_POOL_H_
