// The results table printed on stdout: one aligned row per cell with
// transport, size, threads, Gbit/s, Mmsg/s, zero-copy copied % and status.
//
//   std::vector<CellResult> cells = ...;
//   fputs(FormatTable(cells).c_str(), stdout);
//
//   transport  size  threads  Gbit/s  Mmsg/s  zc copied %  status
//   alpha        4K        1   21.03   0.642            -  ok
//
// Text columns are left-aligned, numbers right-aligned; "-" marks a value
// that does not apply (no zero-copy counters) or was not measured.
#ifndef COPYSCOPE_HARNESS_TABLE_H_
#define COPYSCOPE_HARNESS_TABLE_H_

#include <string>
#include <vector>

#include "harness/results.h"

namespace copyscope::harness {

// Lays out rows under a header; right_align[i] says how column i aligns.
// Columns are separated by two spaces; lines end in "\n" with no trailing
// blanks.
std::string FormatColumns(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows,
                          const std::vector<bool>& right_align);

std::string FormatTable(const std::vector<CellResult>& cells);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_TABLE_H_
