// How the running binary was built, beyond build_info.h (version, commit,
// compiler, mode): the Bazel that built it, the compile and link flags, and
// the version of every library it links, each with where that version came
// from.
//
//   const BuildFacts& b = GetBuildFacts();
//   b.bazel_version;   // "4.2.3+ds-9 (Debian package bazel-bootstrap-data)"
//   for (const LibraryVersion& l : b.libraries)
//     printf("%s %s (%s)\n", l.name.c_str(), l.version.c_str(),
//            l.source.c_str());
//
// Sources, best first: the library's own call at run time (what was loaded:
// OpenSSL, SQLite, libnl); else the version macro of the headers compiled
// against (Abseil, protobuf, hwloc, whose call gives only its API
// version); else what the build machine's package tools said when the
// binary was built, the Debian package's (liburing 2.3, which has no version
// call, and libpfm4, whose call gives only its API version): see
// build_facts.sh. The Bazel
// version comes from the workspace status (tools/workspace_status.sh), so
// only a stamped build (--stamp) knows it; others say "unknown (unstamped
// build)". Compile and link flags: build_flags.bzl.
//
// In the record (schema 5; testbed.h's CollectBuild): record::Build's
// bazel_version, compiler_path, compile_flags, link_flags and libraries
// (record::LibraryVersion: name, version, api, source).
#ifndef COPYSCOPE_HARNESS_ENV_BUILD_FACTS_H_
#define COPYSCOPE_HARNESS_ENV_BUILD_FACTS_H_

#include <string>
#include <vector>

namespace copyscope::env {

struct LibraryVersion {
  std::string name;     // "OpenSSL"
  std::string version;  // its release, e.g. "3.0.19"; "unknown" if not known
  // The interface version the library reports at run time when that is not
  // its release (hwloc, libpfm4); "" otherwise.
  std::string api;
  std::string source;  // how version (and api) were obtained, in words
};

struct BuildFacts {
  std::string bazel_version;
  std::string compiler_path;  // the C++ toolchain's compiler
  std::string compile_flags;  // space-separated, as Bazel passes them
  std::string link_flags;
  // Abseil, protobuf, liburing, hwloc, libpfm4, libnl, OpenSSL, SQLite.
  std::vector<LibraryVersion> libraries;
};

// The facts of this binary, gathered on the first call.
const BuildFacts& GetBuildFacts();

}  // namespace copyscope::env

#endif  // COPYSCOPE_HARNESS_ENV_BUILD_FACTS_H_
