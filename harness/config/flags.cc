#include "harness/config/flags.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "harness/config/profiles.h"
#include "harness/config/units.h"

namespace copyscope::config {
namespace {

constexpr uint64_t kMaxSize = uint64_t{1} << 30;  // 1 GiB per message
constexpr absl::Duration kMaxDuration = absl::Hours(1);

absl::Status Problem(absl::string_view text) {
  return absl::InvalidArgumentError(text);
}

// The items of a comma-separated list; an empty list or item is an error.
absl::StatusOr<std::vector<std::string>> Items(absl::string_view value,
                                               absl::string_view what) {
  if (value.empty()) return Problem(absl::StrCat("no ", what, " given"));
  std::vector<std::string> items = absl::StrSplit(value, ',');
  for (const std::string& item : items) {
    if (item.empty()) return Problem(absl::StrCat("empty ", what));
  }
  return items;
}

template <typename T>
void AddUnique(const T& value, std::vector<T>* out) {
  if (std::find(out->begin(), out->end(), value) == out->end()) {
    out->push_back(value);
  }
}

absl::StatusOr<uint64_t> Size(absl::string_view text) {
  absl::StatusOr<uint64_t> size = ParseSize(text);
  if (!size.ok()) return size.status();
  if (*size == 0) return Problem("a message must be at least 1 byte");
  if (*size > kMaxSize) {
    return Problem(absl::StrCat(text, " is larger than the 1G limit"));
  }
  return *size;
}

absl::StatusOr<int64_t> Count(absl::string_view text, int64_t lo, int64_t hi,
                              absl::string_view unit) {
  absl::StatusOr<int64_t> n = ParseCount(text);
  if (!n.ok()) return n.status();
  if (*n < lo || *n > hi) {
    return Problem(absl::StrCat(text, " is outside ", lo, "..", hi,
                                unit.empty() ? "" : " ", unit));
  }
  return *n;
}

absl::StatusOr<absl::Duration> Duration(absl::string_view text,
                                        absl::Duration min,
                                        bool min_inclusive) {
  absl::Duration d;
  if (!absl::ParseDuration(std::string(text), &d)) {
    return Problem("not a duration with a unit");
  }
  if (min_inclusive ? d < min : d <= min) {
    return Problem(absl::StrCat("must be ",
                                min_inclusive ? "at least " : "above ",
                                absl::FormatDuration(min)));
  }
  if (d > kMaxDuration) return Problem("must be at most 1h");
  return d;
}

absl::StatusOr<bool> Bool(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "true" || t == "1" || t == "yes") return true;
  if (t == "false" || t == "0" || t == "no") return false;
  return Problem("not true or false");
}

std::string Sizes(const std::vector<uint64_t>& v) {
  std::vector<std::string> parts;
  for (uint64_t s : v) parts.push_back(FormatSize(s));
  return absl::StrJoin(parts, ",");
}

std::string OptionalSize(uint64_t s) { return s == 0 ? "" : FormatSize(s); }

std::string OptText(const TransportOpt& o) {
  return absl::StrCat(o.scope, o.scope.empty() ? "" : ".", o.key, "=",
                      o.value);
}

// Why a flag would do nothing, by what it depends on.
const char* CountMode(const RunOptions& o) {
  return o.messages > 0 ? "samples are counted (--messages), not timed"
                        : nullptr;
}
const char* NotRr(const RunOptions& o) {
  return o.mode != Mode::kRequestResponse
             ? "it sizes request-response messages, and the mode is stream"
             : nullptr;
}
const char* NotStream(const RunOptions& o) {
  return o.mode != Mode::kStream
             ? "in request-response mode both sides send and receive"
             : nullptr;
}
const char* Loopback(const RunOptions& o) {
  return o.isolation == Isolation::kLoopback
             ? "it sets the veth's MTU, and --isolation=loopback has none"
             : nullptr;
}
const char* Unpinned(const RunOptions& o) {
  return o.pin.server.kind == PolicyKind::kNone &&
                 o.pin.client.kind == PolicyKind::kNone
             ? "nothing is pinned (--pin-server and --pin-client are none)"
             : nullptr;
}
const char* NoCounters(const RunOptions& o) {
  return o.counters.kind == CounterSelection::Kind::kNone
             ? "no counters are counted (--counters=none)"
             : nullptr;
}

// The table. Defaults are the quick profile's design (profiles.h); a
// profile overrides what it names.
const std::vector<FlagDef>& Table() {
  static const std::vector<FlagDef>* const table = new std::vector<FlagDef>{
      {"profile", "profile", "quick", "--profile=copy-matrix",
       "Experiment design: quick, copy-matrix or copy-matrix-wide; explicit "
       "flags override its values",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         const Profile* p = FindProfile(std::string(v));
         if (p == nullptr) {
           return Problem(absl::StrCat("unknown profile; one of: ",
                                       absl::StrJoin(ProfileNames(), ", ")));
         }
         o->profile = p->name;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.profile; }, nullptr},
      {"transports", "list", "", "--transports=NAME,NAME (names from copyscope list)",
       "Transports to run, comma-separated (see `copyscope list`); default: "
       "every usable plugin",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<std::vector<std::string>> items =
             Items(v, "transport name");
         if (!items.ok()) return items.status();
         o->transports.clear();
         o->transports_from.clear();
         for (const std::string& name : *items) AddUnique(name, &o->transports);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrJoin(o.transports, ","); },
       nullptr},
      {"recv", "list", "", "--recv=copy,uring,zerocopy",
       "Receive side, comma-separated, each a cell dimension (stream mode): "
       "copy, uring, zerocopy, or any plugin that can receive; default: each "
       "transport receives with its own plugin",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<std::vector<std::string>> items =
             Items(v, "receive transport name");
         if (!items.ok()) return items.status();
         o->recv.clear();
         for (const std::string& name : *items) {
           AddUnique(ResolveRecvName(name), &o->recv);
         }
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrJoin(o.recv, ","); },
       nullptr},
      {"sizes", "list", "4096,65536", "--sizes=256,4K,64K",
       "Message sizes in bytes, comma-separated; K/M/G or KiB/MiB/GiB "
       "suffixes are binary (64K = 65536)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<std::vector<std::string>> items = Items(v, "size");
         if (!items.ok()) return items.status();
         o->sizes.clear();
         for (const std::string& text : *items) {
           absl::StatusOr<uint64_t> size = Size(text);
           if (!size.ok()) return size.status();
           AddUnique(*size, &o->sizes);
         }
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return Sizes(o.sizes); }, nullptr},
      {"threads", "list", "1,2", "--threads=1,2,4",
       "Connection counts, comma-separated; each connection has one server "
       "thread and one client thread",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<std::vector<std::string>> items = Items(v, "count");
         if (!items.ok()) return items.status();
         o->threads.clear();
         for (const std::string& text : *items) {
           absl::StatusOr<int64_t> n = Count(text, 1, 1024, "connections");
           if (!n.ok()) return n.status();
           AddUnique(static_cast<int>(*n), &o->threads);
         }
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrJoin(o.threads, ","); },
       nullptr},
      {"fields", "whole number", "8", "--fields=8",
       "Separately allocated fields per message (capped at the size)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<int64_t> n = Count(v, 1, 1024, "");
         if (!n.ok()) return n.status();
         o->fields = static_cast<int>(*n);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.fields); }, nullptr},
      {"mode", "mode", "stream", "--mode=rr",
       "stream (one side sends) or rr (request-response round trips)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<Mode> m = ParseMode(v);
         if (!m.ok()) return m.status();
         o->mode = *m;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return std::string(ModeName(o.mode)); },
       nullptr},
      {"direction", "direction", "server-to-client",
       "--direction=client-to-server",
       "Stream direction: server-to-client or client-to-server", kForRun,
       false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<Direction> d = ParseDirection(v);
         if (!d.ok()) return d.status();
         o->direction = *d;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(DirectionName(o.direction));
       },
       NotStream},
      {"duration", "duration with a unit", "300ms", "--duration=2s",
       "Measured interval per sample, e.g. 2s or 500ms (timed samples)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<absl::Duration> d =
             Duration(v, absl::ZeroDuration(), /*min_inclusive=*/false);
         if (!d.ok()) return d.status();
         o->duration = *d;
         o->messages = 0;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return o.messages > 0 ? std::string()
                               : absl::FormatDuration(o.duration);
       },
       nullptr},
      {"messages", "whole number", "0", "--messages=5000",
       "Messages (rr: transactions) per connection, measured after "
       "messages/10 warm-up ones; replaces --duration",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<int64_t> n = Count(v, 0, int64_t{1} << 40, "");
         if (!n.ok()) return n.status();
         o->messages = static_cast<uint64_t>(*n);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.messages); }, nullptr},
      {"warmup", "duration with a unit", "100ms", "--warmup=200ms",
       "Interval before the measurement, excluded from results (timed "
       "samples; counted ones send --messages/10 first)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<absl::Duration> d =
             Duration(v, absl::ZeroDuration(), /*min_inclusive=*/true);
         if (!d.ok()) return d.status();
         o->warmup = *d;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::FormatDuration(o.warmup); },
       CountMode},
      {"request-size", "size", "", "--request-size=64",
       "rr request size in bytes (default: the cell's size)", kForRun, false,
       false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<uint64_t> s = Size(v);
         if (!s.ok()) return s.status();
         o->request_size = *s;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return OptionalSize(o.request_size); },
       NotRr},
      {"response-size", "size", "", "--response-size=4K",
       "rr response size in bytes (default: the cell's size)", kForRun, false,
       false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<uint64_t> s = Size(v);
         if (!s.ok()) return s.status();
         o->response_size = *s;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return OptionalSize(o.response_size); },
       NotRr},
      {"reps", "whole number", "3", "--reps=5",
       "Repetitions of every cell, interleaved across cells", kForRun, false,
       false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<int64_t> n = Count(v, 1, 1000, "");
         if (!n.ok()) return n.status();
         o->reps = static_cast<int>(*n);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.reps); }, nullptr},
      {"max-cv", "number (percent)", "5", "--max-cv=5",
       "Coefficient of variation, in percent, above which a cell is marked "
       "unstable",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         double cv = 0;
         if (!absl::SimpleAtod(v, &cv)) return Problem("not a number");
         if (!(cv > 0 && cv <= 1000)) {
           return Problem("must be a percentage above 0 (at most 1000)");
         }
         o->max_cv = cv / 100;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.max_cv * 100); },
       nullptr},
      {"io-timeout", "duration with a unit", "10s", "--io-timeout=10s",
       "Bound on every single wait (connect, send, receive, completion)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<absl::Duration> d =
             Duration(v, absl::Milliseconds(1), /*min_inclusive=*/true);
         if (!d.ok()) return d.status();
         o->io_timeout = *d;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::FormatDuration(o.io_timeout); },
       nullptr},
      {"json", "boolean", "false", "--json",
       "Print the summary (statistics per cell) as JSON on stdout instead of "
       "the table",
       kForRun, false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->json = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return std::string(o.json ? "true" : "false"); },
       nullptr},
      {"out", "path", "", "--out=results/mine",
       "Results directory (must not exist or be empty); default: "
       "results/<UTC time>-<id>/ under the working directory",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty path");
         o->out = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.out; }, nullptr},
      {"plugin-dir", "path", "", "--plugin-dir=/path/to/plugins",
       "A further directory to load *.so plugins from (repeat the flag for "
       "more)",
       kForRun | kForList, true, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty path");
         o->sources.plugin_dirs.emplace_back(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return absl::StrJoin(o.sources.plugin_dirs, " ");
       },
       nullptr},
      {"plugin", "path", "", "--plugin=/path/to/mine.so",
       "A further plugin file to load (repeat the flag for more)",
       kForRun | kForList, true, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty path");
         o->sources.plugin_files.emplace_back(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return absl::StrJoin(o.sources.plugin_files, " ");
       },
       nullptr},
      {"transport-opt", "option",
       "", "--transport-opt=TRANSPORT.KEY=VALUE (keys from copyscope list)",
       "Transport option [TRANSPORT.]KEY=VALUE (repeat the flag for more); "
       "keys are listed by `copyscope list`",
       kForRun, true, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<TransportOpt> opt = ParseTransportOpt(v);
         if (!opt.ok()) return opt.status();
         o->transport_opts.push_back(*opt);
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         std::vector<std::string> parts;
         for (const TransportOpt& t : o.transport_opts) {
           parts.push_back(OptText(t));
         }
         return absl::StrJoin(parts, " ");
       },
       nullptr},
      {"isolation", "isolation", "auto", "--isolation=netns",
       "Where server and client live: netns (two network namespaces over a "
       "veth), loopback, or auto (netns where permitted; the record says "
       "which and why)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<Isolation> i = ParseIsolation(v);
         if (!i.ok()) return i.status();
         o->isolation = *i;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(IsolationName(o.isolation));
       },
       nullptr},
      {"mtu", "whole number", "0", "--mtu=9000",
       "MTU of the veth with netns isolation; 0: the kernel's default",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<int64_t> n = Count(v, 0, 65535, "");
         if (!n.ok()) return n.status();
         if (*n != 0 && *n < 68) {
           return Problem("not an MTU between 68 and 65535");
         }
         o->mtu = static_cast<int>(*n);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.mtu); }, Loopback},
      {"pin-server", "policy", "none", "--pin-server=pcore",
       "CPUs of the server threads: none, pcore, ecore, cpus:LIST, spread, "
       "compact or smt-pair (see copyscope topo)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<PinPolicy> p = ParsePinPolicy(v);
         if (!p.ok()) return p.status();
         o->pin.server = *p;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.pin.server.ToString(); }, nullptr},
      {"pin-client", "policy", "none", "--pin-client=cpus:2-3",
       "CPUs of the client threads (same values as --pin-server)", kForRun,
       false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<PinPolicy> p = ParsePinPolicy(v);
         if (!p.ok()) return p.status();
         o->pin.client = *p;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.pin.client.ToString(); }, nullptr},
      {"pin-fallback", "fallback", "error", "--pin-fallback=any",
       "When a pool has too few CPUs: error, or any (widen, then reuse)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<PinFallback> f = ParsePinFallback(v);
         if (!f.ok()) return f.status();
         o->pin.fallback = *f;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(PinFallbackName(o.pin.fallback));
       },
       Unpinned},
      {"topology-xml", "path", "", "--topology-xml=machine.xml",
       "An hwloc XML topology to plan for instead of this machine (with "
       "--dry-run, or for copyscope topo)",
       kForRun | kForTopo, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty path");
         o->topology_xml = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.topology_xml; }, nullptr},
      {"dry-run", "boolean", "false", "--dry-run",
       "Print the cells and each thread count's CPU plan, run nothing",
       kForRun, false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->dry_run = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(o.dry_run ? "true" : "false");
       },
       nullptr},
      {"counters", "counter list", "auto", "--counters=task-clock,cycles",
       "perf counters per thread over the measured interval: none, default, "
       "a list of perf event names, or auto (default in stream mode, none in "
       "request-response mode, where counting every context switch would "
       "slow the round trips it measures)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         o->counters = CounterSelection();
         if (v == "auto") {
           o->counters.kind = CounterSelection::Kind::kAuto;
         } else if (v == "none") {
           o->counters.kind = CounterSelection::Kind::kNone;
         } else if (v != "default") {
           absl::StatusOr<std::vector<std::string>> items =
               Items(v, "event name");
           if (!items.ok()) return items.status();
           o->counters.kind = CounterSelection::Kind::kList;
           for (const std::string& e : *items) AddUnique(e, &o->counters.events);
         }
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.counters.ToString(); }, nullptr},
      {"counters-scope", "scope", "thread", "--counters-scope=cpu",
       "thread (each worker thread) or cpu (system-wide on the CPUs the run "
       "uses; needs privileges)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<CountersScope> s = ParseCountersScope(v);
         if (!s.ok()) return s.status();
         o->counters_scope = *s;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(CountersScopeName(o.counters_scope));
       },
       NoCounters},
  };
  return *table;
}

