// SIGKILL mid-run leaves nothing behind: netns_holder builds an Isolation
// and holds a live connection with threads inside both namespaces; we kill
// it and then prove that no process, veth, namespace reference or namespace
// remains. The last proof comes from the kernel itself: the holder's
// namespaces get ids in a watch namespace of ours, and the kernel's
// RTM_DELNSID for each id says the namespace was destroyed.
#include <dirent.h>
#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "harness/isolation/errors.h"
#include "harness/isolation/netns.h"

extern char** environ;

namespace copyscope::isolation {
namespace {

// Failure bounds, never synchronisation: every wait below ends on an event.
constexpr absl::Duration kReadyBound = absl::Seconds(60);
// Namespace destruction is asynchronous: the last reference may be an
// orphaned TCP socket still closing, then the kernel's cleanup work runs.
// The slowest legitimate case is an orphan whose peer namespace (and veth
// end) died first: it retransmits into nothing until it gives up, about
// 100 s at the kernel's default tcp_orphan_retries. Isolation sets 1 in its
// namespaces (about a second); the bound still covers the default, so only a
// namespace that never dies (a real leak) fails here.
constexpr absl::Duration kDestroyBound = absl::Seconds(150);

std::string HolderPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    return absl::StrCat(srcdir, "/", workspace,
                        "/harness/isolation/netns_holder");
  }
  char self[4096] = {};
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir(self, n > 0 ? static_cast<size_t>(n) : 0);
  return dir.substr(0, dir.rfind('/')) + "/netns_holder";
}

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

