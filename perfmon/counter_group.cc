#include "perfmon/counter_group.h"

#include <linux/perf_event.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace copyscope::perfmon {
namespace {

constexpr char kSoftwareLabel[] = "software";
// The label of hardware events when no core PMU was discovered.
constexpr char kGenericCpuLabel[] = "cpu";

// Where one event is opened: the PMU it counts on and the group it joins.
struct Placement {
  const CorePmu* pmu = nullptr;  // for the extended hardware type
  std::string label;             // Reading::pmu()
  std::string group_key;         // events with the same key share a group
  std::string unsupported;       // non-empty: do not open, report this
};

std::vector<Placement> PlaceEvent(const EventSpec& event,
                                  const PmuTopology& pmus,
                                  const Target& target) {
  std::vector<Placement> out;
  switch (event.kind) {
    case EventKind::kSoftware:
      out.push_back({nullptr, kSoftwareLabel, kSoftwareLabel, ""});
      break;
    case EventKind::kHardware:
      if (pmus.empty()) {
        out.push_back({nullptr, kGenericCpuLabel, kGenericCpuLabel, ""});
      } else if (target.cpu >= 0) {
        // One CPU has one kind of core: open on that kind only.
        const CorePmu* pmu = pmus.PmuForCpu(target.cpu);
        if (pmu == nullptr) {
          out.push_back({nullptr, kGenericCpuLabel, kGenericCpuLabel,
                         absl::StrCat("no core PMU covers cpu ", target.cpu)});
        } else {
          out.push_back({pmu, pmu->name, pmu->name, ""});
        }
      } else {
        for (const CorePmu& pmu : pmus.core_pmus) {
          out.push_back({&pmu, pmu.name, pmu.name, ""});
        }
      }
      break;
    case EventKind::kPmuSpecific: {
      const CorePmu* pmu = pmus.PmuByType(event.type);
      if (pmu != nullptr) {
        out.push_back({pmu, pmu->name, pmu->name, ""});
      } else {
        std::string label = absl::StrCat("pmu-type-", event.type);
        out.push_back({nullptr, label, label, ""});
      }
      break;
    }
  }
  return out;
}

}  // namespace

std::string Target::Describe() const {
  if (cpu >= 0 && pid == -1) return absl::StrCat("cpu ", cpu);
  if (pid == 0) return "calling thread";
  return absl::StrCat("thread ", pid);
}

std::string OpenErrorReason(int err, PerfEventApi& api) {
  switch (err) {
    case ENOENT:
    case EOPNOTSUPP:
    case EINVAL:
    case ENODEV:
      return "not supported by this CPU/VM";
    case EACCES:
    case EPERM: {
      std::optional<int> level = api.ParanoidLevel();
      return level ? absl::StrCat("not permitted: perf_event_paranoid=", *level)
                   : "not permitted: perf_event_paranoid unreadable";
    }
    case ENOSYS:
      return "perf_event_open is not available (kernel or container)";
    case EMFILE:
    case ENFILE:
      return "out of file descriptors (raise ulimit -n)";
    default:
      return absl::StrCat("perf_event_open failed: ", std::strerror(err));
  }
}

absl::StatusOr<CounterGroup> CounterGroup::Open(const CounterOptions& options,
                                                Target target) {
  if (target.pid == -1 && target.cpu < 0) {
    return absl::InvalidArgumentError(
        "counter target: pid -1 (every task) needs a CPU number >= 0");
  }
  if (target.pid < -1 || target.cpu < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "counter target: bad pid ", target.pid, " / cpu ", target.cpu));
  }
  PerfEventApi* api =
      options.api != nullptr ? options.api : &SystemPerfEventApi();
  CounterGroup group(api, target);
  // The most recent group of each key; new events try to join it.
  std::vector<std::pair<std::string, size_t>> latest_group;
  for (const EventSpec& event : options.events) {
    for (const Placement& place : PlaceEvent(event, options.pmus, target)) {
      const size_t slot = group.slots_.size();
      group.slots_.push_back({event.name, place.label, -1, 0, ""});
      if (!place.unsupported.empty()) {
        group.slots_[slot].reason = place.unsupported;
        continue;
      }
      group.OpenSlot(slot, EncodeAttr(event, place.pmu), place.group_key,
                     latest_group);
    }
  }
  return group;
}

void CounterGroup::OpenSlot(
    size_t slot, perf_event_attr attr, const std::string& key,
    std::vector<std::pair<std::string, size_t>>& latest_group) {
  size_t* latest = nullptr;
  for (auto& [k, index] : latest_group) {
    if (k == key) latest = &index;
  }
  if (latest != nullptr) {
    Group& g = groups_[*latest];
    uint64_t id = 0;
    int fd = OpenFd(attr, g.leader_fd, &id);
    if (fd >= 0) {
      slots_[slot].fd = fd;
      slots_[slot].id = id;
      g.slots.push_back(slot);
      return;
    }
    // The group may be full or the event may not mix with it: try alone.
  }
  uint64_t id = 0;
  int fd = OpenFd(attr, -1, &id);
  if (fd < 0) {
    slots_[slot].reason = OpenErrorReason(-fd, *api_);
    return;
  }
  slots_[slot].fd = fd;
  slots_[slot].id = id;
  groups_.push_back({fd, {slot}});
  if (latest != nullptr) {
    *latest = groups_.size() - 1;
  } else {
    latest_group.emplace_back(key, groups_.size() - 1);
  }
}

