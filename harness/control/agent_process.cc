#include "harness/control/agent_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/control/control.pb.h"

extern char** environ;

namespace copyscope::control {
namespace {

constexpr size_t kTailBytes = 16 << 10;

// A copy of fd at 10 or above, so that the child's dup2() onto 0..4 never
// overwrites a source it still needs.
int High(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 10); }

void Watch(int epoll, int fd) {
  if (fd < 0) return;
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.fd = fd;
  epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e);
}

void Unwatch(int epoll, int fd) {
  if (fd >= 0) epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
}

}  // namespace

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev)
                           : absl::StrCat("signal ", signal);
}

std::string WaitStatusText(int status) {
  if (WIFSIGNALED(status)) {
    return absl::StrCat("killed by ", SignalName(WTERMSIG(status)));
  }
  if (WIFEXITED(status)) {
    return absl::StrCat("exited with status ", WEXITSTATUS(status));
  }
  return absl::StrCat("ended with wait status ", status);
}

absl::StatusOr<std::unique_ptr<AgentProcess>> AgentProcess::Spawn(
    const AgentLaunch& launch) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("socketpair: ", strerror(errno)));
  }
  engine::UniqueFd ours(sv[0]);
  engine::UniqueFd child_control(High(sv[1]));
  close(sv[1]);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("pipe: ", strerror(errno)));
  }
  engine::UniqueFd output(out[0]);
  engine::UniqueFd child_output(High(out[1]));
  close(out[1]);
  engine::UniqueFd child_ns(launch.netns_fd >= 0 ? High(launch.netns_fd) : -1);
  if (!child_control.valid() || !child_output.valid() ||
      (launch.netns_fd >= 0 && !child_ns.valid())) {
    return absl::ResourceExhaustedError(
        absl::StrCat("agent fds: ", strerror(errno)));
  }

  const std::string binary =
      launch.binary.empty() ? "/proc/self/exe" : launch.binary;
  std::vector<std::string> args = {binary, "agent", "--control-fd=3",
                                   absl::StrCat("--parent-pid=", getpid())};
  if (child_ns.valid()) args.push_back("--netns-fd=4");
  args.insert(args.end(), launch.extra_args.begin(), launch.extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, child_output.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, child_output.get(), 2);
  posix_spawn_file_actions_adddup2(&actions, child_control.get(), 3);
  if (child_ns.valid()) {
    posix_spawn_file_actions_adddup2(&actions, child_ns.get(), 4);
  }
  // Its own process group: a terminal's Ctrl-C goes to the controller,
  // which stops the sample itself; and no signal mask or disposition of
  // the controller carries over.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc =
      posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start the agent ", binary, ": ", strerror(rc)));
  }

  std::unique_ptr<AgentProcess> a(new AgentProcess);
  a->pid_ = pid;
  a->channel_ = std::make_unique<Channel>(std::move(ours));
  a->output_ = std::move(output);
  fcntl(a->output_.get(), F_SETFL, O_NONBLOCK);
  a->pidfd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  a->epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  Watch(a->epoll_.get(), a->channel_->fd());
  Watch(a->epoll_.get(), a->output_.get());
  Watch(a->epoll_.get(), a->pidfd_.get());

  ToAgent hello;
  hello.mutable_hello()->set_protocol(kProtocolVersion);
  hello.mutable_hello()->set_version(launch.version);
  absl::Status s = a->channel_->Send(hello);
  FromAgent theirs;
  if (s.ok()) s = a->channel_->Receive(&theirs, launch.hello_timeout);
  if (s.ok() &&
      (!theirs.has_hello() || theirs.hello().protocol() != kProtocolVersion)) {
    s = absl::FailedPreconditionError(absl::StrCat(
        "the agent speaks control protocol ", theirs.hello().protocol(),
        ", this controller ", kProtocolVersion, " (", binary, ")"));
  }
  if (!s.ok()) {
    a->Pump();
    std::optional<int> end = a->WaitEnd(absl::Milliseconds(500));
    std::vector<std::string> said = a->OutputTail(3);
    std::string why = end ? WaitStatusText(*end) : std::string(s.message());
    for (const std::string& line : said) absl::StrAppend(&why, "; ", line);
    return absl::FailedPreconditionError(
        absl::StrCat("the agent did not start: ", why));
  }
  return a;
}

AgentProcess::~AgentProcess() {
  if (pid_ > 0 && !wait_status_) Kill();
}

void AgentProcess::Pump() {
  char chunk[4096];
  while (output_.valid()) {
    ssize_t n = read(output_.get(), chunk, sizeof(chunk));
    if (n > 0) {
      tail_.append(chunk, static_cast<size_t>(n));
      if (fresh_.size() < kTailBytes)
        fresh_.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      Unwatch(epoll_.get(), output_.get());
      output_.reset();
    }
    break;
  }
  if (tail_.size() > kTailBytes) {
    size_t cut = tail_.find('\n', tail_.size() - kTailBytes);
    tail_.erase(0,
                cut == std::string::npos ? tail_.size() - kTailBytes : cut + 1);
  }
  channel_->Fill();
  if (channel_->eof()) Unwatch(epoll_.get(), channel_->fd());
  if (pidfd_.valid()) {
    pollfd p = {pidfd_.get(), POLLIN, 0};
    if (poll(&p, 1, 0) == 1 && Reap(WNOHANG)) {
      Unwatch(epoll_.get(), pidfd_.get());
      pidfd_.reset();
    }
  }
}

std::vector<std::string> AgentProcess::OutputTail(size_t n) const {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(tail_, '\n')) {
    if (!line.empty()) lines.emplace_back(line);
  }
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - n);
  return lines;
}

void AgentProcess::ClearOutput() { tail_.clear(); }

std::vector<std::string> AgentProcess::TakeLines() {
  std::vector<std::string> lines;
  size_t start = 0, nl;
  while ((nl = fresh_.find('\n', start)) != std::string::npos) {
    if (nl > start) lines.push_back(fresh_.substr(start, nl - start));
    start = nl + 1;
  }
  // A partial last line waits for its end, unless the agent is gone.
  fresh_.erase(0, start);
  if (!output_.valid() && !fresh_.empty()) {
    lines.push_back(fresh_);
    fresh_.clear();
  }
  return lines;
}

bool AgentProcess::Reap(int options) {
  if (wait_status_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, options);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  wait_status_ = status;
  return true;
}

std::optional<int> AgentProcess::WaitEnd(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!Reap(WNOHANG)) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) return std::nullopt;
    if (pidfd_.valid()) {
      pollfd p = {pidfd_.get(), POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    } else {
      // No pidfd (a kernel before 5.3): look again in 10 ms.
      poll(nullptr, 0, static_cast<int>(std::min<int64_t>(left, 10)));
    }
  }
  Pump();
  return wait_status_;
}

void AgentProcess::Kill() {
  if (!wait_status_) {
    kill(pid_, SIGKILL);
    Reap(0);
  }
  Pump();
}

absl::Status AgentProcess::Send(const ToAgent& message,
                                absl::Duration timeout) {
  return channel_->Send(message, timeout);
}

absl::StatusOr<bool> AgentProcess::Next(FromAgent* message) {
  Pump();
  return channel_->Next(message);
}

}  // namespace copyscope::control
