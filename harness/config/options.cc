#include "harness/config/options.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "harness/config/profiles.h"
#include "harness/config/units.h"

ABSL_FLAG(std::vector<std::string>, transports, {},
          "Transports to run, comma-separated (see `copyscope list`); "
          "default: every usable plugin");
ABSL_FLAG(std::vector<std::string>, recv, {},
          "Receive side, comma-separated, each a cell dimension (stream "
          "mode): copy, uring, zerocopy, or any plugin that can receive; "
          "default: each transport receives with its own plugin");
ABSL_FLAG(std::vector<std::string>, sizes,
          std::vector<std::string>({"4096", "65536"}),
          "Message sizes in bytes, comma-separated; K/M/G or KiB/MiB/GiB "
          "suffixes are binary (64K = 65536)");
ABSL_FLAG(std::vector<std::string>, threads,
          std::vector<std::string>({"1", "2"}),
          "Connection counts, comma-separated; each connection has one "
          "server (sender) and one client (receiver) thread");
ABSL_FLAG(int32_t, fields, 8,
          "Separately allocated fields per message (capped at the size)");
ABSL_FLAG(absl::Duration, duration, absl::Milliseconds(300),
          "Measured interval per sample, e.g. 2s or 500ms (duration mode)");
ABSL_FLAG(absl::Duration, warmup, absl::Milliseconds(100),
          "Interval before the measurement, excluded from results "
          "(duration mode; count mode sends --messages/10 first)");
ABSL_FLAG(std::string, profile, "quick",
          "Experiment design: quick, copy-matrix or copy-matrix-wide; "
          "explicit flags override its values");
ABSL_FLAG(std::string, mode, "stream",
          "stream (one side sends) or rr (request-response round trips)");
ABSL_FLAG(std::string, direction, "server-to-client",
          "Stream direction: server-to-client or client-to-server");
ABSL_FLAG(int64_t, messages, 0,
          "Messages (rr: transactions) per connection, measured after "
          "messages/10 warm-up ones; replaces --duration");
ABSL_FLAG(std::string, request_size, "",
          "rr request size in bytes (default: the cell's size)");
ABSL_FLAG(std::string, response_size, "",
          "rr response size in bytes (default: the cell's size)");
ABSL_FLAG(int32_t, reps, 3,
          "Repetitions of every cell, interleaved across cells");
ABSL_FLAG(double, max_cv, 5.0,
          "Coefficient of variation, in percent, above which a cell is "
          "marked unstable");
ABSL_FLAG(bool, json, false,
          "Print the summary (statistics per cell) as JSON on stdout "
          "instead of the table");
ABSL_FLAG(absl::Duration, io_timeout, absl::Seconds(10),
          "Bound on every single wait (connect, send, receive, completion)");
ABSL_FLAG(std::string, out, "",
          "Results directory (must not exist or be empty); default: "
          "results/<UTC time>-<id>/ under the working directory");
ABSL_FLAG(std::vector<std::string>, plugin_dir, {},
          "More directories to load *.so plugins from (repeatable)");
ABSL_FLAG(std::vector<std::string>, plugin, {},
          "More plugin files to load (repeatable)");
ABSL_FLAG(std::vector<std::string>, transport_opt, {},
          "Transport option [TRANSPORT.]KEY=VALUE (repeatable); keys are "
          "listed by `copyscope list`");
ABSL_FLAG(std::string, isolation, "auto",
          "Where server and client live: netns (two network namespaces over "
          "a veth), loopback, or auto (netns where permitted; the record "
          "says which and why)");
ABSL_FLAG(int32_t, mtu, 0, "MTU of the veth with netns isolation; 0: default");
ABSL_FLAG(std::string, pin_server, "none",
          "CPUs of the server threads: none, pcore, ecore, cpus:LIST, spread, "
          "compact or smt-pair (see copyscope topo)");
ABSL_FLAG(std::string, pin_client, "none",
          "CPUs of the client threads (same values as --pin-server)");
ABSL_FLAG(std::string, pin_fallback, "error",
          "When a pool has too few CPUs: error, or any (widen, then reuse)");
ABSL_FLAG(std::string, topology_xml, "",
          "An hwloc XML topology to plan for instead of this machine (with "
          "--dry-run, or for copyscope topo)");
