/* The bodies of a transport that moves no bytes, shared by a plugin built
 * from them (noop_transport.c, loaded with dlopen) and by code that calls
 * them directly, so that abi_call_benchmark compares the same code called
 * through the ABI's descriptor and called directly.
 *
 *   noop_endpoint ep = {0};
 *   noop_send(&ep, &message, 1);             // counts the message's bytes
 *   cs_counter out[2];
 *   noop_counters(&ep, out, 2);              // {"send_calls", ...}, ...
 */
#ifndef COPYSCOPE_TESTS_BENCH_NOOP_TRANSPORT_H_
#define COPYSCOPE_TESTS_BENCH_NOOP_TRANSPORT_H_

#include <stdint.h>

#include "plugins/copyscope_transport.h"

typedef struct noop_endpoint {
  uint64_t send_calls;
  uint64_t bytes;
} noop_endpoint;

/* Counts the messages and their bytes; sends nothing. */
static inline int noop_send(noop_endpoint* ep, const cs_message* messages,
                            uint32_t count) {
  for (uint32_t m = 0; m < count; ++m) {
    for (uint32_t f = 0; f < messages[m].field_count; ++f) {
      ep->bytes += messages[m].fields[f].iov_len;
    }
  }
  ep->send_calls += count;
  return 0;
}

/* Reports send_calls and bytes, as a transport's counters() does. */
static inline uint32_t noop_counters(const noop_endpoint* ep, cs_counter* out,
                                     uint32_t max) {
  if (out != NULL && max > 0) {
    out[0].name = "send_calls";
    out[0].value = ep->send_calls;
  }
  if (out != NULL && max > 1) {
    out[1].name = "bytes";
    out[1].value = ep->bytes;
  }
  return 2;
}

#endif /* COPYSCOPE_TESTS_BENCH_NOOP_TRANSPORT_H_ */
