// What a copyscope command line asks for, as typed values: the command, the
// plugin sources, the design of the run (transports x sizes x threads,
// mode, lengths, repetitions), where it runs (isolation, pinning) and what
// it counts. Filled by ParseCommandLine (flags.h) from the one flag table;
// every value here is validated, every enumeration parsed.
//
//   absl::StatusOr<Invocation> inv = ParseCommandLine(args);
//   if (inv->command == Command::kRun && inv->run.mode == Mode::kStream) ...
#ifndef COPYSCOPE_HARNESS_CONFIG_OPTIONS_H_
#define COPYSCOPE_HARNESS_CONFIG_OPTIONS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "harness/config/pin_policy.h"
#include "harness/config/types.h"

namespace copyscope::config {

enum class Command {
  kHelp,
  kVersion,
  kList,
  kRun,
  kShow,
  kTopo,
  kNetnsCheck,
  kHistory,        // `history` (with --check: the regression check)
  kHistoryImport,  // `history import DIR...`
  kRerun,          // `rerun DIR`
};

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

// --counters: none, the default set, or the perf events named. auto is
// resolved by the mode once the flags are read (default in stream mode,
// none in rr), so parsed options never hold it.
struct CounterSelection {
  enum class Kind { kAuto, kNone, kDefault, kList };
  Kind kind = Kind::kAuto;
  std::vector<std::string> events;  // kList only

  // "auto", "none", "default" or the comma-separated events.
  std::string ToString() const;
};

// The results history: where it is (run, rerun, history) and what
// `history` shows or checks.
struct HistoryOptions {
  std::string path;  // --history; "": the default (cli/history_store.h)
  bool off = false;  // --no-history: run appends nothing
  // `history` filters; empty: every value.
  std::string transport;
  uint64_t size = 0;
  int last = 0;           // the most recent runs with a matching cell; 0: all
  std::string testbed;    // "all", a fingerprint or its prefix; "": latest's
  bool check = false;     // --check
  double fail_above = 0;  // --fail-above, a fraction
};

struct RunOptions {
  PluginSources sources;
  std::vector<std::string> transports;  // empty: every usable plugin
  // Who chose the transports: "" for --transports (or the default of every
  // usable plugin when empty), else the profile's name.
  std::string transports_from;
  // --recv, aliases resolved to plugin names (see RecvAliases): the
  // receiving side's plugin, one more cell dimension; empty: each transport
  // receives with its own plugin. Stream mode only.
  std::vector<std::string> recv;
  // --background: latency under load (rr), one more cell dimension, in
  // order; Background::none() is a cell without; empty: no background.
  std::vector<Background> backgrounds;
  // --family: the data sockets' address families, one more cell dimension
  // (inet: TCP/IPv4, inet6: TCP/IPv6, unix: a Unix stream socket).
  std::vector<Family> families = {Family::kInet};
  std::vector<uint64_t> sizes;   // message sizes in bytes, 1 .. 1 GiB
  std::vector<int> threads;      // connections per cell, 1 .. 1024
  int fields = 8;                // fields per message, 1 .. 1024
  absl::Duration duration;       // measured interval per sample
  absl::Duration warmup;         // excluded interval before it
  absl::Duration io_timeout;     // bound on every single wait
  uint64_t messages = 0;         // per connection; 0: duration mode
  uint64_t warmup_messages = 0;  // count mode: messages / 10
  std::string profile;           // the design the defaults came from
  Mode mode = Mode::kStream;
  Direction direction = Direction::kServerToClient;
  uint64_t request_size = 0;   // rr; 0: the cell's size
  uint64_t response_size = 0;  // rr; 0: the cell's size
  int reps = 3;                // --reps=N: every cell exactly N times
  // --reps=auto: every cell min_reps to max_reps times, in rounds, until
  // its primary figure's 95% CI is within ci_target (a fraction) of the
  // estimate, within time_budget for the run (zero: none).
  bool reps_auto = false;
  int min_reps = 3;
  int max_reps = 10;
  double ci_target = 0.02;
  absl::Duration time_budget = absl::ZeroDuration();
  // --interval: the slices of every sample's measured interval (zero:
  // none).
  absl::Duration interval = absl::ZeroDuration();
  // Datagram cells (transports with CS_CAP_DATAGRAM): messages per send()
  // of a stream sender (0: as many as fit in 64 KiB, at most 64).
  uint32_t batch = 0;
  // --rate: bits per second each stream sender paces itself to (per
  // connection); 0: unpaced.
  double rate_bps = 0;
  // --rr-timeout: a datagram rr client's wait for each response.
  absl::Duration rr_timeout = absl::Milliseconds(200);
  double max_cv = 0.05;  // a fraction
  // --verify: every byte received is checked against the pattern its
  // sender wrote (costs CPU on both sides).
  bool verify = false;
  // show --env: the recorded environment instead of the tables.
  bool show_env = false;
  bool json = false;  // --json: the summary as JSON on stdout
  std::string out;    // results directory; "" = default
  std::vector<TransportOpt> transport_opts;
  // Where the threads run and what they count; checked against the machine
  // by control/run_environment.h.
  Isolation isolation = Isolation::kAuto;
  int mtu = 0;  // of the veth; 0: kernel default
  // Two hosts: one side runs in an agent on the peer.
  std::string peer;        // "ADDR:PORT" or "ssh://[user@]host[:port]"; ""
  std::string token_file;  // --peer=ADDR:PORT: the agent's token
  Side peer_role = Side::kServer;  // which side runs on the peer
  std::string ssh = "ssh";         // the ssh command, with its options
  std::string remote_copyscope = "copyscope";  // the peer's binary
  bool deploy = false;          // copy this build to the peer for the run
  std::string data_address;     // where data reaches the peer; "": as control
  bool allow_mismatch = false;  // another build on the peer
  PinOptions pin;
  std::string topology_xml;  // --topology-xml: plan for another machine
  bool dry_run = false;      // --dry-run: print the plan, run nothing
  CounterSelection counters;
  CountersScope counters_scope = CountersScope::kThread;
  // The results history run appends to; what `history` shows or checks.
  HistoryOptions history;
  // What the options decided that a user should hear (printed on stderr and
  // kept in the record's notes).
  std::vector<std::string> notes;
  std::vector<std::string> command_line;  // as given, for the record
  // Every flag of the run with its effective value, as it would be typed
  // (defaults and profile values included): the record's copy.
  std::vector<std::pair<std::string, std::string>> effective;
};

struct Invocation {
  Command command = Command::kHelp;
  RunOptions run;        // for kList only run.sources is meaningful
  std::string show_dir;  // kShow: the results directory to print
  // kHistoryImport: the run directories; kRerun: the one to run again.
  std::vector<std::string> dirs;
  // The flags the command line gave, by name ("threads"), without the
  // defaults and the profile's values.
  std::vector<std::string> given;
};

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_OPTIONS_H_
