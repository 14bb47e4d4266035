#include "harness/control/host_load_hooks.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace copyscope::control {
namespace {

void Set(const env::CpuTimes& t, int cpu, record::CpuTimes* out) {
  out->set_cpu(cpu);
  out->set_user_s(t.user_s);
  out->set_nice_s(t.nice_s);
  out->set_system_s(t.system_s);
  out->set_idle_s(t.idle_s);
  out->set_iowait_s(t.iowait_s);
  out->set_irq_s(t.irq_s);
  out->set_softirq_s(t.softirq_s);
  out->set_steal_s(t.steal_s);
}

}  // namespace

record::CpuLoad CpuLoadRecord(const std::string& host, const env::CpuLoad& load,
                              const std::vector<int>& pinned) {
  record::CpuLoad r;
  r.set_host(host);
  r.set_wall_s(absl::ToDoubleSeconds(load.wall));
  for (const env::CpuDelta& d : load.cpus) {
    if (d.times) {
      Set(*d.times, d.cpu, r.add_cpus());
    } else {
      record::KeyValue* kv = r.add_unknown();
      kv->set_key(absl::StrCat(d.cpu));
      kv->set_value(d.why);
    }
  }
  Set(load.total.times, -1, r.mutable_total());
  if (!pinned.empty()) {
    Set(env::LoadOf(load, pinned).times, -1, r.mutable_pinned());
    Set(env::LoadOfOthers(load, pinned).times, -1, r.mutable_others());
    for (int cpu : pinned) r.add_pinned_cpus(cpu);
  }
  return r;
}

void HostLoadHooks::OnMeasureStart(const engine::ThreadContext&) {
  absl::MutexLock lock(&mu_);
  if (open_++ == 0 && !before_) {
    before_ = env::ReadCpuSnapshot(proc_stat_);
    t0_ = absl::Now();
  }
}

void HostLoadHooks::OnMeasureStop(const engine::ThreadContext&) {
  absl::MutexLock lock(&mu_);
  if (open_ == 0 || --open_ > 0) return;
  after_ = env::ReadCpuSnapshot(proc_stat_);
  t1_ = absl::Now();
}

void HostLoadHooks::OnSideEnd(engine::Side, record::Sample* part) {
  absl::MutexLock lock(&mu_);
  if (!before_ || !after_) return;  // no window was measured
  if (!before_->ok() || !after_->ok()) {
    record::CpuLoad* r = part->add_cpu_load();
    r->set_host(host_);
    record::KeyValue* kv = r->add_unknown();
    kv->set_key("all");
    kv->set_value(std::string(
        (before_->ok() ? after_->status() : before_->status()).message()));
    return;
  }
  *part->add_cpu_load() =
      CpuLoadRecord(host_, env::Delta(**before_, **after_, t1_ - t0_), pinned_);
}

}  // namespace copyscope::control
