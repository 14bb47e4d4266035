// The results table printed on stdout, from a run record: one aligned row
// per cell with the median over its repetitions, the 95% confidence
// interval and CV of its primary metric, and a "!" after the value of an
// unstable cell (CV above --max-cv).
//
//   fputs(FormatTable(run).c_str(), stdout);
//
//   transport  size  threads  reps  Gbit/s  95% CI          cv %  ...
//   alpha        4K        1     3   21.03  [20.71, 21.40]   0.7  ...
//
// Stream cells show Gbit/s, Mmsg/s, CPU use per role and the zero-copy
// copied %; a cell whose receiving side used another plugin (--recv) shows
// its transport as "sender/receiver", e.g. two_copy/uring_recv; rr cells show
// transactions/s and the round-trip percentiles. Text columns are left-aligned,
// numbers right-aligned; "-" marks a value that does not apply or was not
// measured.
#ifndef COPYSCOPE_HARNESS_CLI_TABLE_H_
#define COPYSCOPE_HARNESS_CLI_TABLE_H_

#include <string>
#include <vector>

#include "harness/record/record.pb.h"

namespace copyscope::cli {

std::string FormatTable(const record::Run& run);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_TABLE_H_
