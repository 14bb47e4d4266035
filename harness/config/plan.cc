#include "harness/config/plan.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/config/profiles.h"

namespace copyscope::config {
namespace {

using Plugin = record::PluginInfo;

bool Usable(const Plugin& p) { return p.status() == "ok"; }

bool CanReceive(const Plugin& p) {
  for (const std::string& c : p.capabilities()) {
    if (c == "recv") return true;
  }
  return false;
}

// Its recv() drops the bytes (CS_CAP_RECV_DISCARDS): nothing to verify.
bool Discards(const Plugin& p) {
  for (const std::string& c : p.capabilities()) {
    if (c == "recv_discards") return true;
  }
  return false;
}

// A datagram transport (CS_CAP_DATAGRAM, ABI 1.3): UDP sockets.
bool IsDatagram(const Plugin& p) {
  for (const std::string& c : p.capabilities()) {
    if (c == "datagram") return true;
  }
  return false;
}

// A datagram cell's messages: an 8-byte sequence number, at most one UDP
// datagram (65507 bytes); count mode cannot work when datagrams may be
// lost; a receiver of the other kind of socket cannot pair with it.
absl::Status CheckDatagram(const RunOptions& o, const Plugin& p,
                           const std::vector<const Plugin*>& receivers) {
  const std::string who = absl::StrCat("datagram transport '", p.name(), "'");
  if (o.mode == Mode::kConnectRequestResponse) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--mode=crr: ", who,
        " has no connections to set up; crr measures TCP connection setup"));
  }
  if (o.messages > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--messages: ", who,
        " may lose datagrams, so a count of them would never end; use "
        "--duration (the loss is reported)"));
  }
  std::vector<uint64_t> sizes = o.sizes;
  if (o.mode == Mode::kRequestResponse) {
    if (o.request_size) sizes.push_back(o.request_size);
    if (o.response_size) sizes.push_back(o.response_size);
  }
  for (uint64_t s : sizes) {
    if (s < 8 || s > 65507) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--sizes: ", s, " bytes for ", who,
          ": a datagram cell's message is one UDP datagram of 8 (its "
          "sequence number) to 65507 bytes; e.g. --sizes=1472,8K"));
    }
  }
  for (Family f : o.families) {
    if (f != Family::kInet) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--family=", FamilyName(f), ": ", who,
          " runs over IPv4 (inet) only; leave it out or use --family=inet"));
    }
  }
  for (const Background& b : o.backgrounds) {
    if (!b.none()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--background: ", who,
          " cells run without one (the background's stream connections are "
          "TCP); leave the datagram transport out of this run"));
    }
  }
  for (const Plugin* r : receivers) {
    if (r != nullptr && r->name() != p.name() && !IsDatagram(*r)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--recv: '", r->name(), "' receives from stream sockets only and ",
          who,
          " sends datagrams; pair it with a datagram receiver (udp, "
          "udp_gso) or leave it out"));
    }
  }
  return absl::OkStatus();
}

std::string DiscardsText(const std::string& who, const std::string& name,
                         const std::string& fix) {
  return absl::StrCat("--verify: ", who, " transport '", name,
                      "' discards what it receives (capability "
                      "recv_discards), so none of its bytes could be "
                      "checked; ",
                      fix, ", or run without --verify");
}

std::string OptText(const TransportOpt& o) {
  return absl::StrCat("--transport-opt=", o.scope.empty() ? "" : o.scope,
                      o.scope.empty() ? "" : ".", o.key, "=", o.value);
}

std::string StateText(const Plugin& p) {
  return absl::StrCat(p.status(), p.reason().empty() ? "" : ": ", p.reason());
}

// The usable plugin of that name, else the first of any status, else null.
const Plugin* FindPlugin(const std::vector<Plugin>& plugins,
                         const std::string& name) {
  const Plugin* any = nullptr;
  for (const Plugin& p : plugins) {
    if (p.name() != name) continue;
    if (Usable(p)) return &p;
    if (any == nullptr) any = &p;
  }
  return any;
}

