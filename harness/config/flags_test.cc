#include "harness/config/flags.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/config/profiles.h"

namespace copyscope::config {
namespace {

class OptionsTest : public ::testing::Test {
 protected:
  bool inv_ok_ = false;
  absl::StatusOr<Invocation> Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "copyscope");
    return ParseCommandLine(args);
  }

  // The error of a bad command line: one line that names `mention` and says
  // how to fix it.
  std::string Error(std::vector<std::string> args, const std::string& mention) {
    absl::StatusOr<Invocation> inv = Parse(args);
    EXPECT_FALSE(inv.ok()) << "accepted: " << args.back();
    if (inv.ok()) return "";
    std::string msg(inv.status().message());
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_TRUE(absl::StrContains(msg, mention)) << msg;
    EXPECT_TRUE(absl::StrContains(msg, "e.g.") ||
                absl::StrContains(msg, "see copyscope") ||
                absl::StrContains(msg, "use "))
        << "no fix in: " << msg;
    return msg;
  }
};

// --rate in bits per second, SI suffixes (as iperf3 -b); --batch and
// --rr-timeout; each refused where it would do nothing.
TEST_F(OptionsTest, RateBatchAndRrTimeout) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--rate=1.5G", "--batch=44", "--transports=udp"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_DOUBLE_EQ(inv->run.rate_bps, 1.5e9);
  EXPECT_EQ(inv->run.batch, 44u);
  inv = Parse({"run", "--rate=500M"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_DOUBLE_EQ(inv->run.rate_bps, 500e6);
  Error({"run", "--rate=fast"}, "not a rate in bits per second");
  Error({"run", "--mode=rr", "--rate=1G"}, "--rate");
  inv = Parse({"run", "--mode=rr", "--rr-timeout=50ms"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.rr_timeout, absl::Milliseconds(50));
  Error({"run", "--rr-timeout=50ms"}, "--rr-timeout");
}

TEST_F(OptionsTest, DefaultsAreTheQuickSweep) {
  absl::StatusOr<Invocation> inv = Parse({"run"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kRun);
  const RunOptions& o = inv->run;
  EXPECT_TRUE(o.transports.empty());
  EXPECT_EQ(o.sizes, (std::vector<uint64_t>{4096, 65536}));
  EXPECT_EQ(o.threads, (std::vector<int>{1, 2}));
  EXPECT_EQ(o.fields, 8);
  EXPECT_EQ(o.duration, absl::Milliseconds(300));
  EXPECT_EQ(o.warmup, absl::Milliseconds(100));
  EXPECT_EQ(o.profile, "quick");
  EXPECT_EQ(o.mode, Mode::kStream);
  EXPECT_EQ(o.direction, Direction::kServerToClient);
  EXPECT_EQ(o.messages, 0u);
  EXPECT_TRUE(o.reps_auto);
  EXPECT_EQ(o.min_reps, 3);
  EXPECT_EQ(o.max_reps, 10);
  EXPECT_DOUBLE_EQ(o.ci_target, 0.02);
  EXPECT_EQ(o.time_budget, absl::Seconds(80));  // the quick profile's
  EXPECT_EQ(o.interval, absl::Milliseconds(40));
  EXPECT_DOUBLE_EQ(o.max_cv, 0.05);
  EXPECT_FALSE(o.json);
  EXPECT_FALSE(o.verify);
  EXPECT_EQ(o.io_timeout, absl::Seconds(10));
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(o.transport_opts.empty());
}

TEST_F(OptionsTest, CountersAreOnInStreamAndOffInRequestResponseUnlessAsked) {
  absl::StatusOr<Invocation> stream = Parse({"run"});
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ(stream->run.counters.kind, CounterSelection::Kind::kDefault);
  EXPECT_TRUE(stream->run.notes.empty());

  absl::StatusOr<Invocation> rr = Parse({"run", "--mode=rr"});
  ASSERT_TRUE(rr.ok()) << rr.status();
  EXPECT_EQ(rr->run.counters.kind, CounterSelection::Kind::kNone);
  ASSERT_EQ(rr->run.notes.size(), 1u);
  EXPECT_NE(rr->run.notes[0].find("--counters=default"), std::string::npos);

  absl::StatusOr<Invocation> asked =
      Parse({"run", "--mode=rr", "--counters=task-clock"});
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_EQ(asked->run.counters.ToString(), "task-clock");
  EXPECT_TRUE(asked->run.notes.empty());
}

TEST_F(OptionsTest, EveryFlag) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--transports=b,a,b", "--sizes=256,4K,1MiB,4KiB",
             "--threads", "1,2,8", "--fields=4", "--duration=2s",
             "--warmup=0.5s", "--io-timeout=3s", "--out=x/y", "--plugin-dir=d1",
             "--plugin=p1", "--plugin", "p2,p3",
             "--transport-opt=zc.min_size=4K", "--transport_opt", "k=v=w"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const RunOptions& o = inv->run;
  EXPECT_EQ(o.transports, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(o.sizes, (std::vector<uint64_t>{256, 4096, 1048576}));
  EXPECT_EQ(o.threads, (std::vector<int>{1, 2, 8}));
  EXPECT_EQ(o.fields, 4);
  EXPECT_EQ(o.duration, absl::Seconds(2));
  EXPECT_EQ(o.warmup, absl::Milliseconds(500));
  EXPECT_EQ(o.io_timeout, absl::Seconds(3));
  EXPECT_EQ(o.out, "x/y");
  EXPECT_EQ(o.sources.plugin_dirs, (std::vector<std::string>{"d1"}));
  // A repeatable flag takes each value whole: a comma belongs to the path.
  EXPECT_EQ(o.sources.plugin_files, (std::vector<std::string>{"p1", "p2,p3"}));
  ASSERT_EQ(o.transport_opts.size(), 2u);
  EXPECT_EQ(o.transport_opts[0].scope, "zc");
  EXPECT_EQ(o.transport_opts[0].key, "min_size");
  EXPECT_EQ(o.transport_opts[0].value, "4K");
  EXPECT_EQ(o.transport_opts[1].scope, "");
  EXPECT_EQ(o.transport_opts[1].key, "k");
  EXPECT_EQ(o.transport_opts[1].value, "v=w");
}

TEST_F(OptionsTest, OtherCommands) {
  EXPECT_EQ(Parse({"--version"})->command, Command::kVersion);
  EXPECT_EQ(Parse({"version"})->command, Command::kVersion);
  EXPECT_EQ(Parse({"--help"})->command, Command::kHelp);
  EXPECT_EQ(Parse({"run", "--help"})->command, Command::kHelp);
  absl::StatusOr<Invocation> list = Parse({"list", "--plugin=/x.so"});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->command, Command::kList);
  EXPECT_EQ(list->run.sources.plugin_files,
            (std::vector<std::string>{"/x.so"}));
}

TEST_F(OptionsTest, BadSizes) {
  Error({"run", "--sizes=0"}, "--sizes=0");
  Error({"run", "--sizes=4K,0"}, "at least 1 byte");
  Error({"run", "--sizes=4KB"}, "--sizes=4KB");
  Error({"run", "--sizes=-4"}, "--sizes");
  Error({"run", "--sizes=2G"}, "1G");
  Error({"run", "--sizes="}, "--sizes");
}

TEST_F(OptionsTest, BadDurations) {
  Error({"run", "--duration=1"}, "--duration=1");
  Error({"run", "--duration=abc"}, "duration");
  Error({"run", "--duration=0s"}, "--duration");
  Error({"run", "--duration=-1s"}, "--duration");
  Error({"run", "--duration=2h"}, "at most 1h");
  Error({"run", "--warmup=-1ms"}, "--warmup");
  Error({"run", "--io-timeout=0s"}, "--io-timeout");
}

TEST_F(OptionsTest, ZeroWarmupIsFine) {
  absl::StatusOr<Invocation> inv = Parse({"run", "--warmup=0s"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.warmup, absl::ZeroDuration());
}

TEST_F(OptionsTest, BadCounts) {
  Error({"run", "--threads=0"}, "--threads");
  Error({"run", "--threads=two"}, "--threads");
  Error({"run", "--threads=2000"}, "1..1024");
  Error({"run", "--fields=x"}, "--fields=x");
  Error({"run", "--fields=0"}, "--fields=0");
}

TEST_F(OptionsTest, BadTransportOpt) {
  Error({"run", "--transport-opt=novalue"}, "KEY=VALUE");
  Error({"run", "--transport-opt==1"}, "--transport-opt");
  Error({"run", "--transport-opt=.k=1"}, "--transport-opt");
  Error({"run", "--transports=a,,b"}, "--transports");
}

TEST_F(OptionsTest, BadCommandLines) {
  Error({}, "no command");
  Error({"frobnicate"}, "unknown command 'frobnicate'");
  Error({"report", "results/x"}, "./tools/copyscope report");
  Error({"compare", "a", "b"}, "./tools/copyscope compare");
  Error({"--sizes=4K"}, "expected a command");
  Error({"run", "--bogus=1"}, "unknown flag --bogus");
  Error({"run", "--flagfile=x"}, "unknown flag --flagfile");
  Error({"run", "--sizes"}, "needs a value");
  Error({"run", "extra"}, "unexpected argument 'extra'");
  Error({"list", "--sizes=4K"}, "does not apply to `copyscope list`");
  Error({"version", "--plugin=x"}, "does not apply");
}

TEST(ParseTransportOptTest, Forms) {
  absl::StatusOr<TransportOpt> o = ParseTransportOpt("t.k=v");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->scope, "t");
  EXPECT_EQ(o->key, "k");
  EXPECT_EQ(o->value, "v");
  o = ParseTransportOpt("k=");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->scope, "");
  EXPECT_EQ(o->value, "");
  EXPECT_FALSE(ParseTransportOpt("t.=v").ok());
  EXPECT_FALSE(ParseTransportOpt("k").ok());
}

TEST(UsageTextTest, ListsCommandsAndFlags) {
  std::string text = UsageText();
  for (const char* s :
       {"copyscope run", "copyscope list", "--version", "--sizes",
        "--plugin-dir", "--transport-opt", "4096,65536"}) {
    EXPECT_TRUE(absl::StrContains(text, s)) << s;
  }
}

TEST_F(OptionsTest, ProfileFillsWhatTheCommandLineLeavesOut) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--profile=copy-matrix", "--threads=1,2", "--reps=2"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const RunOptions& o = inv->run;
  EXPECT_EQ(o.profile, "copy-matrix");
  EXPECT_EQ(o.transports,
            (std::vector<std::string>{"two_copy", "one_copy", "zero_copy"}));
  EXPECT_EQ(o.transports_from, "copy-matrix");
  EXPECT_EQ(o.sizes, (std::vector<uint64_t>{256, 1024, 4096, 16384}));
  EXPECT_EQ(o.threads, (std::vector<int>{1, 2}));  // explicit wins
  EXPECT_EQ(o.reps, 2);
  EXPECT_FALSE(o.reps_auto);
  EXPECT_EQ(o.messages, 5000u);
  EXPECT_EQ(o.warmup_messages, 500u);
  EXPECT_EQ(o.mode, Mode::kStream);
}

