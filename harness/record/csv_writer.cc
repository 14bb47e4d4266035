#include "harness/record/csv_writer.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "harness/record/record.h"

namespace copyscope::harness {
namespace {

// Column name -> metric whose median fills it, with its decimals; columns
// without a metric are filled by hand in SummaryCsv.
struct Column {
  const char* name;
  const char* metric;  // nullptr: special
  int decimals;
};

constexpr Column kColumns[] = {
    {"impl", nullptr, 0},
    {"size", nullptr, 0},
    {"threads", nullptr, 0},
    {"throughput_gbps", "throughput_gbps", 4},
    {"latency_us", "latency_p50_us", 3},
    {"cycles", "cycles", 0},
    {"l1_misses", "l1_misses", 0},
    {"llc_misses", "llc_misses", 0},
    {"cs", "cs", 0},
    {"mode", nullptr, 0},
    {"direction", nullptr, 0},
    {"fields", nullptr, 0},
    {"request_size", nullptr, 0},
    {"response_size", nullptr, 0},
    {"reps", nullptr, 0},
    {"throughput_ci95_low", nullptr, 4},
    {"throughput_ci95_high", nullptr, 4},
    {"primary_cv", nullptr, 4},
    {"unstable", nullptr, 0},
    {"messages_per_sec", "messages_per_sec", 1},
    {"mean_us_per_msg", "mean_us_per_msg", 4},
    {"transactions_per_sec", "transactions_per_sec", 1},
    {"latency_p90_us", "latency_p90_us", 3},
    {"latency_p99_us", "latency_p99_us", 3},
    {"latency_p999_us", "latency_p999_us", 3},
    {"latency_max_us", "latency_max_us", 3},
    {"server_cpu_util", "server_cpu_util", 4},
    {"client_cpu_util", "client_cpu_util", 4},
    {"server_bytes_per_cpu_s", "server_bytes_per_cpu_s", 0},
    {"client_bytes_per_cpu_s", "client_bytes_per_cpu_s", 0},
    {"server_cs", "server_cs", 0},
    {"client_cs", "client_cs", 0},
    {"server_cycles", "server_cycles", 0},
    {"client_cycles", "client_cycles", 0},
    {"zc_copied_fraction", "zc_copied_fraction", 4},
    {"status", nullptr, 0},
    {"plugin_counters", nullptr, 0},
    {"recv", nullptr, 0},
};

std::string Number(std::optional<double> v, int decimals) {
  return v ? absl::StrFormat("%.*f", decimals, *v) : "";
}

std::string Counters(const record::Cell& cell) {
  std::map<std::string, uint64_t> server, client;
  for (const record::Sample& s : cell.samples()) {
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

std::string Row(const record::Cell& cell) {
  const record::CellKey& k = cell.key();
  const bool rr = k.mode() == "rr";
  const record::Aggregate* tput = FindAggregate(cell, "throughput_gbps");
  const record::Aggregate* primary = FindAggregate(cell, cell.primary_metric());
  std::vector<std::string> row;
  for (const Column& col : kColumns) {
    const std::string name = col.name;
    if (col.metric != nullptr) {
      const record::Aggregate* a = FindAggregate(cell, col.metric);
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
    } else if (name == "status") {
      row.push_back(CsvField(cell.status()));
    } else if (name == "plugin_counters") {
      row.push_back(CsvField(Counters(cell)));
    } else if (name == "recv") {
      row.push_back(CsvField(k.recv_transport()));
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
  for (const Column& c : kColumns) names.push_back(c.name);
  return absl::StrJoin(names, ",");
}

std::string SummaryCsv(const record::Run& run) {
  std::string out = absl::StrCat(SummaryCsvHeader(), "\n");
  for (const record::Cell& c : run.cells()) {
    absl::StrAppend(&out, Row(c), "\n");
  }
  return out;
}

}  // namespace copyscope::harness
