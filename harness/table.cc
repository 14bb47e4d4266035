#include "harness/table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/units.h"

namespace copyscope::harness {

std::string FormatColumns(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows,
                          const std::vector<bool>& right_align) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      std::string pad(width[i] - cell.size(), ' ');
      if (i > 0) out += "  ";
      bool right = i < right_align.size() && right_align[i];
      out += right ? pad + cell : cell + pad;
    }
    out.erase(out.find_last_not_of(' ') + 1);
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string FormatTable(const std::vector<CellResult>& cells) {
  std::vector<std::vector<std::string>> rows;
  for (const CellResult& c : cells) {
    auto num = [](const std::optional<double>& v, double scale, int decimals) {
      return v ? absl::StrFormat("%.*f", decimals, *v * scale)
               : std::string("-");
    };
    rows.push_back({
        c.transport,
        FormatSize(c.size),
        absl::StrCat(c.threads),
        num(c.throughput_gbps, 1, 2),
        num(c.messages_per_sec, 1e-6, 3),
        num(c.zc_copied_fraction, 100, 1),
        c.status.ok() ? "ok" : absl::StrCat("failed: ", c.status.message()),
    });
  }
  return FormatColumns({"transport", "size", "threads", "Gbit/s", "Mmsg/s",
                        "zc copied %", "status"},
                       rows, {false, true, true, true, true, true, false});
}

}  // namespace copyscope::harness
