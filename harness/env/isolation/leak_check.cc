#include "harness/env/isolation/leak_check.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/env/isolation/errors.h"
#include "harness/env/isolation/netns.h"

namespace copyscope::isolation {
namespace {

std::string ReadLink(const std::string& path) {
  char buf[256];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::vector<std::string> List(const std::string& dir, bool numeric_only) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    int ignored;
    if (numeric_only && !absl::SimpleAtoi(name, &ignored)) continue;
    out.push_back(name);
  }
  closedir(d);
  return out;
}

// "net:[123]" -> 123; 0 if the text is not a network namespace link.
uint64_t NetInode(const std::string& link) {
  uint64_t inode = 0;
  if (!absl::StartsWith(link, "net:[") || !absl::EndsWith(link, "]")) return 0;
  if (!absl::SimpleAtoi(link.substr(5, link.size() - 6), &inode)) return 0;
  return inode;
}

}  // namespace

std::vector<std::string> ReferencesTo(uint64_t inode) {
  const std::string want = absl::StrCat("net:[", inode, "]");
  std::vector<std::string> found;
  for (const std::string& pid : List("/proc", true)) {
    const std::string base = absl::StrCat("/proc/", pid);
    for (const std::string& tid : List(base + "/task", true)) {
      if (ReadLink(absl::StrCat(base, "/task/", tid, "/ns/net")) == want) {
        found.push_back(absl::StrCat("pid ", pid, " thread ", tid));
      }
    }
    for (const std::string& fd : List(base + "/fd", true)) {
      if (ReadLink(absl::StrCat(base, "/fd/", fd)) == want) {
        found.push_back(absl::StrCat("pid ", pid, " fd ", fd));
      }
    }
    std::ifstream mounts(base + "/mountinfo");
    std::stringstream text;
    text << mounts.rdbuf();
    if (absl::StrContains(text.str(), want)) {
      found.push_back(absl::StrCat("pid ", pid, " mount"));
    }
  }
  return found;
}

bool InterfaceHere(const std::string& name) {
  struct stat st;
  return if_nametoindex(name.c_str()) != 0 ||
         stat(("/sys/class/net/" + name).c_str(), &st) == 0;
}

// `ip netns list`, or nothing if there is no ip command.
std::optional<std::set<std::string>> IpNetnsList() {
  for (const char* ip :
       {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(ip, X_OK) != 0) continue;
    FILE* p = popen(absl::StrCat(ip, " netns list 2>&1").c_str(), "r");
    if (p == nullptr) return std::nullopt;
    std::set<std::string> lines;
    char buf[512];
    while (fgets(buf, sizeof(buf), p) != nullptr) lines.insert(buf);
    pclose(p);
    return lines;
  }
  return std::nullopt;
}

std::set<uint64_t> NamespacesHeldBy(pid_t pid) {
  std::set<uint64_t> out;
  const std::string base = absl::StrCat("/proc/", pid, "/fd/");
  for (const std::string& fd : List(base, true)) {
    if (uint64_t inode = NetInode(ReadLink(base + fd))) out.insert(inode);
  }
  return out;
}

std::set<uint64_t> NamespacesOfThreads(pid_t pid) {
  std::set<uint64_t> out;
  const std::string base = absl::StrCat("/proc/", pid, "/task/");
  for (const std::string& tid : List(base, true)) {
    if (uint64_t inode = NetInode(ReadLink(base + tid + "/ns/net"))) {
      out.insert(inode);
    }
  }
  return out;
}

