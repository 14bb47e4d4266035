// How copyscope lays out a table on the screen: one aligned line per row,
// columns separated by two spaces, no trailing blanks. Every table of the
// CLI (results, counters, placement, plugins) and of the topology (CPUs,
// pinning plans) goes through it.
//
//   FormatColumns({"CPU", "KIND"}, {{"0", "P-core"}, {"16", "E-core"}},
//                 /*right_align=*/{true, false});
//   // "CPU  KIND\n  0  P-core\n 16  E-core\n"
#ifndef COPYSCOPE_HARNESS_CONFIG_TEXT_TABLE_H_
#define COPYSCOPE_HARNESS_CONFIG_TEXT_TABLE_H_

#include <string>
#include <vector>

namespace copyscope::config {

// Lays out rows under a header; right_align[i] says how column i aligns
// (left where not given). Lines end in "\n".
std::string FormatColumns(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows,
                          const std::vector<bool>& right_align = {});

// The same with the header as the first row and every column left-aligned.
std::string FormatRows(const std::vector<std::vector<std::string>>& rows);

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_TEXT_TABLE_H_
