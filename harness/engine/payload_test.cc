#include "harness/engine/payload.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace copyscope::engine::payload {
namespace {

std::vector<uint8_t> Whole(uint64_t key, size_t len) {
  std::vector<uint8_t> out(len);
  Fill(key, 0, out.data(), out.size());
  return out;
}

// Random field lengths (some empty) that sum to len.
std::vector<size_t> RandomSplit(size_t len, size_t fields, std::mt19937_64& r) {
  std::vector<size_t> cuts = {0, len};
  for (size_t i = 1; i < fields; ++i) cuts.push_back(r() % (len + 1));
  std::sort(cuts.begin(), cuts.end());
  std::vector<size_t> lengths;
  for (size_t i = 1; i < cuts.size(); ++i) {
    lengths.push_back(cuts[i] - cuts[i - 1]);
  }
  return lengths;
}

// Separately allocated fields of those lengths.
struct Fields {
  explicit Fields(const std::vector<size_t>& lengths) {
    for (size_t n : lengths) {
      buffers.emplace_back(n);
      iov.push_back({buffers.back().data(), n});
    }
  }
  std::vector<uint8_t> Gathered() const {
    std::vector<uint8_t> out;
    for (const std::vector<uint8_t>& b : buffers) {
      out.insert(out.end(), b.begin(), b.end());
    }
    return out;
  }
  uint8_t& At(uint64_t offset) {
    for (std::vector<uint8_t>& b : buffers) {
      if (offset < b.size()) return b[offset];
      offset -= b.size();
    }
    ADD_FAILURE() << "offset beyond the message";
    return buffers[0][0];
  }
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<struct iovec> iov;
};

TEST(PayloadTest, KnownBytes) {
  // The pattern is what two builds on two hosts agree on: pinned.
  const uint64_t key = Key(0, kClientToServer, 0);
  std::vector<uint8_t> bytes = Whole(key, 16);
  std::string hex;
  for (uint8_t b : bytes) absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
  EXPECT_EQ(hex, "c4263166d58bfe330bd8bfe8880536d2");
}

TEST(PayloadTest, AFilledMessageChecksIntactAtEverySize) {
  for (size_t len = 0; len <= 300; ++len) {
    const uint64_t key = Key(1, kServerToClient, len);
    std::vector<uint8_t> m = Whole(key, len);
    EXPECT_EQ(Check(key, 0, m.data(), m.size()), len) << len;
  }
}

TEST(PayloadTest, EveryWrongByteIsFoundAtItsOffset) {
  const uint64_t key = Key(3, kClientToServer, 99);
  const size_t len = 77;  // not a multiple of 8
  for (size_t at = 0; at < len; ++at) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::vector<uint8_t> m = Whole(key, len);
      m[at] ^= flip;
      EXPECT_EQ(Check(key, 0, m.data(), m.size()), at) << at;
    }
  }
}

TEST(PayloadTest, AnyOffsetMatchesTheWholeMessage) {
  const uint64_t key = Key(5, kServerToClient, 7);
  const std::vector<uint8_t> whole = Whole(key, 100);
  for (size_t from = 0; from <= whole.size(); ++from) {
    for (size_t len = 0; from + len <= whole.size(); ++len) {
      std::vector<uint8_t> part(len);
      Fill(key, from, part.data(), len);
      ASSERT_EQ(0, std::memcmp(part.data(), whole.data() + from, len))
          << from << "+" << len;
      ASSERT_EQ(Check(key, from, whole.data() + from, len), len);
    }
  }
}

// Fuzz-ish: random sizes, random splits into fields (some empty, none
// aligned), a random wrong byte: found at its offset within the message.
TEST(PayloadTest, FieldsAndSegmentsOfAnySplit) {
  std::mt19937_64 r(20261121);
  for (int round = 0; round < 2000; ++round) {
    const size_t len = 1 + r() % (round < 1000 ? 200 : 70000);
    const size_t fields = 1 + r() % 64;
    const uint64_t key = Key(r() % 1024, r() % 2, r());
    SCOPED_TRACE(absl::StrCat("round ", round, ": ", len, " bytes in ", fields,
                              " fields"));
    Fields f(RandomSplit(len, fields, r));
    FillFields(key, f.iov.data(), f.iov.size());
    ASSERT_EQ(f.Gathered(), Whole(key, len));
    ASSERT_EQ(CheckFields(key, f.iov.data(), f.iov.size()), kIntact);
    // The same bytes, received in another split.
    std::vector<uint8_t> gathered = f.Gathered();
    std::vector<size_t> other = RandomSplit(len, 1 + r() % 64, r);
    std::vector<struct iovec> segments;
    size_t at = 0;
    for (size_t n : other) {
      segments.push_back({gathered.data() + at, n});
      at += n;
    }
    ASSERT_EQ(CheckFields(key, segments.data(), segments.size()), kIntact);
    const uint64_t bad = r() % len;
    gathered[bad] ^= static_cast<uint8_t>(1 + r() % 255);
    ASSERT_EQ(CheckFields(key, segments.data(), segments.size()), bad);
    f.At(bad) ^= 0x10;
    ASSERT_EQ(CheckFields(key, f.iov.data(), f.iov.size()), bad);
  }
}

TEST(PayloadTest, OtherMessagesDifferFromTheFirstWord) {
  const uint64_t key = Key(2, kClientToServer, 10);
  const std::vector<uint8_t> m = Whole(key, 64);
  for (uint64_t other :
       {Key(2, kClientToServer, 11), Key(2, kClientToServer, 9),
        Key(2, kServerToClient, 10), Key(3, kClientToServer, 10),
        Key(0, kClientToServer, 0)}) {
    EXPECT_LT(Check(other, 0, m.data(), m.size()), 8u);
  }
}

TEST(PayloadTest, AShiftedStreamIsCaught) {
  const uint64_t key = Key(0, kServerToClient, 0);
  const std::vector<uint8_t> m = Whole(key, 4096 + 64);
  // The message seen from a byte or a word late (a lost byte, a lost word).
  for (size_t shift : {size_t{1}, size_t{8}, size_t{64}}) {
    EXPECT_LT(Check(key, 0, m.data() + shift, 4096), 8u) << shift;
  }
  // A message whose second half repeats its first.
  std::vector<uint8_t> repeated = Whole(key, 4096);
  std::memcpy(repeated.data() + 2048, repeated.data(), 2048);
  EXPECT_LT(Check(key, 0, repeated.data(), repeated.size()), 2048u + 8);
  EXPECT_GE(Check(key, 0, repeated.data(), repeated.size()), 2048u);
}

TEST(PayloadTest, CorruptStatusTextSurvivesRewrapping) {
  absl::Status s = CorruptError(12, 3456);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "corrupt: message 12 offset 3456");
  EXPECT_EQ(CorruptText(s), "corrupt: message 12 offset 3456");
  absl::Status wrapped(s.code(), absl::StrCat("client 0: ", s.message()));
  EXPECT_EQ(CorruptText(wrapped), std::nullopt);  // payload not copied
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& p) {
    wrapped.SetPayload(url, p);
  });
  EXPECT_EQ(CorruptText(wrapped), "corrupt: message 12 offset 3456");
  EXPECT_EQ(CorruptText(absl::DataLossError("corrupt: message 1 offset 2")),
            std::nullopt);
  EXPECT_EQ(CorruptText(absl::OkStatus()), std::nullopt);
}

}  // namespace
}  // namespace copyscope::engine::payload
