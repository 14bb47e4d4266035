// Tests of the io_uring probing helpers: every explanation, and a real
// seccomp filter that denies io_uring_setup in a child process.
#include "transports/common/uring_io.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace copyscope::transports {
namespace {

std::string Explain(int rc, int disabled, int seccomp, bool root) {
  UringEnvironment env;
  snprintf(env.kernel.text, sizeof(env.kernel.text), "5.15.0-test");
  env.io_uring_disabled = disabled;
  env.seccomp = seccomp;
  env.root = root;
  char why[256] = "";
  ExplainUringSetupFailure(rc, env, why, sizeof(why));
  return why;
}

TEST(UringIo, ExplainsEveryReasonSetupFails) {
  EXPECT_EQ(Explain(-EPERM, 2, 0, true),
            "io_uring disabled by sysctl kernel.io_uring_disabled=2 (kernel "
            "5.15.0-test)");
  EXPECT_NE(Explain(-EPERM, 1, 0, false)
                .find("restricted by sysctl kernel.io_uring_disabled=1"),
            std::string::npos);
  EXPECT_NE(Explain(-EPERM, 0, 2, false).find("seccomp filter"),
            std::string::npos);
  EXPECT_NE(Explain(-ENOSYS, -1, 2, true).find("denied (ENOSYS)"),
            std::string::npos);
  EXPECT_EQ(Explain(-ENOSYS, -1, 0, true),
            "io_uring not supported by kernel 5.15.0-test (io_uring_setup: "
            "ENOSYS; needs Linux 5.1+ built with CONFIG_IO_URING)");
  EXPECT_NE(Explain(-EPERM, 0, 0, true).find("security module"),
            std::string::npos);
  EXPECT_NE(Explain(-ENOMEM, 0, 0, true).find("RLIMIT_MEMLOCK"),
            std::string::npos);
  EXPECT_NE(Explain(-EINVAL, 0, 0, true).find("Invalid argument"),
            std::string::npos);
}

TEST(UringIo, KernelReleaseParsesMajorMinor) {
  KernelRelease k;
  ASSERT_STRNE(k.text, "unknown");
  EXPECT_GT(k.major, 0);
  EXPECT_TRUE(k.AtLeast(k.major, k.minor));
  EXPECT_FALSE(k.AtLeast(k.major + 1, 0));
}

TEST(UringIo, ProbeNamesAnOpcodeTheKernelLacks) {
  char why[256];
  const UringOpName kSend[] = {{IORING_OP_SEND, "IORING_OP_SEND"}};
  int rc = ProbeUring(kSend, 1, why, sizeof(why));
  if (rc != 0) GTEST_SKIP() << why;  // no io_uring here at all
  EXPECT_STREQ(why, "");
  // An opcode number past the last one any kernel knows.
  const UringOpName kBogus[] = {{250, "IORING_OP_BOGUS"}};
  EXPECT_EQ(ProbeUring(kBogus, 1, why, sizeof(why)), -EOPNOTSUPP);
  EXPECT_EQ(std::string(why),
            std::string("IORING_OP_BOGUS not supported by kernel ") +
                KernelRelease().text);
}

// Runs ProbeUring in a child whose seccomp filter fails io_uring_setup with
// `err`, and returns the child's explanation.
std::string ProbeUnderSeccomp(int err) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};
    char why[256] = "filter not installed";
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0) {
      const UringOpName kSend[] = {{IORING_OP_SEND, "IORING_OP_SEND"}};
      ProbeUring(kSend, 1, why, sizeof(why));
    }
    ssize_t n = write(fds[1], why, strlen(why));
    _exit(n > 0 ? 0 : 1);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

TEST(UringIo, ProbeBlamesASeccompFilter) {
  std::string eperm = ProbeUnderSeccomp(EPERM);
  EXPECT_NE(eperm.find("io_uring_setup denied (EPERM)"), std::string::npos)
      << eperm;
  EXPECT_NE(eperm.find("seccomp filter"), std::string::npos) << eperm;
  std::string enosys = ProbeUnderSeccomp(ENOSYS);
  EXPECT_NE(enosys.find("denied (ENOSYS)"), std::string::npos) << enosys;
  EXPECT_NE(enosys.find("seccomp"), std::string::npos) << enosys;
}

}  // namespace
}  // namespace copyscope::transports
