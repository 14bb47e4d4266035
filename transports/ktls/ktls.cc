// ktls: kernel TLS. open() attaches the "tls" upper-layer protocol to the
// connected TCP socket (setsockopt(SOL_TCP, TCP_ULP, "tls")) and hands the
// kernel TLS 1.3 AES-GCM-128 keys for the directions the role uses (SOL_TLS
// TLS_TX for a sender, TLS_RX for a receiver, both for request-response).
// From then on the kernel frames, encrypts and decrypts records: send() is
// sendmsg() of the fields (the kernel's copy, then its encryption), or with
// sendfile=1 a memfd sent with sendfile() (the zero-copy HTTPS server's
// path: the kernel encrypts straight from the page cache); recv() is
// recvmsg(), which returns decrypted application data and, in a control
// message, the record's content type: a record that is not application data
// (an alert, a handshake message) is reported as an error, never passed off
// as payload.
//
// There is no handshake: both ends use one fixed benchmark key (kKey below),
// the same in both directions. It measures the kernel's record path and
// protects nothing.
//
// probe() opens a loopback TCP connection and tries TCP_ULP "tls" on it;
// where the kernel has no TLS (CONFIG_TLS off, the module not loaded) it
// says so, naming what it checked (ktls_probe.h).
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/memfd_stage.h"
#include "transports/common/options.h"
#include "transports/common/recv_loop.h"
#include "transports/common/send_loop.h"
#include "transports/common/wait.h"
#include "transports/ktls/ktls_probe.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace copyscope::transports {
namespace {

// TLS content types (RFC 8446 section 5.1).
constexpr unsigned char kApplicationData = 23;

// The fixed benchmark key material, the same for both directions and every
// connection. Public, so it protects nothing: a benchmark key only.
constexpr unsigned char kKey[TLS_CIPHER_AES_GCM_128_KEY_SIZE] = {
    0x63, 0x6f, 0x70, 0x79, 0x73, 0x63, 0x6f, 0x70,   // "copyscop"
    0x65, 0x2d, 0x62, 0x65, 0x6e, 0x63, 0x68, 0x21};  // "e-bench!"
constexpr unsigned char kIv[TLS_CIPHER_AES_GCM_128_IV_SIZE] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
constexpr unsigned char kSalt[TLS_CIPHER_AES_GCM_128_SALT_SIZE] = {0x08, 0x09,
                                                                   0x0a, 0x0b};

tls12_crypto_info_aes_gcm_128 CryptoInfo() {
  tls12_crypto_info_aes_gcm_128 info;
  memset(&info, 0, sizeof(info));
  info.info.version = TLS_1_3_VERSION;
  info.info.cipher_type = TLS_CIPHER_AES_GCM_128;
  memcpy(info.key, kKey, sizeof(kKey));
  memcpy(info.iv, kIv, sizeof(kIv));
  memcpy(info.salt, kSalt, sizeof(kSalt));
  // rec_seq: 0, both ends start their record numbers at zero.
  return info;
}

// setsockopt(SOL_TLS, direction) with the benchmark key; 0 or errno.
int SetKey(int fd, int direction) {
  tls12_crypto_info_aes_gcm_128 info = CryptoInfo();
  return setsockopt(fd, SOL_TLS, direction, &info, sizeof(info)) == 0 ? 0
                                                                      : errno;
}

// Attaches the tls ULP and the keys of the role's directions to fd. On
// failure returns a negative errno with err saying why (the probe's words
// when the kernel has no TLS).
int AttachTls(int fd, uint32_t role, char* err, size_t err_size) {
  static const char kUlp[] = "tls";
  if (setsockopt(fd, SOL_TCP, TCP_ULP, kUlp, sizeof(kUlp) - 1) != 0) {
    int e = errno;
    if (e == ENOENT || e == EPERM)
      return KtlsVerdict(e, KtlsPaths(), err, err_size);
    // ENOTCONN, EOPNOTSUPP...: the socket, not the kernel.
    FormatInto(err, err_size,
               "setsockopt(TCP_ULP, \"tls\"): %s (kernel TLS needs an "
               "established TCP socket)",
               ErrnoText(e).c_str());
    return -e;
  }
  const struct {
    uint32_t role;
    int direction;
    const char* name;
  } kDirections[] = {{CS_ROLE_SENDER, TLS_TX, "TLS_TX"},
                     {CS_ROLE_RECEIVER, TLS_RX, "TLS_RX"}};
  for (const auto& d : kDirections) {
    if ((role & d.role) == 0) continue;
    int e = SetKey(fd, d.direction);
    if (e != 0) {
      FormatInto(err, err_size,
                 "setsockopt(SOL_TLS, %s) with TLS 1.3 AES-GCM-128: %s (the "
                 "kernel has the tls ULP but not this cipher or version: "
                 "TLS 1.3 needs Linux 5.1+ and the gcm crypto module)",
                 d.name, ErrnoText(e).c_str());
      return -e;
    }
  }
  return 0;
}

// A connected loopback TCP pair for the probe; false with why set.
bool LoopbackPair(int* a, int* b, char* why, size_t why_size) {
  *a = *b = -1;
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bool ok =
      listener >= 0 &&
      bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      listen(listener, 1) == 0 &&
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (ok) {
    *a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ok = *a >= 0 &&
         connect(*a, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  if (ok) {
    *b = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ok = *b >= 0;
  }
  int e = errno;
  if (listener >= 0) close(listener);
  if (!ok) {
    FormatInto(why, why_size,
               "cannot open a loopback TCP connection to try kernel TLS on: "
               "%s",
               ErrnoText(e).c_str());
    if (*a >= 0) close(*a);
    *a = -1;
  }
  return ok;
}

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  int a = -1, b = -1;
  if (!LoopbackPair(&a, &b, why, why_size)) return -EIO;
  int rc = AttachTls(a, CS_ROLE_SENDER, why, why_size);
  if (rc == 0) rc = AttachTls(b, CS_ROLE_RECEIVER, why, why_size);
  close(a);
  close(b);
  return rc;
}

const cs_option_desc kOptions[] = {
    {"sendfile", "0",
     "1: write the fields into a memfd and sendfile() it through kernel TLS "
     "(the kernel encrypts from the page cache)"},
};

struct Endpoint : EndpointBase<Endpoint> {
  static constexpr OptionTable kOptionTable = OptionsOf(kOptions);
  struct Options {
    bool sendfile = false;
  };

  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size) {
    uint64_t sendfile = 0;
    if (!NumberOption(&config, "sendfile", 0, 1, &sendfile, err, err_size)) {
      return -EINVAL;
    }
    o->sendfile = sendfile == 1;
    int rc = RequireMaxMessageSize(config, err, err_size);
    if (rc < 0) return rc;
    return AttachTls(config.fd, config.role, err, err_size);
  }

  int Setup(const cs_endpoint_config& config, const Options& o, char* err,
            size_t err_size) {
    int rc = ReserveScratch(config, is_sender(), &scratch, err, err_size);
    if (rc < 0 || !is_sender() || !o.sendfile) return rc;
    max_message_len = config.max_message_size;
    return stage.Open("copyscope_ktls", max_message_len, err, err_size);
  }

  int SendMessage(const cs_message& msg) {
    if (!stage.open()) {
      return SendFieldsAll(fd, msg.fields, msg.field_count, 0, io_timeout_ms,
                           &scratch, &send_counters, &error);
    }
    size_t len = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      len += msg.fields[f].iov_len;
    }
    if (len == 0) return 0;
    int rc = stage.Stage(msg, &scratch, &error);
    return rc < 0
               ? rc
               : stage.SendTo(fd, len, io_timeout_ms, &send_counters, &error);
  }

