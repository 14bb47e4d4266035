// netns_holder: the process the leak test kills. It builds an Isolation,
// moves bytes across it, then, with a server thread and a client thread
// still inside the two namespaces and their TCP connection open, prints
//
//   ready server_if=<name> client_if=<name> server_ns=<inode> client_ns=<inode>
//
// and waits for stdin to close or a line on it, at most argv[1] seconds
// (default 60), before tearing down normally. If namespaces are not
// permitted it prints "skip <reason>" and exits 0.
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "harness/env/isolation/isolation.h"
#include "harness/env/isolation/probe.h"

namespace copyscope::isolation {
namespace {

int Main(int argc, char** argv) {
  int max_wait_s = argc > 1 ? std::atoi(argv[1]) : 60;
  if (max_wait_s <= 0) max_wait_s = 60;

  absl::StatusOr<std::unique_ptr<Isolation>> iso = Isolation::CreateNetns();
  if (!iso.ok()) {
    bool denied = iso.status().code() == absl::StatusCode::kPermissionDenied;
    std::printf("%s %s\n", denied ? "skip" : "error",
                std::string(iso.status().message()).c_str());
    return denied ? 0 : 1;
  }
  const Isolation& net = **iso;

  ProbeOptions options;
  options.bytes = 1 << 20;
  options.while_connected = [&] {
    std::printf(
        "ready server_if=%s client_if=%s server_ns=%llu "
        "client_ns=%llu\n",
        net.server().interface.c_str(), net.client().interface.c_str(),
        static_cast<unsigned long long>(net.server().ns_inode),
        static_cast<unsigned long long>(net.client().ns_inode));
    std::fflush(stdout);
    struct pollfd in = {STDIN_FILENO, POLLIN, 0};
    poll(&in, 1, max_wait_s * 1000);
  };
  absl::StatusOr<ProbeResult> moved = ProbeTransfer(net, options);
  if (!moved.ok()) {
    std::printf("error %s\n", std::string(moved.status().message()).c_str());
    return 1;
  }
  absl::Status closed = (*iso)->Close();
  std::printf("done %s\n", closed.ok() ? "clean" : closed.ToString().c_str());
  return closed.ok() ? 0 : 1;
}

}  // namespace
}  // namespace copyscope::isolation

int main(int argc, char** argv) {
  return copyscope::isolation::Main(argc, argv);
}
