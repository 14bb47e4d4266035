// Named experiment designs for `copyscope run --profile=NAME`. A profile
// fills every run flag the user did not give; an explicit flag wins.
//
//   const Profile* p = FindProfile("copy-matrix");
//   if (p == nullptr) ...;            // see ProfileNames() for the choices
//   p->Value("sizes");                // "256,1K,4K,16K"
//
//   quick             the default: every usable transport, 4K and 64K,
//                     1 and 2 connections, stream, 0.3 s per sample,
//                     repetitions auto (3 to 10); about a minute on 2 cores
//   copy-matrix       two_copy, one_copy, zero_copy x 256, 1K, 4K, 16K x
//                     1, 2, 4, 8 connections; 5000 messages per client;
//                     server sends, client receives; 8 fields; reps auto
//   copy-matrix-wide  the same transports x 64, 512, 4K, 64K x 1, 2, 4, 8;
//                     request-response, 5 s per sample; reps auto
//   connection-rate   the same transports x 64, 1K x 1, 2; one field; a
//                     connection per transaction (crr), 300 ms per
//                     sample; reps auto
//
// Transport names in this table are data (the designs of the reference
// studies); the harness code never depends on them. So are the short names
// of --recv (RecvAliases): copy, uring, zerocopy, discard.
//
//   ResolveRecvName("uring");        // "uring_recv"
//   ResolveRecvName("my_plugin");    // "my_plugin": any other value is a
//                                    // plugin name, checked by MakePlan
#ifndef COPYSCOPE_HARNESS_CONFIG_PROFILES_H_
#define COPYSCOPE_HARNESS_CONFIG_PROFILES_H_

#include <string>
#include <utility>
#include <vector>

namespace copyscope::config {

// A design: the flag values it sets, as they would be typed. The flag
// table's defaults are the quick design, so `quick` sets nothing.
struct Profile {
  std::string name;
  std::string description;
  std::vector<std::pair<std::string, std::string>> values;  // flag, value

  // The value the profile gives a flag, or "" when it leaves it alone.
  std::string Value(const std::string& flag) const;
};

inline constexpr char kDefaultProfile[] = "quick";

// The profile of that name, or nullptr.
const Profile* FindProfile(const std::string& name);

// Every profile name, in table order.
std::vector<std::string> ProfileNames();

// A short name for a receive transport (--recv=NAME).
struct RecvAlias {
  std::string name;       // e.g. "uring"
  std::string transport;  // the plugin it stands for, e.g. "uring_recv"
  std::string description;
};

// Every --recv alias, in table order.
const std::vector<RecvAlias>& RecvAliases();

// The plugin an alias stands for; any other value unchanged.
std::string ResolveRecvName(const std::string& value);

// "copy (two_copy), uring (uring_recv), ..." for help and error messages.
std::string RecvAliasText();

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_PROFILES_H_
