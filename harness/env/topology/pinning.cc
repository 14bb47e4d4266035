#include "harness/env/topology/pinning.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/config/text_table.h"

namespace copyscope::topology {
namespace {

// P-cores and cores of no kind come first, E-cores last.
int ClassRank(CoreClass c) { return c == CoreClass::kEfficiency ? 1 : 0; }

// Cores in spread order: by class, then NUMA nodes in turn, ascending ids.
std::vector<const Core*> SpreadCoreOrder(const Topology& topo) {
  std::map<int, std::map<int, std::vector<const Core*>>> by_class_node;
  for (const Core& core : topo.cores()) {
    by_class_node[ClassRank(core.core_class)][core.numa_node].push_back(&core);
  }
  std::vector<const Core*> out;
  for (auto& [rank, nodes] : by_class_node) {
    for (size_t round = 0;; ++round) {
      bool any = false;
      for (auto& [node, cores] : nodes) {
        if (round < cores.size()) {
          out.push_back(cores[round]);
          any = true;
        }
      }
      if (!any) break;
    }
  }
  return out;
}

std::vector<int> SpreadOrder(const Topology& topo) {
  const std::vector<const Core*> cores = SpreadCoreOrder(topo);
  size_t max_threads = 0;
  for (const Core* core : cores)
    max_threads = std::max(max_threads, core->cpus.size());
  std::vector<int> out;
  for (size_t level = 0; level < max_threads; ++level) {
    for (const Core* core : cores) {
      if (level < core->cpus.size()) out.push_back(core->cpus[level]);
    }
  }
  return out;
}

std::vector<int> CompactOrder(const Topology& topo) {
  std::vector<const Core*> cores;
  for (const Core& core : topo.cores()) cores.push_back(&core);
  std::stable_sort(
      cores.begin(), cores.end(), [](const Core* a, const Core* b) {
        return std::make_tuple(ClassRank(a->core_class), a->numa_node, a->id) <
               std::make_tuple(ClassRank(b->core_class), b->numa_node, b->id);
      });
  std::vector<int> out;
  for (const Core* core : cores) {
    out.insert(out.end(), core->cpus.begin(), core->cpus.end());
  }
  return out;
}

std::vector<int> KeepIf(const std::vector<int>& cpus,
                        const std::set<int>& keep) {
  std::vector<int> out;
  for (int cpu : cpus) {
    if (keep.count(cpu)) out.push_back(cpu);
  }
  return out;
}

std::vector<int> DropIf(const std::vector<int>& cpus,
                        const std::set<int>& drop) {
  std::vector<int> out;
  for (int cpu : cpus) {
    if (!drop.count(cpu)) out.push_back(cpu);
  }
  return out;
}

bool IsClassPolicy(PolicyKind k) {
  return k == PolicyKind::kPcore || k == PolicyKind::kEcore ||
         k == PolicyKind::kSpread || k == PolicyKind::kCompact;
}

std::string Flag(absl::string_view role, const PinPolicy& p) {
  return absl::StrCat("--pin-", role, "=", p.ToString());
}

// Connection-by-connection CPUs of one role.
struct RoleInput {
  absl::string_view role;  // "server" or "client"
  const PinPolicy* policy;
  std::vector<int> pool;
  std::string pool_origin;  // Why the pool is smaller than the policy's.
};

std::string Connections(int n) {
  return absl::StrCat(n, n == 1 ? " connection needs " : " connections need ",
                      n, n == 1 ? " CPU" : " CPUs");
}

// With --pin-fallback=error: fails when the role's pool is too small.
absl::Status CheckCapacity(const Topology& topo, const RoleInput& in, int n) {
  const PinPolicy& policy = *in.policy;
  if (policy.kind == PolicyKind::kNone ||
      static_cast<int>(in.pool.size()) >= n) {
    return absl::OkStatus();
  }
  const std::string flag = Flag(in.role, policy);
  if (policy.kind == PolicyKind::kEcore && !topo.is_hybrid()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": this topology has no E-cores (", topo.Summary(),
                     "); fix: use --pin-", in.role,
                     "=pcore, spread or cpus:LIST, or add --pin-fallback=any"));
  }
  if (policy.kind == PolicyKind::kCpus) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": ", Connections(n), " for the ", in.role, " but the list has ",
        in.pool.size(),
        "; fix: list more CPUs, use fewer threads, or add --pin-fallback=any "
        "to reuse the listed CPUs"));
  }
  const std::string pool = FormatCpuList(in.pool);
  return absl::InvalidArgumentError(absl::StrCat(
      flag, ": ", Connections(n), " for the ", in.role, " but its pool has ",
      in.pool.size(), pool.empty() ? "" : absl::StrCat(" (", pool, ")"),
      in.pool_origin,
      "; fix: use fewer threads, a wider policy such as spread, or add "
      "--pin-fallback=any"));
}

