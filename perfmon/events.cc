#include "perfmon/events.h"

#include <perfmon/pfmlib_perf_event.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace copyscope::perfmon {
namespace {

constexpr uint64_t HwCache(uint64_t cache, uint64_t op, uint64_t result) {
  return cache | (op << 8) | (result << 16);
}

struct GenericEvent {
  const char* name;   // canonical
  const char* alias;  // perf's alias, or nullptr
  EventKind kind;
  uint32_t type;
  uint64_t config;
};

// The generic set, in default report order.
constexpr GenericEvent kGenericEvents[] = {
    {"cycles", "cpu-cycles", EventKind::kHardware, PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", nullptr, EventKind::kHardware, PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_INSTRUCTIONS},
    {"cache-references", nullptr, EventKind::kHardware, PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache-misses", nullptr, EventKind::kHardware, PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CACHE_MISSES},
    {"L1-dcache-load-misses", nullptr, EventKind::kHardware, PERF_TYPE_HW_CACHE,
     HwCache(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_READ,
             PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"branch-misses", nullptr, EventKind::kHardware, PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_BRANCH_MISSES},
    {"task-clock", nullptr, EventKind::kSoftware, PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_TASK_CLOCK},
    {"context-switches", "cs", EventKind::kSoftware, PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu-migrations", "migrations", EventKind::kSoftware, PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_CPU_MIGRATIONS},
    {"page-faults", "faults", EventKind::kSoftware, PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_PAGE_FAULTS},
};

EventSpec FromGeneric(const GenericEvent& g) {
  EventSpec spec;
  spec.name = g.name;
  spec.kind = g.kind;
  spec.type = g.type;
  spec.config = g.config;
  spec.source = "generic";
  return spec;
}

// libpfm4 keeps global tables: initialise once, and serialise lookups.
std::mutex& PfmMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

int PfmInitOnce() {
  static const int result = pfm_initialize();
  return result;
}

absl::StatusOr<EventSpec> ResolveWithLibpfm(absl::string_view name) {
  std::lock_guard<std::mutex> lock(PfmMutex());
  const int init = PfmInitOnce();
  if (init != PFM_SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown counter event \"", name,
                     "\": not a generic event, and libpfm4 could not start (",
                     pfm_strerror(init), ")"));
  }
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  char* fstr = nullptr;
  pfm_perf_encode_arg_t arg;
  std::memset(&arg, 0, sizeof(arg));
  arg.attr = &attr;
  arg.fstr = &fstr;
  arg.size = sizeof(arg);
  const std::string name_str(name);
  // Count user and kernel work unless the name carries its own modifiers
  // (":u", ":k"): kernel time is most of what a network transfer costs.
  const int rc = pfm_get_os_event_encoding(
      name_str.c_str(), PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
  if (rc != PFM_SUCCESS) {
    std::free(fstr);
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown counter event \"", name,
        "\": not a generic event and libpfm4 ", "says: ", pfm_strerror(rc),
        " (see `perf list`; generic names: cycles, instructions, ",
        "cache-references, cache-misses, L1-dcache-load-misses, "
        "branch-misses, ",
        "task-clock, context-switches, cpu-migrations, page-faults)"));
  }
  EventSpec spec;
  spec.name = name_str;
  spec.type = attr.type;
  spec.config = attr.config;
  spec.config1 = attr.config1;
  spec.config2 = attr.config2;
  spec.exclude_user = attr.exclude_user;
  spec.exclude_kernel = attr.exclude_kernel;
  spec.exclude_hv = attr.exclude_hv;
  spec.source = fstr != nullptr ? fstr : "libpfm4";
  std::free(fstr);
  switch (attr.type) {
    case PERF_TYPE_HARDWARE:
    case PERF_TYPE_HW_CACHE:
      spec.kind = EventKind::kHardware;
      spec.config &= PERF_HW_EVENT_MASK;
      break;
    case PERF_TYPE_SOFTWARE:
      spec.kind = EventKind::kSoftware;
      break;
    default:
      spec.kind = EventKind::kPmuSpecific;
      break;
  }
  return spec;
}

}  // namespace

absl::string_view EventKindName(EventKind kind) {
  static constexpr absl::string_view kNames[] = {"hardware", "software",
                                                 "pmu-specific"};
  return kNames[static_cast<size_t>(kind)];
}

std::vector<EventSpec> DefaultEvents() {
  std::vector<EventSpec> events;
  for (const GenericEvent& g : kGenericEvents) events.push_back(FromGeneric(g));
  return events;
}

absl::StatusOr<EventSpec> ResolveEvent(absl::string_view name) {
  for (const GenericEvent& g : kGenericEvents) {
    if (name == g.name || (g.alias != nullptr && name == g.alias)) {
      return FromGeneric(g);
    }
  }
  return ResolveWithLibpfm(name);
}

absl::StatusOr<std::vector<EventSpec>> ParseCounters(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  std::vector<EventSpec> events;
  if (value == "none") return events;
  if (value.empty()) {
    return absl::InvalidArgumentError(
        "--counters is empty: use none, default, or a comma list of events");
  }
  absl::flat_hash_set<std::string> seen;
  auto add = [&](EventSpec spec) -> absl::Status {
    if (!seen.insert(spec.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--counters lists \"", spec.name, "\" twice: remove one"));
    }
    events.push_back(std::move(spec));
    return absl::OkStatus();
  };
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--counters=", value, " has an empty item: remove the extra comma"));
    }
    if (item == "none") {
      return absl::InvalidArgumentError(
          "--counters: \"none\" cannot be combined with other events");
    }
    if (item == "default") {
      for (EventSpec& spec : DefaultEvents()) {
        absl::Status status = add(std::move(spec));
        if (!status.ok()) return status;
      }
      continue;
    }
    absl::StatusOr<EventSpec> spec = ResolveEvent(item);
    if (!spec.ok()) return spec.status();
    absl::Status status = add(*std::move(spec));
    if (!status.ok()) return status;
  }
  return events;
}

perf_event_attr EncodeAttr(const EventSpec& event, const CorePmu* pmu) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = event.type;
  attr.config = event.config;
  attr.config1 = event.config1;
  attr.config2 = event.config2;
  attr.exclude_user = event.exclude_user;
  attr.exclude_kernel = event.exclude_kernel;
  attr.exclude_hv = event.exclude_hv;
  if (event.kind == EventKind::kHardware && pmu != nullptr &&
      pmu->NeedsExtendedType()) {
    attr.config = (static_cast<uint64_t>(pmu->type) << PERF_PMU_TYPE_SHIFT) |
                  (event.config & PERF_HW_EVENT_MASK);
  }
  return attr;
}

}  // namespace copyscope::perfmon