std::string UsableNames(const std::vector<Plugin>& plugins) {
  std::vector<std::string> names;
  for (const Plugin& p : plugins) {
    if (Usable(p)) names.push_back(p.name());
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

bool HasOption(const Plugin& p, const std::string& key) {
  for (const record::PluginOption& o : p.options()) {
    if (o.key() == key) return true;
  }
  return false;
}

std::string OptionKeys(const Plugin& p) {
  std::vector<std::string> keys;
  for (const record::PluginOption& o : p.options()) keys.push_back(o.key());
  return keys.empty()
             ? "it takes no options"
             : absl::StrCat("its options: ", absl::StrJoin(keys, ", "));
}

std::string ReceiverNames(const std::vector<Plugin>& plugins) {
  std::vector<std::string> names;
  for (const Plugin& p : plugins) {
    if (Usable(p) && CanReceive(p)) names.push_back(p.name());
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// The plugins of --recv: each known, usable, and able to receive.
absl::Status SelectReceivers(const RunOptions& options,
                             const std::vector<Plugin>& plugins,
                             std::vector<const Plugin*>* receivers) {
  for (const std::string& name : options.recv) {
    const Plugin* p = FindPlugin(plugins, name);
    if (p == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--recv: unknown receive transport '", name, "'; use an alias (",
          RecvAliasText(), ") or a usable plugin that receives: ",
          ReceiverNames(plugins), " (see copyscope list)"));
    }
    if (!Usable(*p)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--recv: transport '", name, "' is ", StateText(*p),
          "; leave it out of --recv or fix it (see copyscope list)"));
    }
    if (!CanReceive(*p)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--recv: transport '", name,
                       "' cannot receive (no CS_CAP_RECV); use one that can: ",
                       ReceiverNames(plugins)));
    }
    receivers->push_back(p);
  }
  return absl::OkStatus();
}

