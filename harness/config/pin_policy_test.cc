#include "harness/config/pin_policy.h"

#include <string>

#include "gtest/gtest.h"

namespace copyscope::config {
namespace {

void ExpectError(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), message);
}

TEST(PinPolicyTest, BadSyntaxNamesTheFlagAndTheFix) {
  ExpectError(
      ParsePinOptions("pcores", "none", "error").status(),
      "--pin-server=pcores: unknown pin policy; fix: use none, pcore, "
      "ecore, spread, compact, smt-pair or cpus:LIST (e.g. cpus:0-3,8)");
  ExpectError(ParsePinOptions("none", "cpus:1-x", "error").status(),
              "--pin-client=cpus:1-x: CPU list '1-x': '1-x' is not a CPU "
              "range; write CPU numbers and ranges like 0-3,8");
  ExpectError(ParsePinOptions("none", "none", "maybe").status(),
              "--pin-fallback=maybe: unknown fallback; fix: use error or any");
  ExpectError(ParsePinPolicy("CPUS:1").status(),
              "--pin=CPUS:1: unknown pin policy; fix: use none, pcore, ecore, "
              "spread, compact, smt-pair or cpus:LIST (e.g. cpus:0-3,8)");
}

TEST(PinPolicyTest, ToStringParsesBack) {
  for (const char* text : {"none", "pcore", "ecore", "spread", "compact",
                           "smt-pair", "cpus:0-3,8", "cpus:8,0-3", "cpus:5"}) {
    absl::StatusOr<PinPolicy> p = ParsePinPolicy(text);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->ToString(), text);
  }
  absl::StatusOr<PinPolicy> empty = ParsePinPolicy("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->kind, PolicyKind::kNone);
  EXPECT_EQ(ParsePinFallback("").value(), PinFallback::kError);
  EXPECT_EQ(ParsePinFallback("any").value(), PinFallback::kAny);
  EXPECT_EQ(PinFallbackName(PinFallback::kAny), "any");
}

}  // namespace
}  // namespace copyscope::config
