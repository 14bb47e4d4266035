/* A configurable fake transport for the loader tests: each FIXTURE_* macro
 * breaks the plugin in one way. Written in C99 to prove the ABI header is
 * plain C. */
#include <errno.h>
#include <stdio.h>

#include "plugins/copyscope_transport.h"

static int probe(char* why, size_t why_size) {
#ifdef FIXTURE_PROBE_FAILS
  snprintf(why, why_size, "needs kernel feature X (fixture)");
  return -ENOSYS;
#else
  (void)why;
  (void)why_size;
  return 0;
#endif
}

__attribute__((unused)) static int open_ep(const cs_endpoint_config* c,
                                           cs_endpoint** out, char* err,
                                           size_t err_size) {
  (void)c;
  (void)out;
  snprintf(err, err_size, "fixture cannot open endpoints");
  return -ENOTSUP;
}
static void close_ep(cs_endpoint* ep) { (void)ep; }
static int send_msgs(cs_endpoint* ep, const cs_message* m, uint32_t n) {
  (void)ep;
  (void)m;
  (void)n;
  return -ENOTSUP;
}
static int reap(cs_endpoint* ep, uint64_t* tags, uint32_t max, int t) {
  (void)ep;
  (void)tags;
  (void)max;
  (void)t;
  return 0;
}
static int recv_msg(cs_endpoint* ep, cs_recv_args* a) {
  (void)ep;
  (void)a;
  return -ENOTSUP;
}
static uint32_t counters(const cs_endpoint* ep, cs_counter* out, uint32_t max) {
  (void)ep;
  (void)out;
  (void)max;
  return 0;
}
static const char* last_error(const cs_endpoint* ep) {
  (void)ep;
  return "";
}

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture_ok"
#endif

static cs_transport kTransport = {
#ifdef FIXTURE_SMALL_STRUCT
    16,
#else
    CS_TRANSPORT_STRUCT_SIZE,
#endif
#ifdef FIXTURE_WRONG_MAJOR
    CS_ABI_MAJOR + 98,
#else
    CS_ABI_MAJOR,
#endif
    CS_ABI_MINOR,
    FIXTURE_NAME,
    "0.1",
    "loader test fixture",
    CS_CAP_RECV,
    NULL,
    0,
    probe,
#ifdef FIXTURE_MISSING_OPEN
    NULL,
#else
    open_ep,
#endif
    close_ep,
    send_msgs,
    reap,
    recv_msg,
    counters,
    last_error,
};

#ifndef FIXTURE_NO_ENTRY
CS_EXPORT const cs_transport* copyscope_transport_entry(const cs_host* host) {
#ifdef FIXTURE_REFUSES
  /* Refuses every real host (host is never NULL). */
  return host == NULL ? &kTransport : NULL;
#else
  (void)host;
  return &kTransport;
#endif
}
#else
/* Exports something, just not the entry. */
CS_EXPORT const void* some_other_symbol(void) { return &kTransport; }
#endif
