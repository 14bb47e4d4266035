// Test support: a transport built in the test, no shared library behind
// it. A cs_transport descriptor over plain blocking socket calls, whose
// functions a test replaces one by one to make it misbehave, and whose
// options make it damage what it carries.
//
//   cs_transport t = FakeTransport();
//   t.counters = [](const cs_endpoint*, cs_counter*, uint32_t) -> uint32_t {
//     return 9999;
//   };
//   EndpointSpec spec{&t, "fake", CS_ROLE_SENDER, fd};
//
// Options (--transport-opt, or EndpointSpec::options):
//   flip_message=N, flip_offset=M  inverts byte M of the N-th message this
//                                  endpoint sends (0-based)
//   reflect=1                      sends the last message it received, if
//                                  any, in place of the host's bytes
//   segments=K                     receives into its own memory and returns
//                                  the message in place, in K segments
// The endpoint's FakeState is public, so a test can look inside.
#ifndef COPYSCOPE_HARNESS_ENGINE_FAKE_TRANSPORT_TESTING_H_
#define COPYSCOPE_HARNESS_ENGINE_FAKE_TRANSPORT_TESTING_H_

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "plugins/copyscope_transport.h"

namespace copyscope::engine {

struct FakeState {
  int fd = -1;
  std::string error;
  uint64_t sent = 0;      // messages sent
  uint64_t received = 0;  // messages received
  uint64_t flip_message = UINT64_MAX;
  uint64_t flip_offset = 0;
  bool reflect = false;
  uint32_t segments = 0;       // 0: receive into the host's buffer
  std::deque<uint64_t> held;   // FakeTransportAsync: tags not reaped yet
  std::vector<char> gathered;  // a message's bytes, as sent
  std::vector<char> last;      // the last message received
  std::vector<char> in_place;  // the bytes returned in place
  std::vector<struct iovec> out;
};

inline FakeState* Fake(cs_endpoint* ep) {
  return reinterpret_cast<FakeState*>(ep);
}
inline const FakeState* Fake(const cs_endpoint* ep) {
  return reinterpret_cast<const FakeState*>(ep);
}

inline int FakeFail(FakeState* s, int rc, const std::string& what) {
  s->error = what + ": " + std::strerror(-rc);
  return rc;
}

// Writes all len bytes; 0 or a negative errno.
inline int FakeWriteAll(int fd, const char* p, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return 0;
}

// Reads exactly len bytes; 0, -EPIPE at end of stream, or -errno.
inline int FakeReadAll(int fd, char* p, size_t len) {
  while (len > 0) {
    ssize_t n = recv(fd, p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == ECONNRESET ? -EPIPE : -errno;
    if (n == 0) return -EPIPE;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return 0;
}

inline int FakeOpen(const cs_endpoint_config* config, cs_endpoint** out,
                    char* err, size_t err_size) {
  auto* s = new FakeState;
  s->fd = config->fd;
  for (uint32_t i = 0; i < config->option_count; ++i) {
    const std::string key = config->options[i].key;
    const char* value = config->options[i].value;
    uint64_t n = 0;
    bool ok = absl::SimpleAtoi(value, &n);
    if (key == "flip_message") {
      s->flip_message = n;
    } else if (key == "flip_offset") {
      s->flip_offset = n;
    } else if (key == "reflect") {
      s->reflect = n != 0;
    } else if (key == "segments") {
      s->segments = static_cast<uint32_t>(n);
    } else {
      ok = false;
    }
    if (!ok) {
      std::snprintf(err, err_size, "bad option %s=%s", key.c_str(), value);
      delete s;
      return -EINVAL;
    }
  }
  *out = reinterpret_cast<cs_endpoint*>(s);
  return 0;
}

inline void FakeClose(cs_endpoint* ep) { delete Fake(ep); }

inline int FakeSendOne(FakeState* s, const cs_message& m) {
  s->gathered.clear();
  for (uint32_t f = 0; f < m.field_count; ++f) {
    const char* p = static_cast<const char*>(m.fields[f].iov_base);
    s->gathered.insert(s->gathered.end(), p, p + m.fields[f].iov_len);
  }
  if (s->reflect && !s->last.empty()) {
    std::copy_n(s->last.begin(), std::min(s->last.size(), s->gathered.size()),
                s->gathered.begin());
  }
  if (s->sent == s->flip_message && s->flip_offset < s->gathered.size()) {
    s->gathered[s->flip_offset] ^= static_cast<char>(0xff);
  }
  int rc = FakeWriteAll(s->fd, s->gathered.data(), s->gathered.size());
  if (rc < 0) return FakeFail(s, rc, "send");
  ++s->sent;
  return 0;
}

inline int FakeSend(cs_endpoint* ep, const cs_message* messages,
                    uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    int rc = FakeSendOne(Fake(ep), messages[i]);
    if (rc < 0) return rc;
  }
  return 0;
}

// With CS_CAP_ASYNC_RELEASE: holds every tag until reap().
inline int FakeSendAsync(cs_endpoint* ep, const cs_message* messages,
                         uint32_t count) {
  int rc = FakeSend(ep, messages, count);
  for (uint32_t i = 0; rc == 0 && i < count; ++i) {
    Fake(ep)->held.push_back(messages[i].tag);
  }
  return rc;
}

inline int FakeReap(cs_endpoint* ep, uint64_t* tags, uint32_t max, int) {
  FakeState* s = Fake(ep);
  uint32_t n = 0;
  for (; n < max && !s->held.empty(); ++n) {
    tags[n] = s->held.front();
    s->held.pop_front();
  }
  return static_cast<int>(n);
}

inline int FakeRecv(cs_endpoint* ep, cs_recv_args* args) {
  FakeState* s = Fake(ep);
  char* into = static_cast<char*>(args->buf);
  if (s->segments > 0) {
    s->in_place.resize(args->len);
    into = s->in_place.data();
  }
  int rc = FakeReadAll(s->fd, into, args->len);
  if (rc < 0) return FakeFail(s, rc, "recv");
  ++s->received;
  if (s->reflect) s->last.assign(into, into + args->len);
  if (s->segments > 0) {
    // K segments as even as the length allows (at least one byte each).
    const size_t k = std::min<size_t>(s->segments, args->len);
    s->out.clear();
    size_t at = 0;
    for (size_t i = 0; i < k; ++i) {
      const size_t n = args->len / k + (i < args->len % k ? 1 : 0);
      s->out.push_back({into + at, n});
      at += n;
    }
    args->segments = s->out.data();
    args->segment_count = static_cast<uint32_t>(s->out.size());
  }
  return 0;
}

inline uint32_t FakeCounters(const cs_endpoint* ep, cs_counter* out,
                             uint32_t max) {
  const FakeState* s = Fake(ep);
  const cs_counter all[] = {{"fake_sent", s->sent},
                            {"fake_received", s->received}};
  for (uint32_t i = 0; i < max && i < 2; ++i) out[i] = all[i];
  return 2;
}

inline const char* FakeLastError(const cs_endpoint* ep) {
  return Fake(ep)->error.c_str();
}

inline int FakeProbe(char* why, size_t why_size) {
  if (why_size > 0) why[0] = '\0';
  return 0;
}

// The descriptor: sends and receives, releases every buffer on return.
inline cs_transport FakeTransport() {
  cs_transport t = {};
  t.struct_size = CS_TRANSPORT_STRUCT_SIZE;
  t.abi_major = CS_ABI_MAJOR;
  t.abi_minor = CS_ABI_MINOR;
  t.name = "fake";
  t.version = "1.0";
  t.description = "an in-process transport of the engine's tests";
  t.capabilities = CS_CAP_RECV | CS_CAP_RECV_IN_PLACE;
  t.probe = FakeProbe;
  t.open = FakeOpen;
  t.close = FakeClose;
  t.send = FakeSend;
  t.reap = FakeReap;
  t.recv = FakeRecv;
  t.counters = FakeCounters;
  t.last_error = FakeLastError;
  return t;
}

// The same, keeping buffers until reap() (CS_CAP_ASYNC_RELEASE).
inline cs_transport FakeTransportAsync() {
  cs_transport t = FakeTransport();
  t.capabilities |= CS_CAP_ASYNC_RELEASE;
  t.send = FakeSendAsync;
  return t;
}

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_FAKE_TRANSPORT_TESTING_H_
