#include "harness/config/text_table.h"

#include <algorithm>

namespace copyscope::config {

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

std::string FormatRows(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return "";
  return FormatColumns(rows.front(), std::vector<std::vector<std::string>>(
                                         rows.begin() + 1, rows.end()));
}

}  // namespace copyscope::config
