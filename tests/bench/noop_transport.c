/* bench_noop: a transport plugin that moves no bytes (see noop_transport.h),
 * for measuring the cost of a call through the ABI. Not an in-tree
 * transport: only abi_call_benchmark loads it. */
#include "tests/bench/noop_transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "plugins/copyscope_transport.h"

static int probe(char* why, size_t why_size) {
  if (why_size > 0) why[0] = '\0';
  return 0;
}

static int open_ep(const cs_endpoint_config* config, cs_endpoint** out,
                   char* err, size_t err_size) {
  if (config == NULL || out == NULL ||
      config->struct_size < CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0) {
    snprintf(err, err_size, "open: bad arguments");
    return -EINVAL;
  }
  noop_endpoint* ep = (noop_endpoint*)calloc(1, sizeof(noop_endpoint));
  if (ep == NULL) {
    snprintf(err, err_size, "open: out of memory");
    return -ENOMEM;
  }
  *out = (cs_endpoint*)ep;
  return 0;
}

static void close_ep(cs_endpoint* ep) { free(ep); }

static int send_msgs(cs_endpoint* ep, const cs_message* messages,
                     uint32_t count) {
  return noop_send((noop_endpoint*)ep, messages, count);
}

static int reap(cs_endpoint* ep, uint64_t* tags, uint32_t max, int timeout) {
  (void)ep;
  (void)tags;
  (void)max;
  (void)timeout;
  return 0;
}

static uint32_t counters(const cs_endpoint* ep, cs_counter* out, uint32_t max) {
  return noop_counters((const noop_endpoint*)ep, out, max);
}

static const char* last_error(const cs_endpoint* ep) {
  (void)ep;
  return "";
}

static const cs_transport kTransport = {
    CS_TRANSPORT_STRUCT_SIZE,
    CS_ABI_MAJOR,
    CS_ABI_MINOR,
    "bench_noop",
    "1.0",
    "moves no bytes: counts send() calls (for ABI call benchmarks)",
    0,
    NULL,
    0,
    probe,
    open_ep,
    close_ep,
    send_msgs,
    reap,
    NULL, /* no recv: a sender only */
    counters,
    last_error,
};

CS_EXPORT const cs_transport* copyscope_transport_entry(const cs_host* host) {
  if (host == NULL || host->abi_major != CS_ABI_MAJOR) return NULL;
  return &kTransport;
}
