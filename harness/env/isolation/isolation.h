// Where the server and client threads of a run live: two private network
// namespaces joined by a veth pair (netns), or the caller's own loopback.
//
// Namespaces are anonymous and held only by this object's fds (and by the
// threads and sockets inside them), so they and the veth die with the
// process however it ends. Addresses are fixed (each run has namespaces of
// its own): server 198.18.0.1/30, client 198.18.0.2/30, from the
// benchmarking range 198.18.0.0/15 (RFC 2544); for IPv6 server 2001:2::1/64,
// client 2001:2::2/64, from 2001:2::/48 (RFC 5180).
//
//   Options options;
//   options.mtu = run_options.mtu;            // 0: kernel default
//   auto iso = Isolation::Setup(run_options.isolation, options);
//   if (!iso.ok()) return iso.status();     // only for --isolation=netns
//   record.isolation = (*iso)->Summary();   // mode, why, names, offloads
//   // Each connection's server thread and client thread, first thing
//   // (setns is per thread; the thread ends inside, no way back needed):
//   EnterNamespace((*iso)->server().ns_fd);   // client: client().ns_fd
//   bind(listen_fd, (*iso)->server().address, port 0);   // server
//   connect(fd, (*iso)->server().address, port);         // client
//   // Loopback: ns_fd is -1, EnterNamespace() does nothing, both
//   // addresses are 127.0.0.1.
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_ISOLATION_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_ISOLATION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/config/types.h"
#include "harness/env/isolation/interface.h"
#include "harness/env/isolation/netns.h"

namespace copyscope::isolation {

// What --isolation asked for (parsed with the other options).
using Request = config::Isolation;
// What a run got.
enum class Mode { kNetns, kLoopback };

const char* ModeName(Mode mode);  // "netns", "loopback"

// The --isolation decision, given what trying to create namespaces returned
// (OkStatus if it worked; ignored for kLoopback). kAuto falls back to
// loopback with the reason "netns unavailable: <error>"; kNetns turns the
// error into a FailedPrecondition that points at `copyscope netns check`.
struct Choice {
  Mode mode;
  std::string reason;  // e.g. "requested --isolation=loopback"
};
absl::StatusOr<Choice> Decide(Request request, const absl::Status& netns);

struct Options {
  int mtu = 0;              // > 0: set on both veth ends; 0: kernel default
                            // (loopback ignores it: lo is the host's)
  std::optional<bool> gro;  // set: force GRO on/off on both ends
  std::optional<bool> gso;  // likewise GSO
  std::optional<bool> tso;  // likewise TSO
};

// One side of the link, as a runner thread needs it.
struct Side {
  int ns_fd = -1;         // namespace to enter; -1: stay (loopback)
  uint64_t ns_inode = 0;  // "net:[inode]" of ns_fd; 0 in loopback mode
  std::string interface;  // veth end, or "lo"
  std::string address;    // IPv4 dotted quad to bind (server)/connect to
  int prefix_len = 0;     // 30 for the veth, 8 for loopback
  Offloads offloads;      // read when the link was set up
  // IPv6 (--family=inet6): 2001:2::1/64 and ::2 on the veth, ::1/128 on
  // loopback; "" when it could not be set, address6_error then says why.
  std::string address6;
  int prefix_len6 = 0;
  std::string address6_error;
};

inline constexpr char kServerAddress[] = "198.18.0.1";
inline constexpr char kClientAddress[] = "198.18.0.2";
inline constexpr int kVethPrefixLen = 30;
// IPv6 on the veth, from the benchmarking range 2001:2::/48 (RFC 5180),
// added without duplicate address detection (IFA_F_NODAD).
inline constexpr char kServerAddress6[] = "2001:2::1";
inline constexpr char kClientAddress6[] = "2001:2::2";
inline constexpr int kVethPrefixLen6 = 64;

// Set in both namespaces: an orphaned TCP socket (one the kernel closes for
// a dead process) gives up after one retransmission instead of the default
// eight (about 100 s with backoff). Such a socket holds its namespace, and
// once the peer namespace is gone (its veth end with it) nothing will ever
// answer, so the default kept a killed run's namespace alive for minutes.
inline constexpr char kOrphanRetriesSysctl[] = "net/ipv4/tcp_orphan_retries";
inline constexpr char kOrphanRetries[] = "1";

class Isolation {
 public:
  // Two new namespaces and a veth pair created inside them (the server end
  // in the server namespace, its peer born in the client namespace), lo and
  // both ends up, addresses set. Nothing is created in the caller's
  // namespace, and the calling thread never changes namespace. Names are
  // "cs<server namespace inode, hex>" + "s" / "c": unique on the machine for
  // as long as they exist (and nothing outside the two namespaces sees them).
  static absl::StatusOr<std::unique_ptr<Isolation>> CreateNetns(
      const Options& options = {});

  // No namespaces: 127.0.0.1 on both sides over lo.
  static std::unique_ptr<Isolation> Loopback(std::string reason);

  // --isolation in one call: CreateNetns unless loopback was requested, then
  // Decide(). Only kNetns can fail.
  static absl::StatusOr<std::unique_ptr<Isolation>> Setup(
      Request request, const Options& options = {});

  Isolation(const Isolation&) = delete;
  Isolation& operator=(const Isolation&) = delete;
  ~Isolation();  // Close(), errors printed to stderr

  // Deletes the veth (both ends) and closes both namespace fds. Threads
  // still inside a namespace keep it alive until they leave or exit.
  // Idempotent; afterwards ns_fd is -1 on both sides.
  absl::Status Close();

  Mode mode() const { return mode_; }
  const std::string& reason() const { return reason_; }
  const Side& server() const { return server_; }
  const Side& client() const { return client_; }
  // Read back from the server end (lo for loopback); 0 if it could not be
  // read.
  int mtu() const { return mtu_; }
  // How the namespaces are torn down when the process dies, e.g.
  // "tcp_orphan_retries=1 in both namespaces", or why that could not be
  // set; empty for loopback.
  const std::string& teardown() const { return teardown_; }

  // Reads the offloads again now (e.g. after a run, to record what held).
  absl::StatusOr<Offloads> ReadServerOffloads() const;
  absl::StatusOr<Offloads> ReadClientOffloads() const;

  // Multi-line "key: value" record of everything above, for the run record
  // and for `copyscope netns check`.
  std::string Summary() const;

 private:
  Isolation() = default;
  absl::StatusOr<Offloads> ReadOffloadsIn(const Side& side) const;

  Mode mode_ = Mode::kLoopback;
  std::string reason_;
  Side server_;
  Side client_;
  int mtu_ = 0;
  std::string teardown_;
  bool veth_created_ = false;
};

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_ISOLATION_H_
