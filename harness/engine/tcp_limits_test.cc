#include "harness/engine/tcp_limits.h"

#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

// Two sending connections over a 1 s window.
TcpInfoMerged TwoSenders(uint64_t retrans, uint64_t segs, uint64_t rwnd_us,
                         uint64_t sndbuf_us, uint64_t busy_us) {
  TcpInfoMerged m;
  m.connections = 2;
  m.sum.total_retrans = retrans;
  m.sum.segs_out = segs;
  m.sum.rwnd_limited_us = rwnd_us;
  m.sum.sndbuf_limited_us = sndbuf_us;
  m.sum.busy_time_us = busy_us;
  return m;
}

TEST(TcpLimitsTest, NamesWhatStandsOut) {
  TcpLimits l = DeriveTcpLimits(TwoSenders(31, 1000, 800000, 0, 1900000),
                                absl::Seconds(1));
  EXPECT_DOUBLE_EQ(*l.retransmitted, 0.031);
  EXPECT_DOUBLE_EQ(*l.rwnd_limited, 0.4);  // 0.8 s over 2 connections x 1 s
  EXPECT_DOUBLE_EQ(*l.sndbuf_limited, 0);
  EXPECT_DOUBLE_EQ(*l.busy, 0.95);
  EXPECT_EQ(l.explanation,
            "3.1% of segments retransmitted, rwnd-limited 40% of the time");

  l = DeriveTcpLimits(TwoSenders(0, 1000, 250000, 300000, 2000000),
                      absl::Seconds(1));
  EXPECT_EQ(l.explanation,
            "rwnd-limited 12% of the time, sndbuf-limited 15% of the time");

  l = DeriveTcpLimits(TwoSenders(3, 2000, 0, 0, 100), absl::Seconds(1));
  EXPECT_EQ(l.explanation, "0.15% of segments retransmitted");
}

TEST(TcpLimitsTest, NothingAtOrBelowTheThresholdsStandsOut) {
  // 0.1% retransmitted, 10% rwnd-limited, 10% sndbuf-limited, barely busy.
  TcpLimits l = DeriveTcpLimits(TwoSenders(1, 1000, 200000, 200000, 1000),
                                absl::Seconds(1));
  EXPECT_DOUBLE_EQ(*l.retransmitted, kRetransmitNotable);
  EXPECT_DOUBLE_EQ(*l.rwnd_limited, kLimitedNotable);
  EXPECT_EQ(l.explanation, "");
}

TEST(TcpLimitsTest, WhatCannotBeComputedIsAbsentNotZero) {
  TcpInfoMerged m = TwoSenders(5, 0, 1, 1, 1);  // no segment sent
  m.sum.sndbuf_limited_us.reset();              // an older kernel
  TcpLimits l = DeriveTcpLimits(m, absl::Seconds(1));
  EXPECT_FALSE(l.retransmitted.has_value());
  EXPECT_FALSE(l.sndbuf_limited.has_value());
  EXPECT_TRUE(l.rwnd_limited.has_value());

  l = DeriveTcpLimits(TwoSenders(5, 10, 1, 1, 1), absl::ZeroDuration());
  EXPECT_TRUE(l.retransmitted.has_value());
  EXPECT_FALSE(l.rwnd_limited.has_value());
  EXPECT_FALSE(l.busy.has_value());

  l = DeriveTcpLimits(TcpInfoMerged{}, absl::Seconds(1));  // no TCP at all
  EXPECT_FALSE(l.retransmitted.has_value());
  EXPECT_FALSE(l.busy.has_value());
  EXPECT_EQ(l.explanation, "");
}

}  // namespace
}  // namespace copyscope::engine
