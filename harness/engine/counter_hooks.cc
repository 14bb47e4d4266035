#include "harness/engine/counter_hooks.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "harness/record/metrics.h"
#include "harness/record/perf_counter.h"
#include "perfmon/cpu_list.h"
#include "perfmon/events.h"
#include "perfmon/pmu.h"

namespace copyscope::engine {
namespace {

std::vector<std::string> EventNames(const perfmon::CounterOptions& options) {
  std::vector<std::string> names;
  for (const perfmon::EventSpec& e : options.events) names.push_back(e.name);
  return names;
}

std::vector<record::PerfCounter> AllUnsupported(
    const std::vector<std::string>& events, const std::string& pmu,
    const std::string& reason) {
  std::vector<record::PerfCounter> out;
  for (const std::string& e : events) {
    out.push_back(
        record::ToProto(perfmon::Reading::Unsupported(e, pmu, reason)));
  }
  return out;
}

// Adds r unless the same event, PMU and reason is there already.
void AddUnique(const perfmon::Reading& r, std::vector<perfmon::Reading>* to) {
  bool known = std::any_of(to->begin(), to->end(), [&](const auto& u) {
    return u.event() == r.event() && u.pmu() == r.pmu() &&
           u.reason() == r.reason();
  });
  if (!known) to->push_back(r);
}

void Append(std::vector<record::PerfCounter> records,
            record::ThreadReport* to) {
  for (record::PerfCounter& r : records) *to->add_perf() = std::move(r);
}

// What did not run says why, when enable or disable failed.
void ExplainNotRun(const std::string& problem,
                   std::vector<record::PerfCounter>* records) {
  if (problem.empty()) return;
  for (record::PerfCounter& r : *records) {
    if (r.state() == "not_run") r.set_reason(problem);
  }
}

}  // namespace

absl::StatusOr<perfmon::CounterOptions> MakeCounterOptions(
    const config::CounterSelection& counters) {
  const std::string flag = counters.ToString();
  absl::StatusOr<std::vector<perfmon::EventSpec>> events =
      perfmon::ParseCounters(flag);
  if (!events.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--counters=", flag, ": ", events.status().message(),
                     "; use none, default, or a list such as "
                     "--counters=task-clock,context-switches,cycles"));
  }
  perfmon::CounterOptions options;
  options.events = *std::move(events);
  // No core PMU directory (or none at all, as on a VM without a PMU) is
  // fine: hardware events are then tried generically and come back
  // unsupported with the reason.
  absl::StatusOr<perfmon::PmuTopology> pmus = perfmon::DiscoverPmus();
  if (pmus.ok()) options.pmus = *std::move(pmus);
  return options;
}

// --- thread scope -----------------------------------------------------------

CounterHooks::CounterHooks(const perfmon::CounterOptions& options)
    : options_(options) {}

CounterHooks::Slot* CounterHooks::Mine() {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(std::this_thread::get_id());
  return it == slots_.end() ? nullptr : it->second.get();
}

void CounterHooks::Note(const std::vector<perfmon::Reading>& unsupported) {
  if (unsupported.empty()) return;
  absl::MutexLock lock(&mu_);
  for (const perfmon::Reading& r : unsupported) AddUnique(r, &unsupported_);
}

absl::Status CounterHooks::OnThreadStart(const ThreadContext&) {
  if (options_.events.empty()) return absl::OkStatus();
  auto slot = std::make_unique<Slot>();
  absl::StatusOr<perfmon::CounterGroup> group =
      perfmon::CounterGroup::Open(options_);
  if (group.ok()) {
    Note(group->Unsupported());
    slot->group.emplace(*std::move(group));
  } else {
    slot->problem = absl::StrCat("could not open counters for this thread: ",
                                 group.status().message());
    std::vector<perfmon::Reading> all;
    for (const perfmon::EventSpec& e : options_.events) {
      all.push_back(perfmon::Reading::Unsupported(e.name, "", slot->problem));
    }
    Note(all);
  }
  absl::MutexLock lock(&mu_);
  slots_[std::this_thread::get_id()] = std::move(slot);
  return absl::OkStatus();
}

