// Per-interface settings read and written through ioctl: MTU and the
// offloads (GSO, GRO, TSO, ...) that decide how much work the stack does per
// byte, so a run record can say what the veth was doing.
//
// Every call acts on the calling thread's network namespace; to look inside
// an isolation namespace wrap it in RunInNamespace():
//
//   Offloads off;
//   RunInNamespace(ns_fd, [&] { off = ReadOffloads("cs1f2a_0s"); return
//   absl::OkStatus(); }); printf("%s\n", off.ToString().c_str());  // "tso=on
//   gso=on gro=off ..."
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_INTERFACE_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_INTERFACE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace copyscope::isolation {

// Offload state as ethtool reports it. An unset field was not read (the
// driver refused the query); it is never guessed.
struct Offloads {
  std::optional<bool> tso;          // TCP segmentation offload
  std::optional<bool> gso;          // generic segmentation offload
  std::optional<bool> gro;          // generic receive offload
  std::optional<bool> sg;           // scatter-gather
  std::optional<bool> tx_checksum;  // transmit checksum offload
  std::optional<bool> rx_checksum;  // receive checksum offload
  std::string error;                // why a field is unset; empty if none

  // "tso=on gso=on gro=off sg=on tx-csum=on rx-csum=on"; "?" where unread.
  std::string ToString() const;
};

// Reads every field with the legacy ETHTOOL_G* queries on SIOCETHTOOL.
Offloads ReadOffloads(const std::string& ifname);

enum class Offload { kTso, kGso, kGro };

// Turns one offload on or off (ETHTOOL_S*); needs CAP_NET_ADMIN.
absl::Status SetOffload(const std::string& ifname, Offload which, bool on);

// SIOCGIFMTU.
absl::StatusOr<int> ReadMtu(const std::string& ifname);

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_INTERFACE_H_
