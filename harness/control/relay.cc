#include "harness/control/relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/control/auth.h"
#include "harness/control/control.pb.h"
#include "harness/engine/runner.h"
#include "harness/engine/socket.h"

namespace copyscope::control {
namespace {

constexpr absl::Duration kHandshake = absl::Seconds(10);

std::string AddressOf(const sockaddr_in& a) {
  char text[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &a.sin_addr, text, sizeof(text));
  return text;
}

// This end's and the peer's IPv4 address of a connected socket.
std::pair<std::string, std::string> Ends(int fd) {
  sockaddr_in mine{}, theirs{};
  socklen_t n = sizeof(mine);
  getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &n);
  n = sizeof(theirs);
  getpeername(fd, reinterpret_cast<sockaddr*>(&theirs), &n);
  return {AddressOf(mine), AddressOf(theirs)};
}

// The agent a session starts: this binary, in by-name mode.
AgentLaunch LaunchFor(const RelayArgs& args, const std::string& data_address,
                      const std::string& peer_address) {
  AgentLaunch launch;
  launch.version = args.version;
  launch.extra_args.push_back("--by-name");
  for (const std::string& d : args.plugin_dirs) {
    launch.extra_args.push_back(absl::StrCat("--plugin-dir=", d));
  }
  const std::string data =
      args.data_address.empty() ? data_address : args.data_address;
  if (!data.empty()) {
    launch.extra_args.push_back(absl::StrCat("--data-address=", data));
  }
  if (!peer_address.empty()) {
    launch.extra_args.push_back(absl::StrCat("--peer-address=", peer_address));
  }
  return launch;
}

void Refuse(int fd, const std::string& why) {
  Channel c{engine::UniqueFd(fd)};
  FromAgent m;
  m.set_refused(why);
  (void)c.Send(m, absl::Seconds(1));
}

// The challenge-response of auth.h, as the agent; the controller's Hello
// when it passed.
absl::StatusOr<Hello> Authenticate(Channel& c, const std::string& token,
                                   const std::string& version,
                                   const std::string& mine,
                                   const std::string& theirs) {
  const std::string nonce = Nonce();
  FromAgent hello;
  hello.mutable_hello()->set_protocol(kProtocolVersion);
  hello.mutable_hello()->set_version(version);
  hello.mutable_hello()->set_pid(getpid());
  hello.mutable_hello()->set_nonce(nonce);
  hello.mutable_hello()->set_my_address(mine);
  hello.mutable_hello()->set_your_address(theirs);
  absl::Status s = c.Send(hello, kHandshake);
  if (!s.ok()) return s;
  ToAgent answer;
  s = c.Receive(&answer, kHandshake);
  if (!s.ok()) return s;
  if (!answer.has_hello() || answer.hello().protocol() != kProtocolVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the controller speaks control protocol ", answer.hello().protocol(),
        ", this agent ", kProtocolVersion));
  }
  if (!SameMac(answer.hello().mac(),
               Mac(token, "controller", nonce, answer.hello().nonce()))) {
    return absl::PermissionDeniedError("authentication failed");
  }
  FromAgent proof;
  proof.mutable_hello()->set_protocol(kProtocolVersion);
  proof.mutable_hello()->set_mac(
      Mac(token, "agent", answer.hello().nonce(), nonce));
  s = c.Send(proof, kHandshake);
  if (!s.ok()) return s;
  return answer.hello();
}

}  // namespace

