// The copyscope command line: its subcommands and the one table of flags.
// Each flag is declared once (flags.cc, kFlags): name, what a value is, its
// default as it would be typed, a valid example, its help, the commands
// that take it, how a value is parsed into RunOptions and when, given, it
// would do nothing. Parsing, --help, validation and the record's copy of
// the options (RunOptions::effective) all come from that table.
//
//   absl::StatusOr<Invocation> inv = ParseCommandLine(
//       {"copyscope", "run", "--sizes=256,4K", "--threads=1,2",
//        "--duration=2s", "--transport-opt=mine.batch=64"});
//   if (!inv.ok()) { fprintf(stderr, "copyscope: %s\n",
//                            std::string(inv.status().message()).c_str());
//                    return 2; }
//   if (inv->command == Command::kRun) Run(inv->run);
//
// Order: every flag starts from its default, then --profile fills the flags
// the command line leaves out, then the command line's values apply, then
// the checks across flags run. Flags are spelled with dashes (--plugin-dir)
// or underscores (--plugin_dir), as --flag=value or --flag value. List
// flags take comma-separated values; --plugin, --plugin-dir and
// --transport-opt repeat instead, one value each (commas are part of it).
// Every error is one line naming the flag, what is wrong and a valid
// example.
#ifndef COPYSCOPE_HARNESS_CONFIG_FLAGS_H_
#define COPYSCOPE_HARNESS_CONFIG_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/config/options.h"

namespace copyscope::config {

// The commands a flag applies to, as bits.
enum CommandBits : unsigned {
  kForRun = 1u << 0,
  kForList = 1u << 1,
  kForTopo = 1u << 2,
  kForShow = 1u << 3,
  kForVersion = 1u << 4,  // `--version`, `version`
  kForHistory = 1u << 5,  // `history`, `history --check`
  kForImport = 1u << 6,   // `history import`
  kForRerun = 1u << 7,
};

struct FlagDef {
  const char* name;           // as spelled on the command line: "io-timeout"
  const char* what;           // what a value is, for "not a ..." errors
  const char* default_value;  // parsed like a typed value; "" for none
  const char* example;        // a valid use: "--io-timeout=10s"
  const char* help;           // one sentence or two, for --help
  unsigned commands;          // CommandBits
  bool repeatable;            // may repeat; each value whole (no comma split)
  bool boolean;               // --name alone means --name=true
  // Parses one value into `o`. The error says what is wrong with the value;
  // the caller adds the flag, the value and the example.
  absl::Status (*set)(absl::string_view value, RunOptions* o);
  // The effective value as it would be typed (for the record).
  std::string (*get)(const RunOptions& o);
  // When given on the command line, why it would do nothing with these
  // options (checked after every flag is set), or nullptr when it applies.
  const char* (*idle)(const RunOptions& o);
};

// The table, in --help order.
const std::vector<FlagDef>& Flags();

// Parses argv (args[0] is the program name).
absl::StatusOr<Invocation> ParseCommandLine(
    const std::vector<std::string>& args);

// Help text for `copyscope --help`: commands, flags, defaults.
std::string UsageText();

// Splits "[TRANSPORT.]KEY=VALUE" (the text up to the first '.' of the part
// before '=' is the transport). Which transports and keys exist is checked
// later, against the loaded plugins (see plan.h).
absl::StatusOr<TransportOpt> ParseTransportOpt(absl::string_view text);

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_FLAGS_H_
