#include "harness/cli/history_report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/config/text_table.h"
#include "harness/record/metrics.h"
#include "harness/record/run_summary.h"

namespace copyscope::cli {
namespace {

// --- JSON, written by hand: a few shapes, every string escaped. ----------

std::string Str(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Num(double v) {
  return std::isfinite(v) ? absl::StrFormat("%.12g", v) : "null";
}

std::string Num(const std::optional<double>& v) { return v ? Num(*v) : "null"; }

std::string Bool(bool b) { return b ? "true" : "false"; }

// {"a": 1, "b": "x"} from pairs of a name and its JSON text.
std::string Object(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::string> parts;
  parts.reserve(fields.size());
  for (const auto& [name, value] : fields) {
    parts.push_back(absl::StrCat(Str(name), ": ", value));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

std::string Array(const std::vector<std::string>& items,
                  const std::string& sep = ", ") {
  return absl::StrCat("[", absl::StrJoin(items, sep), "]");
}

std::string KeyJson(const record::HistoryKey& k) {
  return Object({{"transport", Str(k.transport)},
                 {"recv_transport", Str(k.recv_transport)},
                 {"size", absl::StrCat(k.size)},
                 {"threads", absl::StrCat(k.threads)},
                 {"mode", Str(k.mode)},
                 {"fields", absl::StrCat(k.fields)},
                 {"direction", Str(k.direction)},
                 {"request_size", absl::StrCat(k.request_size)},
                 {"response_size", absl::StrCat(k.response_size)}});
}

// --- Text. ---------------------------------------------------------------

// Figures as a table shows them: 4 significant digits or whole numbers.
std::string Figure(double v) {
  const double a = std::fabs(v);
  if (a >= 1000) return absl::StrFormat("%.0f", v);
  if (a >= 100) return absl::StrFormat("%.1f", v);
  if (a >= 10) return absl::StrFormat("%.2f", v);
  return absl::StrFormat("%.3f", v);
}

// "2025-01-01T12:00:00Z" from "2025-01-01T12:00:00.000Z".
std::string When(const std::string& rfc3339) {
  size_t dot = rfc3339.find('.');
  if (dot == std::string::npos) return rfc3339;
  return absl::StrCat(rfc3339.substr(0, dot), "Z");
}

std::string Percent(const std::optional<double>& rel) {
  return rel ? absl::StrFormat("%+.1f%%", *rel * 100) : std::string("?");
}

const char* BetterText(const std::string& metric) {
  const record::MetricDef* d = record::FindMetric(metric);
  if (d == nullptr) return "";
  switch (d->better) {
    case record::Better::kHigher:
      return "higher is better";
    case record::Better::kLower:
      return "lower is better";
    case record::Better::kNeither:
      return "";
  }
  return "";
}

std::string ChangeJson(const record::Change* c) {
  if (c == nullptr) return "null";
  auto run = [](const record::RunRef& r) {
    return Object(
        {{"run_id", Str(r.run_id)}, {"build", Str(record::BuildLabel(r))}});
  };
  return Object({{"before", run(c->before)},
                 {"after", run(c->after)},
                 {"n_before", absl::StrCat(c->n_before)},
                 {"n_after", absl::StrCat(c->n_after)},
                 {"p", Num(c->p)},
                 {"shift", Num(c->shift)},
                 {"ci_low", Num(c->ci_low)},
                 {"ci_high", Num(c->ci_high)},
                 {"rel", Num(c->rel)},
                 {"rel_low", Num(c->rel_low)},
                 {"rel_high", Num(c->rel_high)},
                 {"worse", Bool(c->worse)}});
}

}  // namespace

bool HigherIsBetter(const record::CellHistory& cell) {
  const record::MetricDef* d = record::FindMetric(cell.metric);
  return d == nullptr || d->better != record::Better::kLower;
}

std::string CellKeyLabel(const record::HistoryKey& key) {
  std::string label =
      absl::StrCat(record::HistoryKeyLabel(key), ", ", key.fields,
                   key.fields == 1 ? " field" : " fields");
  if (key.mode == "stream" && !key.direction.empty() &&
      key.direction != "server-to-client") {
    absl::StrAppend(&label, ", ", key.direction);
  }
  return label;
}

std::string FormatHistory(const std::vector<record::CellHistory>& cells,
                          bool with_testbed) {
  std::string out;
  for (const record::CellHistory& cell : cells) {
    const record::MetricDef* d = record::FindMetric(cell.metric);
    std::string title = absl::StrCat(CellKeyLabel(cell.key), ": ", cell.metric);
    if (d != nullptr) absl::StrAppend(&title, " (", d->unit, ")");
    if (*BetterText(cell.metric) != '\0') {
      absl::StrAppend(&title, ", ", BetterText(cell.metric));
    }
    absl::StrAppend(&out, out.empty() ? "" : "\n", title, "\n");
    std::vector<std::string> header = {"run",    "build", "started", "median",
                                       "95% CI", "n",     "status"};
    std::vector<bool> right = {false, false, false, true, false, true, false};
    if (with_testbed) {
      header.push_back("testbed");
      right.push_back(false);
    }
    std::vector<std::vector<std::string>> rows;
    for (const record::HistoryPoint& p : cell.points) {
      std::vector<std::string> row = {
          p.run.run_id,
          record::BuildLabel(p.run),
          When(p.run.started_utc),
          p.median ? Figure(*p.median) : "-",
          p.ci95_low && p.ci95_high
              ? absl::StrCat("[", Figure(*p.ci95_low), ", ",
                             Figure(*p.ci95_high), "]")
              : "-",
          absl::StrCat(p.n),
          absl::StrCat(p.status, p.unstable ? " (unstable)" : "")};
      if (with_testbed) row.push_back(p.fingerprint.substr(0, 12));
      rows.push_back(std::move(row));
    }
    std::string table = config::FormatColumns(header, rows, right);
    // Indented under its title.
    size_t start = 0;
    while (start < table.size()) {
      size_t end = table.find('\n', start);
      if (end == std::string::npos) end = table.size();
      absl::StrAppend(&out, "  ", table.substr(start, end - start), "\n");
      start = end + 1;
    }
  }
  return out;
}

std::string HistoryJson(const std::string& path, const std::string& testbed,
                        const std::vector<record::CellHistory>& cells) {
  std::vector<std::string> cell_items;
  for (const record::CellHistory& cell : cells) {
    const record::MetricDef* d = record::FindMetric(cell.metric);
    std::vector<std::string> points;
    for (const record::HistoryPoint& p : cell.points) {
      std::vector<std::string> values;
      values.reserve(p.values.size());
      for (double v : p.values) values.push_back(Num(v));
      points.push_back(Object({{"run_id", Str(p.run.run_id)},
                               {"started_utc", Str(p.run.started_utc)},
                               {"build", Str(record::BuildLabel(p.run))},
                               {"git_commit", Str(p.run.git_commit)},
                               {"git_dirty", absl::StrCat(p.run.git_dirty)},
                               {"version", Str(p.run.version)},
                               {"testbed", Str(p.fingerprint)},
                               {"status", Str(p.status)},
                               {"median", Num(p.median)},
                               {"ci95_low", Num(p.ci95_low)},
                               {"ci95_high", Num(p.ci95_high)},
                               {"n", absl::StrCat(p.n)},
                               {"unstable", Bool(p.unstable)},
                               {"values", Array(values)}}));
    }
    cell_items.push_back(
        Object({{"key", KeyJson(cell.key)},
                {"label", Str(CellKeyLabel(cell.key))},
                {"metric", Str(cell.metric)},
                {"unit", Str(d != nullptr ? d->unit : "")},
                {"better", Str(HigherIsBetter(cell) ? "higher" : "lower")},
                {"points", Array(points, ",\n      ")}}));
  }
  return absl::StrCat("{", Str("history"), ": ", Str(path), ",\n ",
                      Str("testbed"), ": ", Str(testbed), ",\n ", Str("cells"),
                      ": ", Array(cell_items, ",\n  "), "}\n");
}

const record::Change* DecidingChange(const record::CellCheck& check,
                                     const record::CheckOptions& options) {
  const double alpha = options.alpha / 2;
  if (check.latest) {
    const record::Change& c = *check.latest;
    const bool beyond_floor =
        !check.noise_floor || !c.rel || std::fabs(*c.rel) >= *check.noise_floor;
    if (c.p < alpha && c.shift != 0 && beyond_floor) return &c;
  }
  if (check.step) return &*check.step;
  return check.latest ? &*check.latest : nullptr;
}

bool Counts(const record::CellCheck& check, double fail_above) {
  if (check.verdict != record::Verdict::kRegressed) return false;
  if (fail_above <= 0) return true;
  const record::Change* c = DecidingChange(check);
  if (c == nullptr) return true;
  // The favourable end: of a fall, the upper; of a rise, the lower.
  const std::optional<double> end = check.higher_is_better
                                        ? (c->rel_high ? c->rel_high : c->rel)
                                        : (c->rel_low ? c->rel_low : c->rel);
  if (!end) return true;
  return check.higher_is_better ? *end < -fail_above : *end > fail_above;
}

std::string RegressionLine(const record::CellCheck& check) {
  const record::Change* c = DecidingChange(check);
  if (c == nullptr) {
    return absl::StrCat("regressed: ", CellKeyLabel(check.key), ": ",
                        check.reason);
  }
  const bool latest = check.latest && c == &*check.latest;
  std::string size =
      c->rel ? Percent(c->rel) : absl::StrFormat("%+g", c->shift);
  if (c->rel_low && c->rel_high) {
    absl::StrAppend(&size, " [", Percent(c->rel_low), ", ",
                    Percent(c->rel_high), "]");
  }
  const std::optional<double> floor =
      latest ? check.noise_floor : check.within_run_spread;
  return absl::StrCat(
      "regressed: ", CellKeyLabel(check.key), ": ", check.metric, " ", size,
      ", p=", absl::StrFormat("%.2g", c->p), " (",
      latest ? absl::StrCat("the latest run against ", c->n_before,
                            " repetitions of earlier runs")
             : absl::StrCat("a step over ", c->n_after, " runs against ",
                            c->n_before),
      "; noise floor ",
      floor ? absl::StrFormat("%.1f%%", *floor * 100) : std::string("unknown"),
      "); build before: ", record::BuildLabel(c->before), " (run ",
      c->before.run_id, "), after: ", record::BuildLabel(c->after), " (run ",
      c->after.run_id, ")");
}

std::string CheckJson(const std::string& path, const std::string& run_id,
                      const std::string& testbed,
                      const std::vector<record::CellCheck>& checks,
                      double fail_above) {
  int regressed = 0;
  std::vector<std::string> items;
  for (const record::CellCheck& c : checks) {
    const bool counts = Counts(c, fail_above);
    regressed += counts;
    std::vector<std::string> cps;
    cps.reserve(c.change_points.size());
    for (int i : c.change_points) cps.push_back(absl::StrCat(i));
    items.push_back(
        Object({{"key", KeyJson(c.key)},
                {"label", Str(CellKeyLabel(c.key))},
                {"metric", Str(c.metric)},
                {"verdict", Str(record::VerdictName(c.verdict))},
                {"counts", Bool(counts)},
                {"reason", Str(c.reason)},
                {"runs", absl::StrCat(c.runs)},
                {"within_run_spread", Num(c.within_run_spread)},
                {"between_run_band", Num(c.between_run_band)},
                {"noise_floor", Num(c.noise_floor)},
                {"latest", ChangeJson(c.latest ? &*c.latest : nullptr)},
                {"step", ChangeJson(c.step ? &*c.step : nullptr)},
                {"change_points", Array(cps)}}));
  }
  return absl::StrCat(
      "{", Str("history"), ": ", Str(path), ",\n ", Str("run"), ": ",
      Str(run_id), ",\n ", Str("testbed"), ": ", Str(testbed), ",\n ",
      Str("fail_above"), ": ", Num(fail_above), ",\n ", Str("regressed"), ": ",
      regressed, ",\n ", Str("cells"), ": ", Array(items, ",\n  "), "}\n");
}

}  // namespace copyscope::cli