const FlagDef* FindFlag(absl::string_view name) {
  for (const FlagDef& f : Table()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

absl::Status FlagError(const FlagDef& flag, absl::string_view value,
                       absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      "--", flag.name, "=", value, ": ", problem, "; use e.g. ", flag.example));
}

absl::Status Set(const FlagDef& flag, absl::string_view value,
                 RunOptions* o) {
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
  if (word == "report" || word == "compare") {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", word, "' is not a harness command; use ./tools/copyscope ", word,
        " (it runs the report tool, //tools/report:report)"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown command '", word,
      "'; use one of: run, list, show, topo, netns check, version, help (see "
      "copyscope --help)"));
}

unsigned CommandBit(Command c) {
  switch (c) {
    case Command::kRun:
      return kForRun;
    case Command::kList:
      return kForList;
    case Command::kTopo:
      return kForTopo;
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
  if (o->mode != Mode::kRequestResponse) {
    o->request_size = 0;
    o->response_size = 0;
  }
  if (!o->recv.empty() && o->mode == Mode::kRequestResponse) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--recv=", absl::StrJoin(o->recv, ","),
        ": a separate receive side applies to stream mode only (in rr each "
        "side sends and receives with one transport); use --mode=stream "
        "--recv=uring, or leave out --recv"));
  }
  if (o->counters.kind == CounterSelection::Kind::kAuto) {
    const bool rr = o->mode == Mode::kRequestResponse;
    o->counters.kind = rr ? CounterSelection::Kind::kNone
                          : CounterSelection::Kind::kDefault;
    if (rr) {
      o->notes.push_back(
          "note: perf counters are off in request-response mode unless asked "
          "for (--counters=default): the kernel switches counter state at "
          "every context switch of a counted thread, which lengthens the "
          "round trips being measured");
    }
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
  for (const FlagDef& flag : Table()) {
    if (flag.commands & kForRun) o->effective.emplace_back(flag.name, flag.get(*o));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<FlagDef>& Flags() { return Table(); }

absl::StatusOr<TransportOpt> ParseTransportOpt(absl::string_view text) {
  size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return Problem("not of the form [TRANSPORT.]KEY=VALUE");
  }
  TransportOpt opt;
  absl::string_view lhs = text.substr(0, eq);
  opt.value = std::string(text.substr(eq + 1));
  size_t dot = lhs.find('.');
  if (dot != absl::string_view::npos) {
    opt.scope = std::string(lhs.substr(0, dot));
    opt.key = std::string(lhs.substr(dot + 1));
    if (opt.scope.empty() || opt.key.empty()) {
      return Problem("empty transport or key around '.'");
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
  absl::StatusOr<Command> command = ParseCommandName(args[i]);
  if (!command.ok()) return command.status();
  inv.command = *command;
  const std::string command_name = args[i++];
  if (inv.command == Command::kNetnsCheck) {
    if (i >= args.size() || args[i] != "check") {
      return absl::InvalidArgumentError(
          "`copyscope netns` has one subcommand: use `copyscope netns check`");
    }
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
      return absl::InvalidArgumentError(absl::StrCat(
          "--", name, " needs a value; use e.g. ", flag->example));
    }
    if (!flag->repeatable && given.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " given twice; give it once, e.g. ",
                       flag->example));
    }
    given.insert(name);
    values.emplace_back(flag, std::move(value));
  }
  if (inv.command == Command::kShow && inv.show_dir.empty()) {
    return absl::InvalidArgumentError(
        "`copyscope show` needs a results directory; use e.g. copyscope show "
        "results/20250101T120000Z-3f9a2c");
  }

  RunOptions& o = inv.run;
  for (const FlagDef& flag : Table()) {
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
  absl::Status s = Finish(given, &o);
  if (!s.ok()) return s;
  o.command_line = args;
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
  for (const FlagDef& flag : Table()) {
    absl::StrAppend(&text, "  --", flag.name, "\n      ", flag.help,
                    flag.default_value[0] == '\0'
                        ? ""
                        : absl::StrCat(" (default: ", flag.default_value, ")"),
                    "\n");
  }
  return text;
}

}  // namespace copyscope::config
