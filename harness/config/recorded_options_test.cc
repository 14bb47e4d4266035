#include "harness/config/recorded_options.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/config/flags.h"

namespace copyscope::config {
namespace {

using Effective = std::vector<std::pair<std::string, std::string>>;

RunOptions Parsed(std::vector<std::string> args) {
  args.insert(args.begin(), {"copyscope", "run"});
  absl::StatusOr<Invocation> inv = ParseCommandLine(args);
  EXPECT_TRUE(inv.ok()) << inv.status();
  return inv.ok() ? inv->run : RunOptions();
}

// The effective values without the rerun's own flags.
Effective Design(const Effective& e) {
  Effective out;
  for (const auto& [name, value] : e) {
    bool own = false;
    for (const std::string& o : RerunOwnFlags()) own |= name == o;
    if (!own) out.emplace_back(name, value);
  }
  return out;
}

// A run rebuilt from its effective values has the same ones.
void ExpectRoundTrip(const std::vector<std::string>& args) {
  SCOPED_TRACE(::testing::PrintToString(args));
  RunOptions original = Parsed(args);
  std::vector<std::string> notes;
  absl::StatusOr<RunOptions> again =
      RecordedRunOptions(original.effective, {}, &notes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Design(again->effective), Design(original.effective));
  EXPECT_TRUE(notes.empty()) << notes[0];
  EXPECT_EQ(again->warmup_messages, original.warmup_messages);
  EXPECT_EQ(again->counters.kind, original.counters.kind);
}

TEST(RecordedRunOptionsTest, EveryDesignComesBack) {
  ExpectRoundTrip({});
  ExpectRoundTrip({"--transports=two_copy", "--sizes=64K", "--threads=1",
                   "--duration=0.2s", "--warmup=0.05s", "--reps=5",
                   "--isolation=loopback", "--counters=none",
                   "--pin-server=cpus:0", "--pin-client=cpus:1"});
  ExpectRoundTrip({"--profile=copy-matrix"});
  ExpectRoundTrip({"--profile=copy-matrix", "--duration=2s"});
  ExpectRoundTrip({"--profile=copy-matrix-wide"});
  ExpectRoundTrip({"--profile=copy-matrix-wide", "--duration=300ms"});
  ExpectRoundTrip({"--profile=connection-rate"});
  ExpectRoundTrip({"--mode=crr", "--request-size=32", "--messages=500"});
  ExpectRoundTrip({"--mode=rr", "--sizes=64", "--request-size=32",
                   "--response-size=4K", "--counters=default"});
  ExpectRoundTrip({"--messages=5000", "--fields=3", "--verify",
                   "--direction=client-to-server", "--max-cv=2.5"});
  ExpectRoundTrip({"--pin-server=pcore", "--pin-client=ecore",
                   "--pin-fallback=any", "--counters-scope=cpu",
                   "--isolation=netns", "--mtu=9000"});
  ExpectRoundTrip({"--transports=two_copy,zero_copy", "--recv=copy,uring",
                   "--transport-opt=zero_copy.batch=64",
                   "--transport-opt=uring_recv.multishot=0", "--plugin=/p/a.so",
                   "--plugin=/p/b.so", "--plugin-dir=/plugins"});
}

TEST(RecordedRunOptionsTest, TheRerunsOwnFlagsAreNotTaken) {
  RunOptions original =
      Parsed({"--out=results/x", "--json", "--history=/h.sqlite"});
  std::vector<std::string> notes;
  absl::StatusOr<RunOptions> again =
      RecordedRunOptions(original.effective, {}, &notes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->out, "");
  EXPECT_FALSE(again->json);
  EXPECT_EQ(again->history.path, "");
}

TEST(RecordedRunOptionsTest, EveryUsablePluginMeansTheRecordedOnes) {
  RunOptions original = Parsed({});
  ASSERT_TRUE(original.transports.empty());
  std::vector<std::string> notes;
  absl::StatusOr<RunOptions> again =
      RecordedRunOptions(original.effective, {"two_copy", "one_copy"}, &notes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->transports,
            (std::vector<std::string>{"two_copy", "one_copy"}));
}

TEST(RecordedRunOptionsTest, AnUnknownFlagIsANoteAndABadValueAnError) {
  Effective e = Parsed({"--sizes=4K"}).effective;
  e.emplace_back("flag-of-the-future", "7");
  std::vector<std::string> notes;
  absl::StatusOr<RunOptions> again = RecordedRunOptions(e, {}, &notes);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_TRUE(absl::StrContains(notes[0], "--flag-of-the-future=7"))
      << notes[0];

  for (auto& [name, value] : e) {
    if (name == "sizes") value = "4Q";
  }
  again = RecordedRunOptions(e, {}, &notes);
  ASSERT_FALSE(again.ok());
  const std::string msg(again.status().message());
  EXPECT_TRUE(absl::StrContains(msg, "--sizes=4Q")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(RecordedRunOptionsTest, AnOlderRecordWithoutSomeFlagsTakesTheDefaults) {
  Effective e = {{"profile", "quick"}, {"sizes", "256"}, {"threads", "1"}};
  std::vector<std::string> notes;
  absl::StatusOr<RunOptions> again = RecordedRunOptions(e, {}, &notes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->sizes, std::vector<uint64_t>{256});
  EXPECT_EQ(again->reps, 3);
  EXPECT_FALSE(again->verify);
}

}  // namespace
}  // namespace copyscope::config
