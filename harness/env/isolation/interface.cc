#include "harness/env/isolation/interface.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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

// One SIOCETHTOOL request; `data` is the ethtool struct, its cmd set.
absl::Status Ethtool(const std::string& ifname, void* data,
                     const char* cmd_name) {
  struct ifreq ifr;
  if (absl::Status s = FillName(ifname, &ifr); !s.ok()) return s;
  IoctlSocket sock;
  if (sock.fd() < 0) return ErrnoError("socket(AF_INET, SOCK_DGRAM)");
  ifr.ifr_data = static_cast<char*>(data);
  if (ioctl(sock.fd(), SIOCETHTOOL, &ifr) != 0) {
    return ErrnoError(absl::StrCat("SIOCETHTOOL ", cmd_name, " on ", ifname));
  }
  return absl::OkStatus();
}

absl::Status EthtoolValue(const std::string& ifname, uint32_t cmd,
                          const char* cmd_name, uint32_t* value) {
  struct ethtool_value ev = {};
  ev.cmd = cmd;
  ev.data = *value;
  absl::Status s = Ethtool(ifname, &ev, cmd_name);
  if (s.ok()) *value = ev.data;
  return s;
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

// The first line of a small file, trimmed; nullopt if it cannot be read.
std::optional<std::string> FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return std::string(absl::StripAsciiWhitespace(line));
}

// The numeric entries of a directory (msi_irqs/), sorted.
std::vector<int> NumberedEntries(const std::string& dir) {
  std::vector<int> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    int n = 0;
    if (absl::SimpleAtoi(e->d_name, &n)) out.push_back(n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Offloads::Pairs() const {
  return {{"tso", OnOff(tso)},
          {"gso", OnOff(gso)},
          {"gro", OnOff(gro)},
          {"lro", OnOff(lro)},
          {"sg", OnOff(sg)},
          {"tx-csum", OnOff(tx_checksum)},
          {"rx-csum", OnOff(rx_checksum)}};
}

std::string Offloads::ToString() const {
  std::string out;
  for (const auto& [name, value] : Pairs()) {
    absl::StrAppend(&out, out.empty() ? "" : " ", name, "=", value);
  }
  return out;
}

Offloads ReadOffloads(const std::string& ifname) {
  Offloads out;
  ReadOne(ifname, ETHTOOL_GTSO, "ETHTOOL_GTSO", &out.tso, &out.error);
  ReadOne(ifname, ETHTOOL_GGSO, "ETHTOOL_GGSO", &out.gso, &out.error);
  ReadOne(ifname, ETHTOOL_GGRO, "ETHTOOL_GGRO", &out.gro, &out.error);
  uint32_t flags = 0;
  absl::Status s =
      EthtoolValue(ifname, ETHTOOL_GFLAGS, "ETHTOOL_GFLAGS", &flags);
  if (s.ok()) {
    out.lro = (flags & ETH_FLAG_LRO) != 0;
  } else if (out.error.empty()) {
    out.error = std::string(s.message());
  }
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

void ReadNicFiles(const std::string& ifname, const std::string& sys,
                  const std::string& proc, NicFacts* out) {
  const std::string base = absl::StrCat(sys, "/class/net/", ifname);
  // Virtual interfaces and links that are down say -1 or refuse the read.
  int speed = 0;
  std::optional<std::string> text = FirstLine(base + "/speed");
  if (text && absl::SimpleAtoi(*text, &speed) && speed > 0) {
    out->speed_mbps = speed;
  } else {
    out->notes.push_back("link speed unknown: the driver does not say");
  }
  std::vector<int> irqs = NumberedEntries(base + "/device/msi_irqs");
  if (irqs.empty()) {
    int line = 0;
    text = FirstLine(base + "/device/irq");
    if (text && absl::SimpleAtoi(*text, &line) && line > 0) {
      irqs.push_back(line);
    }
  }
  if (irqs.empty()) {
    // A virtual interface (lo, veth) has no device behind it.
    out->notes.push_back(
        access((base + "/device").c_str(), F_OK) != 0
            ? "no IRQs: a virtual interface (its packets are processed in "
              "softirq context on the CPUs that send them)"
            : "no IRQs found for the device");
  }
  for (int irq : irqs) {
    std::optional<std::string> cpus =
        FirstLine(absl::StrCat(proc, "/irq/", irq, "/smp_affinity_list"));
    out->irqs.emplace_back(irq, cpus ? *cpus : "unreadable");
  }
}

NicFacts ReadNicFacts(const std::string& ifname) {
  NicFacts out;
  out.offloads = ReadOffloads(ifname);
  // Driver and speed by ioctl, in this thread's namespace (sysfs shows the
  // namespace it was mounted in); the speed falls back to sysfs below.
  struct ethtool_drvinfo info = {};
  info.cmd = ETHTOOL_GDRVINFO;
  absl::Status s = Ethtool(ifname, &info, "ETHTOOL_GDRVINFO");
  if (s.ok()) {
    out.driver =
        std::string(info.driver, strnlen(info.driver, sizeof(info.driver)));
  } else {
    out.notes.push_back(absl::StrCat("driver unknown: ", s.message()));
  }
  struct ethtool_cmd link = {};
  link.cmd = ETHTOOL_GSET;
  std::optional<int> speed;
  if (Ethtool(ifname, &link, "ETHTOOL_GSET").ok() &&
      ethtool_cmd_speed(&link) != 0 &&
      ethtool_cmd_speed(&link) != static_cast<uint32_t>(SPEED_UNKNOWN)) {
    speed = static_cast<int>(ethtool_cmd_speed(&link));
  }
  NicFacts files;
  ReadNicFiles(ifname, "/sys", "/proc", &files);
  out.speed_mbps = speed ? speed : files.speed_mbps;
  out.irqs = std::move(files.irqs);
  for (std::string& note : files.notes) {
    if (speed && absl::StartsWith(note, "link speed")) continue;
    out.notes.push_back(std::move(note));
  }
  return out;
}

absl::StatusOr<std::string> InterfaceWithAddress(const std::string& address) {
  in_addr want = {};
  if (inet_pton(AF_INET, address.c_str(), &want) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", address, "\" is not an IPv4 address"));
  }
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) return ErrnoError("getifaddrs");
  std::string found;
  for (ifaddrs* a = all; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (in->sin_addr.s_addr == want.s_addr) {
      found = a->ifa_name;
      break;
    }
  }
  freeifaddrs(all);
  if (found.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no interface here holds ", address));
  }
  return found;
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
