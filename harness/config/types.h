// The enumerations every room shares, parsed once from the command line
// (flags.h) and named back for the record and the screen. Past the config
// package no code compares option strings: it switches on these.
//
//   absl::StatusOr<Mode> m = ParseMode("rr");    // Mode::kRequestResponse
//   ModeName(Mode::kStream);                     // "stream"
//   SideName(Side::kClient);                     // "client"
#ifndef COPYSCOPE_HARNESS_CONFIG_TYPES_H_
#define COPYSCOPE_HARNESS_CONFIG_TYPES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::config {

// How a cell moves data. Stream: one side sends, the other receives, as
// fast as they can. Request-response (rr): the client sends a request, the
// server receives it and sends a response, the client receives it; the
// client times each round trip.
enum class Mode { kStream, kRequestResponse };

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

const char* ModeName(Mode mode);                 // "stream", "rr"
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
