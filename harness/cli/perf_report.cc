#include "harness/cli/perf_report.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "harness/config/text_table.h"
#include "harness/config/units.h"
#include "harness/record/metrics.h"
#include "harness/record/record.h"
#include "harness/record/tcp_limits.h"

namespace copyscope::cli {
namespace {

using config::FormatColumns;
using config::FormatSize;
using record::CellLabel;
using record::IsTaskClock;
using record::RolePerf;

// Counts with 3 significant digits and a unit prefix: 532, 12.3K, 4.56M.
std::string Count(double v) {
  const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (v >= 999.5 && u < 4) {
    v /= 1000;
    ++u;
  }
  if (u == 0) return absl::StrFormat("%.0f", v);
  const int decimals = v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
  return absl::StrFormat("%.*f%s", decimals, v, units[u]);
}

std::string EventText(const std::string& event, double v) {
  return IsTaskClock(event) ? absl::StrFormat("%.1f", v / 1e6) : Count(v);
}

std::string FigureText(double v) {
  if (v >= 100) return Count(v);
  if (v >= 1) return absl::StrFormat("%.2f", v);
  return absl::StrFormat("%.3g", v);
}

const char* FigureTitle(absl::string_view name) {
  if (name == "ipc") return "IPC";
  if (name == "cycles_per_byte") return "cycles/B";
  if (name == "instructions_per_message") return "instr/msg";
  if (name == "llc_misses_per_kib") return "LLC miss/KiB";
  if (name == "l1_misses_per_kib") return "L1 miss/KiB";
  if (name == "context_switches_per_second") return "cs/s";
  return "?";
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The values of one column over a cell's samples.
struct Values {
  std::vector<double> values;
  bool low = false;
  std::string Text(bool figure, const std::string& event) const {
    if (values.empty()) return "-";
    double m = Median(values);
    std::string t = figure ? FigureText(m) : EventText(event, m);
    return low ? t + "*" : t;
  }
};

// One row: a cell's role over its ok samples.
struct Row {
  const record::Cell* cell;
  std::string role;
  std::map<std::string, Values> events;
  std::map<std::string, Values> figures;
};

std::string CellName(const record::CellKey& k) {
  return absl::StrCat(CellLabel(k), " ", FormatSize(k.size()), " x",
                      k.threads());
}

}  // namespace

std::string FormatPerfTable(const record::Run& run) {
  std::vector<Row> rows;
  std::vector<std::string> events;  // first-seen order
  std::vector<std::string> figures;
  std::set<std::string> events_with_value, figures_with_value;
  for (const record::Cell& cell : run.cells()) {
    std::map<std::string, size_t> by_role;  // role -> index into rows
    for (const record::Sample& sample : cell.samples()) {
      if (sample.status() != "ok") continue;
      for (const RolePerf& rp : record::RolePerfOf(sample)) {
        auto [it, inserted] = by_role.emplace(rp.role, rows.size());
        if (inserted) rows.push_back({&cell, rp.role, {}, {}});
        Row& row = rows[it->second];
        for (const perfmon::Reading& r : rp.totals) {
          if (std::find(events.begin(), events.end(), r.event()) ==
              events.end()) {
            events.push_back(r.event());
          }
          Values& v = row.events[r.event()];
          if (std::optional<double> value = r.value()) {
            v.values.push_back(*value);
            v.low = v.low || r.low_coverage();
            events_with_value.insert(r.event());
          }
        }
        for (const auto& [name, f] : rp.derived.Named()) {
          if (std::find(figures.begin(), figures.end(), name) ==
              figures.end()) {
            figures.push_back(name);
          }
          if (f->value) {
            Values& v = row.figures[name];
            v.values.push_back(*f->value);
            v.low = v.low || f->low_coverage;
            figures_with_value.insert(name);
          }
        }
      }
    }
  }
  if (rows.empty()) return "";

  std::vector<std::string> header = {"transport", "size", "threads", "role"};
  std::vector<bool> right = {false, true, true, false};
  std::vector<std::string> missing;
  for (const std::string& e : events) {
    if (!events_with_value.count(e)) {
      missing.push_back(e);
      continue;
    }
    header.push_back(IsTaskClock(e) ? e + " ms" : e);
    right.push_back(true);
  }
  for (const std::string& f : figures) {
    if (!figures_with_value.count(f)) continue;
    header.push_back(FigureTitle(f));
    right.push_back(true);
  }
  bool low = false;
  std::vector<std::vector<std::string>> lines;
  for (const Row& row : rows) {
    const record::CellKey& k = row.cell->key();
    std::vector<std::string> line = {CellLabel(k), FormatSize(k.size()),
                                     absl::StrCat(k.threads()), row.role};
    for (const std::string& e : events) {
      if (!events_with_value.count(e)) continue;
      auto it = row.events.find(e);
      line.push_back(it == row.events.end() ? "-" : it->second.Text(false, e));
    }
    for (const std::string& f : figures) {
      if (!figures_with_value.count(f)) continue;
      auto it = row.figures.find(f);
      line.push_back(it == row.figures.end() ? "-" : it->second.Text(true, f));
    }
    for (const std::string& c : line) low = low || absl::EndsWith(c, "*");
    lines.push_back(std::move(line));
  }
  std::string out =
      "counters per role (measured interval, summed over the role's threads; "
      "median of the ok samples):\n";
  absl::StrAppend(&out, FormatColumns(header, lines, right));
  if (low) {
    absl::StrAppend(&out,
                    "* coverage below 50%: multiplexed or not always "
                    "running; the value is scaled\n");
  }
  if (!missing.empty()) {
    absl::StrAppend(
        &out, "not counted in any cell: ", absl::StrJoin(missing, ", "), "\n");
  }
  return out;
}

std::vector<std::string> PlacementAnomalies(const record::Run& run) {
  std::vector<std::string> out;
  for (const record::Cell& cell : run.cells()) {
    for (const record::Sample& sample : cell.samples()) {
      for (const record::Connection& c : sample.connections()) {
        for (const record::ThreadReport* t : {&c.server(), &c.client()}) {
          if (!t->migrated_while_pinned()) continue;
          std::string migrations =
              t->has_migrations()
                  ? absl::StrCat(t->migrations(), t->migrations() == 1
                                                      ? " migration"
                                                      : " migrations")
                  : "migrations unknown";
          out.push_back(absl::StrCat(
              "anomaly: ", CellName(cell.key()), " rep ", sample.rep(), ": ",
              t->side(), " ", t->connection(), " pinned to CPU ",
              t->pinned_cpu(), " ran on CPUs ",
              absl::StrJoin(t->cpus_seen(), ","), " (start ",
              t->has_start_cpu() ? absl::StrCat(t->start_cpu()) : "?", ", end ",
              t->has_end_cpu() ? absl::StrCat(t->end_cpu()) : "?", "), ",
              migrations));
        }
      }
    }
  }
  return out;
}

bool AnyPinned(const record::Run& run) {
  for (const record::Cell& cell : run.cells()) {
    for (const record::Sample& sample : cell.samples()) {
      for (const record::Connection& c : sample.connections()) {
        for (const record::ThreadReport* t : {&c.server(), &c.client()}) {
          // A placement was recorded (proto3 reads an absent pinned_cpu
          // as 0) and says pinned.
          if (t->pinned_cpu() >= 0 &&
              (t->has_start_cpu() || !t->cpus_seen().empty())) {
            return true;
          }
        }
      }
    }
  }
  return false;
}

std::string FormatPlacementTable(const record::Run& run) {
  struct Seen {
    int pinned = -1;
    std::set<int> start, end, cpus;
    std::optional<int64_t> migrations;  // the most over the samples
    bool migrations_unknown = false;
  };
  std::vector<std::vector<std::string>> lines;
  for (const record::Cell& cell : run.cells()) {
    // (side, connection) -> what the samples saw.
    std::map<std::pair<std::string, int>, Seen> threads;
    for (const record::Sample& sample : cell.samples()) {
      for (const record::Connection& c : sample.connections()) {
        for (const record::ThreadReport* t : {&c.server(), &c.client()}) {
          if (!t->has_start_cpu() && !t->has_end_cpu() &&
              t->cpus_seen().empty()) {
            continue;
          }
          Seen& s = threads[{t->side(), t->connection()}];
          s.pinned = t->pinned_cpu();
          if (t->has_start_cpu()) s.start.insert(t->start_cpu());
          if (t->has_end_cpu()) s.end.insert(t->end_cpu());
          s.cpus.insert(t->cpus_seen().begin(), t->cpus_seen().end());
          if (t->has_migrations()) {
            s.migrations = std::max(s.migrations.value_or(0), t->migrations());
          } else {
            s.migrations_unknown = true;
          }
        }
      }
    }
    // Servers first, then clients, by connection.
    for (const char* side : {"server", "client"}) {
      for (const auto& [key, s] : threads) {
        if (key.first != side) continue;
        auto list = [](const std::set<int>& v) {
          return v.empty() ? std::string("?") : absl::StrJoin(v, ",");
        };
        lines.push_back({
            CellLabel(cell.key()),
            FormatSize(cell.key().size()),
            absl::StrCat(cell.key().threads()),
            absl::StrCat(key.first, " ", key.second),
            s.pinned >= 0 ? absl::StrCat(s.pinned) : "-",
            list(s.start),
            list(s.end),
            list(s.cpus),
            s.migrations_unknown || !s.migrations ? "?"
                                                  : absl::StrCat(*s.migrations),
        });
      }
    }
  }
  if (lines.empty()) return "";
  std::string out = "where the threads ran (over the cell's samples):\n";
  absl::StrAppend(
      &out,
      FormatColumns(
          {"transport", "size", "threads", "thread", "pinned", "start cpu",
           "end cpu", "cpus seen", "max migrations"},
          lines, {false, true, true, false, true, false, false, false, true}));
  for (const std::string& a : PlacementAnomalies(run)) {
    absl::StrAppend(&out, a, "\n");
  }
  return out;
}

std::string FormatLimits(const record::Run& run) {
  std::string out;
  for (const record::Cell& cell : run.cells()) {
    auto median = [&](const char* name) -> std::optional<double> {
      const record::Aggregate* a = record::FindAggregate(cell, name);
      if (a == nullptr || a->n() == 0) return std::nullopt;
      return a->median() / 100;
    };
    std::string why = record::ExplainLimits(median("tcp_retrans_pct"),
                                            median("tcp_rwnd_limited_pct"),
                                            median("tcp_sndbuf_limited_pct"));
    if (!why.empty()) {
      absl::StrAppend(&out, "  ", CellName(cell.key()), ": ", why, "\n");
    }
  }
  if (out.empty()) return "";
  return absl::StrCat(
      "TCP limits (the senders' TCP_INFO over the measured interval, median "
      "of the ok samples):\n",
      out);
}

std::string FormatConnectionSetup(const record::Run& run) {
  std::string out;
  for (const record::Cell& cell : run.cells()) {
    if (cell.key().mode() != "crr") continue;
    std::string why = record::ExplainConnectionSetup(cell);
    if (!why.empty()) {
      absl::StrAppend(&out, "  ", CellName(cell.key()), ": ", why, "\n");
    }
  }
  if (out.empty()) return "";
  return absl::StrCat(
      "connection setup (crr; the namespaces' TcpExt counters over the "
      "measured interval, summed over the ok samples):\n",
      out);
}

std::string FormatRunReport(const record::Run& run) {
  std::string out;
  std::string limits = FormatLimits(run);
  if (!limits.empty()) absl::StrAppend(&out, "\n", limits);
  std::string setup = FormatConnectionSetup(run);
  if (!setup.empty()) absl::StrAppend(&out, "\n", setup);
  std::string perf = FormatPerfTable(run);
  if (!perf.empty()) absl::StrAppend(&out, "\n", perf);
  // Unpinned threads may move freely: nothing to flag then.
  if (AnyPinned(run)) absl::StrAppend(&out, "\n", FormatPlacementTable(run));
  return out;
}

}  // namespace copyscope::cli
