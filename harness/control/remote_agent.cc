#include "harness/control/remote_agent.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "harness/control/auth.h"
#include "harness/control/control.pb.h"

extern char** environ;

namespace copyscope::control {
namespace {

constexpr size_t kTailLines = 200;

// `copyscope --version` text on one line: "copyscope 0.1.0 (commit ...,
// compiler gcc 12.2.0, compilation mode opt)".
std::string OneLine(const std::string& version_text) {
  std::vector<absl::string_view> lines = absl::StrSplit(
      absl::StripAsciiWhitespace(version_text), '\n', absl::SkipEmpty());
  if (lines.size() <= 1)
    return std::string(absl::StripAsciiWhitespace(version_text));
  return absl::StrCat(lines[0], " (",
                      absl::StrJoin(lines.begin() + 1, lines.end(), ", "), ")");
}

void Watch(int epoll, int fd) {
  if (fd < 0) return;
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.fd = fd;
  epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e);
}

absl::Status Bad(const std::string& text, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "--peer=", text, ": ", why,
      "; e.g. --peer=198.18.0.1:7000 or --peer=ssh://root@peer:22"));
}

}  // namespace

absl::StatusOr<PeerTarget> PeerTarget::Parse(const std::string& text) {
  PeerTarget t;
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "ssh://")) {
    t.ssh = true;
    size_t at = rest.find('@');
    if (at != absl::string_view::npos) {
      t.user = std::string(rest.substr(0, at));
      rest.remove_prefix(at + 1);
    }
  }
  size_t colon = rest.rfind(':');
  t.host = std::string(rest.substr(0, colon));
  if (colon != absl::string_view::npos) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 ||
        port > 65535) {
      return Bad(text, "the port must be 1 to 65535");
    }
    t.port = static_cast<uint16_t>(port);
  }
  if (t.host.empty() || t.host.find_first_of(" /\t'\"") != std::string::npos ||
      (!t.user.empty() &&
       t.user.find_first_of(" /\t'\"@") != std::string::npos)) {
    return Bad(text, "no host, or a host with spaces or slashes");
  }
  if (!t.ssh && t.port == 0) return Bad(text, "a TCP peer needs its port");
  return t;
}

std::string PeerTarget::ToString() const {
  if (!ssh) return absl::StrCat(host, ":", port);
  return absl::StrCat("ssh://", user.empty() ? "" : user + "@", host,
                      port ? absl::StrCat(":", port) : "");
}

absl::StatusOr<std::unique_ptr<RemoteAgent>> RemoteAgent::Connect(
    const PeerTarget& target, const PeerOptions& options) {
  std::unique_ptr<RemoteAgent> a(new RemoteAgent);
  a->where_ = target.ToString();
  a->epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!target.ssh) {
    engine::CancelSignal never;
    absl::StatusOr<engine::UniqueFd> fd =
        engine::ConnectTcp(target.host, target.port, never, options.timeout);
    if (!fd.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot reach the agent at ",
                                                 a->where_, ": ",
                                                 fd.status().message()));
    }
    a->channel_ = std::make_unique<Channel>(*std::move(fd));
  } else {
    int sv[2];
    int err[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
        pipe2(err, O_CLOEXEC) != 0) {
      return absl::ResourceExhaustedError(strerror(errno));
    }
    std::vector<std::string> args = options.ssh;
    if (target.port != 0) {
      args.push_back("-p");
      args.push_back(absl::StrCat(target.port));
    }
    args.push_back(target.user.empty() ? target.host
                                       : target.user + "@" + target.host);
    // One remote command line: ssh joins its words with spaces.
    std::vector<std::string> remote = {options.remote_binary, "agent",
                                       "--stdio"};
    remote.insert(remote.end(), options.remote_args.begin(),
                  options.remote_args.end());
    args.push_back(absl::StrJoin(remote, " "));
    std::vector<char*> argv;
    for (std::string& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sv[1], 0);
    posix_spawn_file_actions_adddup2(&actions, sv[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);  // not the terminal's Ctrl-C
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    int rc = posix_spawnp(&a->ssh_pid_, argv[0], &actions, &attr, argv.data(),
                          environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(sv[1]);
    close(err[1]);
    if (rc != 0) {
      close(sv[0]);
      close(err[0]);
      a->ssh_pid_ = -1;
      return absl::FailedPreconditionError(
          absl::StrCat("--ssh: cannot start ", argv[0], ": ", strerror(rc)));
    }
    a->channel_ = std::make_unique<Channel>(engine::UniqueFd(sv[0]));
    a->ssh_err_.reset(err[0]);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    Watch(a->epoll_.get(), err[0]);
  }
  Watch(a->epoll_.get(), a->channel_->fd());
  absl::Status s = a->Handshake(target, options);
  if (!s.ok()) {
    a->Poll();
    std::vector<std::string> said = a->OutputTail(3);
    std::string why(s.message());
    for (const std::string& line : said) absl::StrAppend(&why, "; ", line);
    return absl::Status(s.code(), why);
  }
  return a;
}

absl::Status RemoteAgent::Handshake(const PeerTarget& target,
                                    const PeerOptions& options) {
  FromAgent theirs;
  absl::Status s = channel_->Receive(&theirs, options.timeout);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the agent at ", where_, " did not say hello: ", s.message()));
  }
  if (theirs.has_refused()) {
    return absl::UnavailableError(
        absl::StrCat("the agent at ", where_, " refused: ", theirs.refused()));
  }
  if (!theirs.has_hello() || theirs.hello().protocol() != kProtocolVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the agent at ", where_, " speaks control protocol ",
        theirs.hello().protocol(), ", this controller ", kProtocolVersion,
        "; run the same copyscope on both hosts (--deploy)"));
  }
  const Hello& h = theirs.hello();
  agent_address_ = h.my_address();
  controller_address_ = h.your_address();
  agent_version_ = h.version();
  if (h.version() != options.version && !options.allow_mismatch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the agent at ", where_, " is ", OneLine(h.version()), "; this is ",
        OneLine(options.version),
        "; run the same build on both hosts (--deploy) or --allow-mismatch"));
  }
  ToAgent mine;
  mine.mutable_hello()->set_protocol(kProtocolVersion);
  mine.mutable_hello()->set_version(options.version);
  mine.mutable_hello()->set_pid(getpid());
  const std::string nonce = Nonce();
  if (!target.ssh) {
    mine.mutable_hello()->set_nonce(nonce);
    mine.mutable_hello()->set_mac(
        Mac(options.token, "controller", h.nonce(), nonce));
  }
  s = channel_->Send(mine, options.timeout);
  if (!s.ok() || target.ssh) return s;
  FromAgent proof;
  s = channel_->Receive(&proof, options.timeout);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the agent at ", where_, " went away: ", s.message()));
  }
  if (proof.has_refused()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the agent at ", where_, " refused: ", proof.refused(),
                     " (is --token-file the agent's token?)"));
  }
  if (!proof.has_hello() ||
      !SameMac(proof.hello().mac(),
               Mac(options.token, "agent", nonce, h.nonce()))) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the agent at ", where_, " could not prove it holds the token"));
  }
  return absl::OkStatus();
}

