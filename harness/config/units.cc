#include "harness/config/units.h"

#include <cctype>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace copyscope::config {
namespace {

// Leading decimal digits of text, or an error; *rest gets what follows.
absl::StatusOr<uint64_t> LeadingNumber(absl::string_view text,
                                       absl::string_view* rest) {
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && absl::ascii_isdigit(text[i])) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "' is too large"));
    }
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) {
    return absl::InvalidArgumentError(
        text.empty() ? std::string("empty value")
                     : absl::StrCat("'", text, "' is not a whole number"));
  }
  *rest = text.substr(i);
  return value;
}

}  // namespace

absl::StatusOr<uint64_t> ParseSize(absl::string_view text) {
  absl::string_view suffix;
  absl::StatusOr<uint64_t> number = LeadingNumber(text, &suffix);
  if (!number.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        number.status().message(), " (bytes, e.g. 4096, 64K or 1MiB)"));
  }
  int shift = 0;
  std::string unit = absl::AsciiStrToUpper(suffix);
  if (unit.empty()) {
    shift = 0;
  } else if (unit == "K" || unit == "KIB") {
    shift = 10;
  } else if (unit == "M" || unit == "MIB") {
    shift = 20;
  } else if (unit == "G" || unit == "GIB") {
    shift = 30;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' has an unknown unit '", suffix,
                     "' (units: K/KiB, M/MiB, G/GiB; 1K = 1024 bytes)"));
  }
  if (*number > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is too large"));
  }
  return *number << shift;
}

std::string FormatSize(uint64_t bytes) {
  static constexpr struct {
    int shift;
    const char* suffix;
  } kUnits[] = {{30, "G"}, {20, "M"}, {10, "K"}};
  for (const auto& u : kUnits) {
    uint64_t unit = uint64_t{1} << u.shift;
    if (bytes >= unit && bytes % unit == 0) {
      return absl::StrCat(bytes >> u.shift, u.suffix);
    }
  }
  return absl::StrCat(bytes);
}

absl::StatusOr<int64_t> ParseCount(absl::string_view text) {
  absl::string_view rest;
  absl::StatusOr<uint64_t> number = LeadingNumber(text, &rest);
  if (!number.ok()) return number.status();
  if (!rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a whole number"));
  }
  if (*number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is too large"));
  }
  return static_cast<int64_t>(*number);
}

}  // namespace copyscope::config
