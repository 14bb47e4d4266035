// The results table printed on stdout, from a run record: one aligned row
// per cell with the median over its repetitions and its order-statistic
// 95% interval ("n/a" below 6 samples), the mean with its Student
// interval, the CV of its primary metric, and a "!" after the value of an
// unstable cell (CV above --max-cv) or, with --reps=auto, an unconverged
// one (its interval wider than --ci-target); the status names it, and the
// count of outliers and trending samples.
//
//   fputs(FormatTable(run).c_str(), stdout);
//
//   transport  size  threads  reps  Gbit/s          95% CI   mean  ...
//   alpha        4K        1     6   21.03  [20.71, 21.40]  21.01  ...
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

// The slices of one sample, like `iperf3 -i`, and its steady-state check:
//
//   two_copy 4K x1, sample 1:
//     interval     transfer  Gbit/s  Mmsg/s
//     0.00-0.10 s  117.0 MiB    9.81   0.299
//     ...
//     steady (Mann-Kendall tau 0.07, p 0.86, +1% over the sample)
std::string FormatSlices(const record::CellKey& key,
                         const record::Sample& sample);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_TABLE_H_