void CounterHooks::OnMeasureStart(const ThreadContext&) {
  Slot* slot = Mine();
  if (slot == nullptr || !slot->group) return;
  absl::Status s = slot->group->Enable();
  if (!s.ok()) slot->problem = absl::StrCat("enable: ", s.message());
}

void CounterHooks::OnMeasureStop(const ThreadContext&) {
  Slot* slot = Mine();
  if (slot == nullptr || !slot->group) return;
  absl::Status s = slot->group->Disable();
  if (!s.ok() && slot->problem.empty()) {
    slot->problem = absl::StrCat("disable: ", s.message());
  }
}

void CounterHooks::OnThreadEnd(const ThreadContext& t) {
  std::unique_ptr<Slot> slot;
  {
    absl::MutexLock lock(&mu_);
    auto it = slots_.find(std::this_thread::get_id());
    if (it == slots_.end()) return;  // its start never ran
    slot = std::move(it->second);
    slots_.erase(it);
  }
  std::vector<record::PerfCounter> records;
  if (slot->group) {
    absl::StatusOr<std::vector<perfmon::Reading>> readings =
        slot->group->Read();
    if (readings.ok()) {
      records = record::RecordsOf(*readings);
      ExplainNotRun(slot->problem, &records);
    } else {
      records = AllUnsupported(EventNames(options_), "",
                               absl::StrCat("could not read counters: ",
                                            readings.status().message()));
    }
    slot->group.reset();  // closes the fds on the thread that opened them
  } else {
    records = AllUnsupported(EventNames(options_), "", slot->problem);
  }
  if (t.report != nullptr) Append(std::move(records), t.report);
}

std::vector<perfmon::Reading> CounterHooks::Unsupported() const {
  absl::MutexLock lock(&mu_);
  return unsupported_;
}

// --- CPU scope --------------------------------------------------------------

CpuScopeHooks::CpuScopeHooks(const perfmon::CounterOptions& options,
                             std::map<int, RoleCpus> cpus,
                             std::vector<int> all_cpus, std::vector<Side> here)
    : options_(options),
      events_(EventNames(options)),
      cpus_(std::move(cpus)),
      all_cpus_(std::move(all_cpus)),
      server_here_(std::find(here.begin(), here.end(), Side::kServer) !=
                   here.end()),
      client_here_(std::find(here.begin(), here.end(), Side::kClient) !=
                   here.end()) {}