TEST_F(OptionsTest, ExplicitDurationReplacesAProfilesMessageCount) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--profile=copy-matrix", "--duration=1s"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.messages, 0u);
  EXPECT_EQ(inv->run.duration, absl::Seconds(1));
  inv = Parse({"run", "--profile=copy-matrix-wide", "--transports=a"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.mode, Mode::kRequestResponse);
  EXPECT_EQ(inv->run.duration, absl::Seconds(5));
  EXPECT_EQ(inv->run.transports_from, "");
}

TEST_F(OptionsTest, DesignFlags) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--mode=rr", "--request-size=64", "--response-size=4K",
             "--messages=100", "--max-cv=2.5", "--json"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const RunOptions& o = inv->run;
  EXPECT_EQ(o.mode, Mode::kRequestResponse);
  EXPECT_EQ(o.request_size, 64u);
  EXPECT_EQ(o.response_size, 4096u);
  EXPECT_EQ(o.messages, 100u);
  EXPECT_EQ(o.warmup_messages, 10u);
  EXPECT_DOUBLE_EQ(o.max_cv, 0.025);
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.command_line.size(), 8u);
}

TEST_F(OptionsTest, ConnectionRateMode) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--mode=crr", "--request-size=64", "--response-size=1K",
             "--messages=1000", "--verify"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const RunOptions& o = inv->run;
  EXPECT_EQ(o.mode, Mode::kConnectRequestResponse);
  EXPECT_TRUE(Transactional(o.mode));
  EXPECT_FALSE(Transactional(Mode::kStream));
  EXPECT_EQ(o.request_size, 64u);
  EXPECT_EQ(o.response_size, 1024u);
  EXPECT_TRUE(o.verify);
  // No perf counters unless asked for, as in rr, and said so.
  EXPECT_EQ(o.counters.kind, CounterSelection::Kind::kNone);
  ASSERT_FALSE(o.notes.empty());
  EXPECT_TRUE(absl::StrContains(o.notes.back(), "in crr mode"))
      << o.notes.back();
  std::map<std::string, std::string> e(o.effective.begin(), o.effective.end());
  EXPECT_EQ(e["mode"], "crr");
  inv = Parse({"run", "--profile=connection-rate"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.mode, Mode::kConnectRequestResponse);
  EXPECT_EQ(inv->run.sizes, (std::vector<uint64_t>{64, 1024}));
  EXPECT_EQ(inv->run.threads, (std::vector<int>{1, 2}));
  EXPECT_TRUE(inv->run.reps_auto);
  // What does not apply to crr: a receive side of its own, a direction.
  std::string msg =
      Error({"run", "--mode=crr", "--recv=uring"}, "--recv=uring");
  EXPECT_TRUE(absl::StrContains(msg, "stream mode only (in crr")) << msg;
  Error({"run", "--profile=connection-rate", "--recv=copy"}, "stream mode");
  Error({"run", "--mode=crr", "--direction=client-to-server"},
        "--direction does nothing here");
  Error({"run", "--mode=crrr"}, "--mode");
}

