#include "harness/record/csv_writer.h"

#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "harness/record/metrics.h"
#include "harness/record/record.h"

namespace copyscope::record {
namespace {

// The columns: the reference studies' nine first, then the cell's key and
// statistics, the metrics of the catalogue that name a CSV column (metrics.h)
// in catalogue order, and last status, plugin counters, background
// (--background: "TRANSPORT:THREADS:SIZE", "" for none), recv and the
// address family (inet, inet6, unix).
constexpr const char* kLeading[] = {"impl", "size", "threads"};
constexpr const char* kKeyAndStatistics[] = {"mode",
                                             "direction",
                                             "fields",
                                             "request_size",
                                             "response_size",
                                             "reps",
                                             "throughput_ci95_low",
                                             "throughput_ci95_high",
                                             "primary_cv",
                                             "unstable",
                                             "converged",
                                             "outliers",
                                             "trending"};
constexpr const char* kTrailing[] = {"status", "plugin_counters", "background",
                                     "recv", "family"};
// Reference columns after the leading three, filled from the catalogue.
constexpr const char* kReference[] = {"throughput_gbps", "latency_us", "cycles",
                                      "l1_misses",       "llc_misses", "cs"};

struct Column {
  std::string name;
  std::string metric;  // "" for a column filled by hand in Row()
  int decimals = 0;
};

// The catalogue's CSV columns, families expanded per role.
std::vector<Column> MetricColumns() {
  std::vector<Column> out;
  for (const MetricDef& d : Catalogue()) {
    if (d.csv == nullptr) continue;
    const std::string csv = d.csv, name = d.name;
    if (absl::StartsWith(name, "{role}_")) {
      for (const char* role : {"server", "client"}) {
        out.push_back({absl::StrReplaceAll(csv, {{"{role}", role}}),
                       absl::StrReplaceAll(name, {{"{role}", role}}),
                       d.csv_decimals});
      }
    } else {
      out.push_back({csv, name, d.csv_decimals});
    }
  }
  return out;
}

const std::vector<Column>& Columns() {
  static const std::vector<Column>* const columns = [] {
    auto* out = new std::vector<Column>;
    std::vector<Column> metrics = MetricColumns();
    auto metric = [&](const std::string& csv) {
      for (const Column& c : metrics) {
        if (c.name == csv) return c;
      }
      return Column{csv, "", 0};
    };
    for (const char* c : kLeading) out->push_back({c, "", 0});
    for (const char* c : kReference) out->push_back(metric(c));
    for (const char* c : kKeyAndStatistics) {
      out->push_back({c, "",
                      absl::StartsWith(c, "throughput_ci") ||
                              std::string(c) == "primary_cv"
                          ? 4
                          : 0});
    }
    for (const Column& c : metrics) {
      bool reference = false;
      for (const char* r : kReference) reference = reference || c.name == r;
      if (!reference) out->push_back(c);
    }
    for (const char* c : kTrailing) out->push_back({c, "", 0});
    return out;
  }();
  return *columns;
}

std::string Number(std::optional<double> v, int decimals) {
  return v ? absl::StrFormat("%.*f", decimals, *v) : "";
}

std::string Counters(const Cell& cell) {
  std::map<std::string, uint64_t> server, client;
  for (const Sample& s : cell.samples()) {
    for (const auto& c : s.server_counters()) server[c.name()] += c.value();
    for (const auto& c : s.client_counters()) client[c.name()] += c.value();
  }
  std::vector<std::string> parts;
  for (const auto& [name, value] : server) {
    parts.push_back(absl::StrCat("server.", name, "=", value));
  }
  for (const auto& [name, value] : client) {
    parts.push_back(absl::StrCat("client.", name, "=", value));
  }
  return absl::StrJoin(parts, ";");
}

std::string Row(const Cell& cell) {
  const CellKey& k = cell.key();
  const bool rr = k.mode() == "rr" || k.mode() == "crr";
  const Aggregate* tput = FindAggregate(cell, "throughput_gbps");
  const Aggregate* primary = FindAggregate(cell, cell.primary_metric());
  std::vector<std::string> row;
  for (const Column& col : Columns()) {
    const std::string& name = col.name;
    if (!col.metric.empty()) {
      const Aggregate* a = FindAggregate(cell, col.metric);
      row.push_back(a ? Number(a->median(), col.decimals) : "");
    } else if (name == "impl") {
      row.push_back(CsvField(k.transport()));
    } else if (name == "size") {
      row.push_back(absl::StrCat(k.size()));
    } else if (name == "threads") {
      row.push_back(absl::StrCat(k.threads()));
    } else if (name == "mode") {
      row.push_back(k.mode());
    } else if (name == "direction") {
      row.push_back(rr ? "" : k.direction());
    } else if (name == "fields") {
      row.push_back(absl::StrCat(k.fields()));
    } else if (name == "request_size") {
      row.push_back(rr ? absl::StrCat(k.request_size()) : "");
    } else if (name == "response_size") {
      row.push_back(rr ? absl::StrCat(k.response_size()) : "");
    } else if (name == "reps") {
      row.push_back(absl::StrCat(cell.samples_size()));
    } else if (name == "throughput_ci95_low") {
      row.push_back(tput && tput->has_ci95_low()
                        ? Number(tput->ci95_low(), col.decimals)
                        : "");
    } else if (name == "throughput_ci95_high") {
      row.push_back(tput && tput->has_ci95_high()
                        ? Number(tput->ci95_high(), col.decimals)
                        : "");
    } else if (name == "primary_cv") {
      row.push_back(primary && primary->has_cv()
                        ? Number(primary->cv(), col.decimals)
                        : "");
    } else if (name == "unstable") {
      row.push_back(cell.unstable() ? "1" : "0");
    } else if (name == "converged") {
      row.push_back(cell.converged() ? "1" : "0");
    } else if (name == "outliers") {
      row.push_back(absl::StrCat(cell.outliers()));
    } else if (name == "trending") {
      row.push_back(absl::StrCat(cell.trending()));
    } else if (name == "status") {
      row.push_back(CsvField(cell.status()));
    } else if (name == "plugin_counters") {
      row.push_back(CsvField(Counters(cell)));
    } else if (name == "recv") {
      row.push_back(CsvField(k.recv_transport()));
    } else if (name == "background") {
      row.push_back(CsvField(k.background()));
    } else if (name == "family") {
      row.push_back(k.family().empty() ? "inet" : CsvField(k.family()));
    }
  }
  return absl::StrJoin(row, ",");
}

}  // namespace

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\n\r") == absl::string_view::npos) {
    return std::string(text);
  }
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string SummaryCsvHeader() {
  std::vector<std::string> names;
  for (const Column& c : Columns()) names.push_back(c.name);
  return absl::StrJoin(names, ",");
}

std::string SummaryCsv(const Run& run) {
  std::string out = absl::StrCat(SummaryCsvHeader(), "\n");
  for (const Cell& c : run.cells()) {
    absl::StrAppend(&out, Row(c), "\n");
  }
  return out;
}

}  // namespace copyscope::record