std::pair<std::vector<int>, std::vector<int>> CpuScopeHooks::CpusFor(
    int connections) const {
  std::vector<int> server, client;
  auto it = cpus_.find(connections);
  if (it != cpus_.end()) {
    server = it->second.server;
    client = it->second.client;
  }
  for (std::vector<int>* v : {&server, &client}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  std::vector<int> shared;
  std::set_intersection(server.begin(), server.end(), client.begin(),
                        client.end(), std::back_inserter(shared));
  if (!server.empty() && !client.empty() && shared.empty()) {
    return {server, client};
  }
  // A role that is not pinned may run anywhere: count every CPU.
  if (server.empty() || client.empty()) return {all_cpus_, {}};
  std::vector<int> both;
  std::set_union(server.begin(), server.end(), client.begin(), client.end(),
                 std::back_inserter(both));
  return {both, {}};
}

void CpuScopeHooks::BeginCell(int connections) {
  EndCell();
  in_cell_ = true;
  expected_ =
      (server_here_ ? connections : 0) + (client_here_ ? connections : 0);
  auto [server, client] = CpusFor(connections);
  per_role_ = !client.empty();
  server_.cpus = std::move(server);
  client_.cpus = std::move(client);
  // The shared scope is the server's.
  server_.counted_here = server_here_;
  client_.counted_here = client_here_ && per_role_;
  for (Scope* scope : {&server_, &client_}) {
    if (scope->cpus.empty() || !scope->counted_here) continue;
    absl::StatusOr<perfmon::CpuScopeCounters> c =
        perfmon::CpuScopeCounters::Open(options_, scope->cpus);
    if (c.ok()) {
      for (const perfmon::Reading& r : c->Unsupported()) {
        AddUnique(r, &unsupported_);
      }
      scope->counters.emplace(*std::move(c));
    } else {
      scope->problem = absl::StrCat("could not open CPU-scope counters: ",
                                    c.status().message());
      for (const std::string& e : events_) {
        AddUnique(perfmon::Reading::Unsupported(e, "", scope->problem),
                  &unsupported_);
      }
    }
  }
}

void CpuScopeHooks::EndCell() {
  in_cell_ = false;
  per_role_ = false;
  expected_ = started_ = ended_ = active_ = 0;
  server0_ = client0_ = nullptr;
  server_ = Scope();
  client_ = Scope();
  problem_.clear();
}

absl::Status CpuScopeHooks::OnThreadStart(const ThreadContext& t) {
  if (events_.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  // Every worker of the cell in progress has started: this one belongs to
  // the next cell (the previous one left a worker behind, unread).
  if (!in_cell_ || started_ >= expected_) BeginCell(t.connections);
  ++started_;
  if (t.connection == 0) {
    (t.side == Side::kServer ? server0_ : client0_) = t.report;
  }
  return absl::OkStatus();
}

void CpuScopeHooks::OnMeasureStart(const ThreadContext&) {
  absl::MutexLock lock(&mu_);
  if (!in_cell_ || active_++ > 0) return;
  for (Scope* s : {&server_, &client_}) {
    if (!s->counters) continue;
    absl::Status st = s->counters->Enable();
    if (!st.ok()) problem_ = absl::StrCat("enable: ", st.message());
  }
}

void CpuScopeHooks::OnMeasureStop(const ThreadContext&) {
  absl::MutexLock lock(&mu_);
  if (!in_cell_ || active_ == 0 || --active_ > 0) return;
  for (Scope* s : {&server_, &client_}) {
    if (!s->counters) continue;
    absl::Status st = s->counters->Disable();
    if (!st.ok() && problem_.empty()) {
      problem_ = absl::StrCat("disable: ", st.message());
    }
  }
}

std::vector<record::PerfCounter> CpuScopeHooks::Records(
    const Scope& scope, const std::string& label) const {
  if (!scope.counters) return AllUnsupported(events_, label, scope.problem);
  absl::StatusOr<std::vector<perfmon::Reading>> totals =
      scope.counters->ReadTotals();
  if (!totals.ok()) {
    return AllUnsupported(events_, label,
                          absl::StrCat("could not read CPU-scope counters: ",
                                       totals.status().message()));
  }
  std::vector<record::PerfCounter> out;
  for (const perfmon::Reading& r : *totals) {
    record::PerfCounter rec = record::ToProto(r);
    rec.set_pmu(label);
    out.push_back(std::move(rec));
  }
  return out;
}

void CpuScopeHooks::OnThreadEnd(const ThreadContext&) {
  if (events_.empty()) return;
  absl::MutexLock lock(&mu_);
  if (!in_cell_ || ++ended_ < expected_) return;
  // The last worker of the cell: every measured interval is over, and the
  // workers of connection 0 are done with their reports.
  auto label = [](const std::vector<int>& cpus) {
    return absl::StrCat(cpus.size() == 1 ? "cpu " : "cpus ",
                        perfmon::FormatCpuList(cpus));
  };
  std::vector<record::PerfCounter> server, client;
  if (server_.counted_here) {
    server = Records(server_, per_role_ ? label(server_.cpus)
                                        : absl::StrCat(label(server_.cpus), " ",
                                                       record::kBothRoles));
  }
  if (client_.counted_here) client = Records(client_, label(client_.cpus));
  ExplainNotRun(problem_, &server);
  ExplainNotRun(problem_, &client);
  if (server0_ != nullptr) Append(std::move(server), server0_);
  if (client0_ != nullptr) Append(std::move(client), client0_);
  EndCell();
}

std::vector<perfmon::Reading> CpuScopeHooks::Unsupported() const {
  absl::MutexLock lock(&mu_);
  return unsupported_;
}

}  // namespace copyscope::engine
