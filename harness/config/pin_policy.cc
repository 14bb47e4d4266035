#include "harness/config/pin_policy.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "perfmon/cpu_list.h"

namespace copyscope::config {
namespace {

// The policies named by a word (cpus:LIST is the one with a value).
constexpr std::pair<absl::string_view, PolicyKind> kPolicies[] = {
    {"none", PolicyKind::kNone},       {"pcore", PolicyKind::kPcore},
    {"ecore", PolicyKind::kEcore},     {"spread", PolicyKind::kSpread},
    {"compact", PolicyKind::kCompact}, {"smt-pair", PolicyKind::kSmtPair},
};

constexpr absl::string_view kPolicyChoices =
    "none, pcore, ecore, spread, compact, smt-pair or cpus:LIST (e.g. "
    "cpus:0-3,8)";

}  // namespace

std::string PinPolicy::ToString() const {
  if (kind == PolicyKind::kCpus) {
    return absl::StrCat("cpus:", perfmon::FormatCpuListInOrder(cpus));
  }
  for (const auto& [name, k] : kPolicies) {
    if (k == kind) return std::string(name);
  }
  return "?";
}

absl::StatusOr<PinPolicy> ParsePinPolicy(absl::string_view text,
                                         absl::string_view flag) {
  PinPolicy policy;
  if (text.empty()) return policy;
  for (const auto& [name, kind] : kPolicies) {
    if (text == name) {
      policy.kind = kind;
      return policy;
    }
  }
  constexpr absl::string_view kCpusPrefix = "cpus:";
  if (text.substr(0, kCpusPrefix.size()) == kCpusPrefix) {
    absl::StatusOr<std::vector<int>> cpus =
        perfmon::ParseUserCpuList(text.substr(kCpusPrefix.size()));
    if (!cpus.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, "=", text, ": ", cpus.status().message()));
    }
    policy.kind = PolicyKind::kCpus;
    policy.cpus = *std::move(cpus);
    return policy;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      flag, "=", text, ": unknown pin policy; fix: use ", kPolicyChoices));
}

absl::StatusOr<PinFallback> ParsePinFallback(absl::string_view text) {
  if (text.empty() || text == "error") return PinFallback::kError;
  if (text == "any") return PinFallback::kAny;
  return absl::InvalidArgumentError(absl::StrCat(
      "--pin-fallback=", text, ": unknown fallback; fix: use error or any"));
}

absl::string_view PinFallbackName(PinFallback f) {
  return f == PinFallback::kAny ? "any" : "error";
}

absl::StatusOr<PinOptions> ParsePinOptions(absl::string_view pin_server,
                                           absl::string_view pin_client,
                                           absl::string_view pin_fallback) {
  PinOptions options;
  absl::StatusOr<PinPolicy> server = ParsePinPolicy(pin_server, "--pin-server");
  if (!server.ok()) return server.status();
  absl::StatusOr<PinPolicy> client = ParsePinPolicy(pin_client, "--pin-client");
  if (!client.ok()) return client.status();
  absl::StatusOr<PinFallback> fallback = ParsePinFallback(pin_fallback);
  if (!fallback.ok()) return fallback.status();
  options.server = *std::move(server);
  options.client = *std::move(client);
  options.fallback = *fallback;
  return options;
}

}  // namespace copyscope::config