int CounterGroup::OpenFd(perf_event_attr attr, int group_fd, uint64_t* id) {
  attr.size = sizeof(attr);
  attr.read_format = kReadFormat;
  attr.disabled = group_fd == -1 ? 1 : 0;  // members follow their leader
  attr.inherit = 0;                        // this thread only
  int fd;
  do {
    fd = api_->Open(&attr, target_.pid, target_.cpu, group_fd,
                    PERF_FLAG_FD_CLOEXEC);
  } while (fd == -EINTR);
  if (fd < 0) return fd;
  const int rc =
      api_->Ioctl(fd, PERF_EVENT_IOC_ID, reinterpret_cast<unsigned long>(id));
  if (rc < 0) {
    api_->Close(fd);
    return rc;
  }
  return fd;
}

CounterGroup::CounterGroup(CounterGroup&& other) noexcept
    : api_(other.api_),
      target_(other.target_),
      slots_(std::exchange(other.slots_, {})),
      groups_(std::exchange(other.groups_, {})) {}

CounterGroup& CounterGroup::operator=(CounterGroup&& other) noexcept {
  if (this != &other) {
    CloseAll();
    api_ = other.api_;
    target_ = other.target_;
    slots_ = std::exchange(other.slots_, {});
    groups_ = std::exchange(other.groups_, {});
  }
  return *this;
}

CounterGroup::~CounterGroup() { CloseAll(); }

void CounterGroup::CloseAll() {
  // Members before leaders, as perf tools do.
  for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
    if (it->fd >= 0) api_->Close(it->fd);
    it->fd = -1;
  }
  slots_.clear();
  groups_.clear();
}

size_t CounterGroup::num_open_events() const {
  size_t n = 0;
  for (const Slot& s : slots_) n += s.fd >= 0 ? 1 : 0;
  return n;
}

absl::Status CounterGroup::IoctlGroups(unsigned long request,
                                       const char* what) {
  for (const Group& g : groups_) {
    int rc;
    do {
      rc = api_->Ioctl(g.leader_fd, request, PERF_IOC_FLAG_GROUP);
    } while (rc == -EINTR);
    if (rc < 0) {
      return absl::InternalError(absl::StrCat(what, " counters for ",
                                              target_.Describe(), ": ",
                                              std::strerror(-rc)));
    }
  }
  return absl::OkStatus();
}

absl::Status CounterGroup::Enable() {
  return IoctlGroups(PERF_EVENT_IOC_ENABLE, "enabling");
}

absl::Status CounterGroup::Disable() {
  return IoctlGroups(PERF_EVENT_IOC_DISABLE, "disabling");
}

absl::StatusOr<std::vector<Reading>> CounterGroup::Read() const {
  // Per slot: raw, enabled, running, filled from the group reads.
  struct Counts {
    bool seen = false;
    uint64_t raw = 0, enabled = 0, running = 0;
  };
  std::vector<Counts> counts(slots_.size());
  std::vector<uint64_t> buf;
  for (const Group& g : groups_) {
    // nr, time_enabled, time_running, then {value, id} per member.
    buf.assign(3 + 2 * g.slots.size(), 0);
    const size_t bytes = buf.size() * sizeof(uint64_t);
    ssize_t n;
    do {
      n = api_->Read(g.leader_fd, buf.data(), bytes);
    } while (n == -EINTR);
    if (n < 0) {
      return absl::InternalError(
          absl::StrCat("reading counters of ", target_.Describe(), ": ",
                       std::strerror(static_cast<int>(-n))));
    }
    if (static_cast<size_t>(n) < 3 * sizeof(uint64_t) ||
        buf[0] != g.slots.size() ||
        static_cast<size_t>(n) < (3 + 2 * buf[0]) * sizeof(uint64_t)) {
      return absl::InternalError(absl::StrCat(
          "reading counters of ", target_.Describe(), ": short group read (", n,
          " bytes for ", g.slots.size(), " events)"));
    }
    for (size_t i = 0; i < buf[0]; ++i) {
      const uint64_t value = buf[3 + 2 * i];
      const uint64_t id = buf[4 + 2 * i];
      for (size_t slot : g.slots) {
        if (slots_[slot].id == id) {
          counts[slot] = {true, value, buf[1], buf[2]};
          break;
        }
      }
    }
  }
  std::vector<Reading> readings;
  readings.reserve(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.fd < 0) {
      readings.push_back(Reading::Unsupported(s.event, s.pmu, s.reason));
    } else if (!counts[i].seen) {
      return absl::InternalError(
          absl::StrCat("reading counters of ", target_.Describe(), ": event ",
                       s.event, " missing from its group read"));
    } else {
      readings.push_back(Reading::FromCounts(
          s.event, s.pmu, counts[i].raw, counts[i].enabled, counts[i].running));
    }
  }
  return readings;
}

std::vector<Reading> CounterGroup::Unsupported() const {
  std::vector<Reading> out;
  for (const Slot& s : slots_) {
    if (s.fd < 0) out.push_back(Reading::Unsupported(s.event, s.pmu, s.reason));
  }
  return out;
}

}  // namespace copyscope::perfmon
