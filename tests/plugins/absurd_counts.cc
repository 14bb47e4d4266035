// absurd_counts: two_copy that answers with counts larger than the room the
// host gave it, never writing past that room:
//   - counters(ep, out, max) writes at most max counters (of its 4 real
//     ones) and returns max + 1000;
//   - it declares CS_CAP_ASYNC_RELEASE, so the host reaps every message's
//     tag. Its first reap() once 50 messages were sent writes the oldest
//     min(max, pending) tags and returns max + 5 (option reap=too_many, the
//     default), or, with reap=unknown_tag, writes the one tag
//     0xbadbadbadbadbad0, which it was never given, and returns 1. Every
//     other reap() returns the tags of the messages sent, oldest first, as
//     the ABI says (send() itself is synchronous: every tag is free at once).
#include <limits.h>
#include <string.h>

#include <deque>

#include "tests/plugins/bad_endpoint.h"
#include "transports/common/options.h"

namespace copyscope::bad_plugins {
namespace {

constexpr uint64_t kReapFaultAfter = 50;
constexpr uint32_t kExtraCounters = 1000;
constexpr uint32_t kExtraTags = 5;
constexpr uint64_t kNeverGiven = 0xbadbadbadbadbad0ull;

const cs_option_desc kOptions[] = {
    {"reap", "too_many",
     "the reap() fault: too_many (max + 5 returned) or unknown_tag"}};

struct Endpoint : BadEndpoint<Endpoint> {
  struct Options {
    bool unknown_tag = false;
  };
  static constexpr transports::OptionTable kOptionTable =
      transports::OptionsOf(kOptions);

  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size) {
    const char* reap = transports::FindOption(&config, "reap");
    if (reap != nullptr && strcmp(reap, "too_many") != 0 &&
        strcmp(reap, "unknown_tag") != 0) {
      transports::FormatInto(err, err_size,
                             "option reap='%s' is not too_many or unknown_tag",
                             reap);
      return -EINVAL;
    }
    o->unknown_tag = reap != nullptr && strcmp(reap, "unknown_tag") == 0;
    return BadEndpoint::Configure(config, o, err, err_size);
  }

  int Setup(const cs_endpoint_config& config, const Options& o, char* err,
            size_t err_size) {
    unknown_tag = o.unknown_tag;
    return BadEndpoint::Setup(config, o, err, err_size);
  }

  int SendMessage(const cs_message& msg) {
    int rc = BadEndpoint::SendMessage(msg);
    if (rc == 0) pending.push_back(msg.tag);  // bad_alloc: SendBatch's
    return rc;
  }

  // The oldest pending tags, at most max of them.
  uint32_t TakePending(uint64_t* tags, uint32_t max) {
    uint32_t n = 0;
    while (n < max && !pending.empty()) {
      tags[n++] = pending.front();
      pending.pop_front();
    }
    return n;
  }

  int ReapReleased(uint64_t* tags, uint32_t max, int) {
    if (faulted || sent < kReapFaultAfter || (tags == nullptr && max > 0)) {
      return static_cast<int>(TakePending(tags, max));
    }
    if (unknown_tag) {
      if (max == 0) return 0;
      faulted = true;
      tags[0] = kNeverGiven;
      return 1;
    }
    faulted = true;
    TakePending(tags, max);
    return max > INT_MAX - kExtraTags ? INT_MAX
                                      : static_cast<int>(max + kExtraTags);
  }

  bool unknown_tag = false;
  bool faulted = false;          // the one absurd reap() happened
  std::deque<uint64_t> pending;  // tags sent, not yet reaped
};

uint32_t AbsurdCounters(const cs_endpoint* handle, cs_counter* out,
                        uint32_t max) {
  const Endpoint* ep = transports::TransportAbi<Endpoint>::Of(handle);
  if (ep != nullptr) {
    CounterList list;
    ep->ListCounters(&list);
    transports::CopyCounters(list.data(), list.size(), out, max);
  }
  return max > UINT32_MAX - kExtraCounters ? UINT32_MAX : max + kExtraCounters;
}

constexpr cs_transport WithAbsurdCounters(cs_transport t) {
  t.counters = AbsurdCounters;
  return t;
}

const cs_transport kTransport = WithAbsurdCounters(MakeTransport<Endpoint>(
    "absurd_counts", "1.0",
    "test plugin: two_copy whose counters() and reap() return more than "
    "the room given",
    CS_CAP_RECV | CS_CAP_ASYNC_RELEASE, ProbeNothing));

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