// Every reference to net:[inode] visible in /proc: a thread inside it, an
// open fd on it, a bind mount of it.
std::vector<std::string> ReferencesTo(uint64_t inode) {
  const std::string want = absl::StrCat("net:[", inode, "]");
  std::vector<std::string> found;
  for (const std::string& pid : List("/proc", true)) {
    const std::string base = "/proc/" + pid;
    for (const std::string& tid : List(base + "/task", true)) {
      if (ReadLink(base + "/task/" + tid + "/ns/net") == want) {
        found.push_back(absl::StrCat("pid ", pid, " thread ", tid));
      }
    }
    for (const std::string& fd : List(base + "/fd", true)) {
      if (ReadLink(base + "/fd/" + fd) == want) {
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

// The kernel's word on namespace destruction. A namespace of our own
// ("watch") assigns ids to the namespaces to be watched; when one of them is
// destroyed the kernel removes its id and multicasts RTM_DELNSID to
// RTNLGRP_NSID listeners in the watch namespace.
class NsidWatch {
 public:
  absl::Status Start() {
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

  ~NsidWatch() {
    for (int fd : {events_, requests_, watch_ns_}) {
      if (fd >= 0) close(fd);
    }
  }

  // Gives the namespace ns_fd the id `nsid` in the watch namespace. The id
  // holds no reference: the namespace can still die.
  absl::Status Assign(int ns_fd, int nsid) {
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

  // Waits (bounded) until RTM_DELNSID has arrived for every id in `ids`.
  absl::Status AwaitDeleted(const std::set<int>& ids) {
    const absl::Time deadline = absl::Now() + kDestroyBound;
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
              ? poll(&p, 1,
                     static_cast<int>(absl::ToInt64Milliseconds(left)) + 1)
              : 0;
      if (ready <= 0) {
        return absl::DeadlineExceededError(
            absl::StrCat(missing(), " namespace(s) still alive after ",
                         absl::FormatDuration(kDestroyBound)));
      }
      ssize_t n = recv(events_, buf, sizeof(buf), 0);
      if (n < 0) return ErrnoError("recv RTNLGRP_NSID");
      int len = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len);
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

  // Whether RTM_DELNSID for nsid has been seen so far.
  bool Deleted(int nsid) const { return deleted_.count(nsid) > 0; }

 private:
  std::set<int> deleted_;
  int watch_ns_ = -1;
  int events_ = -1;
  int requests_ = -1;
};

struct Holder {
  pid_t pid = -1;
  int to_child = -1;                          // its stdin
  int from_child = -1;                        // its stdout
  std::string line;                           // the first line it printed
  std::map<std::string, std::string> fields;  // key=value pairs of "ready"

  ~Holder() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (to_child >= 0) close(to_child);
    if (from_child >= 0) close(from_child);
  }
};

void Spawn(Holder* h) {
  int in[2], out[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::string path = HolderPath();
  char* argv[] = {path.data(), nullptr};
  int rc = posix_spawn(&h->pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  h->to_child = in[1];
  h->from_child = out[0];
  ASSERT_EQ(rc, 0) << "posix_spawn " << path << ": " << strerror(rc);
}

// The first line of the holder's stdout, waiting for it (bounded).
void ReadFirstLine(Holder* h) {
  const absl::Time deadline = absl::Now() + kReadyBound;
  char c;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    ASSERT_GT(left, absl::ZeroDuration()) << "no line from the holder";
    struct pollfd p = {h->from_child, POLLIN, 0};
    int ready =
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    ASSERT_GE(ready, 0) << strerror(errno);
    if (ready == 0) continue;
    ssize_t n = read(h->from_child, &c, 1);
    ASSERT_EQ(n, 1) << "holder closed stdout after \"" << h->line << "\"";
    if (c == '\n') break;
    h->line.push_back(c);
  }
  for (absl::string_view word : absl::StrSplit(h->line, ' ')) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(word, absl::MaxSplits('=', 1));
    h->fields[kv.first] = kv.second;
  }
}

uint64_t Inode(const Holder& h, const std::string& key) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(h.fields.at(key), &v)) << h.line;
  return v;
}

// Opens the holder's namespace with the given inode through its own fds.
int OpenHoldersNamespace(const Holder& h, uint64_t inode) {
  const std::string base = absl::StrCat("/proc/", h.pid, "/fd/");
  const std::string want = absl::StrCat("net:[", inode, "]");
  for (const std::string& fd : List(base, true)) {
    if (ReadLink(base + fd) == want) {
      return open((base + fd).c_str(), O_RDONLY | O_CLOEXEC);
    }
  }
  return -1;
}

// Runs `count` holders at once, SIGKILLs them mid-run, proves the rest.
void KillMidRunAndProveNothingRemains(int count) {
  std::optional<std::set<std::string>> netns_before = IpNetnsList();
  NsidWatch watch;
  absl::Status watching = watch.Start();
  if (watching.code() == absl::StatusCode::kPermissionDenied) {
    GTEST_SKIP() << "network namespaces not permitted here: "
                 << watching.message();
  }
  ASSERT_TRUE(watching.ok()) << watching;

  std::vector<Holder> holders(static_cast<size_t>(count));
  for (Holder& h : holders) {
    Spawn(&h);
    if (testing::Test::HasFatalFailure()) return;
  }
  std::set<std::string> names;
  std::set<uint64_t> inodes;
  std::set<int> ids;
  int next_id = 1;
  for (Holder& h : holders) {
    ReadFirstLine(&h);
    if (testing::Test::HasFatalFailure()) return;
    if (absl::StartsWith(h.line, "skip ")) {
      GTEST_SKIP() << "netns_holder: " << h.line;
    }
    ASSERT_TRUE(absl::StartsWith(h.line, "ready ")) << h.line;
    for (const char* key : {"server_if", "client_if"}) {
      const std::string& name = h.fields.at(key);
      EXPECT_TRUE(names.insert(name).second) << "name reused: " << name;
      EXPECT_FALSE(InterfaceHere(name)) << name << " exists in our namespace";
    }
    for (const char* key : {"server_ns", "client_ns"}) {
      uint64_t inode = Inode(h, key);
      EXPECT_TRUE(inodes.insert(inode).second) << "namespace shared";
      // Positive control: the scan does see the holder's references now.
      std::vector<std::string> refs = ReferencesTo(inode);
      EXPECT_TRUE(std::any_of(refs.begin(), refs.end(),
                              [&](const auto& r) {
                                return absl::StartsWith(
                                    r, absl::StrCat("pid ", h.pid, " thread"));
                              }))
          << "no thread of the holder seen in net:[" << inode << "]";
      int ns = OpenHoldersNamespace(h, inode);
      ASSERT_GE(ns, 0) << "cannot open net:[" << inode << "] of the holder";
      absl::Status assigned = watch.Assign(ns, next_id);
      close(ns);
      ASSERT_TRUE(assigned.ok()) << assigned;
      ids.insert(next_id++);
    }
  }

  for (Holder& h : holders) {
    ASSERT_EQ(kill(h.pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(h.pid, &status, 0), h.pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_EQ(kill(h.pid, 0), -1);
    EXPECT_EQ(errno, ESRCH) << "holder pid " << h.pid << " still exists";
    h.pid = -1;
  }

  // No process, fd or mount refers to the namespaces any more...
  for (uint64_t inode : inodes) {
    std::vector<std::string> refs = ReferencesTo(inode);
    EXPECT_TRUE(refs.empty())
        << "net:[" << inode << "] still referenced by " << refs.front();
  }
  // ...the kernel destroyed every one of them, veths included...
  absl::Status destroyed = watch.AwaitDeleted(ids);
  EXPECT_TRUE(destroyed.ok()) << destroyed;
  // ...and nothing ever appeared in ours.
  for (const std::string& name : names) {
    EXPECT_FALSE(InterfaceHere(name)) << name;
  }
  std::optional<std::set<std::string>> netns_after = IpNetnsList();
  if (netns_before.has_value() && netns_after.has_value()) {
    for (const std::string& line : *netns_after) {
      EXPECT_TRUE(netns_before->count(line))
          << "new in ip netns list: " << line;
    }
  }
}

TEST(LeakTest, SigkillMidRunLeavesNothing) {
  KillMidRunAndProveNothingRemains(1);
}

TEST(LeakTest, TwoRunsAtOnceDoNotCollideAndBothVanish) {
  KillMidRunAndProveNothingRemains(2);
}

// The counter-proof that the watch works: a namespace we still hold does
// not get reported as destroyed.
TEST(LeakTest, WatchReportsOnlyRealDestruction) {
  NsidWatch watch;
  absl::Status watching = watch.Start();
  if (watching.code() == absl::StatusCode::kPermissionDenied) {
    GTEST_SKIP() << "network namespaces not permitted here: "
                 << watching.message();
  }
  ASSERT_TRUE(watching.ok()) << watching;
  absl::StatusOr<int> held = NewNamespace();
  absl::StatusOr<int> dropped = NewNamespace();
  ASSERT_TRUE(held.ok() && dropped.ok());
  ASSERT_TRUE(watch.Assign(*held, 1).ok());
  ASSERT_TRUE(watch.Assign(*dropped, 2).ok());
  close(*dropped);
  EXPECT_TRUE(watch.AwaitDeleted({2}).ok());
  EXPECT_FALSE(watch.Deleted(1));
  close(*held);
  EXPECT_TRUE(watch.AwaitDeleted({1}).ok());
}

}  // namespace
}  // namespace copyscope::isolation
