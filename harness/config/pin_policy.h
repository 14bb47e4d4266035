// Pinning policies as the user writes them (--pin-server, --pin-client,
// --pin-fallback), parsed once with the other options; harness/env/topology
// turns them into CPUs on a machine (pinning.h has the rules).
//
//   absl::StatusOr<PinPolicy> p = ParsePinPolicy("cpus:0-3,8", "--pin-server");
//   p->kind;                    // PolicyKind::kCpus
//   p->cpus;                    // {0, 1, 2, 3, 8}, as written
//   p->ToString();              // "cpus:0-3,8"
#ifndef COPYSCOPE_HARNESS_CONFIG_PIN_POLICY_H_
#define COPYSCOPE_HARNESS_CONFIG_PIN_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::config {

enum class PolicyKind {
  kNone,
  kPcore,
  kEcore,
  kCpus,
  kSpread,
  kCompact,
  kSmtPair
};

struct PinPolicy {
  PolicyKind kind = PolicyKind::kNone;
  std::vector<int> cpus;  // kCpus only: as written, no duplicates.

  // The flag value that parses back to this policy, e.g. "cpus:0-3,8".
  std::string ToString() const;
};

// Parses one policy: none, pcore, ecore, spread, compact, smt-pair or
// cpus:LIST. `flag` names the flag in error messages ("--pin-server").
// Syntax only; CPUs are checked against a topology by PlanPinning.
absl::StatusOr<PinPolicy> ParsePinPolicy(absl::string_view text,
                                         absl::string_view flag = "--pin");

enum class PinFallback { kError, kAny };

// "error" or "any"; "" means "error".
absl::StatusOr<PinFallback> ParsePinFallback(absl::string_view text);
absl::string_view PinFallbackName(PinFallback f);

struct PinOptions {
  PinPolicy server;
  PinPolicy client;
  PinFallback fallback = PinFallback::kError;
};

// Parses the three flags at once ("" = none / none / error), so errors name
// the flag they come from.
absl::StatusOr<PinOptions> ParsePinOptions(absl::string_view pin_server,
                                           absl::string_view pin_client,
                                           absl::string_view pin_fallback);

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_PIN_POLICY_H_
