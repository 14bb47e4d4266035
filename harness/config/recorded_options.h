// The options of a recorded run, rebuilt from its record: every flag's
// effective value (record::Plan.options, as ParseCommandLine recorded them
// in RunOptions::effective) parsed again through the one flag table, so a
// run made again has the same cells, lengths, repetitions, options,
// pinning, isolation and counters. What `copyscope rerun` runs.
//
//   std::vector<std::pair<std::string, std::string>> recorded = ...;
//   std::vector<std::string> notes;
//   absl::StatusOr<RunOptions> o =
//       RecordedRunOptions(recorded, {"two_copy", "zero_copy"}, &notes);
//
// Left out: where the results go and the history (--out, --history,
// --no-history, --json, --dry-run: the new run's own), values that are
// empty (the default), flags that would do nothing with the others (e.g.
// --pin-fallback of an unpinned run: recorded all the same), and flags this
// copyscope does not know (each named in a note). The transports are the
// recorded ones even when the run took "every usable plugin", so a plugin
// added since does not add cells. A repeatable flag's values are recorded
// joined by spaces and split again, so a path with a space does not come
// back whole. Errors name the recorded flag and value.
#ifndef COPYSCOPE_HARNESS_CONFIG_RECORDED_OPTIONS_H_
#define COPYSCOPE_HARNESS_CONFIG_RECORDED_OPTIONS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/config/options.h"

namespace copyscope::config {

// The flags a rerun sets for itself, never from the record.
const std::vector<std::string>& RerunOwnFlags();

// See above. transports: the record's plan's (record::Plan.transports).
absl::StatusOr<RunOptions> RecordedRunOptions(
    const std::vector<std::pair<std::string, std::string>>& effective,
    const std::vector<std::string>& transports,
    std::vector<std::string>* notes);

}  // namespace copyscope::config

#endif  // COPYSCOPE_HARNESS_CONFIG_RECORDED_OPTIONS_H_
