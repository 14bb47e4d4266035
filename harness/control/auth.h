// The token an agent that listens on TCP (`copyscope agent --listen`)
// shares with its controllers, and the challenge-response that proves
// both ends hold it without the token ever crossing the wire:
//
//   agent -> controller   Hello{nonce_a}
//   controller -> agent   Hello{nonce_c, mac = HMAC(token, "controller" |
//                               nonce_a | nonce_c)}
//   agent -> controller   Hello{mac = HMAC(token, "agent" | nonce_c |
//                               nonce_a)}
//
// HMAC-SHA256 (OpenSSL); nonces of 32 random bytes; macs compared in
// constant time.
//
//   absl::StatusOr<std::string> token = ReadToken("/etc/copyscope.token");
//   std::string mac = Mac(*token, "controller", nonce_a, nonce_c);
//   if (!SameMac(mac, theirs)) ...
#ifndef COPYSCOPE_HARNESS_CONTROL_AUTH_H_
#define COPYSCOPE_HARNESS_CONTROL_AUTH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::control {

// The token in `path` (trailing newlines dropped). Refused when the file
// can be read or written by anyone but its owner (the fix is named), is
// empty, or is longer than 4 KiB.
absl::StatusOr<std::string> ReadToken(const std::string& path);

// 32 random bytes.
std::string Nonce();

// HMAC-SHA256(token, label | first | second), 32 bytes.
std::string Mac(absl::string_view token, absl::string_view label,
                absl::string_view first, absl::string_view second);

// a == b in time independent of where they differ.
bool SameMac(absl::string_view a, absl::string_view b);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_AUTH_H_
