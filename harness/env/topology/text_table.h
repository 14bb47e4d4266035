// Private helper of this package: renders rows of cells as an aligned text
// table (columns separated by two spaces, no trailing spaces).
//
// Usage:
//   std::string s = RenderTextTable({{"CPU", "KIND"}, {"0", "P-core"}});
//   // "CPU  KIND\n0    P-core\n"
#ifndef COPYSCOPE_HARNESS_ENV_TOPOLOGY_TEXT_TABLE_H_
#define COPYSCOPE_HARNESS_ENV_TOPOLOGY_TEXT_TABLE_H_

#include <string>
#include <vector>

namespace copyscope::topology::internal {

// Every row is one line ending in "\n"; cells are left-aligned.
std::string RenderTextTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace copyscope::topology::internal

#endif  // COPYSCOPE_HARNESS_ENV_TOPOLOGY_TEXT_TABLE_H_