ABSL_FLAG(bool, dry_run, false,
          "Print the cells and each thread count's CPU plan, run nothing");
ABSL_FLAG(std::string, counters, "auto",
          "perf counters per thread over the measured interval: none, "
          "default, a list of perf event names, or auto (default in stream "
          "mode, none in request-response mode, where counting every "
          "context switch would slow the round trips it measures)");
ABSL_FLAG(std::string, counters_scope, "thread",
          "thread (each worker thread) or cpu (system-wide on the CPUs the "
          "run uses; needs privileges)");

namespace copyscope::harness {
namespace {

constexpr absl::Duration kMaxDuration = absl::Hours(1);

struct FlagSpec {
  const char* name;     // absl name (underscores)
  const char* what;     // what a value is, for error messages
  const char* example;  // a valid value, for error messages
  bool repeatable;
  bool for_list;  // accepted by `list` as well as `run`
};

constexpr FlagSpec kFlags[] = {
    {"transports", "list", "--transports=NAME,NAME (names from copyscope list)",
     false, false},
    {"recv", "list", "--recv=copy,uring,zerocopy", false, false},
    {"sizes", "list", "--sizes=256,4K,64K", false, false},
    {"threads", "list", "--threads=1,2,4", false, false},
    {"fields", "whole number", "--fields=8", false, false},
    {"duration", "duration with a unit", "--duration=2s", false, false},
    {"warmup", "duration with a unit", "--warmup=200ms", false, false},
    {"io_timeout", "duration with a unit", "--io-timeout=10s", false, false},
    {"out", "path", "--out=results/mine", false, false},
    {"profile", "profile", "--profile=copy-matrix", false, false},
    {"mode", "mode", "--mode=rr", false, false},
    {"direction", "direction", "--direction=client-to-server", false, false},
    {"messages", "whole number", "--messages=5000", false, false},
    {"request_size", "size", "--request-size=64", false, false},
    {"response_size", "size", "--response-size=4K", false, false},
    {"reps", "whole number", "--reps=5", false, false},
    {"max_cv", "number (percent)", "--max-cv=5", false, false},
    {"json", "boolean", "--json", false, false},
    {"plugin_dir", "path", "--plugin-dir=/path/to/plugins", true, true},
    {"plugin", "path", "--plugin=/path/to/mine.so", true, true},
    {"transport_opt", "option",
     "--transport-opt=TRANSPORT.KEY=VALUE (keys from copyscope list)", true,
     false},
    {"isolation", "isolation", "--isolation=netns", false, false},
    {"mtu", "whole number", "--mtu=9000", false, false},
    {"pin_server", "policy", "--pin-server=pcore", false, false},
    {"pin_client", "policy", "--pin-client=cpus:2-3", false, false},
    {"pin_fallback", "fallback", "--pin-fallback=any", false, false},
    {"topology_xml", "path", "--topology-xml=machine.xml", false, false},
    {"dry_run", "boolean", "--dry-run", false, false},
    {"counters", "counter list", "--counters=task-clock,cycles", false, false},
    {"counters_scope", "scope", "--counters-scope=cpu", false, false},
};

const FlagSpec* FindSpec(absl::string_view name) {
  for (const FlagSpec& f : kFlags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::string Dashed(absl::string_view name) {
  return absl::StrCat("--", absl::StrReplaceAll(name, {{"_", "-"}}));
}

absl::Status Bad(absl::string_view flag, absl::string_view value,
                 absl::string_view problem, absl::string_view example) {
  return absl::InvalidArgumentError(absl::StrCat(
      Dashed(flag), "=", value, ": ", problem, "; use e.g. ", example));
}

// Sizes, each at least 1 byte and at most 1 GiB.
absl::StatusOr<std::vector<uint64_t>> CheckSizes(
    const std::vector<std::string>& raw) {
  const std::string joined = absl::StrJoin(raw, ",");
  const char* example = FindSpec("sizes")->example;
  if (raw.empty()) return Bad("sizes", joined, "no size given", example);
  std::vector<uint64_t> sizes;
  for (const std::string& text : raw) {
    absl::StatusOr<uint64_t> size = ParseSize(text);
    if (!size.ok()) {
      return Bad("sizes", joined, size.status().message(), example);
    }
    if (*size == 0) {
      return Bad("sizes", joined, "a message must be at least 1 byte", example);
    }
    if (*size > (uint64_t{1} << 30)) {
      return Bad("sizes", joined,
                 absl::StrCat(text, " is larger than the 1G limit"), example);
    }
    if (std::find(sizes.begin(), sizes.end(), *size) == sizes.end()) {
      sizes.push_back(*size);
    }
  }
  return sizes;
}

absl::StatusOr<std::vector<int>> CheckThreads(
    const std::vector<std::string>& raw) {
  const std::string joined = absl::StrJoin(raw, ",");
  const char* example = FindSpec("threads")->example;
  if (raw.empty()) return Bad("threads", joined, "no count given", example);
  std::vector<int> threads;
  for (const std::string& text : raw) {
    absl::StatusOr<int64_t> n = ParseCount(text);
    if (!n.ok()) return Bad("threads", joined, n.status().message(), example);
    if (*n < 1 || *n > 1024) {
      return Bad("threads", joined,
                 absl::StrCat(text, " is outside 1..1024 connections"),
                 example);
    }
    if (std::find(threads.begin(), threads.end(), *n) == threads.end()) {
      threads.push_back(static_cast<int>(*n));
    }
  }
  return threads;
}

absl::Status CheckDuration(absl::string_view flag, absl::Duration d,
                           absl::Duration min, bool min_inclusive) {
  const std::string text = absl::FormatDuration(d);
  const char* example = FindSpec(flag)->example;
  if (min_inclusive ? d < min : d <= min) {
    return Bad(flag, text,
               absl::StrCat("must be ", min_inclusive ? "at least " : "above ",
                            absl::FormatDuration(min)),
               example);
  }
  if (d > kMaxDuration) {
    return Bad(flag, text, "must be at most 1h", example);
  }
  return absl::OkStatus();
}

// Sets every flag the command line did not give from --profile.
absl::Status ApplyProfile(const std::set<std::string>& given, RunOptions* o) {
  const std::string name = absl::GetFlag(FLAGS_profile);
  const Profile* p = FindProfile(name);
  if (p == nullptr) {
    return Bad("profile", name,
               absl::StrCat("unknown profile; one of: ",
                            absl::StrJoin(ProfileNames(), ", ")),
               FindSpec("profile")->example);
  }
  o->profile = p->name;
  auto unset = [&](const char* flag) { return given.count(flag) == 0; };
  if (unset("transports")) {
    absl::SetFlag(&FLAGS_transports, p->transports);
    if (!p->transports.empty()) o->transports_from = p->name;
  }
  if (unset("sizes")) absl::SetFlag(&FLAGS_sizes, p->sizes);
  if (unset("threads")) absl::SetFlag(&FLAGS_threads, p->threads);
  if (unset("fields")) absl::SetFlag(&FLAGS_fields, p->fields);
  if (unset("mode")) absl::SetFlag(&FLAGS_mode, p->mode);
  if (unset("direction")) absl::SetFlag(&FLAGS_direction, p->direction);
  if (unset("warmup")) absl::SetFlag(&FLAGS_warmup, p->warmup);
  if (unset("reps")) absl::SetFlag(&FLAGS_reps, p->reps);
  if (!unset("duration") && !unset("messages")) {
    return absl::InvalidArgumentError(
        "--duration and --messages both given; a sample is either timed or "
        "counted, use e.g. --messages=5000 alone");
  }
  if (unset("duration") && unset("messages")) {
    absl::SetFlag(&FLAGS_duration, p->duration);
    absl::SetFlag(&FLAGS_messages, static_cast<int64_t>(p->messages));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> OptionalSize(const char* flag,
                                      const std::string& text) {
  if (text.empty()) return 0;
  absl::StatusOr<uint64_t> size = ParseSize(text);
  if (!size.ok()) {
    return Bad(flag, text, size.status().message(), FindSpec(flag)->example);
  }
  if (*size == 0 || *size > (uint64_t{1} << 30)) {
    return Bad(flag, text, "must be within 1 byte .. 1G",
               FindSpec(flag)->example);
  }
  return *size;
}

absl::Status ReadDesign(RunOptions* o) {
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "stream") {
    o->mode = Mode::kStream;
  } else if (mode == "rr") {
    o->mode = Mode::kRequestResponse;
  } else {
    return Bad("mode", mode, "not stream or rr", FindSpec("mode")->example);
  }
  const std::string dir = absl::GetFlag(FLAGS_direction);
  if (dir == "server-to-client") {
    o->direction = Direction::kServerToClient;
  } else if (dir == "client-to-server") {
    o->direction = Direction::kClientToServer;
  } else {
    return Bad("direction", dir, "not server-to-client or client-to-server",
               FindSpec("direction")->example);
  }
  const int64_t messages = absl::GetFlag(FLAGS_messages);
  if (messages < 0 || messages > (int64_t{1} << 40)) {
    return Bad("messages", absl::StrCat(messages), "must be within 1..2^40",
               FindSpec("messages")->example);
  }
  o->messages = static_cast<uint64_t>(messages);
  o->warmup_messages = o->messages / 10;
  absl::StatusOr<uint64_t> req =
      OptionalSize("request_size", absl::GetFlag(FLAGS_request_size));
  if (!req.ok()) return req.status();
  absl::StatusOr<uint64_t> resp =
      OptionalSize("response_size", absl::GetFlag(FLAGS_response_size));
  if (!resp.ok()) return resp.status();
  o->request_size = *req;
  o->response_size = *resp;
  o->reps = absl::GetFlag(FLAGS_reps);
  if (o->reps < 1 || o->reps > 1000) {
    return Bad("reps", absl::StrCat(o->reps), "must be within 1..1000",
               FindSpec("reps")->example);
  }
  const double cv = absl::GetFlag(FLAGS_max_cv);
  if (!(cv > 0 && cv <= 1000)) {
    return Bad("max_cv", absl::StrCat(cv), "must be a percentage above 0",
               FindSpec("max_cv")->example);
  }
  o->max_cv = cv / 100;
  o->json = absl::GetFlag(FLAGS_json);
  o->isolation = absl::GetFlag(FLAGS_isolation);
  o->mtu = absl::GetFlag(FLAGS_mtu);
  o->pin_server = absl::GetFlag(FLAGS_pin_server);
  o->pin_client = absl::GetFlag(FLAGS_pin_client);
  o->pin_fallback = absl::GetFlag(FLAGS_pin_fallback);
  o->topology_xml = absl::GetFlag(FLAGS_topology_xml);
  o->dry_run = absl::GetFlag(FLAGS_dry_run);
  o->counters = absl::GetFlag(FLAGS_counters);
  if (o->counters == "auto") {
    const bool rr = o->mode == Mode::kRequestResponse;
    o->counters = rr ? "none" : "default";
    if (rr) {
      o->notes.push_back(
          "note: perf counters are off in request-response mode unless asked "
          "for (--counters=default): the kernel switches counter state at "
          "every context switch of a counted thread, which lengthens the "
          "round trips being measured");
    }
  }
  o->counters_scope = absl::GetFlag(FLAGS_counters_scope);
  return absl::OkStatus();
}

// --recv: aliases resolved (the plugins are checked by MakePlan).
absl::Status ReadRecv(RunOptions* o) {
  const std::vector<std::string> raw = absl::GetFlag(FLAGS_recv);
  const std::string joined = absl::StrJoin(raw, ",");
  for (const std::string& value : raw) {
    if (value.empty()) {
      return Bad("recv", joined, "empty receive transport name",
                 FindSpec("recv")->example);
    }
    std::string name = ResolveRecvName(value);
    if (std::find(o->recv.begin(), o->recv.end(), name) == o->recv.end()) {
      o->recv.push_back(name);
    }
  }
  if (!o->recv.empty() && o->mode == Mode::kRequestResponse) {
    return Bad("recv", joined,
               "a separate receive side applies to stream mode only (in rr "
               "each side sends and receives with one transport)",
               "--mode=stream --recv=uring, or leave out --recv");
  }
  return absl::OkStatus();
}

absl::StatusOr<RunOptions> ReadRunOptions(const std::set<std::string>& given) {
  RunOptions o;
  absl::Status design = ApplyProfile(given, &o);
  if (design.ok()) design = ReadDesign(&o);
  if (!design.ok()) return design;
  o.sources.plugin_dirs = absl::GetFlag(FLAGS_plugin_dir);
  o.sources.plugin_files = absl::GetFlag(FLAGS_plugin);
  for (const std::string& name : absl::GetFlag(FLAGS_transports)) {
    if (name.empty()) {
      return Bad("transports",
                 absl::StrJoin(absl::GetFlag(FLAGS_transports), ","),
                 "empty transport name", FindSpec("transports")->example);
    }
    if (std::find(o.transports.begin(), o.transports.end(), name) ==
        o.transports.end()) {
      o.transports.push_back(name);
    }
  }
  absl::Status recv = ReadRecv(&o);
  if (!recv.ok()) return recv;
  absl::StatusOr<std::vector<uint64_t>> sizes =
      CheckSizes(absl::GetFlag(FLAGS_sizes));
  if (!sizes.ok()) return sizes.status();
  o.sizes = *sizes;
  absl::StatusOr<std::vector<int>> threads =
      CheckThreads(absl::GetFlag(FLAGS_threads));
  if (!threads.ok()) return threads.status();
  o.threads = *threads;
  o.fields = absl::GetFlag(FLAGS_fields);
  if (o.fields < 1 || o.fields > 1024) {
    return Bad("fields", absl::StrCat(o.fields), "must be within 1..1024",
               FindSpec("fields")->example);
  }
  o.duration = absl::GetFlag(FLAGS_duration);
  o.warmup = absl::GetFlag(FLAGS_warmup);
  o.io_timeout = absl::GetFlag(FLAGS_io_timeout);
  absl::Status s = CheckDuration("duration", o.duration, absl::ZeroDuration(),
                                 /*min_inclusive=*/false);
  if (s.ok()) {
    s = CheckDuration("warmup", o.warmup, absl::ZeroDuration(), true);
  }
  if (s.ok()) {
    s = CheckDuration("io_timeout", o.io_timeout, absl::Milliseconds(1), true);
  }
  if (!s.ok()) return s;
  o.out = absl::GetFlag(FLAGS_out);
  for (const std::string& text : absl::GetFlag(FLAGS_transport_opt)) {
    absl::StatusOr<TransportOpt> opt = ParseTransportOpt(text);
    if (!opt.ok()) return opt.status();
    o.transport_opts.push_back(*opt);
  }
  return o;
}

absl::StatusOr<Command> ParseCommandName(absl::string_view word) {
  if (word == "run") return Command::kRun;
  if (word == "list") return Command::kList;
  if (word == "show") return Command::kShow;
  if (word == "topo") return Command::kTopo;
  if (word == "netns") return Command::kNetnsCheck;  // `netns check`
  if (word == "version") return Command::kVersion;
  if (word == "help") return Command::kHelp;
  if (word == "report" || word == "compare") {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", word, "' is not a harness command; use ./tools/copyscope ", word,
        " (it runs the report tool, //tools/report:report)"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown command '", word,
      "'; use one of: run, list, show, version, help (see copyscope --help)"));
}

}  // namespace

absl::StatusOr<TransportOpt> ParseTransportOpt(const std::string& text) {
  const char* example = FindSpec("transport_opt")->example;
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Bad("transport_opt", text, "not of the form [TRANSPORT.]KEY=VALUE",
               example);
  }
  TransportOpt opt;
  std::string lhs = text.substr(0, eq);
  opt.value = text.substr(eq + 1);
  size_t dot = lhs.find('.');
  if (dot != std::string::npos) {
    opt.scope = lhs.substr(0, dot);
    opt.key = lhs.substr(dot + 1);
    if (opt.scope.empty() || opt.key.empty()) {
      return Bad("transport_opt", text, "empty transport or key around '.'",
                 example);
    }
  } else {
    opt.key = lhs;
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
  if (i < args.size() && args[i] == "--version") {
    inv.command = Command::kVersion;
    return inv;
  }
  if (i >= args.size()) {
    return absl::InvalidArgumentError(
        "no command given; use `copyscope run` or `copyscope list` (see "
        "copyscope --help)");
  }
  if (absl::StartsWith(args[i], "-")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a command before ", args[i], "; use e.g. `copyscope run ",
        args[i], "` (see copyscope --help)"));
  }
  // Start from the defaults, so the result depends on args alone.
  for (const FlagSpec& spec : kFlags) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(spec.name);
    std::string error;
    if (flag == nullptr || !flag->ParseFrom(flag->DefaultValue(), &error)) {
      return absl::InternalError(
          absl::StrCat("cannot reset ", Dashed(spec.name), ": ", error));
    }
  }
  absl::StatusOr<Command> command = ParseCommandName(args[i]);
  if (!command.ok()) return command.status();
  inv.command = *command;
  ++i;
  const char* command_name = args[i - 1].c_str();
  if (inv.command == Command::kNetnsCheck) {
    if (i >= args.size() || args[i] != "check") {
      return absl::InvalidArgumentError(
          "`copyscope netns` has one subcommand: use `copyscope netns "
          "check`");
    }
    ++i;
  }

  std::map<std::string, std::vector<std::string>> repeated;
  std::set<std::string> given;  // flags on the command line
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
    if (!absl::StartsWith(arg, "-") || arg == "-" || arg == "--") {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected argument '", arg, "' after `copyscope ", command_name,
          "`; flags look like --name=value (see copyscope --help)"));
    }
    absl::string_view body = arg;
    body.remove_prefix(absl::StartsWith(body, "--") ? 2 : 1);
    std::string name(body.substr(0, body.find('=')));
    absl::StrReplaceAll({{"-", "_"}}, &name);
    const FlagSpec* spec = FindSpec(name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", Dashed(name), " for `copyscope ",
                       command_name, "`; see copyscope --help for the flags"));
    }
    // topo takes --topology-xml only; netns check takes no flag.
    const bool applies = inv.command == Command::kTopo ? name == "topology_xml"
                         : inv.command == Command::kNetnsCheck
                             ? false
                             : inv.command == Command::kRun || spec->for_list;
    if (!applies || inv.command == Command::kVersion ||
        inv.command == Command::kHelp) {
      return absl::InvalidArgumentError(
          absl::StrCat(Dashed(name), " does not apply to `copyscope ",
                       command_name, "`; see copyscope --help"));
    }
    given.insert(name);
    std::string value;
    absl::CommandLineFlag* bool_flag = absl::FindCommandLineFlag(name);
    if (body.find('=') != absl::string_view::npos) {
      value = std::string(body.substr(body.find('=') + 1));
    } else if (bool_flag != nullptr && bool_flag->IsOfType<bool>()) {
      value = "true";  // --json alone
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          Dashed(name), " needs a value; use e.g. ", spec->example));
    }
    if (spec->repeatable) {
      repeated[name].push_back(value);
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    if (flag == nullptr || !flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Dashed(name), "=", value, ": not a ", spec->what,
                       "; use e.g. ", spec->example));
    }
  }
  for (const auto& [name, values] : repeated) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    if (flag == nullptr ||
        !flag->ParseFrom(absl::StrJoin(values, ","), &error)) {
      return absl::InternalError(
          absl::StrCat("cannot set ", Dashed(name), ": ", error));
    }
  }
  if (inv.command == Command::kShow && inv.show_dir.empty()) {
    return absl::InvalidArgumentError(
        "`copyscope show` needs a results directory; use e.g. copyscope show "
        "results/20250101T120000Z-3f9a2c");
  }
  absl::StatusOr<RunOptions> run = ReadRunOptions(given);
  if (!run.ok()) return run.status();
  inv.run = *std::move(run);
  inv.run.command_line = args;
  return inv;
}

std::string UsageText() {
  std::string text =
      "copyscope: measures how Linux moves network data, one transport "
      "plugin at a time.\n\n"
      "Usage:\n"
      "  copyscope run [flags]    run the sweep: transports x sizes x "
      "threads\n"
      "  copyscope list [flags]   the plugins found, their status and "
      "options\n"
      "  copyscope show DIR       the table of a saved run (DIR/run.pb)\n"
      "  copyscope topo [--topology-xml=FILE]  the CPUs: package, NUMA "
      "node, core, SMT siblings, P/E kind\n"
      "  copyscope netns check    whether netns isolation works here, and "
      "what is missing if not\n"
      "  copyscope --version      build provenance\n\n"
      "Flags of `run` (`list` takes --plugin-dir and --plugin):\n";
  for (const FlagSpec& spec : kFlags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(spec.name);
    if (flag == nullptr) continue;
    std::string def = flag->DefaultValue();
    absl::StrAppend(&text, "  ", Dashed(spec.name), "\n      ", flag->Help(),
                    def.empty() ? "" : absl::StrCat(" (default: ", def, ")"),
                    "\n");
  }
  return text;
}

}  // namespace copyscope::harness
