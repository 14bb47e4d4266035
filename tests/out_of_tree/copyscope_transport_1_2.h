/* copyscope transport ABI: the one C interface between the copyscope harness
 * (the host) and a transport plugin (a shared library).
 *
 * A plugin exports exactly one symbol, copyscope_transport_entry(). The host
 * dlopens the library, calls the entry with the ABI version it speaks, and
 * receives a read-only descriptor (cs_transport) of function pointers. The
 * host owns the connected socket and every message buffer; the plugin moves
 * the bytes and says when a buffer handed to the kernel may be reused.
 *
 * Minimal plugin (plugins/examples/minimal_transport.c is a complete one in
 * C; in-tree transports start from transports/_template/):
 *
 *   #include "copyscope_transport.h"
 *   static const cs_transport kTransport = {
 *       CS_TRANSPORT_STRUCT_SIZE, CS_ABI_MAJOR, CS_ABI_MINOR,
 *       "mine", "1.0", "what it does", 0, NULL, 0,
 *       probe, open, close, send, reap, recv, counters, last_error};
 *   CS_EXPORT const cs_transport* copyscope_transport_entry(
 *       const cs_host* host) {
 *     return host->abi_major == CS_ABI_MAJOR ? &kTransport : NULL;
 *   }
 *
 * Versioning. CS_ABI_MAJOR changes when anything is removed, retyped or
 * reordered; CS_ABI_MINOR changes when a field is appended to a sized struct
 * or a capability bit or flag is added.
 *
 * Sized structs. The structs passed by pointer one at a time (cs_host,
 * cs_endpoint_config, cs_recv_args, cs_transport) begin with their size
 * (measured up to their last field, CS_STRUCT_SIZE), so either side can tell
 * which fields the other knows: a field beyond a struct's struct_size is
 * "not present". The structs passed as array elements (cs_message,
 * cs_option, cs_option_desc, cs_counter) carry no size: an array's stride
 * is sizeof(element) as each side was compiled, so an element that grew
 * would misplace every element after the first, and a size field could not
 * help. Their layout is fixed for a major version; what they cannot say is
 * added to the sized struct that points at the array (a field or flag
 * there). plugins/CHANGELOG.md has one entry per version.
 *
 * Ownership. Whoever allocates frees: the host never frees plugin memory and
 * the plugin never frees host memory. Strings the plugin returns are owned by
 * the plugin and stay valid for the stated lifetime.
 *
 * Threads. copyscope_transport_entry and probe may be called from any thread,
 * concurrently. An endpoint is used by one thread at a time (the host never
 * calls two functions on the same endpoint concurrently); distinct endpoints
 * may be used from distinct threads at once. A socket carries at most one
 * sending endpoint at a time (a plugin may refuse a second with -EBUSY).
 *
 * Socket state. A plugin may set socket options it needs (SO_ZEROCOPY,
 * SO_SNDTIMEO, ...) and may leave them set after close(); the host closes
 * the socket after the endpoint, never reusing it for another purpose.
 *
 * Strictness. Unknown option keys, nonzero reserved flag words that the
 * plugin does not know (cs_recv_args.flags), a NULL buffer or a zero length
 * are errors (-EINVAL); cs_message.reserved is ignored. A message with more
 * than max_fields fields is a host bug the plugin may reject with -EINVAL.
 * err/why buffers are never NULL when their size is nonzero.
 *
 * Limits. The host reads nothing unbounded. It rejects a descriptor whose
 * name or an option key is longer than 64 bytes, version longer than 64,
 * description or an option's default or help longer than 4096, or with
 * more than 256 options; and it fails the cell (not the process) when an
 * endpoint reports more than 256 counters or more than it was asked for, a
 * counter without a name or with one longer than 64 bytes, a reap()ed tag
 * that is not in flight, or recv() segments that do not hold exactly the
 * message.
 *
 * Errors. Functions return 0 (or a count) on success and a negative errno on
 * failure; a failing endpoint function leaves a human-readable message that
 * last_error() returns. A plugin never aborts, exits or throws into the host.
 */
#ifndef COPYSCOPE_PLUGINS_COPYSCOPE_TRANSPORT_H_
#define COPYSCOPE_PLUGINS_COPYSCOPE_TRANSPORT_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h> /* struct iovec */

