#include "harness/env/isolation/interface.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "harness/env/isolation/errors.h"

namespace copyscope::isolation {
namespace {

// A throwaway datagram socket: the handle SIOC* ioctls need. It belongs to
// the calling thread's namespace, which is the one the ioctl looks in.
class IoctlSocket {
 public:
  IoctlSocket() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~IoctlSocket() {
    if (fd_ >= 0) close(fd_);
  }
  IoctlSocket(const IoctlSocket&) = delete;
  IoctlSocket& operator=(const IoctlSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

absl::Status FillName(const std::string& ifname, struct ifreq* ifr) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad interface name \"", ifname, "\""));
  }
  memset(ifr, 0, sizeof(*ifr));
  memcpy(ifr->ifr_name, ifname.c_str(), ifname.size());
  return absl::OkStatus();
}

absl::Status EthtoolValue(const std::string& ifname, uint32_t cmd,
                          const char* cmd_name, uint32_t* value) {
  struct ifreq ifr;
  if (absl::Status s = FillName(ifname, &ifr); !s.ok()) return s;
  IoctlSocket sock;
  if (sock.fd() < 0) return ErrnoError("socket(AF_INET, SOCK_DGRAM)");
  struct ethtool_value ev = {};
  ev.cmd = cmd;
  ev.data = *value;
  ifr.ifr_data = reinterpret_cast<char*>(&ev);
  if (ioctl(sock.fd(), SIOCETHTOOL, &ifr) != 0) {
    return ErrnoError(absl::StrCat("SIOCETHTOOL ", cmd_name, " on ", ifname));
  }
  *value = ev.data;
  return absl::OkStatus();
}

void ReadOne(const std::string& ifname, uint32_t cmd, const char* cmd_name,
             std::optional<bool>* field, std::string* error) {
  uint32_t value = 0;
  absl::Status s = EthtoolValue(ifname, cmd, cmd_name, &value);
  if (s.ok()) {
    *field = value != 0;
  } else if (error->empty()) {
    *error = std::string(s.message());
  }
}

const char* OnOff(const std::optional<bool>& v) {
  if (!v.has_value()) return "?";
  return *v ? "on" : "off";
}

}  // namespace

std::string Offloads::ToString() const {
  return absl::StrCat("tso=", OnOff(tso), " gso=", OnOff(gso),
                      " gro=", OnOff(gro), " sg=", OnOff(sg),
                      " tx-csum=", OnOff(tx_checksum),
                      " rx-csum=", OnOff(rx_checksum));
}

Offloads ReadOffloads(const std::string& ifname) {
  Offloads out;
  ReadOne(ifname, ETHTOOL_GTSO, "ETHTOOL_GTSO", &out.tso, &out.error);
  ReadOne(ifname, ETHTOOL_GGSO, "ETHTOOL_GGSO", &out.gso, &out.error);
  ReadOne(ifname, ETHTOOL_GGRO, "ETHTOOL_GGRO", &out.gro, &out.error);
  ReadOne(ifname, ETHTOOL_GSG, "ETHTOOL_GSG", &out.sg, &out.error);
  ReadOne(ifname, ETHTOOL_GTXCSUM, "ETHTOOL_GTXCSUM", &out.tx_checksum,
          &out.error);
  ReadOne(ifname, ETHTOOL_GRXCSUM, "ETHTOOL_GRXCSUM", &out.rx_checksum,
          &out.error);
  return out;
}

absl::Status SetOffload(const std::string& ifname, Offload which, bool on) {
  uint32_t value = on ? 1 : 0;
  switch (which) {
    case Offload::kTso:
      return EthtoolValue(ifname, ETHTOOL_STSO, "ETHTOOL_STSO", &value);
    case Offload::kGso:
      return EthtoolValue(ifname, ETHTOOL_SGSO, "ETHTOOL_SGSO", &value);
    case Offload::kGro:
      return EthtoolValue(ifname, ETHTOOL_SGRO, "ETHTOOL_SGRO", &value);
  }
  return absl::InvalidArgumentError("unknown offload");
}

absl::StatusOr<int> ReadMtu(const std::string& ifname) {
  struct ifreq ifr;
  if (absl::Status s = FillName(ifname, &ifr); !s.ok()) return s;
  IoctlSocket sock;
  if (sock.fd() < 0) return ErrnoError("socket(AF_INET, SOCK_DGRAM)");
  if (ioctl(sock.fd(), SIOCGIFMTU, &ifr) != 0) {
    return ErrnoError(absl::StrCat("SIOCGIFMTU on ", ifname));
  }
  return ifr.ifr_mtu;
}

}  // namespace copyscope::isolation
