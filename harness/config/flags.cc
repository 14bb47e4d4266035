#include "harness/config/flags.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "harness/config/profiles.h"

namespace copyscope::config {
namespace {

const FlagDef* FindFlag(absl::string_view name) {
  for (const FlagDef& f : Flags()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

absl::Status FlagError(const FlagDef& flag, absl::string_view value,
                       absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      "--", flag.name, "=", value, ": ", problem, "; use e.g. ", flag.example));
}

absl::Status Set(const FlagDef& flag, absl::string_view value, RunOptions* o) {
  absl::Status s = flag.set(value, o);
  return s.ok() ? s : FlagError(flag, value, s.message());
}

absl::StatusOr<Command> ParseCommandName(absl::string_view word) {
  if (word == "run") return Command::kRun;
  if (word == "list") return Command::kList;
  if (word == "show") return Command::kShow;
  if (word == "topo") return Command::kTopo;
  if (word == "netns") return Command::kNetnsCheck;  // `netns check`
  if (word == "version") return Command::kVersion;
  if (word == "help") return Command::kHelp;
  if (word == "history") return Command::kHistory;
  if (word == "rerun") return Command::kRerun;
  if (word == "report" || word == "compare") {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", word, "' is not a harness command; use ./tools/copyscope ", word,
        " (it runs the report tool, //tools/report:report)"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown command '", word,
      "'; use one of: run, rerun, list, show, history, topo, netns check, "
      "version, help (see copyscope --help)"));
}

unsigned CommandBit(Command c) {
  switch (c) {
    case Command::kRun:
      return kForRun;
    case Command::kList:
      return kForList;
    case Command::kTopo:
      return kForTopo;
    case Command::kShow:
      return kForShow;
    case Command::kVersion:
      return kForVersion;
    case Command::kHistory:
      return kForHistory;
    case Command::kHistoryImport:
      return kForImport;
    case Command::kRerun:
      return kForRerun;
    default:
      return 0;
  }
}

// Checks across flags, once every value is set. `given`: the flags of the
// command line.
absl::Status Finish(const std::set<std::string>& given, RunOptions* o) {
  if (given.count("duration") && given.count("messages")) {
    return absl::InvalidArgumentError(
        "--duration and --messages both given; a sample is either timed or "
        "counted, use e.g. --messages=5000 alone");
  }
  o->warmup_messages = o->messages / 10;
  // Within the marks a window keeps (window.h: 65536).
  constexpr double kMaxSlices = 60000;
  if (o->messages == 0 &&
      absl::FDivDuration(o->duration, o->interval) > kMaxSlices) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--interval=", absl::FormatDuration(o->interval), ": ",
        absl::FDivDuration(o->duration, o->interval),
        " slices per sample of --duration=", absl::FormatDuration(o->duration),
        ", more than ", kMaxSlices,
        "; use a longer --interval, e.g. "
        "--interval=1s"));
  }
  if (!Transactional(o->mode)) {
    o->request_size = 0;
    o->response_size = 0;
  }
  if (!o->recv.empty() && Transactional(o->mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--recv=", absl::StrJoin(o->recv, ","),
        ": a separate receive side applies to stream mode only (in ",
        ModeName(o->mode),
        " each side sends and receives with one transport); use "
        "--mode=stream --recv=uring, or leave out --recv"));
  }
  if (!o->backgrounds.empty() && !Transactional(o->mode)) {
    return absl::InvalidArgumentError(
        "--background: latency under load applies to rr and crr modes only "
        "(stream flows beside measured round trips); use --mode=rr, or leave "
        "out --background");
  }
  if (o->mode == Mode::kConnectRequestResponse) {
    for (Family f : o->families) {
      if (f != Family::kInet) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--family=", FamilyName(f),
            ": crr measures TCP connection setup over IPv4 (inet) only; use "
            "--family=inet with --mode=crr"));
      }
    }
  }
  if (!o->backgrounds.empty() && o->messages > 0) {
    return absl::InvalidArgumentError(
        "--background needs timed samples (the background follows the "
        "measured interval); use --duration instead of --messages");
  }
  if (o->counters.kind == CounterSelection::Kind::kAuto) {
    const bool rr = Transactional(o->mode);
    o->counters.kind =
        rr ? CounterSelection::Kind::kNone : CounterSelection::Kind::kDefault;
    if (rr) {
      o->notes.push_back(absl::StrCat(
          "note: perf counters are off in ", ModeName(o->mode),
          " mode unless asked for (--counters=default): the kernel switches "
          "counter state at every context switch of a counted thread, which "
          "lengthens the transactions being measured"));
    }
  }
  if (!o->peer.empty() && o->peer.rfind("ssh://", 0) != 0 &&
      o->token_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--peer=", o->peer,
        " needs --token-file, the secret of the agent listening there (or "
        "reach it with --peer=ssh://host)"));
  }
  if (!o->peer.empty() && std::find(o->families.begin(), o->families.end(),
                                    Family::kUnix) != o->families.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--family=unix with --peer=", o->peer,
        ": a Unix socket does not reach another host; use --family=inet or "
        "inet6 with --peer, or run unix without --peer"));
  }
  if (!o->peer.empty() && given.count("isolation") &&
      o->isolation == Isolation::kNetns) {
    return absl::InvalidArgumentError(
        "--isolation=netns with --peer: the two sides are on two hosts "
        "already; leave out --isolation");
  }
  for (const std::string& name : given) {
    const FlagDef* flag = FindFlag(name);
    const char* why = flag->idle != nullptr ? flag->idle(*o) : nullptr;
    if (why != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " does nothing here: ", why,
                       "; leave it out (see copyscope --help)"));
    }
  }
  for (const FlagDef& flag : Flags()) {
    if (flag.commands & kForRun)
      o->effective.emplace_back(flag.name, flag.get(*o));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TransportOpt> ParseTransportOpt(absl::string_view text) {
  auto problem = [](absl::string_view what) {
    return absl::InvalidArgumentError(what);
  };
  size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return problem("not of the form [TRANSPORT.]KEY=VALUE");
  }
  TransportOpt opt;
  absl::string_view lhs = text.substr(0, eq);
  opt.value = std::string(text.substr(eq + 1));
  size_t dot = lhs.find('.');
  if (dot != absl::string_view::npos) {
    opt.scope = std::string(lhs.substr(0, dot));
    opt.key = std::string(lhs.substr(dot + 1));
    if (opt.scope.empty() || opt.key.empty()) {
      return problem("empty transport or key around '.'");
    }
  } else {
    opt.key = std::string(lhs);
  }
  return opt;
}