#ifdef __cplusplus
extern "C" {
#endif

#define CS_ABI_MAJOR 1
#define CS_ABI_MINOR 2

/* The one exported symbol, and its type. */
#define CS_ENTRY_SYMBOL "copyscope_transport_entry"
#define CS_EXPORT __attribute__((visibility("default")))

/* Size of a struct up to and including its last field, without tail
 * padding: CS_STRUCT_SIZE(cs_transport, last_error). */
#define CS_STRUCT_SIZE(type, last_field) \
  (offsetof(type, last_field) + sizeof(((type*)0)->last_field))

/* ------------------------------------------------------------------------ */
/* What the host tells the plugin about itself.                             */

typedef struct cs_host {
  uint32_t struct_size;  /* CS_HOST_STRUCT_SIZE */
  uint32_t abi_major;    /* the host's CS_ABI_MAJOR */
  uint32_t abi_minor;    /* the host's CS_ABI_MINOR */
  const char* host_name; /* e.g. "copyscope 0.1"; informational */
} cs_host;
#define CS_HOST_STRUCT_SIZE CS_STRUCT_SIZE(cs_host, host_name)

/* ------------------------------------------------------------------------ */
/* Messages.                                                                */

/* One message: an array of fields (an iovec), sent as one unit, identified
 * by a host-chosen tag. The fields' memory belongs to the host and must stay
 * untouched until the plugin releases the tag (see cs_transport.send). */
typedef struct cs_message {
  const struct iovec* fields;
  uint32_t field_count; /* >= 1 */
  uint32_t reserved;    /* 0 */
  uint64_t tag;         /* opaque to the plugin; returned by reap() */
} cs_message;

/* Arguments of one receive: exactly `len` bytes, one whole message. */
typedef struct cs_recv_args {
  uint32_t struct_size; /* CS_RECV_ARGS_STRUCT_SIZE */
  uint32_t flags;       /* 0 in this version */
  void* buf;            /* host buffer of at least len bytes */
  size_t len;           /* message length to receive, >= 1 */
  /* Out: where the message bytes are. segment_count == 0 means they are in
   * buf. A plugin that receives in place (mapped or provided buffers) may
   * instead point segments at its own memory, valid until the next call on
   * the endpoint. */
  const struct iovec* segments;
  uint32_t segment_count;
} cs_recv_args;
#define CS_RECV_ARGS_STRUCT_SIZE CS_STRUCT_SIZE(cs_recv_args, segment_count)

/* ------------------------------------------------------------------------ */
/* Endpoints.                                                               */

/* A key=value option, as given by the user (--transport-opt KEY=VALUE). */
typedef struct cs_option {
  const char* key;
  const char* value;
} cs_option;

/* An option a transport accepts, for `copyscope list` and validation. */
typedef struct cs_option_desc {
  const char* key;
  const char* default_value;
  const char* help;
} cs_option_desc;

enum cs_role {
  CS_ROLE_SENDER = 1,   /* only send() and reap() will be called */
  CS_ROLE_RECEIVER = 2, /* only recv() will be called */
  CS_ROLE_BOTH = 3      /* both directions (request-response) */
};

typedef struct cs_endpoint cs_endpoint; /* opaque, plugin-owned */

/* cs_endpoint_config.flags (ABI 1.1). */
/* The host bounds every wait on this socket itself: when a connection must
 * end (stop, failure, timeout) it calls shutdown(fd, SHUT_RDWR), which wakes
 * any call blocked on it. A plugin may then skip per-call kernel timers on a
 * blocking socket (SO_RCVTIMEO/SO_SNDTIMEO arm a timer on every blocking
 * wait, which costs measurably in request-response). io_timeout_ms still
 * bounds the plugin's own waits (poll, completions). */
#define CS_ENDPOINT_HOST_UNBLOCKS (1u << 0)

typedef struct cs_endpoint_config {
  uint32_t struct_size;     /* CS_ENDPOINT_CONFIG_STRUCT_SIZE (at least
                               CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0) */
  uint32_t role;            /* enum cs_role */
  int fd;                   /* connected stream socket; the host owns it and
                               closes it after close(); blocking or not */
  int io_timeout_ms;        /* bound on any single wait inside a call; < 0 means
                               no bound. A call that hits it returns -ETIMEDOUT */
  uint32_t max_fields;      /* most fields a message will have */
  uint32_t max_batch;       /* most messages one send() will carry */
  size_t max_message_size;  /* largest message, in bytes */
  const cs_option* options; /* user options; unknown keys are an error */
  uint32_t option_count;
  uint32_t flags; /* ABI 1.1: CS_ENDPOINT_* bits; absent (0) in a 1.0 config,
                     read it through CS_ENDPOINT_CONFIG_FLAGS() */
} cs_endpoint_config;
#define CS_ENDPOINT_CONFIG_STRUCT_SIZE CS_STRUCT_SIZE(cs_endpoint_config, flags)
/* The smallest config a plugin must accept: what a 1.0 host passes. */
#define CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0 \
  CS_STRUCT_SIZE(cs_endpoint_config, option_count)
/* The flags of a config of any 1.x size (0 when the host is 1.0). */
#define CS_ENDPOINT_CONFIG_FLAGS(config)                                     \
  ((config)->struct_size >= CS_ENDPOINT_CONFIG_STRUCT_SIZE ? (config)->flags \
                                                           : 0u)

/* A named plugin counter. The name is owned by the plugin and lives as long
 * as the library is loaded; names are lower_snake_case. */
typedef struct cs_counter {
  const char* name;
  uint64_t value;
} cs_counter;

/* ------------------------------------------------------------------------ */
/* Capabilities (cs_transport.capabilities).                                */

/* Messages with more than one field are sent without gathering them first. */
#define CS_CAP_SCATTER_GATHER (1ull << 0)
/* Buffers stay in use after send() returns; the host must reap() them. When
 * absent, every buffer is free again as soon as send() returns. */
#define CS_CAP_ASYNC_RELEASE (1ull << 1)
/* The kernel transmits from the host's pages (no copy on send). */
#define CS_CAP_ZERO_COPY_SEND (1ull << 2)
/* One send() submits many messages with fewer system calls. */
#define CS_CAP_BATCHING (1ull << 3)
/* recv() is implemented. */
#define CS_CAP_RECV (1ull << 4)
/* recv() may return bytes in plugin memory (cs_recv_args.segments). */
#define CS_CAP_RECV_IN_PLACE (1ull << 5)
/* ABI 1.2. recv() consumes exactly args->len bytes of the stream (one whole
 * message, as ever) but delivers none of them: the kernel drops them (e.g.
 * TCP recv(MSG_TRUNC)), buf is left untouched and segment_count is 0. The
 * message's bytes cannot be checked, so a host that verifies payloads must
 * not use such a receiver (copyscope refuses --verify with it); a test can
 * check that the stream stays framed and that buf was not written. */
#define CS_CAP_RECV_DISCARDS (1ull << 6)

/* ------------------------------------------------------------------------ */
/* The descriptor.                                                          */

typedef struct cs_transport {
  uint32_t struct_size; /* CS_TRANSPORT_STRUCT_SIZE */
  uint32_t abi_major;   /* CS_ABI_MAJOR the plugin was built with */
  uint32_t abi_minor;   /* CS_ABI_MINOR the plugin was built with */

  const char* name;              /* [a-z0-9_]+, unique among loaded plugins */
  const char* version;           /* the plugin's own version, e.g. "1.0" */
  const char* description;       /* one line */
  uint64_t capabilities;         /* CS_CAP_* bits */
  const cs_option_desc* options; /* accepted option keys, may be NULL */
  uint32_t option_count;

  /* Can this transport run on this kernel and in this process? Returns 0,
   * or a negative errno and writes why (NUL-terminated, truncated to
   * why_size) e.g. "IORING_OP_SEND_ZC not supported by kernel 5.15". */
  int (*probe)(char* why, size_t why_size);

  /* Opens an endpoint on config->fd. On failure returns a negative errno
   * and writes why into err (unknown option keys give -EINVAL). The plugin
   * may set socket options on fd (e.g. SO_ZEROCOPY). */
  int (*open)(const cs_endpoint_config* config, cs_endpoint** out, char* err,
              size_t err_size);

  /* Closes the endpoint and frees it. Waits (bounded by io_timeout_ms) for
   * the kernel to give back buffers still in use; afterwards the host may
   * reuse every buffer it passed, whether or not it reaped them. */
  void (*close)(cs_endpoint* ep);

  /* Sends `count` messages, in order, each in full (partial writes are the
   * plugin's business). Blocks, bounded by io_timeout_ms per wait, until
   * every message is accepted: handed to the kernel or queued for a
   * submission the plugin completes on its own. Returns 0 or a negative
   * errno; after an error the endpoint is broken and only close() may
   * follow. Without CS_CAP_ASYNC_RELEASE all buffers are free on return;
   * with it, each message's buffers stay in use until reap() returns its
   * tag. */
  int (*send)(cs_endpoint* ep, const cs_message* messages, uint32_t count);

  /* Writes up to max tags of messages whose buffers are free again and
   * returns how many (0 when none), or a negative errno. Waits up to
   * timeout_ms for at least one (0: do not wait; < 0: until one arrives or
   * io_timeout_ms passes). Each tag is returned exactly once. The host
   * knows which tags it still has out, so 0 after a wait means "none freed
   * in time", never "nothing in use". */
  int (*reap)(cs_endpoint* ep, uint64_t* tags, uint32_t max, int timeout_ms);

  /* Receives exactly one message of args->len bytes. Returns 0, -EPIPE
   * when the peer closed (or reset) the connection before the whole message
   * arrived (including before its first byte), or another negative errno. */
  int (*recv)(cs_endpoint* ep, cs_recv_args* args);

  /* Writes up to max counters and returns how many the endpoint has in
   * all (call with max == 0 to size the array). Values are totals since
   * open. Typical names: send_calls, short_writes, zerocopy_completions,
   * zerocopy_copied, enobufs_retries. */
  uint32_t (*counters)(const cs_endpoint* ep, cs_counter* out, uint32_t max);

  /* The message of the endpoint's last failure ("" if none), valid until
   * the next call on the endpoint. */
  const char* (*last_error)(const cs_endpoint* ep);
} cs_transport;
#define CS_TRANSPORT_STRUCT_SIZE CS_STRUCT_SIZE(cs_transport, last_error)

/* The entry point. Returns the plugin's descriptor if it can serve a host
 * of host->abi_major, else NULL. Called once per load; the descriptor lives
 * as long as the library stays loaded. */
typedef const cs_transport* (*cs_entry_fn)(const cs_host* host);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COPYSCOPE_PLUGINS_COPYSCOPE_TRANSPORT_H_ */