// The first `n` CPUs of the role's pool (fewer if the pool is short).
std::vector<int> Primary(const RoleInput& in, int n) {
  if (in.policy->kind == PolicyKind::kNone) return {};
  const size_t k = std::min(in.pool.size(), static_cast<size_t>(n));
  return std::vector<int>(in.pool.begin(), in.pool.begin() + k);
}

// Completes a role's `cpus` to `n` entries. With enough CPUs that is the
// identity; otherwise (--pin-fallback=any) a policy pool is widened with CPUs
// nobody uses (first outside both pools, then the other role's spare ones),
// and what is still missing reuses the role's CPUs round-robin. `used` holds
// the CPUs either role has taken so far.
std::vector<int> Complete(const Topology& topo, const RoleInput& in,
                          const RoleInput& other, std::vector<int> cpus, int n,
                          std::set<int>* used,
                          std::vector<std::string>* notes) {
  const PinPolicy& policy = *in.policy;
  if (policy.kind == PolicyKind::kNone) return std::vector<int>(n, kUnpinned);
  if (static_cast<int>(cpus.size()) >= n) return cpus;
  const std::string flag = Flag(in.role, policy);
  if (policy.kind != PolicyKind::kCpus) {
    const std::set<int> mine(in.pool.begin(), in.pool.end());
    const std::set<int> theirs(other.pool.begin(), other.pool.end());
    std::vector<int> extra;
    for (int tier = 0; tier < 2; ++tier) {
      for (int cpu : SpreadOrder(topo)) {
        if (static_cast<int>(cpus.size() + extra.size()) >= n) break;
        if (used->count(cpu) || mine.count(cpu)) continue;
        if (theirs.count(cpu) != (tier == 1)) continue;
        extra.push_back(cpu);
        used->insert(cpu);
      }
    }
    if (!extra.empty()) {
      notes->push_back(absl::StrCat(
          flag, ": ",
          policy.kind == PolicyKind::kEcore && !topo.is_hybrid()
              ? std::string("this topology has no E-cores")
              : absl::StrCat("its pool has ", in.pool.size(), " CPUs for ", n,
                             n == 1 ? " connection" : " connections"),
          "; widened with free CPUs ", FormatCpuList(extra),
          " outside the policy"));
      cpus.insert(cpus.end(), extra.begin(), extra.end());
    }
  }
  if (cpus.empty()) {
    cpus = SpreadOrder(topo);
    notes->push_back(absl::StrCat(flag, ": no CPU is free; the ", in.role,
                                  " threads share CPUs ", FormatCpuList(cpus),
                                  " with the ", other.role, " threads"));
  }
  if (static_cast<int>(cpus.size()) < n) {
    notes->push_back(
        absl::StrCat(flag, ": ", n, " connections on ", cpus.size(),
                     cpus.size() == 1 ? " CPU (" : " CPUs (",
                     FormatCpuList(cpus), "); CPUs reused round-robin"));
  }
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(cpus[i % cpus.size()]);
  return out;
}

// Two class policies: a pool strictly inside the other keeps its CPUs and the
// wider pool goes around it; otherwise the shared cores are split per (kind,
// NUMA node) group, the first half (rounded up) to the server.
void ShareClassPools(const Topology& topo, RoleInput* server,
                     RoleInput* client) {
  const std::set<int> s(server->pool.begin(), server->pool.end());
  const std::set<int> c(client->pool.begin(), client->pool.end());
  auto inside = [](const std::set<int>& a, const std::set<int>& b) {
    return a.size() < b.size() &&
           std::includes(b.begin(), b.end(), a.begin(), a.end());
  };
  if (inside(c, s) || inside(s, c)) {
    RoleInput* wide = inside(c, s) ? server : client;
    RoleInput* narrow = wide == server ? client : server;
    wide->pool = DropIf(wide->pool, inside(c, s) ? c : s);
    wide->pool_origin = absl::StrCat(", without the CPUs of ",
                                     Flag(narrow->role, *narrow->policy));
    return;
  }
  std::map<std::pair<int, int>, std::vector<const Core*>> groups;
  for (const Core& core : topo.cores()) {
    bool shared = false;
    for (int cpu : core.cpus) shared = shared || (s.count(cpu) && c.count(cpu));
    if (shared) {
      groups[{ClassRank(core.core_class), core.numa_node}].push_back(&core);
    }
  }
  if (groups.empty()) return;
  std::set<int> to_server, to_client;
  for (auto& [key, cores] : groups) {
    const size_t server_share = (cores.size() + 1) / 2;
    for (size_t i = 0; i < cores.size(); ++i) {
      auto& dest = i < server_share ? to_server : to_client;
      dest.insert(cores[i]->cpus.begin(), cores[i]->cpus.end());
    }
  }
  server->pool = DropIf(server->pool, to_client);
  client->pool = DropIf(client->pool, to_server);
  server->pool_origin = absl::StrCat(", after sharing cores with ",
                                     Flag("client", *client->policy));
  client->pool_origin = absl::StrCat(", after sharing cores with ",
                                     Flag("server", *server->policy));
}