absl::StatusOr<Invocation> ParseCommandLine(
    const std::vector<std::string>& args) {
  Invocation inv;
  size_t i = 1;
  // Options before the command: --help, --version.
  if (i < args.size() && (args[i] == "--help" || args[i] == "-h")) {
    inv.command = Command::kHelp;
    return inv;
  }
  // `--version` takes flags of its own (--json), as the command `version`.
  const bool version_flag = i < args.size() && args[i] == "--version";
  if (i >= args.size()) {
    return absl::InvalidArgumentError(
        "no command given; use `copyscope run` or `copyscope list` (see "
        "copyscope --help)");
  }
  if (!version_flag && absl::StartsWith(args[i], "-")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a command before ", args[i], "; use e.g. `copyscope run ",
        args[i], "` (see copyscope --help)"));
  }
  absl::StatusOr<Command> command =
      version_flag ? Command::kVersion : ParseCommandName(args[i]);
  if (!command.ok()) return command.status();
  inv.command = *command;
  const std::string& command_name = args[i++];
  if (inv.command == Command::kNetnsCheck) {
    if (i >= args.size() || args[i] != "check") {
      return absl::InvalidArgumentError(
          "`copyscope netns` has one subcommand: use `copyscope netns check`");
    }
    ++i;
  }
  if (inv.command == Command::kHistory && i < args.size() &&
      args[i] == "import") {
    inv.command = Command::kHistoryImport;
    ++i;
  }

  // The command line's flags, by name, in order.
  std::vector<std::pair<const FlagDef*, std::string>> values;
  std::set<std::string> given;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      inv.command = Command::kHelp;
      return inv;
    }
    if (inv.command == Command::kShow && inv.show_dir.empty() &&
        !absl::StartsWith(arg, "-")) {
      inv.show_dir = arg;
      continue;
    }
    if (((inv.command == Command::kRerun && inv.dirs.empty()) ||
         inv.command == Command::kHistoryImport) &&
        !absl::StartsWith(arg, "-")) {
      inv.dirs.push_back(arg);
      continue;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-" || arg == "--") {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected argument '", arg, "' after `copyscope ", command_name,
          "`; flags look like --name=value (see copyscope --help)"));
    }
    absl::string_view body = arg;
    body.remove_prefix(absl::StartsWith(body, "--") ? 2 : 1);
    std::string name(body.substr(0, body.find('=')));
    absl::StrReplaceAll({{"_", "-"}}, &name);
    const FlagDef* flag = FindFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for `copyscope ",
                       command_name, "`; see copyscope --help for the flags"));
    }
    if ((flag->commands & CommandBit(inv.command)) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " does not apply to `copyscope ",
                       command_name, "`; see copyscope --help"));
    }
    std::string value;
    if (body.find('=') != absl::string_view::npos) {
      value = std::string(body.substr(body.find('=') + 1));
    } else if (flag->boolean) {
      value = "true";  // --json alone
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " needs a value; use e.g. ", flag->example));
    }
    if (!flag->repeatable && given.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", name, " given twice; give it once, e.g. ", flag->example));
    }
    given.insert(name);
    values.emplace_back(flag, std::move(value));
  }
  if (inv.command == Command::kShow && inv.show_dir.empty()) {
    return absl::InvalidArgumentError(
        "`copyscope show` needs a results directory; use e.g. copyscope show "
        "results/20250101T120000Z-3f9a2c");
  }
  if (inv.command == Command::kRerun && inv.dirs.empty()) {
    return absl::InvalidArgumentError(
        "`copyscope rerun` needs the results directory of the run to repeat; "
        "use e.g. copyscope rerun results/20250101T120000Z-3f9a2c");
  }
  if (inv.command == Command::kHistoryImport && inv.dirs.empty()) {
    return absl::InvalidArgumentError(
        "`copyscope history import` needs results directories; use e.g. "
        "copyscope history import results/*");
  }

  RunOptions& o = inv.run;
  for (const FlagDef& flag : Flags()) {
    if (flag.default_value[0] == '\0') continue;
    absl::Status s = Set(flag, flag.default_value, &o);
    if (!s.ok()) return absl::InternalError(s.message());
  }
  for (const auto& [flag, value] : values) {
    if (std::string(flag->name) != "profile") continue;
    absl::Status s = Set(*flag, value, &o);
    if (!s.ok()) return s;
  }
  // The profile's values, for every flag the command line leaves out; a
  // sample's length (--duration or --messages) is one choice.
  const Profile& profile = *FindProfile(o.profile);
  const bool length_given = given.count("duration") || given.count("messages");
  for (const auto& [name, value] : profile.values) {
    const bool is_length = name == "duration" || name == "messages";
    if (given.count(name) || (is_length && length_given)) continue;
    absl::Status s = Set(*FindFlag(name), value, &o);
    if (!s.ok()) return absl::InternalError(s.message());
    if (name == "transports") o.transports_from = profile.name;
  }
  for (const auto& [flag, value] : values) {
    if (std::string(flag->name) == "profile") continue;
    absl::Status s = Set(*flag, value, &o);
    if (!s.ok()) return s;
  }
  // A profile's budget bounds repetitions until converged; fixed --reps
  // leave it nothing to bound.
  if (!o.reps_auto && !given.count("time-budget")) {
    o.time_budget = absl::ZeroDuration();
  }
  absl::Status s = Finish(given, &o);
  if (!s.ok()) return s;
  o.command_line = args;
  inv.given.assign(given.begin(), given.end());
  return inv;
}

