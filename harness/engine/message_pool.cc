#include "harness/engine/message_pool.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace copyscope::engine {

std::vector<size_t> SplitFields(size_t size, uint32_t fields) {
  size_t n = std::min<size_t>(std::max<uint32_t>(fields, 1), size);
  if (n == 0) return {};
  std::vector<size_t> lengths(n, size / n);
  for (size_t i = 0; i < size % n; ++i) ++lengths[i];
  return lengths;
}

uint32_t InFlight(size_t message_size, size_t budget_bytes,
                  uint32_t max_messages) {
  size_t fit = message_size == 0 ? max_messages : budget_bytes / message_size;
  return static_cast<uint32_t>(
      std::max<size_t>(1, std::min<size_t>(fit, max_messages)));
}

void MessagePool::FreeDeleter::operator()(void* p) const { std::free(p); }

MessagePool::MessagePool(size_t size, uint32_t fields, uint32_t count)
    : size_(size) {
  const std::vector<size_t> lengths = SplitFields(size, fields);
  field_count_ = static_cast<uint32_t>(lengths.size());
  fields_.resize(count);
  messages_.resize(count);
  for (uint32_t m = 0; m < count; ++m) {
    std::vector<iovec>& iov = fields_[m];
    iov.resize(lengths.size());
    for (size_t f = 0; f < lengths.size(); ++f) {
      size_t alloc = (lengths[f] + 63) / 64 * 64;
      char* p = static_cast<char*>(std::aligned_alloc(64, alloc));
      if (p == nullptr) throw std::bad_alloc();
      buffers_.emplace_back(p);
      for (size_t b = 0; b < lengths[f]; ++b) {
        p[b] = static_cast<char>((m * 31 + f * 7 + b) & 0xff);
      }
      iov[f].iov_base = p;
      iov[f].iov_len = lengths[f];
    }
    cs_message& msg = messages_[m];
    msg.fields = iov.data();
    msg.field_count = field_count_;
    msg.reserved = 0;
    msg.tag = m;
  }
}

}  // namespace copyscope::engine
