#include "harness/csv_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace copyscope::harness {
namespace {

constexpr const char* kColumns[] = {
    "impl",
    "size",
    "threads",
    "throughput_gbps",
    "latency_us",
    "cycles",
    "l1_misses",
    "llc_misses",
    "cs",
    "fields",
    "messages_per_sec",
    "mean_us_per_msg",
    "zc_copied_fraction",
    "status",
    "plugin_counters",
};

std::string Number(const std::optional<double>& v, int decimals) {
  return v ? absl::StrFormat("%.*f", decimals, *v) : "";
}

std::string Counters(const CellResult& cell) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : cell.server_counters) {
    parts.push_back(absl::StrCat("server.", name, "=", value));
  }
  for (const auto& [name, value] : cell.client_counters) {
    parts.push_back(absl::StrCat("client.", name, "=", value));
  }
  return absl::StrJoin(parts, ";");
}

}  // namespace

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\n\r") == absl::string_view::npos) {
    return std::string(text);
  }
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string SummaryCsvHeader() { return absl::StrJoin(kColumns, ","); }

std::string SummaryCsv(const std::vector<CellResult>& cells) {
  std::string out = absl::StrCat(SummaryCsvHeader(), "\n");
  for (const CellResult& c : cells) {
    std::string status =
        c.status.ok() ? "ok" : absl::StrCat("failed: ", c.status.message());
    std::vector<std::string> row = {
        CsvField(c.transport),
        absl::StrCat(c.size),
        absl::StrCat(c.threads),
        Number(c.throughput_gbps, 4),
        "",  // latency_us: stream mode measures no latency
        "",  // cycles: hardware counters not measured yet
        "",  // l1_misses
        "",  // llc_misses
        "",  // cs: context switches not measured yet
        absl::StrCat(c.fields),
        Number(c.messages_per_sec, 1),
        Number(c.mean_us_per_msg, 4),
        Number(c.zc_copied_fraction, 4),
        CsvField(status),
        CsvField(Counters(c)),
    };
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\n");
  }
  return out;
}

}  // namespace copyscope::harness