absl::Status RelaySession(Channel& upstream, const AgentLaunch& launch,
                          int busy_fd, const std::string& busy_text) {
  absl::StatusOr<std::unique_ptr<AgentProcess>> spawned =
      AgentProcess::Spawn(launch);
  if (!spawned.ok()) {
    FromAgent m;
    m.set_refused(std::string(spawned.status().message()));
    (void)upstream.Send(m);
    return spawned.status();
  }
  AgentProcess& agent = **spawned;
  for (;;) {
    pollfd fds[3] = {{upstream.fd(), POLLIN, 0},
                     {agent.fd(), POLLIN, 0},
                     {busy_fd, POLLIN, 0}};
    poll(fds, busy_fd >= 0 ? 3 : 2, 1000);
    if (busy_fd >= 0 && (fds[2].revents & POLLIN) != 0) {
      int other = accept4(busy_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (other >= 0) Refuse(other, busy_text);
    }
    // Requests down.
    upstream.Fill();
    for (;;) {
      ToAgent m;
      absl::StatusOr<bool> got = upstream.Next(&m);
      if (!got.ok() || !*got) break;
      (void)agent.Send(m);
    }
    if (upstream.eof()) {
      agent.Kill();  // its sockets, and whatever it made, go with it
      return absl::OkStatus();
    }
    // Replies, events and printed lines up.
    for (;;) {
      FromAgent m;
      absl::StatusOr<bool> got = agent.Next(&m);
      if (!got.ok() || !*got) break;
      (void)upstream.Send(m);
    }
    std::vector<std::string> lines = agent.TakeLines();
    if (!lines.empty()) {
      FromAgent m;
      for (std::string& l : lines) m.mutable_output()->add_lines(std::move(l));
      (void)upstream.Send(m);
    }
    if (agent.ended()) {
      std::optional<int> status = agent.WaitEnd(absl::Seconds(2));
      if (!status) {
        agent.Kill();
        status = agent.wait_status();
      }
      for (std::string& l : agent.TakeLines()) {
        FromAgent m;
        m.mutable_output()->add_lines(std::move(l));
        (void)upstream.Send(m);
      }
      FromAgent end;
      end.mutable_ended()->set_wait_status(status.value_or(0));
      return upstream.Send(end);
    }
  }
}

int ServeListen(const ListenArgs& args) {
  engine::IgnoreSigpipe();
  absl::StatusOr<std::string> token = ReadToken(args.token_file);
  if (!token.ok()) {
    std::fprintf(stderr, "copyscope: agent: %s\n",
                 std::string(token.status().message()).c_str());
    return 2;
  }
  std::vector<std::string> parts = absl::StrSplit(args.listen, ':');
  uint32_t port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port) || port == 0 ||
      port > 65535) {
    std::fprintf(stderr,
                 "copyscope: agent: --listen=%s: give ADDR:PORT, e.g. "
                 "--listen=0.0.0.0:7000\n",
                 args.listen.c_str());
    return 2;
  }
  absl::StatusOr<engine::Listener> l =
      engine::ListenTcp(parts[0], static_cast<uint16_t>(port));
  if (!l.ok()) {
    std::fprintf(stderr, "copyscope: agent: --listen=%s: %s\n",
                 args.listen.c_str(),
                 std::string(l.status().message()).c_str());
    return 2;
  }
  std::fprintf(stderr, "agent: listening on %s:%u\n", parts[0].c_str(),
               l->port);
  std::fflush(stderr);
  for (;;) {
    int fd = accept4(l->fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto [mine, theirs] = Ends(fd);
    Channel c{engine::UniqueFd(fd)};
    absl::StatusOr<Hello> hello =
        Authenticate(c, *token, args.version, mine, theirs);
    if (!hello.ok()) {
      std::fprintf(stderr, "agent: %s: %s\n", theirs.c_str(),
                   std::string(hello.status().message()).c_str());
      FromAgent m;
      m.set_refused(std::string(hello.status().message()));
      (void)c.Send(m, absl::Seconds(1));
      continue;  // the next controller
    }
    std::fprintf(stderr, "agent: serving %s\n", theirs.c_str());
    std::fflush(stderr);
    absl::Status s = RelaySession(
        c, LaunchFor(args, mine, theirs), l->fd.get(),
        absl::StrCat("busy: a run from ", theirs, " is in progress"));
    std::fprintf(stderr, "agent: %s done%s%s\n", theirs.c_str(),
                 s.ok() ? "" : ": ", std::string(s.message()).c_str());
    std::fflush(stderr);
    if (args.once) return 0;
  }
}

int ServeStdio(const RelayArgs& args) {
  engine::IgnoreSigpipe();
  // The agent's own stdout is the channel: what it or a plugin prints must
  // not land there. The channel keeps the original fds 0 and 1; the agent
  // child gets /dev/null and a pipe, as ever.
  Channel c{engine::UniqueFd(fcntl(0, F_DUPFD_CLOEXEC, 3)),
            engine::UniqueFd(fcntl(1, F_DUPFD_CLOEXEC, 3))};
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    close(null);
  }
  std::string mine, theirs;
  if (const char* ssh = std::getenv("SSH_CONNECTION")) {
    std::vector<std::string> f = absl::StrSplit(ssh, ' ');
    if (f.size() == 4) {
      theirs = f[0];
      mine = f[2];
    }
  }
  FromAgent hello;
  hello.mutable_hello()->set_protocol(kProtocolVersion);
  hello.mutable_hello()->set_version(args.version);
  hello.mutable_hello()->set_pid(getpid());
  hello.mutable_hello()->set_my_address(
      args.data_address.empty() ? mine : args.data_address);
  hello.mutable_hello()->set_your_address(theirs);
  absl::Status s = c.Send(hello, kHandshake);
  ToAgent answer;
  if (s.ok()) s = c.Receive(&answer, kHandshake);
  if (s.ok() &&
      (!answer.has_hello() || answer.hello().protocol() != kProtocolVersion)) {
    s = absl::FailedPreconditionError(absl::StrCat(
        "the controller speaks control protocol ", answer.hello().protocol(),
        ", this agent ", kProtocolVersion));
  }
  if (!s.ok()) {
    std::fprintf(stderr, "copyscope agent: %s\n",
                 std::string(s.message()).c_str());
    return 3;
  }
  s = RelaySession(c, LaunchFor(args, mine, theirs));
  return s.ok() ? 0 : 3;
}

}  // namespace copyscope::control
