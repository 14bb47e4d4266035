#include "harness/cli/table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "harness/config/text_table.h"
#include "harness/config/units.h"
#include "harness/record/record.h"
#include "harness/record/tcp_limits.h"

namespace copyscope::cli {

namespace {

using config::FormatColumns;
using config::FormatSize;
using record::CellLabel;

const record::Aggregate* Find(const record::Cell& c, const char* metric) {
  return record::FindAggregate(c, metric);
}

std::string Median(const record::Cell& c, const char* metric, double scale,
                   int decimals) {
  const record::Aggregate* a = Find(c, metric);
  return a ? absl::StrFormat("%.*f", decimals, a->median() * scale) : "-";
}

std::string Interval(const record::Aggregate* a, double scale, int decimals) {
  if (a == nullptr || !a->has_ci95_low()) return "-";
  return absl::StrFormat("[%.*f, %.*f]", decimals, a->ci95_low() * scale,
                         decimals, a->ci95_high() * scale);
}

// The median's order-statistic interval; "n/a" below 6 samples, where none
// reaches 95%.
std::string MedianInterval(const record::Aggregate* a, double scale,
                           int decimals) {
  if (a == nullptr) return "-";
  if (!a->has_median_ci95_low()) return "n/a";
  return absl::StrFormat("[%.*f, %.*f]", decimals, a->median_ci95_low() * scale,
                         decimals, a->median_ci95_high() * scale);
}

std::string Mean(const record::Aggregate* a, double scale, int decimals) {
  return a ? absl::StrFormat("%.*f", decimals, a->mean() * scale) : "-";
}

// 117.8 MiB, 12.0 KiB, 300 B.
std::string Bytes(uint64_t b) {
  const double v = static_cast<double>(b);
  if (b >= (uint64_t{1} << 30))
    return absl::StrFormat("%.2f GiB", v / (1 << 30));
  if (b >= (uint64_t{1} << 20))
    return absl::StrFormat("%.1f MiB", v / (1 << 20));
  if (b >= 1024) return absl::StrFormat("%.1f KiB", v / 1024);
  return absl::StrCat(b, " B");
}

// --reps=auto judged the cell and it did not converge.
bool Unconverged(const record::Run& run, const record::Cell& c) {
  return run.plan().reps_auto() && c.status() == "ok" && !c.converged();
}

// The "!" of a figure that is not to be trusted as it stands.
std::string Mark(const record::Run& run, const record::Cell& c) {
  return c.unstable() || Unconverged(run, c) ? "!" : "";
}

std::string Cv(const record::Aggregate* a) {
  return a && a->has_cv() ? absl::StrFormat("%.1f", a->cv() * 100) : "-";
}

std::string Cpu(const record::Cell& c) {
  const record::Aggregate* s = Find(c, "server_cpu_util");
  const record::Aggregate* k = Find(c, "client_cpu_util");
  if (!s && !k) return "-";
  auto f = [](const record::Aggregate* a) {
    return a ? absl::StrFormat("%.2f", a->median()) : std::string("-");
  };
  return absl::StrCat(f(s), "/", f(k));
}

std::string Status(const record::Run& run, const record::Cell& c) {
  if (c.status() != "ok") return c.status();
  std::string out = c.unstable() ? "ok, unstable" : "ok";
  if (Unconverged(run, c)) {
    const record::Convergence& v = c.convergence();
    absl::StrAppend(&out, ", unconverged");
    if (v.has_relative_half_width()) {
      absl::StrAppendFormat(&out, " (+-%.1f%%)", v.relative_half_width() * 100);
    }
    if (v.decision() == "time budget") absl::StrAppend(&out, " at the budget");
  }
  if (c.outliers() > 0) {
    absl::StrAppend(&out, ", ", c.outliers(),
                    c.outliers() == 1 ? " outlier" : " outliers");
  }
  if (c.trending() > 0) absl::StrAppend(&out, ", ", c.trending(), " trending");
  const record::Aggregate* ports = Find(c, "port_use_pct");
  if (ports != nullptr && ports->max() > 100 * record::kPortUseNotable) {
    absl::StrAppendFormat(&out, ", ephemeral ports %.0f%% used", ports->max());
  }
  const record::Aggregate* starved = Find(c, "starved_connections");
  if (starved != nullptr && starved->max() > 0) {
    absl::StrAppend(&out, ", starved: up to ",
                    static_cast<int64_t>(starved->max()), " of ",
                    c.key().threads(), " connections");
  }
  return out;
}

std::string StreamTable(const record::Run& run,
                        const std::vector<const record::Cell*>& cells) {
  std::vector<std::vector<std::string>> rows;
  for (const record::Cell* c : cells) {
    const record::Aggregate* t = Find(*c, "throughput_gbps");
    rows.push_back({
        CellLabel(c->key()),
        FormatSize(c->key().size()),
        absl::StrCat(c->key().threads()),
        absl::StrCat(c->samples_size()),
        Median(*c, "throughput_gbps", 1, 2) + Mark(run, *c),
        MedianInterval(t, 1, 2),
        Mean(t, 1, 2),
        Interval(t, 1, 2),
        Cv(t),
        Median(*c, "messages_per_sec", 1e-6, 3),
        Cpu(*c),
        Median(*c, "zc_copied_fraction", 100, 1),
        Status(run, *c),
    });
  }
  return FormatColumns(
      {"transport", "size", "threads", "reps", "Gbit/s", "95% CI", "mean",
       "mean 95% CI", "cv %", "Mmsg/s", "cpu srv/cli", "zc copied %", "status"},
      rows,
      {false, true, true, true, true, true, true, true, true, true, true, true,
       false});
}

// rr (transactions on open connections) or crr (a connection per
// transaction: its rate, and the TIME_WAIT sockets it leaves).
std::string RrTable(const record::Run& run,
                    const std::vector<const record::Cell*>& cells, bool crr) {
  const char* rate = crr ? "connections_per_sec" : "transactions_per_sec";
  std::vector<std::vector<std::string>> rows;
  for (const record::Cell* c : cells) {
    const record::Aggregate* t = Find(*c, rate);
    const record::CellKey& k = c->key();
    std::string size = FormatSize(k.size());
    if (k.request_size() != k.size() || k.response_size() != k.size()) {
      size = absl::StrCat(FormatSize(k.request_size()), "/",
                          FormatSize(k.response_size()));
    }
    std::vector<std::string> row = {
        CellLabel(k),
        size,
        absl::StrCat(k.threads()),
        absl::StrCat(c->samples_size()),
        Median(*c, rate, 1e-3, 2) + Mark(run, *c),
        MedianInterval(t, 1e-3, 2),
        Mean(t, 1e-3, 2),
        Interval(t, 1e-3, 2),
        Cv(t),
        Median(*c, "latency_p50_us", 1, 1),
        Median(*c, "latency_p90_us", 1, 1),
        Median(*c, "latency_p99_us", 1, 1),
        Median(*c, "latency_p999_us", 1, 1),
        Median(*c, "latency_max_us", 1, 1),
    };
    if (crr) row.push_back(Median(*c, "time_wait_sockets", 1, 0));
    row.push_back(Cpu(*c));
    row.push_back(Status(run, *c));
    rows.push_back(std::move(row));
  }
  std::vector<std::string> head = {"transport",
                                   "size",
                                   "threads",
                                   "reps",
                                   crr ? "kconn/s" : "ktrans/s",
                                   "95% CI",
                                   "mean",
                                   "mean 95% CI",
                                   "cv %",
                                   "p50 us",
                                   "p90 us",
                                   "p99 us",
                                   "p99.9 us",
                                   "max us"};
  if (crr) head.push_back("TIME_WAIT");
  head.push_back("cpu srv/cli");
  head.push_back("status");
  std::vector<bool> right(head.size(), true);
  right[0] = false;
  right.back() = false;
  // Latency under load: the background's throughput beside the latency.
  bool background = false;
  for (const record::Cell* c : cells) {
    background = background || !c->key().background().empty();
  }
  if (background) {
    const size_t at = head.size() - 2;  // before cpu and status
    head.insert(head.begin() + at, "bg Gbit/s");
    right.insert(right.begin() + at, true);
    for (size_t i = 0; i < rows.size(); ++i) {
      rows[i].insert(rows[i].begin() + at,
                     cells[i]->key().background().empty()
                         ? std::string("-")
                         : Median(*cells[i], "background_gbps", 1, 3));
    }
  }
  return FormatColumns(head, rows, right);
}

}  // namespace

std::string FormatTable(const record::Run& run) {
  std::vector<const record::Cell*> stream, rr, crr;
  int unstable = 0, unconverged = 0, converged = 0, outliers = 0;
  for (const record::Cell& c : run.cells()) {
    (c.key().mode() == "rr"    ? rr
     : c.key().mode() == "crr" ? crr
                               : stream)
        .push_back(&c);
    unstable += c.unstable() ? 1 : 0;
    unconverged += Unconverged(run, c) ? 1 : 0;
    converged += c.converged() ? 1 : 0;
    outliers += static_cast<int>(c.outliers());
  }
  std::string out;
  if (!stream.empty() || (rr.empty() && crr.empty())) {
    out += StreamTable(run, stream);
  }
  for (const auto* cells : {&rr, &crr}) {
    if (cells->empty()) continue;
    if (!out.empty()) out += "\n";
    out += RrTable(run, *cells, cells == &crr);
  }
  if (!run.cells().empty()) {
    absl::StrAppend(&out,
                    "medians over the repetitions with their 95% CI (order "
                    "statistics; n/a below 6 samples), means with theirs "
                    "(Student t); latency = client round trip (rr only)");
    if (!crr.empty()) {
      absl::StrAppend(&out,
                      "; crr: connections/s, latency = whole transaction "
                      "(connect to close), TIME_WAIT = sockets in TIME_WAIT "
                      "in the client's namespace at the end");
    }
    absl::StrAppend(&out, "\n");
  }
  const record::Plan& p = run.plan();
  if (p.reps_auto() && !run.cells().empty()) {
    absl::StrAppendFormat(
        &out,
        "repetitions: auto, %d to %d per cell until the 95%% CI is within "
        "+-%g%% (--ci-target): %d of %d cells converged\n",
        p.min_reps(), p.max_reps(), p.ci_target() * 100, converged,
        run.cells_size());
  }
  if (unstable > 0) {
    absl::StrAppend(&out, "! unstable: CV above ",
                    absl::StrFormat("%g", p.max_cv() * 100),
                    "% (--max-cv); rerun with more --reps or a quieter "
                    "machine\n");
  }
  if (unconverged > 0) {
    absl::StrAppend(&out,
                    "! unconverged: the 95% CI is wider than the target after "
                    "the samples taken (--max-reps, --time-budget)\n");
  }
  if (outliers > 0) {
    absl::StrAppend(&out,
                    "outliers: samples outside median +- 3 scaled MAD, flagged "
                    "in the record (Sample.outlier) and kept in the "
                    "figures\n");
  }
  // Datagram cells: what the sequence numbers said (medians).
  for (const record::Cell& c : run.cells()) {
    const record::Aggregate* loss = record::FindAggregate(c, "loss_pct");
    const record::Aggregate* timeouts = record::FindAggregate(c, "rr_timeouts");
    if (loss == nullptr && timeouts == nullptr) continue;
    const record::CellKey& k = c.key();
    absl::StrAppend(&out, "datagrams: ", k.transport(), " ", k.size(), " x",
                    k.threads(), ": ");
    if (loss != nullptr) {
      const record::Aggregate* good = record::FindAggregate(c, "goodput_gbps");
      const record::Aggregate* sent = record::FindAggregate(c, "offered_gbps");
      const record::Aggregate* late = record::FindAggregate(c, "reordered");
      const record::Aggregate* dup = record::FindAggregate(c, "duplicates");
      absl::StrAppendFormat(&out, "%.2f%% lost", loss->median());
      if (good)
        absl::StrAppendFormat(&out, ", %.2f Gbit/s goodput", good->median());
      if (sent) absl::StrAppendFormat(&out, " of %.2f sent", sent->median());
      if (late) absl::StrAppendFormat(&out, ", %.0f reordered", late->median());
      if (dup) absl::StrAppendFormat(&out, ", %.0f duplicates", dup->median());
    } else {
      absl::StrAppendFormat(&out, "%.0f requests timed out (--rr-timeout)",
                            timeouts->median());
    }
    absl::StrAppend(&out, " (median per sample)\n");
  }
  return out;
}

std::string FormatSlices(const record::CellKey& key,
                         const record::Sample& sample) {
  const bool crr = key.mode() == "crr";
  const bool rr = key.mode() == "rr" || crr;
  std::vector<std::vector<std::string>> rows;
  for (const record::Slice& s : sample.slices()) {
    const double len = s.length_s();
    std::vector<std::string> row = {
        absl::StrFormat("%.2f-%.2f s", s.start_s(), s.start_s() + len),
        Bytes(s.bytes()),
    };
    if (len <= 0) {
      row.insert(row.end(), rr ? 4 : 2, "-");
    } else if (rr) {
      row.push_back(absl::StrFormat(
          "%.2f", static_cast<double>(s.messages()) / len / 1e3));
      const bool has = s.has_latency_p50_us();  // with p99 and max
      row.push_back(has ? absl::StrFormat("%.1f", s.latency_p50_us()) : "-");
      row.push_back(has ? absl::StrFormat("%.1f", s.latency_p99_us()) : "-");
      row.push_back(has ? absl::StrFormat("%.1f", s.latency_max_us()) : "-");
    } else {
      row.push_back(absl::StrFormat(
          "%.2f", static_cast<double>(s.bytes()) * 8 / len / 1e9));
      row.push_back(absl::StrFormat(
          "%.3f", static_cast<double>(s.messages()) / len / 1e6));
    }
    rows.push_back(std::move(row));
  }
  std::string out =
      absl::StrFormat("%s %s x%d, sample %d:\n", CellLabel(key),
                      FormatSize(key.size()), key.threads(), sample.rep());
  const std::string table =
      rr ? FormatColumns({"interval", "transfer", crr ? "kconn/s" : "ktrans/s",
                          "p50 us", "p99 us", "max us"},
                         rows, {false, true, true, true, true, true})
         : FormatColumns({"interval", "transfer", "Gbit/s", "Mmsg/s"}, rows,
                         {false, true, true, true});
  for (absl::string_view line :
       absl::StrSplit(table, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "  ", line, "\n");
  }
  const record::Trend& t = sample.trend();
  if (!t.verdict().empty()) {
    absl::StrAppend(&out, "  ", t.verdict());
    if (t.verdict() == "untested") {
      absl::StrAppend(&out, ": ", t.reason());
    } else {
      absl::StrAppendFormat(&out, " (Mann-Kendall tau %.2f, p %.2g", t.tau(),
                            t.p());
      if (t.has_relative_change()) {
        absl::StrAppendFormat(&out, ", %+.0f%% over the sample",
                              t.relative_change() * 100);
      }
      absl::StrAppend(&out, ")");
    }
    if (sample.has_retaken_trend()) {
      absl::StrAppend(&out, "; retaken with a longer warm-up");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace copyscope::cli
