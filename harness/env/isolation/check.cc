#include "harness/env/isolation/check.h"

#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "harness/env/isolation/errors.h"
#include "harness/env/isolation/isolation.h"
#include "harness/env/isolation/netns.h"
#include "harness/env/isolation/probe.h"

namespace copyscope::isolation {
namespace {

constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;

std::string ReadFile(const std::string& path, bool* found) {
  std::ifstream in(path);
  *found = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trimmed(const std::string& path) {
  bool found = false;
  std::string text = ReadFile(path, &found);
  if (!found) return "";
  return std::string(absl::StripAsciiWhitespace(text));
}

class Report {
 public:
  void Ok(absl::string_view line) { Add("[ok]      ", line); }
  void Info(absl::string_view line) { Add("[info]    ", line); }
  void Missing(absl::string_view what, absl::string_view line) {
    missing_.emplace_back(what);
    Add("[missing] ", line);
  }
  bool any_missing() const { return !missing_.empty(); }

  CheckReport Finish(bool works) {
    CheckReport out;
    out.ok = works && missing_.empty();
    if (out.ok) {
      Add("verdict: ",
          "netns isolation works here; --isolation=auto will use it");
    } else {
      Add("verdict: ",
          absl::StrCat(
              "netns isolation is NOT available here (missing: ",
              missing_.empty() ? "see above" : absl::StrJoin(missing_, ", "),
              "); --isolation=auto will use loopback"));
    }
    out.text = absl::StrCat("copyscope netns check\n", text_);
    return out;
  }

 private:
  void Add(absl::string_view tag, absl::string_view line) {
    absl::StrAppend(&text_, "  ", tag, line, "\n");
  }
  std::string text_;
  std::vector<std::string> missing_;
};

// Hints for someone without privileges: a user namespace would grant them.
std::string UserNamespaceHint() {
  std::string max = Trimmed("/proc/sys/user/max_user_namespaces");
  std::string clone = Trimmed("/proc/sys/kernel/unprivileged_userns_clone");
  bool enabled = !max.empty() && max != "0" && clone != "0";
  std::string facts = absl::StrCat(
      "user.max_user_namespaces=", max.empty() ? "?" : max,
      clone.empty()
          ? ""
          : absl::StrCat(", kernel.unprivileged_userns_clone=", clone));
  if (enabled) {
    return absl::StrCat(facts,
                        "; unprivileged user namespaces are enabled, so "
                        "`unshare --user --map-root-user <copyscope ...>` "
                        "grants both capabilities inside one");
  }
  return absl::StrCat(facts,
                      "; unprivileged user namespaces are disabled, so only "
                      "root (or file capabilities) will do");
}

}  // namespace

absl::StatusOr<uint64_t> ParseCapEff(absl::string_view proc_status) {
  for (absl::string_view line : absl::StrSplit(proc_status, '\n')) {
    if (!absl::ConsumePrefix(&line, "CapEff:")) continue;
    line = absl::StripAsciiWhitespace(line);
    uint64_t mask = 0;
    if (!absl::SimpleHexAtoi(line, &mask)) {
      return absl::InvalidArgumentError(
          absl::StrCat("CapEff is not hex: \"", line, "\""));
    }
    return mask;
  }
  return absl::NotFoundError("no CapEff line");
}

CheckReport Check() {
  Report report;

  // Kernel: CONFIG_NET_NS shows as the ns/net entry of every process.
  struct stat st;
  if (stat("/proc/self/ns/net", &st) == 0) {
    report.Ok(absl::StrCat(
        "kernel network namespaces (CONFIG_NET_NS): this process is in "
        "net:[",
        static_cast<uint64_t>(st.st_ino), "]"));
  } else {
    report.Missing("CONFIG_NET_NS",
                   absl::StrCat("kernel network namespaces (CONFIG_NET_NS): ",
                                ErrnoError("stat /proc/self/ns/net").message(),
                                "; a kernel built with CONFIG_NET_NS=y is "
                                "needed"));
  }

  // Capabilities: unshare/setns need CAP_SYS_ADMIN, netlink link changes
  // CAP_NET_ADMIN.
  bool found = false;
  std::string status_text = ReadFile("/proc/self/status", &found);
  absl::StatusOr<uint64_t> cap_eff = ParseCapEff(status_text);
  bool caps_ok = false;
  if (!cap_eff.ok()) {
    report.Info(
        absl::StrCat("capabilities: cannot read CapEff from "
                     "/proc/self/status: ",
                     cap_eff.status().message()));
  } else {
    bool sys_admin = (*cap_eff >> kCapSysAdmin) & 1;
    bool net_admin = (*cap_eff >> kCapNetAdmin) & 1;
    caps_ok = sys_admin && net_admin;
    std::string line = absl::StrFormat(
        "capabilities (CapEff %016x): CAP_SYS_ADMIN %s (unshare, setns), "
        "CAP_NET_ADMIN %s (veth, addresses)",
        *cap_eff, sys_admin ? "yes" : "NO", net_admin ? "yes" : "NO");
    if (caps_ok) {
      report.Ok(line);
    } else {
      std::vector<std::string> lacking;
      if (!sys_admin) lacking.push_back("CAP_SYS_ADMIN");
      if (!net_admin) lacking.push_back("CAP_NET_ADMIN");
      report.Missing(absl::StrJoin(lacking, " and "),
                     absl::StrCat(line,
                                  "; run as root, or grant them: sudo "
                                  "setcap cap_sys_admin,cap_net_admin+ep "
                                  "<binary>"));
    }
  }

  // User namespaces: what the capabilities above are relative to.
  std::vector<std::string> fields =
      absl::StrSplit(Trimmed("/proc/self/uid_map"), absl::ByAnyChar(" \t\n"),
                     absl::SkipEmpty());
  std::string uid_map = absl::StrJoin(fields, " ");
  bool initial = fields.size() == 3 && fields[0] == "0" && fields[1] == "0" &&
                 fields[2] == "4294967295";
  report.Info(absl::StrCat(
      "user namespace: ",
      initial ? "the initial one"
              : absl::StrCat("a nested one (uid_map \"", uid_map,
                             "\"); capabilities count only in namespaces "
                             "it owns, which includes the ones copyscope "
                             "makes"),
      caps_ok ? "" : absl::StrCat("; ", UserNamespaceHint())));

  // The real thing, step by step.
  absl::StatusOr<int> bare = NewNamespace();
  if (!bare.ok()) {
    const absl::Status& s = bare.status();
    if (s.code() != absl::StatusCode::kPermissionDenied) {
      report.Missing("unshare(CLONE_NEWNET)", s.message());
    } else if (cap_eff.ok() && !caps_ok) {
      report.Info(absl::StrCat(s.message(),
                               ": follows from the missing "
                               "capability above"));
    } else {
      report.Missing(
          "permission to unshare(CLONE_NEWNET)",
          absl::StrCat(s.message(),
                       "; the capabilities are there, so a seccomp filter or "
                       "container policy forbids it (docker: --cap-add "
                       "SYS_ADMIN --cap-add NET_ADMIN --security-opt "
                       "seccomp=unconfined)"));
    }
    return report.Finish(false);
  }
  report.Ok("unshare(CLONE_NEWNET): a new network namespace can be made");
  // Whether a thread can come back from an isolation namespace to this
  // one: the runner's threads do not need to, but anything else that
  // enters one must know.
  absl::Status back = RunInNamespace(-1, [&] {
    absl::StatusOr<ScopedNamespace> in = ScopedNamespace::Enter(*bare);
    return in.ok() ? in->Restore() : in.status();
  });
  report.Info(
      back.ok()
          ? "setns back to this namespace after entering another: permitted"
          : absl::StrCat("setns back to this namespace after entering "
                         "another: ",
                         back.message(),
                         " (this user namespace does not own it); a thread "
                         "that enters an isolation namespace stays there"));
  close(*bare);

  absl::StatusOr<std::unique_ptr<Isolation>> iso = Isolation::CreateNetns();
  if (!iso.ok()) {
    const absl::Status& s = iso.status();
    if (s.code() == absl::StatusCode::kUnimplemented) {
      report.Missing("veth driver",
                     absl::StrCat("veth (CONFIG_VETH): ", s.message(),
                                  "; load it with `modprobe veth` or build "
                                  "the kernel with CONFIG_VETH"));
    } else if (s.code() == absl::StatusCode::kPermissionDenied) {
      report.Missing("CAP_NET_ADMIN",
                     absl::StrCat("veth/addresses: ", s.message()));
    } else {
      report.Missing("veth setup", absl::StrCat("veth setup: ", s.message()));
    }
    return report.Finish(false);
  }
  const Isolation& net = **iso;
  bool leaked = if_nametoindex(net.server().interface.c_str()) != 0 ||
                if_nametoindex(net.client().interface.c_str()) != 0;
  std::string veth_line = absl::StrCat(
      "veth (CONFIG_VETH): ", net.server().interface, " ", net.server().address,
      " <-> ", net.client().interface, " ", net.client().address, ", mtu ",
      net.mtu(), ", created inside the two namespaces; visible from here: ",
      leaked ? "YES (unexpected)" : "no");
  if (leaked) {
    report.Missing("private veth", veth_line);
  } else {
    report.Ok(veth_line);
  }
  report.Info(absl::StrCat("offloads: server ",
                           net.server().offloads.ToString(), "; client ",
                           net.client().offloads.ToString()));

  ProbeOptions probe;
  probe.bytes = 64 * 1024;
  absl::StatusOr<ProbeResult> moved = ProbeTransfer(net, probe);
  if (!moved.ok()) {
    report.Missing("TCP over veth", absl::StrCat("tcp across the veth: ",
                                                 moved.status().message()));
    return report.Finish(false);
  }
  report.Ok(absl::StrCat(
      "tcp ", moved->peer_address, " -> ", net.server().address, ":",
      moved->port, ": ", moved->bytes,
      " bytes verified, server thread in net:[", moved->server_thread_ns,
      "], client thread in net:[", moved->client_thread_ns, "]"));
  if (absl::Status closed = (*iso)->Close(); !closed.ok()) {
    report.Missing("veth removal",
                   absl::StrCat("removing the veth: ", closed.message()));
  } else {
    report.Ok("teardown: veth deleted, namespace fds closed");
  }
  return report.Finish(true);
}

}  // namespace copyscope::isolation
