#include "harness/control/deploy.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace copyscope::control {
namespace {

// Runs argv with `input` on stdin; collects stdout and stderr. Bounded.
absl::StatusOr<std::pair<std::string, std::string>> Run(
    std::vector<std::string> args, const std::string& input,
    absl::Duration timeout) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    return absl::ResourceExhaustedError(strerror(errno));
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start ", args[0], ": ", strerror(rc)));
  }
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  std::string o, e;
  size_t written = 0;
  bool in_open = true;
  if (input.empty()) {
    close(in[1]);
    in_open = false;
  }
  const absl::Time deadline = absl::Now() + timeout;
  bool out_open = true, err_open = true;
  while ((out_open || err_open) && absl::Now() < deadline) {
    pollfd p[3] = {{out[0], POLLIN, 0},
                   {err[0], POLLIN, 0},
                   {in_open ? in[1] : -1, POLLOUT, 0}};
    poll(p, 3, 100);
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      bool& open = i == 0 ? out_open : err_open;
      if (!open || !(p[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(i == 0 ? out[0] : err[0], buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? o : e).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        open = false;
      }
    }
    if (in_open && (p[2].revents & (POLLOUT | POLLERR))) {
      ssize_t n = write(in[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
      if (written == input.size()) {
        close(in[1]);
        in_open = false;
      }
    }
  }
  if (in_open) close(in[1]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  if (out_open || err_open) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  if (out_open || err_open) {
    return absl::DeadlineExceededError(absl::StrCat(
        args[0], " did not finish within ", absl::FormatDuration(timeout)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        absl::StrJoin(args, " "), " failed: ", absl::StripAsciiWhitespace(e)));
  }
  return std::make_pair(o, e);
}

std::vector<std::string> SshArgs(const PeerTarget& t,
                                 const std::vector<std::string>& ssh) {
  std::vector<std::string> args = ssh;
  if (t.port != 0) {
    args.push_back("-p");
    args.push_back(absl::StrCat(t.port));
  }
  args.push_back(t.user.empty() ? t.host : t.user + "@" + t.host);
  return args;
}

}  // namespace

absl::StatusOr<std::string> RunSsh(const PeerTarget& target,
                                   const std::vector<std::string>& ssh,
                                   const std::string& command,
                                   const std::string& input,
                                   absl::Duration timeout) {
  std::vector<std::string> args = SshArgs(target, ssh);
  args.push_back(command);
  absl::StatusOr<std::pair<std::string, std::string>> r =
      Run(args, input, timeout);
  if (!r.ok()) return r.status();
  return r->first;
}

absl::StatusOr<std::unique_ptr<Deployment>> Deployment::Upload(
    const PeerTarget& target, const std::vector<std::string>& ssh,
    const std::vector<std::string>& plugins, const std::string& binary) {
  // A local staging directory, archived with tar (following links: the
  // runfiles are symlinks), streamed to `tar -x` on the peer.
  char stage_template[] = "/tmp/copyscope-stage.XXXXXX";
  const char* stage = mkdtemp(stage_template);
  if (stage == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("mkdtemp: ", strerror(errno)));
  }
  const std::string s = stage;
  auto cleanup = [&] { (void)Run({"rm", "-rf", s}, "", absl::Seconds(30)); };
  std::string self = binary;
  if (self.empty()) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return absl::InternalError("cannot read /proc/self/exe");
    self.assign(exe, static_cast<size_t>(n));
  }
  std::vector<std::string> cp = {"cp", "-L", self, s + "/copyscope"};
  absl::Status st = Run(cp, "", absl::Seconds(60)).status();
  if (st.ok())
    st = Run({"mkdir", s + "/plugins"}, "", absl::Seconds(10)).status();
  for (const std::string& p : plugins) {
    if (!st.ok()) break;
    st = Run({"cp", "-L", p, s + "/plugins/"}, "", absl::Seconds(60)).status();
  }
  absl::StatusOr<std::pair<std::string, std::string>> tar =
      st.ok() ? Run({"tar", "-C", s, "-cf", "-", "."}, "", absl::Minutes(2))
              : absl::StatusOr<std::pair<std::string, std::string>>(st);
  cleanup();
  if (!tar.ok()) {
    return absl::Status(tar.status().code(),
                        absl::StrCat("--deploy: ", tar.status().message()));
  }
  absl::StatusOr<std::string> dir =
      RunSsh(target, ssh,
             "umask 077 && d=$(mktemp -d /tmp/copyscope-deploy.XXXXXX) && "
             "tar -C \"$d\" -xf - && echo \"$d\"",
             tar->first);
  if (!dir.ok()) {
    return absl::Status(dir.status().code(),
                        absl::StrCat("--deploy: ", dir.status().message()));
  }
  std::unique_ptr<Deployment> d(new Deployment);
  d->target_ = target;
  d->ssh_ = ssh;
  d->dir_ = std::string(absl::StripAsciiWhitespace(*dir));
  if (d->dir_.rfind("/tmp/copyscope-deploy.", 0) != 0) {
    return absl::InternalError(
        absl::StrCat("--deploy: the peer answered '", d->dir_, "'"));
  }
  return d;
}

Deployment::~Deployment() {
  if (!dir_.empty()) {
    (void)RunSsh(target_, ssh_, absl::StrCat("rm -rf '", dir_, "'"), "",
                 absl::Seconds(30));
  }
}

}  // namespace copyscope::control
