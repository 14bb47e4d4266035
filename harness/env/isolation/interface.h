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
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace copyscope::isolation {

// Offload state as ethtool reports it. An unset field was not read (the
// driver refused the query); it is never guessed.
struct Offloads {
  std::optional<bool> tso;          // TCP segmentation offload
  std::optional<bool> gso;          // generic segmentation offload
  std::optional<bool> gro;          // generic receive offload
  std::optional<bool> lro;          // large receive offload
  std::optional<bool> sg;           // scatter-gather
  std::optional<bool> tx_checksum;  // transmit checksum offload
  std::optional<bool> rx_checksum;  // receive checksum offload
  std::string error;                // why a field is unset; empty if none

  // "tso=on gso=on gro=off lro=off sg=on tx-csum=on rx-csum=on"; "?" where
  // unread.
  std::string ToString() const;
  // The same, as (name, "on"/"off"/"?") pairs in that order.
  std::vector<std::pair<std::string, std::string>> Pairs() const;
};

// What the kernel says about the device behind an interface: its driver,
// link speed and interrupts. Unread facts stay unset and `notes` says why;
// nothing is guessed.
struct NicFacts {
  std::string driver;             // ETHTOOL_GDRVINFO: "veth", "mlx5_core"
  std::optional<int> speed_mbps;  // /sys/class/net/IF/speed
  // The device's IRQs (its MSI vectors, else its legacy line) with the CPUs
  // each may run on (/proc/irq/N/smp_affinity_list).
  std::vector<std::pair<int, std::string>> irqs;
  std::vector<std::string> notes;  // "no IRQs: a virtual interface", ...
  Offloads offloads;
};

// Everything above for `ifname` in the calling thread's namespace.
NicFacts ReadNicFacts(const std::string& ifname);

// The file-backed part (speed and IRQs) under `sys` (normally "/sys") and
// `proc` (normally "/proc"), so a fake tree can stand in for a real NIC.
void ReadNicFiles(const std::string& ifname, const std::string& sys,
                  const std::string& proc, NicFacts* out);

// The interface holding IPv4 address `address` in the calling thread's
// namespace; NotFound if none does.
absl::StatusOr<std::string> InterfaceWithAddress(const std::string& address);

// Reads every field with the legacy ETHTOOL_G* queries on SIOCETHTOOL.
Offloads ReadOffloads(const std::string& ifname);

enum class Offload { kTso, kGso, kGro };

// Turns one offload on or off (ETHTOOL_S*); needs CAP_NET_ADMIN.
absl::Status SetOffload(const std::string& ifname, Offload which, bool on);

// SIOCGIFMTU.
absl::StatusOr<int> ReadMtu(const std::string& ifname);

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_INTERFACE_H_
