#include "perfmon/derived.h"

#include "absl/strings/str_cat.h"

namespace copyscope::perfmon {
namespace {

// A numerator or denominator: a value, whether it came from a low-coverage
// counter, or why it is missing.
struct Input {
  std::optional<double> value;
  bool low_coverage = false;
  std::string why_absent;
};

Input FromCounter(const std::vector<Reading>& totals, const char* event) {
  Input in;
  const Reading* r = FindReading(totals, event);
  if (r == nullptr) {
    in.why_absent = absl::StrCat(event, " not counted (not in --counters)");
    return in;
  }
  in.value = r->value();
  in.low_coverage = r->low_coverage();
  if (!in.value) {
    in.why_absent = absl::StrCat(event, " ", CounterStateName(r->state()),
                                 r->reason().empty() ? "" : ": ", r->reason());
  }
  return in;
}

Input FromWork(std::optional<double> value, const char* what) {
  Input in;
  in.value = value;
  if (!value) in.why_absent = absl::StrCat(what, " unknown");
  return in;
}

Figure Ratio(const Input& num, const Input& den, double den_scale = 1.0) {
  Figure f;
  f.low_coverage = num.low_coverage || den.low_coverage;
  if (!num.value) {
    f.why_absent = num.why_absent;
  } else if (!den.value) {
    f.why_absent = den.why_absent;
  } else if (*den.value <= 0) {
    f.why_absent = "divisor is zero";
  } else {
    f.value = *num.value / (*den.value * den_scale);
  }
  return f;
}

std::optional<double> AsDouble(std::optional<uint64_t> v) {
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

}  // namespace

std::vector<std::pair<const char*, const Figure*>> DerivedFigures::Named()
    const {
  return {
      {"ipc", &ipc},
      {"cycles_per_byte", &cycles_per_byte},
      {"instructions_per_message", &instructions_per_message},
      {"llc_misses_per_kib", &llc_misses_per_kib},
      {"l1_misses_per_kib", &l1_misses_per_kib},
      {"context_switches_per_second", &context_switches_per_second},
  };
}

bool DerivedFigures::AnyLowCoverage() const {
  for (const auto& [name, figure] : Named()) {
    if (figure->value && figure->low_coverage) return true;
  }
  return false;
}

DerivedFigures Derive(const std::vector<Reading>& totals, const Work& work) {
  const Input cycles = FromCounter(totals, "cycles");
  const Input instructions = FromCounter(totals, "instructions");
  const Input llc = FromCounter(totals, "cache-misses");
  const Input l1 = FromCounter(totals, "L1-dcache-load-misses");
  const Input cs = FromCounter(totals, "context-switches");
  const Input bytes = FromWork(AsDouble(work.bytes), "bytes");
  const Input messages = FromWork(AsDouble(work.messages), "messages");
  const Input seconds = FromWork(work.seconds, "seconds");

  DerivedFigures d;
  d.ipc = Ratio(instructions, cycles);
  d.cycles_per_byte = Ratio(cycles, bytes);
  d.instructions_per_message = Ratio(instructions, messages);
  d.llc_misses_per_kib = Ratio(llc, bytes, 1.0 / 1024);
  d.l1_misses_per_kib = Ratio(l1, bytes, 1.0 / 1024);
  d.context_switches_per_second = Ratio(cs, seconds);
  return d;
}

}  // namespace copyscope::perfmon
