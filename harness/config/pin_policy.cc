#include "harness/config/pin_policy.h"

#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "perfmon/cpu_list.h"

namespace copyscope::config {
namespace {

constexpr absl::string_view kPolicyChoices =
    "none, pcore, ecore, spread, compact, smt-pair or cpus:LIST (e.g. "
    "cpus:0-3,8)";

}  // namespace

std::string PinPolicy::ToString() const {
  switch (kind) {
    case PolicyKind::kNone:
      return "none";
    case PolicyKind::kPcore:
      return "pcore";
    case PolicyKind::kEcore:
      return "ecore";
    case PolicyKind::kSpread:
      return "spread";
    case PolicyKind::kCompact:
      return "compact";
    case PolicyKind::kSmtPair:
      return "smt-pair";
    case PolicyKind::kCpus:
      break;
  }
  // Runs ascending by one become ranges; the written order is kept.
  std::vector<std::string> parts;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(cpus[i])
                           : absl::StrCat(cpus[i], "-", cpus[j]));
    i = j + 1;
  }
  return absl::StrCat("cpus:", absl::StrJoin(parts, ","));
}

absl::StatusOr<PinPolicy> ParsePinPolicy(absl::string_view text,
                                         absl::string_view flag) {
  static const auto* const kNames = new std::map<absl::string_view, PolicyKind>{
      {"none", PolicyKind::kNone},       {"pcore", PolicyKind::kPcore},
      {"ecore", PolicyKind::kEcore},     {"spread", PolicyKind::kSpread},
      {"compact", PolicyKind::kCompact}, {"smt-pair", PolicyKind::kSmtPair},
  };
  PinPolicy policy;
  if (text.empty()) return policy;
  auto it = kNames->find(text);
  if (it != kNames->end()) {
    policy.kind = it->second;
    return policy;
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
