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

// What the perf counters cover (--counters-scope): each worker thread, or
// every CPU the roles are pinned to (system-wide on those CPUs).
enum class CountersScope { kThread, kCpu };

const char* ModeName(Mode mode);                 // "stream", "rr", "crr"
const char* DirectionName(Direction direction);  // "server-to-client", ...
const char* SideName(Side side);                 // "server", "client"
const char* IsolationName(Isolation isolation);  // "auto", "netns", ...
const char* CountersScopeName(CountersScope s);  // "thread", "cpu"

// The inverse of the names above; an unknown word is InvalidArgument
// listing the choices (the caller adds the flag and an example).
absl::StatusOr<Mode> ParseMode(absl::string_view text);
absl::StatusOr<Direction> ParseDirection(absl::string_view text);
absl::StatusOr<Isolation> ParseIsolation(absl::string_view text);
absl::StatusOr<CountersScope> ParseCountersScope(absl::string_view text);

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_TYPES_H_