int OpenNamespaceOf(pid_t pid, uint64_t inode) {
  const std::string base = absl::StrCat("/proc/", pid, "/fd/");
  for (const std::string& fd : List(base, true)) {
    if (NetInode(ReadLink(base + fd)) == inode) {
      return open((base + fd).c_str(), O_RDONLY | O_CLOEXEC);
    }
  }
  return -1;
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  for (const std::string& p : List("/proc", true)) {
    std::ifstream in("/proc/" + p + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    // pid (comm) state ppid ...: comm may hold spaces, so start after ')'.
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> f =
        absl::StrSplit(text.substr(close + 2), ' ', absl::SkipEmpty());
    int ppid = 0;
    int child = 0;
    if (f.size() > 1 && absl::SimpleAtoi(f[1], &ppid) && ppid == pid &&
        absl::SimpleAtoi(p, &child)) {
      out.push_back(child);
    }
  }
  return out;
}

absl::Status NsidWatch::Start() {
  absl::StatusOr<int> watch = NewNamespace();
  if (!watch.ok()) return watch.status();
  watch_ns_ = *watch;
  return RunInNamespace(watch_ns_, [this]() -> absl::Status {
    events_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    requests_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (events_ < 0 || requests_ < 0) return ErrnoError("socket(NETLINK)");
    // Bound, so it has a port id of its own: an unbound socket's id 0 is
    // the kernel's, and the kernel does not deliver its own multicasts to
    // its own port.
    sockaddr_nl local = {};
    local.nl_family = AF_NETLINK;
    if (bind(events_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) !=
        0) {
      return ErrnoError("bind(NETLINK_ROUTE)");
    }
    int group = RTNLGRP_NSID;
    if (setsockopt(events_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
                   sizeof(group)) != 0) {
      return ErrnoError("NETLINK_ADD_MEMBERSHIP RTNLGRP_NSID");
    }
    return absl::OkStatus();
  });
}

NsidWatch::~NsidWatch() {
  for (int fd : {events_, requests_, watch_ns_}) {
    if (fd >= 0) close(fd);
  }
}

absl::Status NsidWatch::Assign(int ns_fd, int nsid) {
  struct {
    nlmsghdr hdr;
    rtgenmsg gen;
    char pad[3];
    nlattr fd_attr;
    uint32_t fd;
    nlattr id_attr;
    int32_t id;
  } req = {};
  static_assert(sizeof(req) == NLMSG_HDRLEN + 4 + 2 * (NLA_HDRLEN + 4));
  req.hdr.nlmsg_len = sizeof(req);
  req.hdr.nlmsg_type = RTM_NEWNSID;
  req.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.hdr.nlmsg_seq = static_cast<uint32_t>(nsid);
  req.gen.rtgen_family = AF_UNSPEC;
  req.fd_attr = {NLA_HDRLEN + 4, NETNSA_FD};
  req.fd = static_cast<uint32_t>(ns_fd);
  req.id_attr = {NLA_HDRLEN + 4, NETNSA_NSID};
  req.id = nsid;
  if (send(requests_, &req, sizeof(req), 0) < 0) {
    return ErrnoError("send RTM_NEWNSID");
  }
  char buf[4096];
  ssize_t n = recv(requests_, buf, sizeof(buf), 0);
  if (n < static_cast<ssize_t>(NLMSG_HDRLEN + sizeof(nlmsgerr))) {
    return ErrnoError("recv RTM_NEWNSID ack");
  }
  const auto* hdr = reinterpret_cast<const nlmsghdr*>(buf);
  const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
  if (hdr->nlmsg_type != NLMSG_ERROR || err->error != 0) {
    return ErrnoError("RTM_NEWNSID", err->error < 0 ? -err->error : EPROTO);
  }
  return absl::OkStatus();
}

absl::Status NsidWatch::AwaitDeleted(const std::set<int>& ids,
                                     absl::Duration bound) {
  const absl::Time deadline = absl::Now() + bound;
  char buf[8192];
  auto missing = [&] {
    return std::count_if(ids.begin(), ids.end(),
                         [&](int id) { return !deleted_.count(id); });
  };
  while (missing() > 0) {
    absl::Duration left = deadline - absl::Now();
    struct pollfd p = {events_, POLLIN, 0};
    int ready =
        left > absl::ZeroDuration()
            ? poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1)
            : 0;
    if (ready <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat(missing(), " namespace(s) still alive after ",
                       absl::FormatDuration(bound)));
    }
    ssize_t n = recv(events_, buf, sizeof(buf), 0);
    if (n < 0) return ErrnoError("recv RTNLGRP_NSID");
    int len = static_cast<int>(n);
    // NLMSG_OK compares the header's unsigned length with the int one.
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf);
         NLMSG_OK(h, len);  // NOLINT(clang-diagnostic-sign-compare)
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != RTM_DELNSID) continue;
      int attr_len =
          static_cast<int>(h->nlmsg_len) -
          static_cast<int>(NLMSG_LENGTH(NLMSG_ALIGN(sizeof(rtgenmsg))));
      auto* a = reinterpret_cast<nlattr*>(static_cast<char*>(NLMSG_DATA(h)) +
                                          NLMSG_ALIGN(sizeof(rtgenmsg)));
      for (; attr_len >= static_cast<int>(NLA_HDRLEN) &&
             a->nla_len >= NLA_HDRLEN && a->nla_len <= attr_len;
           attr_len -= NLA_ALIGN(a->nla_len),
           a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(a) +
                                         NLA_ALIGN(a->nla_len))) {
        if ((a->nla_type & NLA_TYPE_MASK) != NETNSA_NSID) continue;
        int32_t id;
        std::memcpy(&id, reinterpret_cast<char*>(a) + NLA_HDRLEN, sizeof(id));
        deleted_.insert(id);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace copyscope::isolation