absl::StatusOr<PinPlan> PlanSmtPairs(const Topology& topo, PinPlan plan) {
  const int n = plan.connections;
  std::vector<Placement> pairs;
  for (const Core* core : SpreadCoreOrder(topo)) {
    if (core->cpus.size() >= 2) pairs.push_back({core->cpus[0], core->cpus[1]});
  }
  const std::string flags = "--pin-server=smt-pair --pin-client=smt-pair";
  if (static_cast<int>(pairs.size()) < n) {
    if (plan.options.fallback == PinFallback::kError) {
      return absl::InvalidArgumentError(absl::StrCat(
          flags, ": ", n, n == 1 ? " connection needs " : " connections need ",
          n, n == 1 ? " core" : " cores",
          " with two SMT threads but this topology has ",
          pairs.empty() ? absl::StrCat("none (", topo.Summary(), ")")
                        : absl::StrCat(pairs.size()),
          "; fix: use fewer threads, spread for both roles, or add "
          "--pin-fallback=any"));
    }
    if (pairs.empty()) {
      // No SMT: pair neighbouring CPUs instead.
      const std::vector<int> order = CompactOrder(topo);
      for (size_t i = 0; i + 1 < order.size(); i += 2) {
        pairs.push_back({order[i], order[i + 1]});
      }
      if (pairs.empty()) pairs.push_back({order[0], order[0]});
      plan.fallback_notes.push_back(absl::StrCat(
          flags, ": no core has two SMT threads; paired neighbouring CPUs ",
          absl::StrJoin(pairs, " ", [](std::string* s, const Placement& p) {
            absl::StrAppend(s, p.server_cpu, "+", p.client_cpu);
          })));
    }
    if (static_cast<int>(pairs.size()) < n) {
      plan.fallback_notes.push_back(
          absl::StrCat(flags, ": ", n, " connections on ", pairs.size(),
                       " CPU pairs; pairs reused round-robin"));
    }
  }
  for (int i = 0; i < n; ++i) {
    const Placement& p = pairs[i % pairs.size()];
    plan.placements.push_back(p);
    if (i < static_cast<int>(pairs.size())) {
      plan.server_pool.push_back(p.server_cpu);
      plan.client_pool.push_back(p.client_cpu);
    }
  }
  return plan;
}

}  // namespace

std::vector<int> PolicyFillOrder(const Topology& topo,
                                 const PinPolicy& policy) {
  switch (policy.kind) {
    case PolicyKind::kNone:
    case PolicyKind::kSmtPair:
      return {};
    case PolicyKind::kCpus:
      return policy.cpus;
    case PolicyKind::kSpread:
      return SpreadOrder(topo);
    case PolicyKind::kCompact:
      return CompactOrder(topo);
    case PolicyKind::kPcore:
    case PolicyKind::kEcore: {
      if (policy.kind == PolicyKind::kPcore && !topo.is_hybrid()) {
        return SpreadOrder(topo);  // Every core is alike: all are P-cores.
      }
      const std::vector<int> cpus = topo.CpusOfClass(
          policy.kind == PolicyKind::kPcore ? CoreClass::kPerformance
                                            : CoreClass::kEfficiency);
      return KeepIf(SpreadOrder(topo), std::set<int>(cpus.begin(), cpus.end()));
    }
  }
  return {};
}