TEST_F(OptionsTest, VerifyIsABooleanFlag) {
  absl::StatusOr<Invocation> inv = Parse({"run", "--verify"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->run.verify);
  std::map<std::string, std::string> e(inv->run.effective.begin(),
                                       inv->run.effective.end());
  EXPECT_EQ(e["verify"], "true");
  inv = Parse({"run", "--verify=false"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_FALSE(inv->run.verify);
  Error({"run", "--verify=sometimes"}, "--verify");
}

TEST_F(OptionsTest, RepetitionsAutoOrFixed) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--reps=auto", "--max-reps=20", "--ci-target=1.5",
             "--time-budget=10m"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const RunOptions& o = inv->run;
  EXPECT_TRUE(o.reps_auto);
  EXPECT_EQ(o.max_reps, 20);
  EXPECT_DOUBLE_EQ(o.ci_target, 0.015);
  EXPECT_EQ(o.time_budget, absl::Minutes(10));
  std::map<std::string, std::string> e(o.effective.begin(), o.effective.end());
  EXPECT_EQ(e["reps"], "auto");
  EXPECT_EQ(e["max-reps"], "20");
  EXPECT_EQ(e["ci-target"], "1.5");
  EXPECT_EQ(e["time-budget"], "10m");
  EXPECT_EQ(e["interval"], "40ms");  // the quick profile's

  inv = Parse({"run", "--reps=4"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_FALSE(inv->run.reps_auto);
  EXPECT_EQ(inv->run.reps, 4);
  e = std::map<std::string, std::string>(inv->run.effective.begin(),
                                         inv->run.effective.end());
  EXPECT_EQ(e["reps"], "4");
  EXPECT_EQ(e["time-budget"], "");
  // Every profile repeats until converged.
  for (const char* p :
       {"quick", "copy-matrix", "copy-matrix-wide", "connection-rate"}) {
    inv = Parse({"run", std::string("--profile=") + p});
    ASSERT_TRUE(inv.ok()) << inv.status();
    EXPECT_TRUE(inv->run.reps_auto) << p;
  }
}

TEST_F(OptionsTest, TheStoppingRuleDoesNothingWithFixedRepetitions) {
  Error({"run", "--reps=5", "--max-reps=20"}, "--max-reps");
  Error({"run", "--reps=5", "--ci-target=1"}, "--ci-target");
  Error({"run", "--reps=5", "--time-budget=1m"}, "--time-budget");
  absl::StatusOr<Invocation> inv = Parse({"run", "--reps=5", "--max-reps=20"});
  EXPECT_TRUE(absl::StrContains(inv.status().message(), "does nothing here"))
      << inv.status();
}

TEST_F(OptionsTest, BadRepetitionsAndIntervals) {
  Error({"run", "--reps=sometimes"}, "--reps");
  Error({"run", "--max-reps=2"}, "--max-reps");  // below the minimum of 3
  Error({"run", "--ci-target=0"}, "--ci-target");
  Error({"run", "--ci-target=nan"}, "--ci-target");
  Error({"run", "--time-budget=0s"}, "--time-budget");
  Error({"run", "--time-budget=10"}, "--time-budget");
  Error({"run", "--interval=0s"}, "--interval");
  // Too many slices per sample.
  Error({"run", "--duration=1h", "--interval=1ms"}, "--interval");
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--duration=2s", "--interval=10ms"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.interval, absl::Milliseconds(10));
}

TEST_F(OptionsTest, StreamDirection) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--direction=client-to-server"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.direction, Direction::kClientToServer);
}

TEST_F(OptionsTest, BadDesignFlags) {
  Error({"run", "--profile=huge"}, "--profile");
  Error({"run", "--mode=pingpong"}, "--mode");
  Error({"run", "--direction=up"}, "--direction");
  Error({"run", "--reps=0"}, "--reps");
  Error({"run", "--max-cv=0"}, "--max-cv");
  Error({"run", "--request-size=0"}, "--request-size");
  Error({"run", "--messages=10", "--duration=1s"}, "--messages");
}

TEST_F(OptionsTest, RecvResolvesAliasesAndKeepsPluginNames) {
  absl::StatusOr<Invocation> inv = Parse({"run"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->run.recv.empty());  // each transport receives itself
  inv = Parse({"run", "--recv=copy,uring,zerocopy,mine,copy"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.recv,
            (std::vector<std::string>{ResolveRecvName("copy"),
                                      ResolveRecvName("uring"),
                                      ResolveRecvName("zerocopy"), "mine"}));
  EXPECT_NE(inv->run.recv[0], "copy");  // an alias, not a plugin name
  // The same plugin by alias and by name is one receive side.
  inv = Parse({"run", "--recv", "uring," + ResolveRecvName("uring")});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.recv.size(), 1u);
}

TEST_F(OptionsTest, BadRecv) {
  Error({"run", "--recv=copy,,uring"}, "--recv=copy,,uring");
  std::string msg = Error({"run", "--mode=rr", "--recv=uring"}, "--recv=uring");
  EXPECT_TRUE(absl::StrContains(msg, "stream mode only")) << msg;
  EXPECT_TRUE(absl::StrContains(msg, "--mode=stream")) << msg;
  Error({"run", "--profile=copy-matrix-wide", "--recv=copy"}, "stream mode");
  Error({"list", "--recv=copy"}, "does not apply to `copyscope list`");
}

TEST_F(OptionsTest, BackgroundIsACellDimensionOfRr) {
  absl::StatusOr<Invocation> inv = Parse({"run", "--mode=rr"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->run.backgrounds.empty());
  inv = Parse(
      {"run", "--mode=rr", "--background=none,two_copy:1:64K,one_copy:4,none"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  ASSERT_EQ(inv->run.backgrounds.size(), 3u);  // none once
  EXPECT_TRUE(inv->run.backgrounds[0].none());
  EXPECT_EQ(inv->run.backgrounds[1], (Background{"two_copy", 1, 65536}));
  EXPECT_EQ(inv->run.backgrounds[2], (Background{"one_copy", 4, 65536}));
  EXPECT_EQ(inv->run.backgrounds[1].Text(), "two_copy:1:65536");
  EXPECT_EQ(inv->run.backgrounds[0].Text(), "none");
  inv = Parse({"run", "--profile=latency-under-load"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.backgrounds.size(), 2u);
}

TEST_F(OptionsTest, BadBackground) {
  std::string msg =
      Error({"run", "--background=two_copy:1"}, "rr and crr modes only");
  EXPECT_TRUE(Parse({"run", "--mode=crr", "--background=two_copy:1"}).ok());
  Error({"run", "--mode=crr", "--family=inet,unix"},
        "crr measures TCP connection setup over IPv4");
  EXPECT_TRUE(absl::StrContains(msg, "--mode=rr")) << msg;
  Error({"run", "--mode=rr", "--messages=1000", "--background=two_copy:1"},
        "--duration");
  Error({"run", "--mode=rr", "--background=two_copy"},
        "TRANSPORT:THREADS[:SIZE]");
  Error({"run", "--mode=rr", "--background=two_copy:1:2:3"},
        "TRANSPORT:THREADS[:SIZE]");
  Error({"run", "--mode=rr", "--background=two_copy:0"}, "THREADS '0'");
  Error({"run", "--mode=rr", "--background=two_copy:x"}, "THREADS 'x'");
  Error({"run", "--mode=rr", "--background=two_copy:65"}, "1..64");
  Error({"run", "--mode=rr", "--background=two_copy:1:0"}, "SIZE '0'");
  Error({"run", "--mode=rr", "--background=two_copy:1:lots"}, "SIZE 'lots'");
  Error({"run", "--mode=rr", "--background=Two-Copy:1"}, "transport name");
  Error({"run", "--mode=rr", "--background="}, "--background");
  Error({"run", "--mode=rr", "--background=none,,none"}, "--background");
  Error({"list", "--background=two_copy:1"}, "does not apply");
}

TEST_F(OptionsTest, FamilyIsAListOfAddressFamilies) {
  absl::StatusOr<Invocation> inv = Parse({"run"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.families, (std::vector<Family>{Family::kInet}));
  inv = Parse({"run", "--family=unix,inet6,unix,inet"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(
      inv->run.families,
      (std::vector<Family>{Family::kUnix, Family::kInet6, Family::kInet}));
  inv = Parse({"run", "--profile=families"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(
      inv->run.families,
      (std::vector<Family>{Family::kUnix, Family::kInet, Family::kInet6}));
  inv = Parse({"run", "--profile=families", "--family=inet6"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.families, (std::vector<Family>{Family::kInet6}));
}

TEST_F(OptionsTest, BadFamily) {
  std::string msg = Error({"run", "--family=inet,ipx"}, "--family");
  EXPECT_TRUE(absl::StrContains(msg, "ipx")) << msg;
  Error({"run", "--family="}, "--family");
  msg = Error({"run", "--family=inet,unix", "--peer=ssh://h"},
              "--family=unix with --peer");
  EXPECT_TRUE(absl::StrContains(msg, "does not reach another host")) << msg;
  inv_ok_ = Parse({"run", "--family=inet6", "--peer=ssh://h"}).ok();
  EXPECT_TRUE(inv_ok_);
  // The peer's data address may be IPv6 (for inet6 cells), not a name.
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--family=inet6", "--peer=ssh://h",
             "--data-address=2001:db8::2"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.data_address, "2001:db8::2");
  EXPECT_TRUE(Parse({"run", "--peer=ssh://h", "--data-address=10.0.0.2"}).ok());
  Error({"run", "--peer=ssh://h", "--data-address=fast-nic"},
        "not an IPv4 or IPv6 address");
}

TEST_F(OptionsTest, EmptyListsAreRefusedNotAll) {
  Error({"run", "--transports="}, "no transport name given");
  Error({"run", "--recv="}, "--recv");
  Error({"run", "--threads="}, "--threads");
  Error({"run", "--counters="}, "--counters");
  Error({"run", "--out="}, "empty path");
  Error({"list", "--plugin="}, "empty path");
}

TEST_F(OptionsTest, TransportOptValuesKeepTheirCommas) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--transport-opt=zc.cpus=0,1", "--transport-opt=k=a,b"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  ASSERT_EQ(inv->run.transport_opts.size(), 2u);
  EXPECT_EQ(inv->run.transport_opts[0].value, "0,1");
  EXPECT_EQ(inv->run.transport_opts[1].value, "a,b");
}

TEST_F(OptionsTest, AFlagThatWouldDoNothingIsRefused) {
  Error({"run", "--request-size=64"}, "--request-size does nothing here");
  Error({"run", "--mode=rr", "--direction=client-to-server"},
        "--direction does nothing here");
  Error({"run", "--messages=100", "--warmup=1s"}, "--warmup does nothing");
  Error({"run", "--profile=copy-matrix", "--warmup=1s"}, "counted");
  Error({"run", "--isolation=loopback", "--mtu=9000"}, "--mtu");
  Error({"run", "--pin-fallback=any"}, "nothing is pinned");
  Error({"run", "--counters=none", "--counters-scope=cpu"},
        "--counters-scope does nothing");
  // The same flags where they do something.
  EXPECT_TRUE(Parse({"run", "--pin-server=cpus:0", "--pin-fallback=any"}).ok());
  EXPECT_TRUE(Parse({"run", "--isolation=netns", "--mtu=9000"}).ok());
}

TEST_F(OptionsTest, AFlagGivenTwiceIsRefused) {
  Error({"run", "--sizes=4K", "--sizes=64K"}, "--sizes given twice");
}

TEST_F(OptionsTest, EffectiveValuesNameEveryRunFlag) {
  absl::StatusOr<Invocation> inv =
      Parse({"run", "--profile=copy-matrix", "--threads=1"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  std::map<std::string, std::string> e(inv->run.effective.begin(),
                                       inv->run.effective.end());
  size_t run_flags = 0;
  for (const FlagDef& f : Flags()) run_flags += (f.commands & kForRun) != 0;
  EXPECT_EQ(e.size(), run_flags);
  EXPECT_EQ(e["profile"], "copy-matrix");
  EXPECT_EQ(e["transports"], "two_copy,one_copy,zero_copy");
  EXPECT_EQ(e["sizes"], "256,1K,4K,16K");
  EXPECT_EQ(e["threads"], "1");
  EXPECT_EQ(e["messages"], "5000");
  EXPECT_EQ(e["duration"], "");  // counted, not timed
  EXPECT_EQ(e["counters"], "default");
  EXPECT_EQ(e["pin-server"], "none");
  // Each effective value parses back to the same options.
  // Flags that do nothing for these options (the peer's, --warmup of a
  // counted run...) are refused when given, so they are left out.
  std::set<std::string> idle;
  for (const FlagDef& flag : Flags()) {
    if (flag.idle != nullptr && flag.idle(inv->run) != nullptr) {
      idle.insert(flag.name);
    }
  }
  EXPECT_TRUE(idle.count("allow-mismatch"));
  EXPECT_TRUE(idle.count("warmup"));
  std::vector<std::string> again = {"run"};
  for (const auto& [name, value] : inv->run.effective) {
    if (!value.empty() && !idle.count(name) && name != "plugin" &&
        name != "plugin-dir" && name != "transport-opt") {
      again.push_back(absl::StrCat("--", name, "=", value));
    }
  }
  absl::StatusOr<Invocation> back = Parse(again);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->run.effective, inv->run.effective);
}

TEST(SubcommandsTest, SubcommandsTakeOnlyTheirFlags) {
  absl::StatusOr<Invocation> topo = ParseCommandLine(
      {"copyscope", "topo", std::string("--topology-xml=machine.xml")});
  ASSERT_TRUE(topo.ok()) << topo.status();
  EXPECT_EQ(topo->command, Command::kTopo);
  EXPECT_EQ(topo->run.topology_xml, "machine.xml");
  EXPECT_FALSE(ParseCommandLine({"copyscope", "topo", "--sizes=4K"}).ok());
  absl::StatusOr<Invocation> check =
      ParseCommandLine({"copyscope", "netns", "check"});
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->command, Command::kNetnsCheck);
  for (std::vector<std::string> bad :
       {std::vector<std::string>{"copyscope", "netns"},
        {"copyscope", "netns", "list"},
        {"copyscope", "netns", "check", "--mtu=1500"}}) {
    absl::StatusOr<Invocation> inv = ParseCommandLine(bad);
    EXPECT_FALSE(inv.ok()) << bad.back();
    EXPECT_EQ(inv.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(absl::StrContains(UsageText(), "copyscope netns check"));
  EXPECT_TRUE(absl::StrContains(UsageText(), "--pin-server"));
}

TEST_F(OptionsTest, ShowTakesADirectory) {
  absl::StatusOr<Invocation> inv = Parse({"show", "results/x"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kShow);
  EXPECT_EQ(inv->show_dir, "results/x");
  Error({"show"}, "results directory");
  Error({"show", "a", "--reps=2"}, "--reps");
}

TEST_F(OptionsTest, RerunTakesOneDirectory) {
  absl::StatusOr<Invocation> inv =
      Parse({"rerun", "results/x", "--out=results/y", "--no-history"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kRerun);
  EXPECT_EQ(inv->dirs, std::vector<std::string>{"results/x"});
  EXPECT_EQ(inv->run.out, "results/y");
  EXPECT_TRUE(inv->run.history.off);
  Error({"rerun"}, "results directory");
  Error({"rerun", "a", "b"}, "'b'");
  Error({"rerun", "a", "--sizes=4K"}, "--sizes");
}

TEST_F(OptionsTest, VersionAndShowTakeTheirFlags) {
  absl::StatusOr<Invocation> inv = Parse({"--version", "--json"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kVersion);
  EXPECT_TRUE(inv->run.json);
  inv = Parse({"version", "--json"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->run.json);
  Error({"--version", "--reps=2"}, "--reps");
  inv = Parse({"show", "results/x", "--env"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->run.show_env);
  EXPECT_EQ(inv->show_dir, "results/x");
}

TEST(UsageTextTest, NamesTheCommandsOfEachFlag) {
  std::string text = UsageText();
  for (const char* s :
       {"--sizes  [run]", "--plugin  [run, list]", "--env  [show]",
        "--json  [run, rerun, history, --version]", "--version [--json]",
        "copyscope history import DIR", "--transport  [history]",
        "copyscope rerun DIR", "--no-history  [run, rerun]"}) {
    EXPECT_TRUE(absl::StrContains(text, s)) << s;
  }
}

TEST_F(OptionsTest, HistoryTakesFiltersAndTheCheck) {
  absl::StatusOr<Invocation> inv =
      Parse({"history", "--transport=two_copy", "--size=64K", "--threads=2",
             "--last=5", "--testbed=ABCDEF0123", "--json"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kHistory);
  const HistoryOptions& h = inv->run.history;
  EXPECT_EQ(h.transport, "two_copy");
  EXPECT_EQ(h.size, 65536u);
  EXPECT_EQ(inv->run.threads, std::vector<int>{2});
  EXPECT_EQ(h.last, 5);
  EXPECT_EQ(h.testbed, "abcdef0123");
  EXPECT_TRUE(inv->run.json);
  EXPECT_FALSE(h.check);
  EXPECT_EQ(inv->given,
            (std::vector<std::string>{"json", "last", "size", "testbed",
                                      "threads", "transport"}));
  inv = Parse({"history", "--check", "--fail-above=10"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->run.history.check);
  EXPECT_DOUBLE_EQ(inv->run.history.fail_above, 0.1);
  Error({"history", "--fail-above=10"}, "--fail-above");
  Error({"history", "--check", "--fail-above=-1"}, "--fail-above");
  Error({"history", "--testbed=nothex"}, "--testbed");
  Error({"history", "--testbed=abc"}, "--testbed");
  Error({"history", "--last=-2"}, "--last");
  Error({"history", "--reps=2"}, "--reps");
  Error({"history", "--no-history"}, "--no-history");
  Error({"history", "extra"}, "extra");
}

TEST_F(OptionsTest, HistoryImportTakesDirectories) {
  absl::StatusOr<Invocation> inv =
      Parse({"history", "import", "a", "b", "--history=h.sqlite"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kHistoryImport);
  EXPECT_EQ(inv->dirs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(inv->run.history.path, "h.sqlite");
  Error({"history", "import"}, "results directories");
  Error({"history", "import", "a", "--check"}, "--check");
}

TEST_F(OptionsTest, RunTakesAHistoryOrNone) {
  absl::StatusOr<Invocation> inv = Parse({"run", "--history=h.sqlite"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->run.history.path, "h.sqlite");
  EXPECT_FALSE(inv->run.history.off);
  inv = Parse({"run", "--no-history"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->run.history.off);
  std::map<std::string, std::string> effective(inv->run.effective.begin(),
                                               inv->run.effective.end());
  EXPECT_EQ(effective["no-history"], "true");
  EXPECT_EQ(effective["history"], "");
  EXPECT_EQ(effective.count("transport"), 0u);  // not a flag of run
  Error({"run", "--history=h.sqlite", "--no-history"}, "--history");
  Error({"run", "--history="}, "--history");
  Error({"list", "--no-history"}, "--no-history");
}

}  // namespace
}  // namespace copyscope::config
