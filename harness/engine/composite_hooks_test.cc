#include "harness/engine/composite_hooks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

class Recorder : public ThreadHooks {
 public:
  Recorder(std::string name, std::vector<std::string>* log,
           absl::Status start = absl::OkStatus())
      : name_(std::move(name)), log_(log), start_(std::move(start)) {}
  absl::Status OnThreadStart(const ThreadContext&) override {
    log_->push_back(name_ + ".start");
    return start_;
  }
  void OnMeasureStart(const ThreadContext&) override {
    log_->push_back(name_ + ".measure");
  }
  void OnMeasureStop(const ThreadContext&) override {
    log_->push_back(name_ + ".stop");
  }
  void OnThreadEnd(const ThreadContext&) override {
    log_->push_back(name_ + ".end");
  }

 private:
  std::string name_;
  std::vector<std::string>* log_;
  absl::Status start_;
};

TEST(CompositeHooksTest, StartsInOrderAndStopsInReverse) {
  std::vector<std::string> log;
  Recorder a("a", &log), b("b", &log);
  CompositeHooks hooks({&a, nullptr, &b});
  EXPECT_EQ(hooks.size(), 2u);
  ThreadContext t;
  ASSERT_TRUE(hooks.OnThreadStart(t).ok());
  hooks.OnMeasureStart(t);
  hooks.OnMeasureStop(t);
  hooks.OnThreadEnd(t);
  EXPECT_EQ(log, (std::vector<std::string>{"a.start", "b.start", "a.measure",
                                           "b.measure", "b.stop", "a.stop",
                                           "b.end", "a.end"}));
}

TEST(CompositeHooksTest, FirstStartErrorStopsTheChainAndIsReturned) {
  std::vector<std::string> log;
  Recorder a("a", &log, absl::InvalidArgumentError("no such CPU"));
  Recorder b("b", &log);
  CompositeHooks hooks({&a, &b});
  ThreadContext t;
  absl::Status s = hooks.OnThreadStart(t);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "no such CPU");
  // The runner still ends the thread: every hook hears of it.
  hooks.OnThreadEnd(t);
  EXPECT_EQ(log, (std::vector<std::string>{"a.start", "b.end", "a.end"}));
}

TEST(CompositeHooksTest, EmptyIsANoOp) {
  CompositeHooks hooks({});
  ThreadContext t;
  EXPECT_TRUE(hooks.OnThreadStart(t).ok());
  hooks.OnMeasureStart(t);
  hooks.OnMeasureStop(t);
  hooks.OnThreadEnd(t);
  EXPECT_EQ(hooks.size(), 0u);
}

}  // namespace
}  // namespace copyscope::engine