namespace {

// "run, list" for a flag of those commands.
std::string CommandNames(unsigned commands) {
  static constexpr std::pair<unsigned, const char*> kNames[] = {
      {kForRun, "run"},         {kForRerun, "rerun"},
      {kForList, "list"},       {kForShow, "show"},
      {kForHistory, "history"}, {kForImport, "history import"},
      {kForTopo, "topo"},       {kForVersion, "--version"},
  };
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (commands & bit) names.push_back(name);
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace

std::string UsageText() {
  std::string text =
      "copyscope: measures how Linux moves network data, one transport "
      "plugin at a time.\n\n"
      "Usage:\n"
      "  copyscope run [flags]    run the sweep: transports x sizes x "
      "threads\n"
      "  copyscope rerun DIR [--out=DIR]  run a recorded run again, after "
      "printing what differs from its environment\n"
      "  copyscope list [flags]   the plugins found, their status and "
      "options\n"
      "  copyscope show DIR [--env]  the table of a saved run (DIR/run.pb), "
      "or its environment\n"
      "  copyscope history [flags]  each cell's figures across the runs of "
      "one testbed\n"
      "  copyscope history --check  exit 1 when the latest run regressed\n"
      "  copyscope history import DIR...  add earlier runs to the history\n"
      "  copyscope topo [--topology-xml=FILE]  the CPUs: package, NUMA "
      "node, core, SMT siblings, P/E kind\n"
      "  copyscope netns check    whether netns isolation works here, and "
      "what is missing if not\n"
      "  copyscope --version [--json]  build provenance\n\n"
      "Flags, each with the commands that take it:\n";
  for (const FlagDef& flag : Flags()) {
    absl::StrAppend(&text, "  --", flag.name, "  [",
                    CommandNames(flag.commands), "]\n      ", flag.help,
                    flag.default_value[0] == '\0'
                        ? ""
                        : absl::StrCat(" (default: ", flag.default_value, ")"),
                    "\n");
  }
  return text;
}

}  // namespace copyscope::config