absl::StatusOr<PinPlan> PlanPinning(const Topology& topo,
                                    const PinOptions& options,
                                    int connections) {
  if (connections < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pinning plan for ", connections,
                     " connections; fix: ask for at least one thread"));
  }
  PinPlan plan;
  plan.options = options;
  plan.connections = connections;
  const PinPolicy& sp = options.server;
  const PinPolicy& cp = options.client;

  for (const auto& [role, policy] :
       {std::pair<absl::string_view, const PinPolicy*>{"server", &sp},
        {"client", &cp}}) {
    if (policy->kind != PolicyKind::kCpus) continue;
    for (int cpu : policy->cpus) {
      if (topo.FindCpu(cpu) == nullptr) {
        std::vector<int> all;
        for (const LogicalCpu& c : topo.cpus()) all.push_back(c.cpu);
        return absl::InvalidArgumentError(absl::StrCat(
            Flag(role, *policy), ": CPU ", cpu, " is not in the topology of ",
            topo.source(), " (CPUs ", FormatCpuList(all),
            "); fix: pick CPUs listed by `copyscope topo`"));
      }
    }
  }

  const bool server_pair = sp.kind == PolicyKind::kSmtPair;
  const bool client_pair = cp.kind == PolicyKind::kSmtPair;
  if (server_pair != client_pair) {
    const bool s = server_pair;
    return absl::InvalidArgumentError(absl::StrCat(
        Flag(s ? "server" : "client", s ? sp : cp),
        " puts each connection's server and client on the two threads of one "
        "core, so it needs ",
        Flag(s ? "client" : "server", PinPolicy{PolicyKind::kSmtPair, {}}),
        " too (got ", Flag(s ? "client" : "server", s ? cp : sp),
        "); fix: pass smt-pair for both roles"));
  }
  if (server_pair) return PlanSmtPairs(topo, std::move(plan));

  RoleInput server{"server", &sp, PolicyFillOrder(topo, sp), ""};
  RoleInput client{"client", &cp, PolicyFillOrder(topo, cp), ""};
  const bool server_class = IsClassPolicy(sp.kind);
  const bool client_class = IsClassPolicy(cp.kind);
  if (server_class && cp.kind == PolicyKind::kCpus) {
    server.pool = DropIf(server.pool, {cp.cpus.begin(), cp.cpus.end()});
    server.pool_origin =
        absl::StrCat(", without the CPUs of ", Flag("client", cp));
  } else if (client_class && sp.kind == PolicyKind::kCpus) {
    client.pool = DropIf(client.pool, {sp.cpus.begin(), sp.cpus.end()});
    client.pool_origin =
        absl::StrCat(", without the CPUs of ", Flag("server", sp));
  } else if (server_class && client_class) {
    ShareClassPools(topo, &server, &client);
  }

  if (options.fallback == PinFallback::kError) {
    for (const RoleInput* in : {&server, &client}) {
      absl::Status status = CheckCapacity(topo, *in, connections);
      if (!status.ok()) return status;
    }
  }
  std::vector<int> server_cpus = Primary(server, connections);
  std::vector<int> client_cpus = Primary(client, connections);
  std::set<int> used(server_cpus.begin(), server_cpus.end());
  used.insert(client_cpus.begin(), client_cpus.end());
  server_cpus = Complete(topo, server, client, std::move(server_cpus),
                         connections, &used, &plan.fallback_notes);
  client_cpus = Complete(topo, client, server, std::move(client_cpus),
                         connections, &used, &plan.fallback_notes);
  plan.server_pool =
      sp.kind == PolicyKind::kNone ? std::vector<int>{} : server.pool;
  plan.client_pool =
      cp.kind == PolicyKind::kNone ? std::vector<int>{} : client.pool;
  for (int i = 0; i < connections; ++i) {
    plan.placements.push_back({server_cpus[i], client_cpus[i]});
  }
  return plan;
}

std::string FormatPlan(const PinPlan& plan, const Topology& topo) {
  auto where = [&](int cpu) -> std::string {
    if (cpu == kUnpinned) return "-";
    const LogicalCpu* c = topo.FindCpu(cpu);
    if (c == nullptr) return "?";
    return absl::StrCat(
        "core ", c->core, " ", CoreClassName(c->core_class), ", node ",
        c->numa_node < 0 ? std::string("-") : absl::StrCat(c->numa_node));
  };
  auto cpu_cell = [](int cpu) {
    return cpu == kUnpinned ? std::string("unpinned") : absl::StrCat(cpu);
  };
  auto pool = [](const PinPolicy& p, const std::vector<int>& cpus) {
    if (p.kind == PolicyKind::kNone) return std::string("unpinned");
    return cpus.empty() ? std::string("(empty)") : FormatCpuList(cpus);
  };
  std::string out = absl::StrCat(
      "pinning plan for ", plan.connections,
      plan.connections == 1 ? " connection" : " connections", " on ",
      topo.source(), ": ", Flag("server", plan.options.server), " ",
      Flag("client", plan.options.client),
      " --pin-fallback=", PinFallbackName(plan.options.fallback), "\n");
  absl::StrAppend(
      &out, "server pool: ", pool(plan.options.server, plan.server_pool),
      "\nclient pool: ", pool(plan.options.client, plan.client_pool), "\n");
  std::vector<std::vector<std::string>> rows;
  rows.push_back(
      {"CONN", "SERVER CPU", "SERVER CORE", "CLIENT CPU", "CLIENT CORE"});
  for (size_t i = 0; i < plan.placements.size(); ++i) {
    const Placement& p = plan.placements[i];
    rows.push_back({absl::StrCat(i), cpu_cell(p.server_cpu),
                    where(p.server_cpu), cpu_cell(p.client_cpu),
                    where(p.client_cpu)});
  }
  out += config::FormatRows(rows);
  for (const std::string& note : plan.fallback_notes) {
    absl::StrAppend(&out, "fallback: ", note, "\n");
  }
  return out;
}

}  // namespace copyscope::topology