  // recvmsg() until the message is in, checking each call's record type.
  int Receive(cs_recv_args* args) {
    char* p = static_cast<char*>(args->buf);
    size_t got = 0;
    while (got < args->len) {
      struct iovec iov = {p + got, args->len - got};
      char control[CMSG_SPACE(sizeof(unsigned char))];
      struct msghdr msg;
      memset(&msg, 0, sizeof(msg));
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t n = recvmsg(fd, &msg, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        int rc = WaitAfterEagain(fd, POLLIN, io_timeout_ms, "recv", got,
                                 args->len, nullptr, &error);
        if (rc == -ECONNRESET)
          return RecvEnded(ECONNRESET, got, args->len, &error);
        if (rc < 0) return rc;
        continue;
      }
      if (n < 0 && errno == EBADMSG) {
        ++decrypt_errors;
        return error.Set(-EBADMSG,
                         "recv: a TLS record failed authentication (EBADMSG "
                         "after %zu of %zu bytes): the peer does not use this "
                         "transport's key, or the stream is not kernel TLS",
                         got, args->len);
      }
      if (n <= 0) return RecvEnded(n == 0 ? 0 : errno, got, args->len, &error);
      ++recv_calls;
      unsigned char type = kApplicationData;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
           c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_TLS && c->cmsg_type == TLS_GET_RECORD_TYPE) {
          type = *reinterpret_cast<unsigned char*>(CMSG_DATA(c));
        }
      }
      if (type != kApplicationData) {
        ++control_records;
        return error.Set(-EPROTO,
                         "recv: a TLS record of content type %u (21 alert, 22 "
                         "handshake) arrived after %zu of %zu bytes; this "
                         "transport carries application data (23) only",
                         (unsigned)type, got, args->len);
      }
      got += (size_t)n;
    }
    return 0;
  }

  void ListCounters(CounterList* c) const {
    c->AddSendCounters(send_counters);
    c->Add("recv_calls", recv_calls);
    c->Add("control_records", control_records);
    c->Add("decrypt_errors", decrypt_errors);
  }

  IovScratch scratch;            // sender roles
  SendCounters send_counters;    // sendmsg() or sendfile() calls
  uint64_t recv_calls = 0;       // recvmsg() calls that returned data
  uint64_t control_records = 0;  // non-data records received (an error)
  uint64_t decrypt_errors = 0;   // records that failed authentication
  MemfdStage stage;              // sendfile=1 senders
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "ktls", "1.0",
    "kernel TLS 1.3 AES-GCM records (fixed benchmark key): sendmsg() or "
    "sendfile() in, recvmsg() of decrypted data out",
    CS_CAP_SCATTER_GATHER | CS_CAP_RECV, Probe);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
