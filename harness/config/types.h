// The enumerations every room shares, parsed once from the command line
// (flags.h) and named back for the record and the screen. Past the config
// package no code compares option strings: it switches on these.
//
//   absl::StatusOr<Mode> m = ParseMode("rr");    // Mode::kRequestResponse
//   ModeName(Mode::kStream);                     // "stream"
//   Transactional(Mode::kConnectRequestResponse);  // true: rr or crr
//   SideName(Side::kClient);                     // "client"
#ifndef COPYSCOPE_HARNESS_CONFIG_TYPES_H_
#define COPYSCOPE_HARNESS_CONFIG_TYPES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::config {

// How a cell moves data. Stream: one side sends, the other receives, as
// fast as they can. Request-response (rr): the client sends a request, the
// server receives it and sends a response, the client receives it; the
// client times each round trip. Connect-request-response (crr, netperf's
// TCP_CRR): the same transaction on a connection of its own, the client
// connecting, opening the plugin's endpoint, sending, receiving and
// closing each time; the client times each whole transaction.
enum class Mode { kStream, kRequestResponse, kConnectRequestResponse };

// rr or crr: the client sends requests and the server answers them, so both
// sides send and receive, and the client times every transaction.
inline bool Transactional(Mode mode) { return mode != Mode::kStream; }

// Which side sends in stream mode.
enum class Direction { kServerToClient, kClientToServer };

// The two ends of a connection: the server listens, the client connects.
enum class Side { kServer, kClient };

// Where server and client live (--isolation): two network namespaces over a
// veth, loopback, or netns where permitted else loopback.
enum class Isolation { kAuto, kNetns, kLoopback };

// The address family of a cell's stream sockets (--family): TCP over IPv4,
// TCP over IPv6, or a Unix stream socket (a path in a directory the server
// side makes; no TCP/IP at all).
enum class Family { kInet, kInet6, kUnix };

// What the perf counters cover (--counters-scope): each worker thread, or
// every CPU the roles are pinned to (system-wide on those CPUs).
enum class CountersScope { kThread, kCpu };

// A cell's background load (--background, latency under load): `threads`
// stream connections of `transport` moving `size`-byte messages from server
// to client on the same path while the cell measures its round trips.
// threads == 0: none.
struct Background {
  std::string transport;
  int threads = 0;
  uint64_t size = 65536;

  bool none() const { return threads == 0; }
  // "two_copy:1:65536", or "none".
  std::string Text() const;
  bool operator==(const Background& o) const {
    return transport == o.transport && threads == o.threads && size == o.size;
  }
};

// Parses TRANSPORT:THREADS[:SIZE] (SIZE with K/M/G suffixes, default 64K;
// THREADS 1..64) or "none"; the error names the part that is wrong.
absl::StatusOr<Background> ParseBackground(absl::string_view text);

const char* ModeName(Mode mode);                 // "stream", "rr", "crr"
const char* DirectionName(Direction direction);  // "server-to-client", ...
const char* SideName(Side side);                 // "server", "client"
const char* IsolationName(Isolation isolation);  // "auto", "netns", ...
const char* CountersScopeName(CountersScope s);  // "thread", "cpu"
const char* FamilyName(Family family);           // "inet", "inet6", "unix"

// The inverse of the names above; an unknown word is InvalidArgument
// listing the choices (the caller adds the flag and an example).
absl::StatusOr<Mode> ParseMode(absl::string_view text);
absl::StatusOr<Direction> ParseDirection(absl::string_view text);
absl::StatusOr<Isolation> ParseIsolation(absl::string_view text);
absl::StatusOr<CountersScope> ParseCountersScope(absl::string_view text);
absl::StatusOr<Family> ParseFamily(absl::string_view text);

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_TYPES_H_
