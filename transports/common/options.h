// Transport options (--transport-opt NAME.KEY=VALUE): the table of keys a
// transport accepts, the check that rejects unknown keys, and parsers for
// byte counts ("256K") and bounded numbers. Header-only, over the ABI
// header.
//
//   const cs_option_desc kOptions[] = {{"depth", "64", "queue depth"}};
//   uint64_t depth = 64;
//   if (!NumberOption(&config, "depth", 1, 4096, &depth, err, err_size))
//     return -EINVAL;  // "option depth='0' is not a number in 1..4096"
#ifndef COPYSCOPE_TRANSPORTS_COMMON_OPTIONS_H_
#define COPYSCOPE_TRANSPORTS_COMMON_OPTIONS_H_

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/error_text.h"

namespace copyscope::transports {

// The option keys a transport accepts (its descriptor's options).
struct OptionTable {
  const cs_option_desc* options;
  uint32_t count;
};

template <size_t N>
constexpr OptionTable OptionsOf(const cs_option_desc (&options)[N]) {
  return {options, (uint32_t)N};
}

// Rejects option keys not in known[0..known_count): -EINVAL with
// "unknown option 'k' (known: a, b)" or "(known: none)".
inline int CheckOptionKeys(const cs_endpoint_config* config,
                           const cs_option_desc* known, uint32_t known_count,
                           char* err, size_t err_size) {
  for (uint32_t i = 0; i < config->option_count; ++i) {
    const char* key = config->options[i].key;
    if (key == nullptr || config->options[i].value == nullptr) {
      FormatInto(err, err_size, "option %u has a NULL key or value", i);
      return -EINVAL;
    }
    bool found = false;
    for (uint32_t k = 0; k < known_count && !found; ++k) {
      found = strcmp(key, known[k].key) == 0;
    }
    if (found) continue;
    char names[160] = "";
    size_t used = 0;
    for (uint32_t k = 0; k < known_count; ++k) {
      int n = snprintf(names + used, sizeof(names) - used, "%s%s",
                       k == 0 ? "" : ", ", known[k].key);
      if (n < 0 || (size_t)n >= sizeof(names) - used) break;
      used += (size_t)n;
    }
    FormatInto(err, err_size, "unknown option '%s' (known: %s)", key,
               known_count == 0 ? "none" : names);
    return -EINVAL;
  }
  return 0;
}

// The value of the last option named key, or nullptr.
inline const char* FindOption(const cs_endpoint_config* config,
                              const char* key) {
  const char* value = nullptr;
  for (uint32_t i = 0; i < config->option_count; ++i) {
    if (strcmp(config->options[i].key, key) == 0) {
      value = config->options[i].value;
    }
  }
  return value;
}

// Parses a byte count: decimal digits with an optional K, M or G suffix
// (powers of 1024). Returns false on anything else.
inline bool ParseByteCount(const char* text, uint64_t* out) {
  if (text == nullptr || *text < '0' || *text > '9') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0) return false;
  unsigned shift = 0;
  if (*end == 'K' || *end == 'k') shift = 10;
  if (*end == 'M' || *end == 'm') shift = 20;
  if (*end == 'G' || *end == 'g') shift = 30;
  if (shift != 0) ++end;
  if (*end != '\0') return false;
  if (shift != 0 && v > (UINT64_MAX >> shift)) return false;
  *out = (uint64_t)v << shift;
  return true;
}

// Parses a decimal option value in [lo, hi]; false on anything else.
inline bool ParseUintOption(const char* text, uint64_t lo, uint64_t hi,
                            uint64_t* out) {
  uint64_t v = 0;
  if (!ParseByteCount(text, &v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// Reads option `key` into *out when given; false (err set) when malformed.
inline bool NumberOption(const cs_endpoint_config* config, const char* key,
                         uint64_t lo, uint64_t hi, uint64_t* out, char* err,
                         size_t err_size) {
  const char* text = FindOption(config, key);
  if (text == nullptr || ParseUintOption(text, lo, hi, out)) return true;
  FormatInto(err, err_size, "option %s='%s' is not a number in %llu..%llu", key,
             text, (unsigned long long)lo, (unsigned long long)hi);
  return false;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_OPTIONS_H_
