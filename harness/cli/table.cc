#include "harness/cli/table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/config/text_table.h"
#include "harness/config/units.h"
#include "harness/record/record.h"

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

std::string Status(const record::Cell& c) {
  if (c.status() != "ok") return c.status();
  std::string out = c.unstable() ? "ok, unstable" : "ok";
  const record::Aggregate* starved = Find(c, "starved_connections");
  if (starved != nullptr && starved->max() > 0) {
    absl::StrAppend(&out, ", starved: up to ",
                    static_cast<int64_t>(starved->max()), " of ",
                    c.key().threads(), " connections");
  }
  return out;
}

std::string StreamTable(const std::vector<const record::Cell*>& cells) {
  std::vector<std::vector<std::string>> rows;
  for (const record::Cell* c : cells) {
    const record::Aggregate* t = Find(*c, "throughput_gbps");
    rows.push_back({
        CellLabel(c->key()),
        FormatSize(c->key().size()),
        absl::StrCat(c->key().threads()),
        absl::StrCat(c->samples_size()),
        Median(*c, "throughput_gbps", 1, 2) + (c->unstable() ? "!" : ""),
        Interval(t, 1, 2),
        Cv(t),
        Median(*c, "messages_per_sec", 1e-6, 3),
        Cpu(*c),
        Median(*c, "zc_copied_fraction", 100, 1),
        Status(*c),
    });
  }
  return FormatColumns(
      {"transport", "size", "threads", "reps", "Gbit/s", "95% CI", "cv %",
       "Mmsg/s", "cpu srv/cli", "zc copied %", "status"},
      rows,
      {false, true, true, true, true, true, true, true, true, true, false});
}

std::string RrTable(const std::vector<const record::Cell*>& cells) {
  std::vector<std::vector<std::string>> rows;
  for (const record::Cell* c : cells) {
    const record::Aggregate* t = Find(*c, "transactions_per_sec");
    const record::CellKey& k = c->key();
    std::string size = FormatSize(k.size());
    if (k.request_size() != k.size() || k.response_size() != k.size()) {
      size = absl::StrCat(FormatSize(k.request_size()), "/",
                          FormatSize(k.response_size()));
    }
    rows.push_back({
        CellLabel(k),
        size,
        absl::StrCat(k.threads()),
        absl::StrCat(c->samples_size()),
        Median(*c, "transactions_per_sec", 1e-3, 2) +
            (c->unstable() ? "!" : ""),
        Interval(t, 1e-3, 2),
        Cv(t),
        Median(*c, "latency_p50_us", 1, 1),
        Median(*c, "latency_p90_us", 1, 1),
        Median(*c, "latency_p99_us", 1, 1),
        Median(*c, "latency_p999_us", 1, 1),
        Median(*c, "latency_max_us", 1, 1),
        Cpu(*c),
        Status(*c),
    });
  }
  return FormatColumns({"transport", "size", "threads", "reps", "ktrans/s",
                        "95% CI", "cv %", "p50 us", "p90 us", "p99 us",
                        "p99.9 us", "max us", "cpu srv/cli", "status"},
                       rows,
                       {false, true, true, true, true, true, true, true, true,
                        true, true, true, true, false});
}

}  // namespace

std::string FormatTable(const record::Run& run) {
  std::vector<const record::Cell*> stream, rr;
  bool unstable = false;
  for (const record::Cell& c : run.cells()) {
    (c.key().mode() == "rr" ? rr : stream).push_back(&c);
    unstable = unstable || c.unstable();
  }
  std::string out;
  if (!stream.empty() || rr.empty()) out += StreamTable(stream);
  if (!rr.empty()) {
    if (!out.empty() && !stream.empty()) out += "\n";
    out += RrTable(rr);
  }
  if (!run.cells().empty()) {
    absl::StrAppend(&out,
                    "medians over the repetitions; 95% CI of the mean "
                    "(Student t); latency = client round trip (rr only)\n");
  }
  if (unstable) {
    absl::StrAppend(&out, "! unstable: CV above ",
                    absl::StrFormat("%g", run.plan().max_cv() * 100),
                    "% (--max-cv); rerun with more --reps or a quieter "
                    "machine\n");
  }
  return out;
}

}  // namespace copyscope::cli
