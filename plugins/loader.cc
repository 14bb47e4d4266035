// Plugin loader: see loader.h.
#include "plugins/loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace copyscope::plugins {
namespace {

constexpr char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Returns "" if path starts with the ELF magic, else why it is not loadable.
std::string CheckElf(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::string("cannot open: ") + std::strerror(errno);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return "not a regular file";
  }
  char magic[4] = {0, 0, 0, 0};
  ssize_t n;
  do {
    n = read(fd, magic, sizeof(magic));
  } while (n < 0 && errno == EINTR);
  close(fd);
  if (n != static_cast<ssize_t>(sizeof(magic)) ||
      std::memcmp(magic, kElfMagic, sizeof(magic)) != 0) {
    return "not an ELF shared library";
  }
  return "";
}

// "" when s ends within max bytes, else "<what> longer than <max> bytes".
// Reads at most max + 1 bytes of s (not NULL).
std::string TooLong(const char* s, size_t max, const std::string& what) {
  if (strnlen(s, max + 1) <= max) return "";
  return what + " longer than " + std::to_string(max) + " bytes";
}

// name is non-NULL and NUL-terminated (TooLong checked it).
bool ValidName(const char* name) {
  if (*name == '\0') return false;
  for (const char* c = name; *c != '\0'; ++c) {
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (!ok) return false;
  }
  return true;
}

// The directories seen, by device and inode: a symlink loop (or two links to
// one directory) is walked once.
using Seen = std::set<std::pair<dev_t, ino_t>>;

