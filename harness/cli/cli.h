// The copyscope program: parses the command line and runs `run`, `list`,
// `version` or `help`. Exit codes: 0 success; 1 a run finished but some
// cells failed, or results could not be written; 2 bad input (one line on
// stderr naming the problem and the fix, nothing written).
//
//   int main(int argc, char** argv) {
//     return copyscope::cli::Main(argc, argv);
//   }
#ifndef COPYSCOPE_HARNESS_CLI_CLI_H_
#define COPYSCOPE_HARNESS_CLI_CLI_H_

namespace copyscope::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

int Main(int argc, char** argv);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_CLI_H_