absl::Status CheckExplicitFiles(const PluginSources& sources,
                                const std::vector<Plugin>& plugins) {
  for (const std::string& path : sources.plugin_files) {
    for (const Plugin& p : plugins) {
      if (p.path() == path && !Usable(p)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--plugin=", path, ": ", StateText(p),
            "; fix the plugin or leave it out (see copyscope list)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string CellSpec::Label() const {
  std::string label = recv_transport.empty()
                          ? transport
                          : absl::StrCat(transport, "/", recv_transport);
  if (family != Family::kInet) absl::StrAppend(&label, "@", FamilyName(family));
  return label;
}

CellSpec CellSpec::BackgroundCell() const {
  CellSpec b;
  b.transport = background.transport;
  b.size = background.size;
  b.fields = 1;
  b.threads = background.threads;
  b.options = background_options;
  b.mode = Mode::kStream;
  b.direction = Direction::kServerToClient;
  return b;
}

absl::StatusOr<Plan> MakePlan(const RunOptions& options,
                              const std::vector<Plugin>& plugins) {
  absl::Status s = CheckExplicitFiles(options.sources, plugins);
  if (!s.ok()) return s;
  Plan plan;
  std::vector<const Plugin*> selected;
  if (options.transports.empty()) {
    for (const Plugin& p : plugins) {
      if (Usable(p) && IsDatagram(p)) {
        // UDP is another experiment (loss, pacing): asked for by name.
        plan.notes.push_back(absl::StrCat(
            "note: leaving out ", p.name(),
            " (a datagram transport: name it, e.g. --transports=", p.name(),
            " or --profile=udp)"));
      } else if (Usable(p)) {
        selected.push_back(&p);
      } else {
        plan.notes.push_back(
            absl::StrCat("note: skipping ", p.name(), " (", StateText(p), ")"));
      }
    }
    if (selected.empty()) {
      return absl::FailedPreconditionError(
          "no usable transport plugin found; see `copyscope list` for why, "
          "or add one with --plugin=PATH");
    }
  } else {
    for (const std::string& name : options.transports) {
      const Plugin* p = FindPlugin(plugins, name);
      // Named by --transports, or by the profile's table.
      const std::string who =
          options.transports_from.empty()
              ? std::string("--transports")
              : absl::StrCat("--profile=", options.transports_from);
      const std::string fix =
          options.transports_from.empty()
              ? "leave it out or fix it"
              : "give --transports with the ones to run, or fix it";
      if (p == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            who, ": unknown transport '", name, "'; usable ones: ",
            UsableNames(plugins), "; ", fix, " (see copyscope list)"));
      }
      if (!Usable(*p)) {
        return absl::FailedPreconditionError(
            absl::StrCat(who, ": transport '", name, "' is ", StateText(*p),
                         "; ", fix, " (see copyscope list)"));
      }
      selected.push_back(p);
    }
  }
  std::vector<const Plugin*> receivers;
  s = SelectReceivers(options, plugins, &receivers);
  if (!s.ok()) return s;
  if (options.verify) {
    // --verify cannot check a receiver that discards: named ones are an
    // error, ones the default selection took are left out with a note.
    for (const Plugin* r : receivers) {
      if (Discards(*r)) {
        return absl::InvalidArgumentError(
            DiscardsText("--recv", r->name(), "leave it out of --recv"));
      }
    }
    const bool receive_themselves = receivers.empty();
    std::vector<const Plugin*> kept;
    for (const Plugin* p : selected) {
      if (!receive_themselves || !Discards(*p)) {
        kept.push_back(p);
      } else if (!options.transports.empty()) {
        return absl::InvalidArgumentError(
            DiscardsText("the", p->name(), "leave it out of --transports"));
      } else {
        plan.notes.push_back(
            absl::StrCat("note: skipping ", p->name(),
                         " (--verify: it discards what it receives)"));
      }
    }
    if (kept.empty()) {
      return absl::InvalidArgumentError(
          "--verify: every usable transport discards what it receives");
    }
    selected = kept;
  }
  // --background's plugins: usable, and able to receive (the client
  // receives the flows with the same plugin; one that discards is fine, the
  // bytes are counted all the same).
  std::vector<const Plugin*> background_plugins;
  for (const Background& b : options.backgrounds) {
    if (b.none()) continue;
    const Plugin* p = FindPlugin(plugins, b.transport);
    if (p == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--background=", b.Text(), ": unknown transport '", b.transport,
          "'; usable ones: ", UsableNames(plugins), " (see copyscope list)"));
    }
    if (!Usable(*p)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--background=", b.Text(), ": transport '", b.transport, "' is ",
          StateText(*p), "; choose another (see copyscope list)"));
    }
    if (!CanReceive(*p)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--background=", b.Text(), ": transport '", b.transport,
          "' cannot receive (the client receives the flows with the same "
          "plugin); choose e.g. two_copy"));
    }
    background_plugins.push_back(p);
  }
  for (const Plugin* p : selected) plan.transports.push_back(p->name());
  for (const Plugin* p : receivers) plan.recv_transports.push_back(p->name());

  // Options per plugin, last value of a key wins. A scoped option goes to
  // its plugin wherever it serves (sender or --recv receiver); an unscoped
  // one to every sending transport.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> opts;
  auto set_opt = [&](const Plugin* p, const TransportOpt& o) -> absl::Status {
    if (!HasOption(*p, o.key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          OptText(o), ": transport '", p->name(), "' has no option '", o.key,
          "'; ", OptionKeys(*p), " (see copyscope list)"));
    }
    auto& list = opts[p->name()];
    list.erase(
        std::remove_if(list.begin(), list.end(),
                       [&](const auto& kv) { return kv.first == o.key; }),
        list.end());
    list.emplace_back(o.key, o.value);
    return absl::OkStatus();
  };
  for (const TransportOpt& o : options.transport_opts) {
    if (o.scope.empty()) {
      for (const Plugin* p : selected) {
        absl::Status st = set_opt(p, o);
        if (!st.ok()) return st;
      }
      continue;
    }
    std::vector<const Plugin*> in_run = selected;
    in_run.insert(in_run.end(), receivers.begin(), receivers.end());
    in_run.insert(in_run.end(), background_plugins.begin(),
                  background_plugins.end());
    auto it = std::find_if(in_run.begin(), in_run.end(), [&](const Plugin* p) {
      return p->name() == o.scope;
    });
    if (it == in_run.end()) {
      std::vector<std::string> names = plan.transports;
      for (const std::string& r : plan.recv_transports) {
        names.push_back(absl::StrCat(r, " (--recv)"));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          OptText(o), ": transport '", o.scope, "' is not ",
          FindPlugin(plugins, o.scope) == nullptr ? "known" : "in this run",
          "; selected: ", absl::StrJoin(names, ", ")));
    }
    absl::Status st = set_opt(*it, o);
    if (!st.ok()) return st;
  }

  for (const Plugin* p : selected) {
    if (IsDatagram(*p)) {
      absl::Status st = CheckDatagram(options, *p, receivers);
      if (!st.ok()) return st;
      continue;
    }
    for (const Plugin* r : receivers) {
      if (IsDatagram(*r)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--recv: '", r->name(), "' receives datagrams and '", p->name(),
            "' sends on stream sockets; pair datagram receivers with "
            "datagram transports only"));
      }
    }
  }
  // No --recv: each transport receives with its own plugin (nullptr).
  if (receivers.empty()) receivers.push_back(nullptr);
  // No --background: one cell without.
  std::vector<Background> backgrounds = options.backgrounds;
  if (backgrounds.empty()) backgrounds.emplace_back();
  for (const Plugin* p : selected) {
    for (const Plugin* r : receivers) {
      // A receiver that is the sender's own plugin is no separate one.
      const Plugin* rx = r != nullptr && r->name() != p->name() ? r : nullptr;
      for (Family family : options.families) {
        for (uint64_t size : options.sizes) {
          for (int threads : options.threads) {
            for (const Background& background : backgrounds) {
              CellSpec cell;
              cell.family = family;
              cell.background = background;
              if (!background.none()) {
                cell.background_options = opts[background.transport];
              }
              cell.transport = p->name();
              if (rx != nullptr) {
                cell.recv_transport = rx->name();
                cell.recv_options = opts[rx->name()];
              }
              cell.size = size;
              cell.fields = static_cast<uint32_t>(options.fields);
              cell.threads = threads;
              cell.options = opts[p->name()];
              cell.mode = options.mode;
              cell.direction = options.direction;
              if (Transactional(options.mode)) {
                cell.request_size = options.request_size;
                cell.response_size = options.response_size;
              }
              plan.cells.push_back(std::move(cell));
            }
          }
        }
      }
    }
  }
  return plan;
}

}  // namespace copyscope::config
