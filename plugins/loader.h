// Plugin loader: finds, opens and validates transport plugins.
//
// Every candidate `.so` ends up in exactly one state:
//   kOk          loaded, validated, and its probe says it can run here;
//   kUnavailable loaded and valid, but its probe says it cannot run here
//                (reason holds the probe's words);
//   kRejected    not usable at all: not an ELF file, dlopen failed, no
//                entry symbol, refused our ABI, wrong ABI major, descriptor
//                too small, missing functions, bad name, a string or the
//                option list beyond its bound (below), duplicate name.
// A bad plugin never stops the others from loading.
//
//   copyscope::plugins::PluginSet set;
//   set.LoadDirectory("/path/to/plugins");   // every *.so below it
//   set.LoadFile("/elsewhere/mine.so");
//   for (const auto& p : set.plugins()) printf("%s %s\n", p.name.c_str(),
//                                              StatusName(p.status));
//   std::optional<Plugin> two_copy = set.Find("two_copy");
#ifndef COPYSCOPE_PLUGINS_LOADER_H_
#define COPYSCOPE_PLUGINS_LOADER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plugins/copyscope_transport.h"

namespace copyscope::plugins {

enum class PluginStatus { kOk, kUnavailable, kRejected };

// "ok", "unavailable" or "rejected".
const char* StatusName(PluginStatus status);

struct Plugin {
  std::string path;  // the file as given
  std::string name;  // descriptor name; the file name if rejected early
  PluginStatus status = PluginStatus::kRejected;
  std::string reason;  // empty when kOk
  // Non-null unless rejected; valid while the PluginSet that loaded it
  // lives.
  const cs_transport* transport = nullptr;
};

class PluginSet {
 public:
  PluginSet();
  ~PluginSet();  // dlcloses every library it opened
  PluginSet(const PluginSet&) = delete;
  PluginSet& operator=(const PluginSet&) = delete;

  // Loads one file and returns a copy of its record (also kept in
  // plugins()).
  Plugin LoadFile(const std::string& path);

  // Loads every regular file whose name ends in ".so" below dir (recursive,
  // sorted by path, so the order is stable). Returns false with *error set
  // if dir cannot be read; plugins found so far are kept.
  bool LoadDirectory(const std::string& dir, std::string* error);

  const std::vector<Plugin>& plugins() const { return plugins_; }

  // The plugin of that name, of any status, as a copy (later loads grow
  // plugins(), which would move an element under a pointer into it); its
  // descriptor stays valid while this set lives.
  std::optional<Plugin> Find(const std::string& name) const;

 private:
  std::vector<Plugin> plugins_;
  std::vector<void*> handles_;
};

// Appends the plugin files below dir (every regular file whose name ends in
// ".so", recursively, sorted by path: the order LoadDirectory loads them
// in). Returns false with *error set if dir cannot be read.
bool ListPluginFiles(const std::string& dir, std::vector<std::string>* files,
                     std::string* error);

// Bounds on what a descriptor may hold. Every string is read with strnlen()
// up to its bound plus one byte, so an unterminated or runaway string is a
// rejection, never a read past the bound; the options array is read only
// once option_count is within its bound.
inline constexpr size_t kMaxNameBytes = 64;             // name, and option keys
inline constexpr size_t kMaxVersionBytes = 64;          // version
inline constexpr size_t kMaxTextBytes = 4096;           // description, option
                                                        // default and help
inline constexpr uint32_t kMaxDescriptorOptions = 256;  // option_count

// Validates a descriptor as the loader does (exposed for tests and for
// statically linked transports). Returns "" if valid, else the reason
// (e.g. "name longer than 64 bytes", "option_count 100000 is more than
// 256").
std::string ValidateDescriptor(const cs_transport* t);

// Where the in-tree plugins are: the "transports" folder of the running
// binary's Bazel runfiles (RUNFILES_DIR, TEST_SRCDIR, or
// /proc/self/exe.runfiles), or "" when there are no runfiles.
std::string DefaultPluginDirectory();

}  // namespace copyscope::plugins

#endif  // COPYSCOPE_PLUGINS_LOADER_H_
