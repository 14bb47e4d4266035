// The record reader against damaged input, in the style of a fuzz target
// run as a bounded unit test: random bytes, and valid records mutated
// (bits flipped, bytes changed, cut short, spliced, grown). Whatever the
// input, ReadRunFile returns a record or a one-line error naming the file;
// it never crashes, hangs or reports a damaged record as complete.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/record/files.h"
#include "harness/record/sha256.h"
#include "harness/record/testing.h"

namespace copyscope::record {
namespace {

constexpr int kIterations = 4000;
constexpr absl::Duration kBound = absl::Seconds(3);

Run ValidRun() {
  Run run;
  run.set_schema_version(3);
  run.set_run_id("fuzz");
  run.set_cells_planned(3);
  for (int i = 0; i < 3; ++i) {
    Cell* c = run.add_cells();
    c->mutable_key()->set_transport(absl::StrCat("t", i));
    c->mutable_key()->set_size(4096);
    c->mutable_key()->set_threads(2);
    c->mutable_key()->set_mode("stream");
    *c->add_samples() = PerfSample(i % 2 == 0);
    c->set_status("ok");
  }
  return run;
}

class Fuzzer {
 public:
  explicit Fuzzer(uint64_t seed) : rng_(seed) {}

  std::string Mutate(std::string s) {
    const int edits = 1 + Pick(4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      switch (Pick(6)) {
        case 0:  // flip a bit
          s[Pick(s.size())] ^= static_cast<char>(1 << Pick(8));
          break;
        case 1:  // a random byte
          s[Pick(s.size())] = static_cast<char>(Pick(256));
          break;
        case 2:  // cut short
          s.resize(Pick(s.size()));
          break;
        case 3: {  // a run of bytes repeated
          size_t at = Pick(s.size()), n = 1 + Pick(32);
          s.insert(at, s.substr(at, n));
          break;
        }
        case 4:  // random bytes appended
          s += Random(1 + Pick(64));
          break;
        default:  // a huge length where a length may be
          s.insert(Pick(s.size()), "\xff\xff\xff\xff\x0f");
          break;
      }
    }
    return s;
  }

  std::string Random(size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(Pick(256));
    return s;
  }

  size_t Pick(size_t n) { return n == 0 ? 0 : rng_() % n; }

 private:
  std::mt19937_64 rng_;
};

TEST(FilesFuzzTest, EveryInputIsARecordOrAOneLineError) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/fuzz");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string path = dir + "/run.pb";
  const record::Run run = ValidRun();
  const std::string seeds[] = {RunPbBytes(run, "complete"), RunPbBytes(run, ""),
                               RunPbBytes(run, "stopped: boom")};
  Fuzzer fuzz(20261203);
  const absl::Time deadline = absl::Now() + kBound;
  int ok = 0, errors = 0, still_complete = 0;
  for (int i = 0; i < kIterations && absl::Now() < deadline; ++i) {
    const std::string& seed = seeds[fuzz.Pick(3)];
    const std::string input =
        i % 10 == 0 ? fuzz.Random(fuzz.Pick(512)) : fuzz.Mutate(seed);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << input;
    absl::StatusOr<RunFile> back = ReadRunFile(dir);
    if (back.ok()) {
      ++ok;
      // Claimed complete only when it really is: the checksum held.
      if (back->state == "complete") {
        ++still_complete;
        EXPECT_EQ(input, seeds[0]) << "a changed record reads as complete, "
                                      "iteration "
                                   << i;
      }
    } else {
      ++errors;
      const std::string msg(back.status().message());
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_TRUE(absl::StrContains(msg, "run.pb")) << msg;
    }
  }
  EXPECT_GT(errors, 0);
  RecordProperty("ok", ok);
  RecordProperty("errors", errors);
  RecordProperty("complete", still_complete);
}

}  // namespace
}  // namespace copyscope::record
