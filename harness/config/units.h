// Parsing and printing of the quantities on copyscope's command line and in
// its tables: byte sizes with binary suffixes, and positive counts.
//
//   absl::StatusOr<uint64_t> s = ParseSize("64K");   // 65536
//   ParseSize("4KiB");                               // 4096
//   ParseSize("1M");                                 // 1048576
//   FormatSize(65536);                               // "64K"
//   FormatSize(1000);                                // "1000"
//   absl::StatusOr<int64_t> n = ParseCount("8");     // 8
//
// Suffixes are binary (K = KiB = 1024). Error messages say what is wrong and
// what a valid value looks like; callers prefix them with the flag's name.
#ifndef COPYSCOPE_HARNESS_CONFIG_UNITS_H_
#define COPYSCOPE_HARNESS_CONFIG_UNITS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::config {

// "4096", "64K", "64k", "4KiB", "1M", "1MiB", "1G", "1GiB" -> bytes.
// Rejects empty text, signs, fractions, unknown or decimal suffixes ("4KB")
// and values that overflow 64 bits.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text);

// A size in the shortest exact form: 256 -> "256", 4096 -> "4K",
// 1048576 -> "1M", 1536 -> "1536".
std::string FormatSize(uint64_t bytes);

// A decimal whole number without sign or suffix, e.g. "8".
absl::StatusOr<int64_t> ParseCount(absl::string_view text);

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_UNITS_H_