RemoteAgent::~RemoteAgent() { Kill(); }

void RemoteAgent::AddLine(std::string line) {
  tail_.push_back(std::move(line));
  if (tail_.size() > kTailLines) tail_.erase(tail_.begin());
}

void RemoteAgent::Poll() {
  if (ssh_err_.valid()) {
    char buf[4096];
    ssize_t n;
    while ((n = read(ssh_err_.get(), buf, sizeof(buf))) > 0) {
      ssh_partial_.append(buf, static_cast<size_t>(n));
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, ssh_err_.get(), nullptr);
      ssh_err_.reset();
      ssh_partial_.push_back('\n');
    }
    size_t nl;
    while ((nl = ssh_partial_.find('\n')) != std::string::npos) {
      if (nl > 0) AddLine(absl::StrCat("ssh: ", ssh_partial_.substr(0, nl)));
      ssh_partial_.erase(0, nl + 1);
    }
  }
  channel_->Fill();
  for (;;) {
    FromAgent m;
    absl::StatusOr<bool> got = channel_->Next(&m);
    if (!got.ok()) {
      broken_ = got.status();
      break;
    }
    if (!*got) break;
    if (m.has_output()) {
      for (const std::string& l : m.output().lines()) AddLine(l);
    } else if (m.has_ended()) {
      ended_status_ = m.ended().wait_status();
    } else {
      kept_.push_back(std::move(m));
    }
  }
  if (channel_->eof()) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, channel_->fd(), nullptr);
  }
}

absl::Status RemoteAgent::Send(const ToAgent& message, absl::Duration timeout) {
  return channel_->Send(message, timeout);
}

absl::StatusOr<bool> RemoteAgent::Next(FromAgent* message) {
  Poll();
  if (!kept_.empty()) {
    *message = std::move(kept_.front());
    kept_.pop_front();
    return true;
  }
  if (!broken_.ok()) return broken_;
  return false;
}

std::vector<std::string> RemoteAgent::OutputTail(size_t n) const {
  std::vector<std::string> out(
      tail_.end() - static_cast<ptrdiff_t>(std::min(n, tail_.size())),
      tail_.end());
  return out;
}

std::optional<int> RemoteAgent::WaitEnd(absl::Duration timeout) {
  // The host reports how its agent ended just before it closes the
  // connection; a connection that closed without it says nothing.
  const absl::Time deadline = absl::Now() + timeout;
  while (!ended_status_ && !channel_->eof() && absl::Now() < deadline) {
    pollfd p = {channel_->fd(), POLLIN, 0};
    poll(&p, 1, 100);
    Poll();
  }
  return ended_status_;
}

void RemoteAgent::Kill() {
  // Closing the connection makes the host kill its agent.
  if (channel_ != nullptr) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, channel_->fd(), nullptr);
    channel_ = std::make_unique<Channel>(engine::UniqueFd(-1));
  }
  if (ssh_pid_ > 0) {
    kill(ssh_pid_, SIGTERM);
    int status;
    // ssh ends promptly on SIGTERM; SIGKILL after a second if it does not.
    for (int i = 0; i < 100 && waitpid(ssh_pid_, &status, WNOHANG) == 0; ++i) {
      poll(nullptr, 0, 10);
    }
    if (waitpid(ssh_pid_, &status, WNOHANG) == 0) {
      kill(ssh_pid_, SIGKILL);
      waitpid(ssh_pid_, &status, 0);
    }
    ssh_pid_ = -1;
  }
}

}  // namespace copyscope::control
