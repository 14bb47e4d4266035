// The copyscope command line: subcommands, their flags (absl flags), and the
// checks that turn raw text into validated options.
//
//   absl::StatusOr<Invocation> inv = ParseCommandLine(
//       {"copyscope", "run", "--sizes=256,4K", "--threads=1,2",
//        "--duration=2s", "--transport-opt=mine.batch=64"});
//   if (!inv.ok()) { fprintf(stderr, "copyscope: %s\n",
//                            std::string(inv.status().message()).c_str());
//                    return 2; }
//   if (inv->command == Command::kRun) Run(inv->run);
//
// Flags are spelled with dashes (--plugin-dir) or underscores (--plugin_dir),
// as --flag=value or --flag value. --plugin, --plugin-dir and --transport-opt
// may repeat and take comma-separated lists. Every error is one line naming
// the flag, what is wrong, and a valid example. Parsing resets the
// process's absl flags of copyscope to their defaults, then sets them.
#ifndef COPYSCOPE_HARNESS_CONFIG_OPTIONS_H_
#define COPYSCOPE_HARNESS_CONFIG_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/engine/results.h"

namespace copyscope::harness {

enum class Command { kHelp, kVersion, kList, kRun, kShow, kTopo, kNetnsCheck };

// One --transport-opt: "[TRANSPORT.]KEY=VALUE". scope is "" when the option
// is meant for every selected transport (each must accept the key).
struct TransportOpt {
  std::string scope;
  std::string key;
  std::string value;
};

// Where plugins come from (both `list` and `run`).
struct PluginSources {
  std::vector<std::string> plugin_dirs;   // --plugin-dir, in addition to the
                                          // in-tree plugins of the runfiles
  std::vector<std::string> plugin_files;  // --plugin
};

struct RunOptions {
  PluginSources sources;
  std::vector<std::string> transports;  // empty: every usable plugin
  std::vector<uint64_t> sizes;          // message sizes in bytes, >= 1
  std::vector<int> threads;             // connections per cell, >= 1
  int fields = 8;                       // fields per message, >= 1
  absl::Duration duration;              // measured interval per cell
  absl::Duration warmup;                // excluded interval before it
  absl::Duration io_timeout;            // bound on every single wait
  std::string out;                      // results directory; "" = default
  std::vector<TransportOpt> transport_opts;
  // --recv, aliases resolved to plugin names (see RecvAliases): the
  // receiving side's plugin, one more cell dimension; empty: each transport
  // receives with its own plugin. Stream mode only.
  std::vector<std::string> recv;
  // Measurement design (see profiles.h; explicit flags override the
  // profile's values).
  std::string profile = "quick";
  // Who chose the transports: "" for --transports (or the default of every
  // usable plugin when empty), else the profile's name.
  std::string transports_from;
  Mode mode = Mode::kStream;
  Direction direction = Direction::kServerToClient;
  uint64_t messages = 0;         // per connection; 0: duration mode
  uint64_t warmup_messages = 0;  // count mode: messages / 10
  uint64_t request_size = 0;     // rr; 0: the cell's size
  uint64_t response_size = 0;    // rr; 0: the cell's size
  int reps = 3;
  double max_cv = 0.05;  // a fraction
  bool json = false;     // --json: the summary as JSON on stdout
  // Where the threads run and what they count (see run_environment.h);
  // checked against the machine by RunEnvironment::Prepare.
  std::string isolation = "auto";   // --isolation: netns, loopback or auto
  int mtu = 0;                      // --mtu of the veth; 0: kernel default
  std::string pin_server = "none";  // --pin-server policy
  std::string pin_client = "none";  // --pin-client policy
  std::string pin_fallback = "error";
  std::string topology_xml;          // --topology-xml: plan for another machine
  bool dry_run = false;              // --dry-run: print the plan, run nothing
  std::string counters = "default";  // --counters (auto resolved)
  std::string counters_scope = "thread";  // --counters-scope: thread or cpu
  // What the options decided that a user should hear (printed on stderr and
  // kept in the record's notes).
  std::vector<std::string> notes;
  std::vector<std::string> command_line;  // as given, for the record
};

struct Invocation {
  Command command = Command::kHelp;
  RunOptions run;        // for kList only run.sources is meaningful
  std::string show_dir;  // kShow: the results directory to print
};

// Parses argv (args[0] is the program name).
absl::StatusOr<Invocation> ParseCommandLine(
    const std::vector<std::string>& args);

// Help text for `copyscope --help`: commands, flags, defaults.
std::string UsageText();

// Splits "[TRANSPORT.]KEY=VALUE" (the text up to the first '.' of the part
// before '=' is the transport). Which transports and keys exist is checked
// later, against the loaded plugins (see plan.h).
absl::StatusOr<TransportOpt> ParseTransportOpt(const std::string& text);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_CONFIG_OPTIONS_H_
