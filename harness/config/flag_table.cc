// The table of flags: each flag of copyscope declared once (flags.h says
// what an entry holds); flags.cc parses command lines with it.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/config/flags.h"
#include "harness/config/profiles.h"
#include "harness/config/units.h"
namespace copyscope::config {
namespace {

constexpr uint64_t kMaxSize = uint64_t{1} << 30;  // 1 GiB per message
constexpr absl::Duration kMaxDuration = absl::Hours(1);
constexpr absl::Duration kMaxBudget = absl::Hours(168);

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
  return absl::StrCat(o.scope, o.scope.empty() ? "" : ".", o.key, "=", o.value);
}

// A rate in bits per second: a number with an optional SI suffix (k, M, G,
// T: powers of 1000, as iperf3 -b reads them), e.g. 500M, 1.5G, 0.
absl::StatusOr<double> Rate(absl::string_view text) {
  std::string t(text);
  double scale = 1;
  if (!t.empty()) {
    switch (t.back()) {
      case 'k':
      case 'K':
        scale = 1e3;
        break;
      case 'm':
      case 'M':
        scale = 1e6;
        break;
      case 'g':
      case 'G':
        scale = 1e9;
        break;
      case 't':
      case 'T':
        scale = 1e12;
        break;
    }
    if (scale != 1) t.pop_back();
  }
  double v = 0;
  if (t.empty() || !absl::SimpleAtod(t, &v) || !(v >= 0) || v * scale > 1e13) {
    return Problem("not a rate in bits per second up to 10T (e.g. 500M, 1G)");
  }
  return v * scale;
}

std::string RateText(double bps) {
  for (const auto& [scale, suffix] : {std::pair<double, const char*>{1e12, "T"},
                                      {1e9, "G"},
                                      {1e6, "M"},
                                      {1e3, "K"}}) {
    if (bps >= scale && bps / scale == static_cast<int64_t>(bps / scale)) {
      return absl::StrCat(static_cast<int64_t>(bps / scale), suffix);
    }
  }
  return absl::StrCat(bps);
}

// Why a flag would do nothing, by what it depends on.
const char* CountMode(const RunOptions& o) {
  return o.messages > 0 ? "samples are counted (--messages), not timed"
                        : nullptr;
}
const char* NotRr(const RunOptions& o) {
  return !Transactional(o.mode) ? "it sizes the requests and responses of "
                                  "--mode=rr or crr, and the mode is stream"
                                : nullptr;
}
const char* NotStream(const RunOptions& o) {
  return o.mode != Mode::kStream
             ? "in rr and crr modes both sides send and receive"
             : nullptr;
}
const char* OneHost(const RunOptions& o) {
  return o.peer.empty() ? "it applies to a run with --peer" : nullptr;
}
const char* NotSsh(const RunOptions& o) {
  return o.peer.rfind("ssh://", 0) != 0
             ? "it applies to --peer=ssh://..., the agent reached over ssh"
             : nullptr;
}
const char* NotTcp(const RunOptions& o) {
  return o.peer.empty() || o.peer.rfind("ssh://", 0) == 0
             ? "it applies to --peer=ADDR:PORT, an agent listening on TCP "
               "(ssh authenticates by itself)"
             : nullptr;
}
const char* DataAddressIdle(const RunOptions& o) {
  if (o.peer.empty()) return "it applies to a run with --peer";
  return o.peer.rfind("ssh://", 0) != 0
             ? "an agent listening on TCP offers its own data address: give "
               "it --data-address where it is started"
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
const char* FixedReps(const RunOptions& o) {
  return o.reps_auto ? nullptr
                     : "the repetitions are fixed (--reps=N), not repeated "
                       "until they converge (--reps=auto)";
}
const char* NoHistory(const RunOptions& o) {
  return o.history.off ? "--no-history turns the history off" : nullptr;
}
const char* NoCheck(const RunOptions& o) {
  return !o.history.check ? "it applies to --check, which is not given"
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
       "Experiment design: quick, copy-matrix, copy-matrix-wide, "
       "latency-under-load, families, udp or connection-rate; explicit flags "
       "override its values",
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
      {"transports", "list", "",
       "--transports=NAME,NAME (names from copyscope list)",
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
       [](const RunOptions& o) { return absl::StrJoin(o.recv, ","); }, nullptr},
      {"background", "list", "", "--background=none,two_copy:1:64K",
       "Latency under load (rr): TRANSPORT:THREADS[:SIZE] stream flows (size "
       "default 64K) run server to client on the same path while the round "
       "trips are measured, and the record keeps their Gbit/s beside the "
       "latency; comma-separated, each a cell dimension, none for a cell "
       "without",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<std::vector<std::string>> items =
             Items(v, "background");
         if (!items.ok()) return items.status();
         o->backgrounds.clear();
         for (const std::string& text : *items) {
           absl::StatusOr<Background> b = ParseBackground(text);
           if (!b.ok()) return b.status();
           AddUnique(*b, &o->backgrounds);
         }
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         std::vector<std::string> texts;
         for (const Background& b : o.backgrounds) texts.push_back(b.Text());
         return absl::StrJoin(texts, ",");
       },
       nullptr},
      {"family", "list", "inet", "--family=unix,inet,inet6",
       "Address families of the data sockets, comma-separated, each a cell "
       "dimension: inet (TCP over IPv4), inet6 (TCP over IPv6: ::1, or "
       "2001:2::/64 on the veth), unix (a Unix stream socket: no TCP/IP at "
       "all, the copy cost alone; one host only)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<std::vector<std::string>> items =
             Items(v, "address family");
         if (!items.ok()) return items.status();
         o->families.clear();
         for (const std::string& name : *items) {
           absl::StatusOr<Family> f = ParseFamily(name);
           if (!f.ok()) {
             return Problem(absl::StrCat(name, ": ", f.status().message()));
           }
           AddUnique(*f, &o->families);
         }
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         std::vector<std::string> names;
         for (Family f : o.families) names.push_back(FamilyName(f));
         return absl::StrJoin(names, ",");
       },
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
       "thread and one client thread (history: the cells of one count)",
       kForRun | kForHistory, false, false,
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
       "Separately allocated fields per message (capped at the size)", kForRun,
       false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<int64_t> n = Count(v, 1, 1024, "");
         if (!n.ok()) return n.status();
         o->fields = static_cast<int>(*n);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.fields); }, nullptr},
      {"mode", "mode", "stream", "--mode=rr",
       "stream (one side sends), rr (request-response round trips on one "
       "connection) or crr (connection rate: connect, request, response, "
       "close per transaction)",
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
       "Stream direction: server-to-client or client-to-server", kForRun, false,
       false,
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
       "Messages (rr, crr: transactions) per connection, measured after "
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
      {"interval", "duration with a unit", "100ms", "--interval=1s",
       "Every sample is also recorded in slices this long (bytes, messages; "
       "rr, crr: the transactions' percentiles), which the steady-state check "
       "tests for a trend; a run of one cell prints them",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<absl::Duration> d =
             Duration(v, absl::Milliseconds(1), /*min_inclusive=*/true);
         if (!d.ok()) return d.status();
         o->interval = *d;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::FormatDuration(o.interval); },
       nullptr},
      {"rate", "rate (bits/s)", "0", "--rate=1G",
       "Each stream sender paces itself to this many bits per second of "
       "messages, per connection (as iperf3 -b, per stream); K/M/G/T are "
       "powers of 1000; 0: unpaced. Datagram cells report the loss",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<double> r = Rate(v);
         if (!r.ok()) return r.status();
         o->rate_bps = *r;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return RateText(o.rate_bps); }, NotStream},
      {"batch", "whole number", "0", "--batch=44",
       "Datagram cells (udp, udp_gso): messages per send() of the sender, "
       "1..1024; 0: as many as fit in 64 KiB (65536 / size), at most 64",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<int64_t> n = Count(v, 0, 1024, "");
         if (!n.ok()) return n.status();
         o->batch = static_cast<uint32_t>(*n);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.batch); }, NotStream},
      {"rr-timeout", "duration with a unit", "200ms", "--rr-timeout=50ms",
       "Datagram request-response: how long the client waits for each "
       "response before it counts a timeout (rr_timeouts) and sends the "
       "next request",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<absl::Duration> d =
             Duration(v, absl::Milliseconds(1), /*min_inclusive=*/true);
         if (!d.ok()) return d.status();
         o->rr_timeout = *d;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::FormatDuration(o.rr_timeout); },
       [](const RunOptions& o) -> const char* {
         return o.mode != Mode::kRequestResponse
                    ? "it bounds a request-response wait, and the mode is "
                      "stream"
                    : nullptr;
       }},
      {"request-size", "size", "", "--request-size=64",
       "rr and crr request size in bytes (default: the cell's size)", kForRun,
       false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<uint64_t> s = Size(v);
         if (!s.ok()) return s.status();
         o->request_size = *s;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return OptionalSize(o.request_size); }, NotRr},
      {"response-size", "size", "", "--response-size=4K",
       "rr and crr response size in bytes (default: the cell's size)", kForRun,
       false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<uint64_t> s = Size(v);
         if (!s.ok()) return s.status();
         o->response_size = *s;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return OptionalSize(o.response_size); },
       NotRr},
      {"reps", "auto or a whole number", "auto", "--reps=5",
       "Repetitions of every cell, in interleaved rounds: auto (repeat each "
       "cell until the 95% CI of its figure is within --ci-target, 3 to "
       "--max-reps times, within --time-budget) or a fixed number",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v == "auto") {
           o->reps_auto = true;
           return absl::OkStatus();
         }
         absl::StatusOr<int64_t> n = Count(v, 1, 1000, "");
         if (!n.ok()) return n.status();
         o->reps = static_cast<int>(*n);
         o->reps_auto = false;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return o.reps_auto ? std::string("auto") : absl::StrCat(o.reps);
       },
       nullptr},
      {"max-reps", "whole number", "10", "--max-reps=20",
       "--reps=auto: the most samples of a cell; a cell that has not "
       "converged by then is marked unconverged",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<int64_t> n = Count(v, o->min_reps, 1000, "");
         if (!n.ok()) return n.status();
         o->max_reps = static_cast<int>(*n);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.max_reps); }, FixedReps},
      {"ci-target", "number (percent)", "2", "--ci-target=1",
       "--reps=auto: a cell has converged when the 95% CI of its figure "
       "(the median's from 6 samples, the mean's before) lies within this "
       "many percent of the estimate",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         double pct = 0;
         if (!absl::SimpleAtod(v, &pct)) return Problem("not a number");
         if (!(pct > 0 && pct <= 100)) {
           return Problem("must be a percentage above 0 (at most 100)");
         }
         o->ci_target = pct / 100;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.ci_target * 100); },
       FixedReps},
      {"time-budget", "duration with a unit", "", "--time-budget=10m",
       "--reps=auto: the time the whole run may take; a further round of "
       "the cells still repeating starts only if it fits (every cell gets "
       "its first 3 samples)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::Duration d;
         if (!absl::ParseDuration(std::string(v), &d)) {
           return Problem("not a duration with a unit");
         }
         if (d <= absl::ZeroDuration()) return Problem("must be above 0s");
         if (d > kMaxBudget) return Problem("must be at most 168h");
         o->time_budget = d;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return o.time_budget > absl::ZeroDuration()
                    ? absl::FormatDuration(o.time_budget)
                    : std::string();
       },
       FixedReps},
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
      {"verify", "boolean", "false", "--verify",
       "Check every byte received against a pattern the sender writes into "
       "each message (by connection, direction, message and offset); the "
       "first wrong byte fails the cell as \"corrupt: message N offset M\". "
       "Costs CPU on both sides (one more pass over every byte sent and "
       "received), so off by default",
       kForRun, false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->verify = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(o.verify ? "true" : "false");
       },
       nullptr},
      {"json", "boolean", "false", "--json",
       "Print the summary (statistics per cell) as JSON on stdout instead of "
       "the table (--version: the build facts; history: the figures or the "
       "check)",
       kForRun | kForRerun | kForHistory | kForVersion, false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->json = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(o.json ? "true" : "false");
       },
       nullptr},
      {"out", "path", "", "--out=results/mine",
       "Results directory (must not exist or be empty); default: "
       "results/<UTC time>-<id>/ under the working directory",
       kForRun | kForRerun, false, false,
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
      {"transport-opt", "option", "",
       "--transport-opt=TRANSPORT.KEY=VALUE (keys from copyscope list)",
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
       "MTU of the veth with netns isolation; 0: the kernel's default", kForRun,
       false, false,
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
      {"peer", "peer", "", "--peer=198.18.0.1:7000",
       "Run one side on another host, in an agent there: ADDR:PORT reaches "
       "`copyscope agent --listen` (with --token-file), ssh://[user@]host"
       "[:port] starts `copyscope agent --stdio` over ssh. The peer runs "
       "the server side unless --peer-role=client; isolation and pinning "
       "apply to this host's side",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty peer");
         o->peer = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.peer; }, nullptr},
      {"token-file", "path", "", "--token-file=/root/copyscope.token",
       "The secret shared with the peer's `agent --listen` (a file only its "
       "owner can read); it never crosses the wire",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty path");
         o->token_file = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.token_file; }, NotTcp},
      {"peer-role", "side", "server", "--peer-role=client",
       "Which side runs on the peer: server or client", kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v == "server") {
           o->peer_role = Side::kServer;
         } else if (v == "client") {
           o->peer_role = Side::kClient;
         } else {
           return Problem("not server or client");
         }
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return std::string(SideName(o.peer_role)); },
       OneHost},
      {"ssh", "command", "ssh",
       "--ssh=\"ssh -i ~/.ssh/lab -F ~/.ssh/lab.conf\"",
       "The ssh command and its options for --peer=ssh://... (e.g. -F, -i, "
       "-J for a jump host)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (absl::StripAsciiWhitespace(v).empty()) return Problem("empty");
         o->ssh = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.ssh; }, NotSsh},
      {"remote-copyscope", "path", "copyscope",
       "--remote-copyscope=/opt/copyscope/bin/copyscope",
       "The copyscope binary on the ssh peer (its in-tree plugins come with "
       "it)",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty path");
         o->remote_copyscope = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.remote_copyscope; }, NotSsh},
      {"deploy", "boolean", "false", "--deploy",
       "Copy this build's copyscope and the run's plugins to the ssh peer "
       "(a private temporary directory), run them there, remove them at "
       "the end",
       kForRun, false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->deploy = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(o.deploy ? "true" : "false");
       },
       NotSsh},
      {"data-address", "IP address", "", "--data-address=10.0.0.2",
       "The peer's address for data connections when it differs from the "
       "one the control connection reached (a management network beside "
       "the fast NIC); an IPv6 address serves --family=inet6 cells",
       kForRun, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         unsigned char buf[sizeof(in6_addr)];
         const std::string text(v);
         if (inet_pton(AF_INET, text.c_str(), buf) != 1 &&
             inet_pton(AF_INET6, text.c_str(), buf) != 1) {
           return Problem("not an IPv4 or IPv6 address");
         }
         o->data_address = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.data_address; }, DataAddressIdle},
      {"allow-mismatch", "boolean", "false", "--allow-mismatch",
       "Run although the peer's copyscope or a plugin differs from this "
       "host's (a different build); the record says so",
       kForRun, false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->allow_mismatch = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(o.allow_mismatch ? "true" : "false");
       },
       OneHost},
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
       "Print the cells and each thread count's CPU plan, run nothing", kForRun,
       false, true,
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
       "rr and crr modes, where counting every context switch would "
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
           for (const std::string& e : *items)
             AddUnique(e, &o->counters.events);
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
      {"history", "path", "", "--history=results/history.sqlite",
       "The results history (SQLite) every complete run is appended to and "
       "`history` reads; default: $XDG_DATA_HOME/copyscope/history.sqlite, "
       "~/.local/share/copyscope/history.sqlite when XDG_DATA_HOME is unset",
       kForRun | kForRerun | kForHistory | kForImport, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty path");
         o->history.path = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.history.path; }, NoHistory},
      {"no-history", "boolean", "false", "--no-history",
       "Do not append this run to the results history", kForRun | kForRerun,
       false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->history.off = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(o.history.off ? "true" : "false");
       },
       nullptr},
      {"transport", "transport name", "", "--transport=two_copy",
       "The cells of one transport (the sending plugin)", kForHistory, false,
       false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         if (v.empty()) return Problem("empty name");
         o->history.transport = std::string(v);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.history.transport; }, nullptr},
      {"size", "size", "", "--size=64K", "The cells of one message size",
       kForHistory, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<uint64_t> s = Size(v);
         if (!s.ok()) return s.status();
         o->history.size = *s;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return OptionalSize(o.history.size); },
       nullptr},
      {"last", "whole number", "0", "--last=10",
       "Only the N most recent runs that have a matching cell; 0: every run",
       kForHistory, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<int64_t> n = Count(v, 0, 1000000, "runs");
         if (!n.ok()) return n.status();
         o->history.last = static_cast<int>(*n);
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return absl::StrCat(o.history.last); },
       nullptr},
      {"testbed", "testbed", "", "--testbed=all",
       "The testbed whose runs are shown or checked: all, or a fingerprint "
       "(its first 8 or more hex digits do); default: the latest run's",
       kForHistory, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         const std::string t = absl::AsciiStrToLower(v);
         const bool hex =
             t.size() >= 8 && t.size() <= 64 &&
             t.find_first_not_of("0123456789abcdef") == std::string::npos;
         if (t != "all" && !hex) {
           return Problem("not all nor 8 to 64 hex digits of a fingerprint");
         }
         o->history.testbed = t;
         return absl::OkStatus();
       },
       [](const RunOptions& o) { return o.history.testbed; }, nullptr},
      {"check", "boolean", "false", "--check",
       "Test the latest run's cells against their earlier runs on its "
       "testbed (rank test and change points); exit 1, one line per cell "
       "that got worse beyond the noise",
       kForHistory, false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->history.check = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(o.history.check ? "true" : "false");
       },
       nullptr},
      {"fail-above", "number (percent)", "0", "--fail-above=10",
       "With --check: a regression counts only when even the favourable end "
       "of its 95% interval is worse than this many percent",
       kForHistory, false, false,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         double pct = 0;
         if (!absl::SimpleAtod(v, &pct)) return Problem("not a number");
         if (!(pct >= 0 && pct < 100)) {
           return Problem("must be a percentage from 0 to below 100");
         }
         o->history.fail_above = pct / 100;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return absl::StrCat(o.history.fail_above * 100);
       },
       NoCheck},
      {"env", "boolean", "false", "--env",
       "The recorded environment (host, build, plugins, isolation, topology) "
       "instead of the tables",
       kForShow, false, true,
       [](absl::string_view v, RunOptions* o) -> absl::Status {
         absl::StatusOr<bool> b = Bool(v);
         if (!b.ok()) return b.status();
         o->show_env = *b;
         return absl::OkStatus();
       },
       [](const RunOptions& o) {
         return std::string(o.show_env ? "true" : "false");
       },
       nullptr},
  };
  return *table;
}

}  // namespace

const std::vector<FlagDef>& Flags() { return Table(); }

}  // namespace copyscope::config