void CollectSharedObjects(const std::string& dir, std::vector<std::string>* out,
                          int depth, Seen* seen) {
  if (depth > 16) return;  // runfiles trees are shallow
  struct stat self;
  if (stat(dir.c_str(), &self) != 0 ||
      !seen->emplace(self.st_dev, self.st_ino).second) {
    return;
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir;
    path.append("/").append(name);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;  // dangling link: skip
    if (S_ISDIR(st.st_mode)) {
      CollectSharedObjects(path, out, depth + 1, seen);
    } else if (S_ISREG(st.st_mode) && name.size() > 3 &&
               name.compare(name.size() - 3, 3, ".so") == 0) {
      out->push_back(path);
    }
  }
  closedir(d);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

const char* StatusName(PluginStatus status) {
  static constexpr const char* kNames[] = {"ok", "unavailable", "rejected"};
  return kNames[static_cast<size_t>(status)];
}

std::string ValidateDescriptor(const cs_transport* t) {
  if (t == nullptr) return "descriptor is NULL";
  if (t->struct_size < CS_TRANSPORT_STRUCT_SIZE) {
    return "descriptor struct_size " + std::to_string(t->struct_size) +
           " is smaller than the " + std::to_string(CS_TRANSPORT_STRUCT_SIZE) +
           " bytes of ABI " + std::to_string(CS_ABI_MAJOR) + ".0";
  }
  if (t->abi_major != CS_ABI_MAJOR) {
    return "built for ABI major " + std::to_string(t->abi_major) +
           ", this host speaks " + std::to_string(CS_ABI_MAJOR);
  }
  // Every string is measured within its bound before anything else reads
  // it, and the options array only once its count is within bound.
  if (t->name == nullptr) return "name must be non-empty [a-z0-9_]+";
  if (std::string e = TooLong(t->name, kMaxNameBytes, "name"); !e.empty()) {
    return e;
  }
  if (!ValidName(t->name)) {
    return "name must be non-empty [a-z0-9_]+";
  }
  if (t->version == nullptr || t->description == nullptr) {
    return "version and description must be set";
  }
  if (std::string e = TooLong(t->version, kMaxVersionBytes, "version");
      !e.empty()) {
    return e;
  }
  if (std::string e = TooLong(t->description, kMaxTextBytes, "description");
      !e.empty()) {
    return e;
  }
  if (t->option_count > kMaxDescriptorOptions) {
    return "option_count " + std::to_string(t->option_count) +
           " is more than " + std::to_string(kMaxDescriptorOptions);
  }
  if (t->option_count > 0 && t->options == nullptr) {
    return "option_count is set but options is NULL";
  }
  for (uint32_t i = 0; i < t->option_count; ++i) {
    const cs_option_desc& o = t->options[i];
    const std::string what = "option " + std::to_string(i);
    if (o.key == nullptr || o.key[0] == '\0') return what + " has no key";
    if (std::string e = TooLong(o.key, kMaxNameBytes, what + " key");
        !e.empty()) {
      return e;
    }
    const std::string named = what + " (" + o.key + ")";
    if (o.default_value != nullptr) {
      if (std::string e =
              TooLong(o.default_value, kMaxTextBytes, named + " default");
          !e.empty()) {
        return e;
      }
    }
    if (o.help != nullptr) {
      if (std::string e = TooLong(o.help, kMaxTextBytes, named + " help");
          !e.empty()) {
        return e;
      }
    }
  }
  struct Required {
    const void* fn;
    const char* what;
  };
  const Required required[] = {
      {reinterpret_cast<const void*>(t->probe), "probe"},
      {reinterpret_cast<const void*>(t->open), "open"},
      {reinterpret_cast<const void*>(t->close), "close"},
      {reinterpret_cast<const void*>(t->counters), "counters"},
      {reinterpret_cast<const void*>(t->last_error), "last_error"},
  };
  for (const Required& r : required) {
    if (r.fn == nullptr) return std::string("missing function ") + r.what;
  }
  if (t->send == nullptr && t->recv == nullptr) {
    return "neither send nor recv is implemented";
  }
  if ((t->capabilities & CS_CAP_RECV) != 0 && t->recv == nullptr) {
    return "capability RECV without a recv function";
  }
  if (t->recv != nullptr && (t->capabilities & CS_CAP_RECV) == 0) {
    return "recv function without the RECV capability";
  }
  if ((t->capabilities & CS_CAP_RECV_DISCARDS) != 0 &&
      (t->capabilities & (CS_CAP_RECV | CS_CAP_RECV_IN_PLACE)) != CS_CAP_RECV) {
    return "capability RECV_DISCARDS needs RECV and excludes RECV_IN_PLACE "
           "(a discarded message is nowhere)";
  }
  if ((t->capabilities & CS_CAP_DATAGRAM) != 0 && t->abi_minor < 3) {
    return "capability DATAGRAM from a plugin built for ABI " +
           std::to_string(t->abi_major) + "." + std::to_string(t->abi_minor) +
           " (it came with 1.3, which tells a plugin the socket's type)";
  }
  if (t->send != nullptr && t->reap == nullptr) {
    return "send without reap (reap must exist, even if it never waits)";
  }
  return "";
}

PluginSet::PluginSet() = default;

PluginSet::~PluginSet() {
  for (void* h : handles_) dlclose(h);
}

Plugin PluginSet::LoadFile(const std::string& path) {
  Plugin p;
  p.path = path;
  p.name = BaseName(path);
  auto reject = [&](std::string why) -> Plugin {
    p.status = PluginStatus::kRejected;
    p.reason = std::move(why);
    p.transport = nullptr;
    plugins_.push_back(std::move(p));
    return plugins_.back();
  };

  std::string elf = CheckElf(path);
  if (!elf.empty()) return reject(elf);

  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    return reject(std::string("dlopen failed: ") + (err ? err : "unknown"));
  }
  auto entry = reinterpret_cast<cs_entry_fn>(dlsym(handle, CS_ENTRY_SYMBOL));
  if (entry == nullptr) {
    dlclose(handle);
    return reject(std::string("missing entry symbol ") + CS_ENTRY_SYMBOL);
  }
  cs_host host = {};
  host.struct_size = CS_HOST_STRUCT_SIZE;
  host.abi_major = CS_ABI_MAJOR;
  host.abi_minor = CS_ABI_MINOR;
  host.host_name = "copyscope";
  const cs_transport* t = entry(&host);
  if (t == nullptr) {
    dlclose(handle);
    return reject("plugin refused ABI " + std::to_string(CS_ABI_MAJOR) + "." +
                  std::to_string(CS_ABI_MINOR));
  }
  std::string invalid = ValidateDescriptor(t);
  if (!invalid.empty()) {
    dlclose(handle);
    return reject(invalid);
  }
  if (std::optional<Plugin> other = Find(t->name);
      other && other->status != PluginStatus::kRejected) {
    std::string why = std::string("duplicate name '") + t->name +
                      "', already loaded from " + other->path;
    dlclose(handle);
    return reject(why);
  }

  handles_.push_back(handle);
  p.name = t->name;
  p.transport = t;
  char why[512] = {0};
  int rc = t->probe(why, sizeof(why));
  why[sizeof(why) - 1] = '\0';
  if (rc == 0) {
    p.status = PluginStatus::kOk;
  } else {
    p.status = PluginStatus::kUnavailable;
    p.reason = why[0] != '\0' ? why
                              : std::string("probe failed: ") +
                                    std::strerror(rc < 0 ? -rc : rc);
  }
  plugins_.push_back(std::move(p));
  return plugins_.back();
}

bool ListPluginFiles(const std::string& dir, std::vector<std::string>* files,
                     std::string* error) {
  if (!IsDirectory(dir)) {
    if (error != nullptr) *error = "plugin directory not found: " + dir;
    return false;
  }
  std::vector<std::string> found;
  Seen seen;
  CollectSharedObjects(dir, &found, 0, &seen);
  std::sort(found.begin(), found.end());
  files->insert(files->end(), found.begin(), found.end());
  return true;
}

bool PluginSet::LoadDirectory(const std::string& dir, std::string* error) {
  std::vector<std::string> files;
  if (!ListPluginFiles(dir, &files, error)) return false;
  for (const std::string& f : files) LoadFile(f);
  return true;
}

std::optional<Plugin> PluginSet::Find(const std::string& name) const {
  for (const Plugin& p : plugins_) {
    if (p.name == name) return p;
  }
  return std::nullopt;
}

std::string DefaultPluginDirectory() {
  std::vector<std::string> roots;
  if (const char* r = std::getenv("RUNFILES_DIR")) roots.push_back(r);
  if (const char* r = std::getenv("TEST_SRCDIR")) roots.push_back(r);
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    roots.push_back(std::string(exe) + ".runfiles");
  }
  for (const std::string& root : roots) {
    std::string dir = root + "/copyscope/transports";
    if (IsDirectory(dir)) return dir;
  }
  return "";
}

}  // namespace copyscope::plugins
