#include "harness/engine/message_pool.h"

#include <cstdint>
#include <numeric>
#include <set>

#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

TEST(SplitFieldsTest, EvenSplit) {
  EXPECT_EQ(SplitFields(4096, 8), std::vector<size_t>(8, 512));
  EXPECT_EQ(SplitFields(10, 4), (std::vector<size_t>{3, 3, 2, 2}));
  EXPECT_EQ(SplitFields(7, 1), (std::vector<size_t>{7}));
}

TEST(SplitFieldsTest, NeverAnEmptyField) {
  EXPECT_EQ(SplitFields(3, 8), (std::vector<size_t>{1, 1, 1}));
  EXPECT_EQ(SplitFields(1, 64), (std::vector<size_t>{1}));
}

TEST(SplitFieldsTest, InvariantsOverManyShapes) {
  for (size_t size : {1u, 2u, 7u, 63u, 64u, 100u, 4095u, 4096u, 65537u}) {
    for (uint32_t fields : {1u, 2u, 3u, 8u, 13u, 64u, 1024u}) {
      std::vector<size_t> f = SplitFields(size, fields);
      ASSERT_EQ(f.size(), std::min<size_t>(size, fields));
      EXPECT_EQ(std::accumulate(f.begin(), f.end(), size_t{0}), size);
      EXPECT_LE(f.front() - f.back(), 1u);
      EXPECT_GE(f.back(), 1u);
      for (size_t i = 1; i < f.size(); ++i) EXPECT_LE(f[i], f[i - 1]);
    }
  }
}

TEST(InFlightTest, BoundedByCountAndBytes) {
  EXPECT_EQ(InFlight(4096), 64u);
  EXPECT_EQ(InFlight(1 << 20), 64u);
  EXPECT_EQ(InFlight(4 << 20), 16u);
  EXPECT_EQ(InFlight(size_t{1} << 30), 1u);  // at least one
  EXPECT_EQ(InFlight(100, 1000, 64), 10u);
}

TEST(MessagePoolTest, MessagesDescribeSeparateFields) {
  MessagePool pool(/*size=*/1000, /*fields=*/8, /*count=*/3);
  EXPECT_EQ(pool.count(), 3u);
  EXPECT_EQ(pool.field_count(), 8u);
  EXPECT_EQ(pool.message_size(), 1000u);
  std::set<const void*> buffers;
  for (uint32_t m = 0; m < pool.count(); ++m) {
    const cs_message& msg = pool.message(m);
    EXPECT_EQ(msg.tag, m);
    EXPECT_EQ(msg.field_count, 8u);
    EXPECT_EQ(msg.reserved, 0u);
    size_t total = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      total += msg.fields[f].iov_len;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(msg.fields[f].iov_base) % 64, 0u);
      EXPECT_TRUE(buffers.insert(msg.fields[f].iov_base).second);
    }
    EXPECT_EQ(total, 1000u);
  }
}

TEST(MessagePoolTest, FieldsCappedAtSize) {
  MessagePool pool(/*size=*/3, /*fields=*/8, /*count=*/1);
  EXPECT_EQ(pool.field_count(), 3u);
  EXPECT_EQ(pool.message(0).field_count, 3u);
}

TEST(MessagePoolTest, SurvivesMove) {
  MessagePool a(4096, 4, 2);
  const iovec* fields = a.message(1).fields;
  MessagePool b(std::move(a));
  EXPECT_EQ(b.message(1).fields, fields);
  EXPECT_EQ(b.message(1).fields[0].iov_len, 1024u);
}

}  // namespace
}  // namespace copyscope::engine
