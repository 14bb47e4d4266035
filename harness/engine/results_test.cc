#include "harness/engine/results.h"

#include "gtest/gtest.h"

namespace copyscope::harness {
namespace {

ConnectionResult Conn(double seconds, uint64_t messages, uint64_t size) {
  ConnectionResult c;
  c.rx_window = absl::Seconds(seconds);
  c.rx_messages = messages;
  c.rx_bytes = messages * size;
  return c;
}

TEST(SummarizeTest, SumsRatesOverConnections) {
  CellResult cell;
  cell.size = 1000;
  cell.connections = {Conn(2.0, 1000000, 1000), Conn(1.0, 250000, 1000)};
  cell.connections[0].server_counters = {{"send_calls", 5}};
  cell.connections[1].server_counters = {{"send_calls", 7}, {"other", 1}};
  cell.connections[1].client_counters = {{"recv_calls", 3}};
  Summarize(&cell);
  ASSERT_TRUE(cell.status.ok()) << cell.status;
  // 1e9 bytes/2s + 2.5e8 bytes/1s = 7.5e8 B/s = 6 Gbit/s.
  EXPECT_DOUBLE_EQ(*cell.throughput_gbps, 6.0);
  EXPECT_DOUBLE_EQ(*cell.messages_per_sec, 750000.0);
  EXPECT_DOUBLE_EQ(*cell.mean_us_per_msg, (2.0 + 4.0) / 2);
  EXPECT_EQ(cell.server_counters,
            (CounterMap{{"send_calls", 12}, {"other", 1}}));
  EXPECT_EQ(cell.client_counters, (CounterMap{{"recv_calls", 3}}));
  EXPECT_FALSE(cell.zc_copied_fraction.has_value());
}

TEST(SummarizeTest, CopiedFractionFromSenderCounters) {
  CellResult cell;
  cell.connections = {Conn(1.0, 10, 1), Conn(1.0, 10, 1)};
  cell.connections[0].server_counters = {{kZeroCopyCompletions, 100},
                                         {kZeroCopyCopied, 25}};
  cell.connections[1].server_counters = {{kZeroCopyCompletions, 100},
                                         {kZeroCopyCopied, 75}};
  Summarize(&cell);
  ASSERT_TRUE(cell.zc_copied_fraction.has_value());
  EXPECT_DOUBLE_EQ(*cell.zc_copied_fraction, 0.5);
}

TEST(CopiedFractionTest, NeedsBothCountersAndCompletions) {
  EXPECT_FALSE(CopiedFraction({}).has_value());
  EXPECT_FALSE(CopiedFraction({{kZeroCopyCopied, 1}}).has_value());
  EXPECT_FALSE(CopiedFraction({{kZeroCopyCompletions, 0}, {kZeroCopyCopied, 0}})
                   .has_value());
  EXPECT_DOUBLE_EQ(
      *CopiedFraction({{kZeroCopyCompletions, 4}, {kZeroCopyCopied, 0}}), 0.0);
}

TEST(SummarizeTest, FailedCellHasNoRates) {
  CellResult cell;
  cell.status = absl::UnavailableError("x");
  cell.connections = {Conn(1.0, 10, 1)};
  Summarize(&cell);
  EXPECT_FALSE(cell.throughput_gbps.has_value());
  EXPECT_FALSE(cell.messages_per_sec.has_value());
  EXPECT_FALSE(cell.mean_us_per_msg.has_value());
  EXPECT_EQ(cell.status.message(), "x");
}

TEST(SummarizeTest, AConnectionThatMeasuredNothingFailsTheCell) {
  CellResult cell;
  cell.connections = {Conn(1.0, 10, 1), Conn(0.0, 0, 1)};
  Summarize(&cell);
  EXPECT_FALSE(cell.status.ok());
  EXPECT_FALSE(cell.throughput_gbps.has_value());
}

TEST(AddCountersTest, AddsByName) {
  CounterMap sum{{"a", 1}};
  AddCounters({{"a", 2}, {"b", 3}}, &sum);
  EXPECT_EQ(sum, (CounterMap{{"a", 3}, {"b", 3}}));
}

}  // namespace
}  // namespace copyscope::harness
