// Proves that proto_library + cc_proto_library work through the offline
// protobuf wrapper (third_party/com_google_protobuf): generate, link,
// round-trip.
#include <gtest/gtest.h>

#include <string>

#include "tests/toolchain/sample.pb.h"

namespace {

TEST(ProtoRoundTrip, SerializeThenParseGivesEqualMessage) {
  copyscope::toolchain::Sample in;
  in.set_name("two_copy");
  in.add_values(1.5);
  in.add_values(-2.0);
  std::string wire;
  ASSERT_TRUE(in.SerializeToString(&wire));

  copyscope::toolchain::Sample out;
  ASSERT_TRUE(out.ParseFromString(wire));
  EXPECT_EQ(out.name(), "two_copy");
  ASSERT_EQ(out.values_size(), 2);
  EXPECT_DOUBLE_EQ(out.values(1), -2.0);
  EXPECT_FALSE(out.ParseFromString(std::string("\xff\xff\xff", 3)));
}

}  // namespace
