#include "harness/env/build_facts.h"

#include <hwloc.h>
#include <netlink/version.h>
#include <openssl/crypto.h>
#include <perfmon/pfmlib.h>
#include <sqlite3.h>

#include "absl/base/config.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "harness/env/build_facts.inc"
#include "harness/env/build_flags.inc"

#if __has_include(<liburing/io_uring_version.h>)
#include <liburing.h>  // liburing 2.4 and later: io_uring_major_version()
#define COPYSCOPE_LIBURING_HAS_VERSION_CALL 1
#endif

namespace copyscope::env {
namespace {

std::string Text(const char* s) { return s != nullptr && *s ? s : "unknown"; }

LibraryVersion Abseil() {
#if defined(ABSL_LTS_RELEASE_VERSION)
  return {
      "Abseil",
      absl::StrCat(ABSL_LTS_RELEASE_VERSION, ".", ABSL_LTS_RELEASE_PATCH_LEVEL),
      "", "ABSL_LTS_RELEASE_VERSION of the headers (no version call)"};
#else
  return {"Abseil", "unknown", "",
          "headers of no LTS release: no version macro, no version call"};
#endif
}

LibraryVersion Protobuf() {
  constexpr int kV = GOOGLE_PROTOBUF_VERSION;  // 3021012 for 3.21.12
  return {"protobuf",
          absl::StrCat(kV / 1000000, ".", kV / 1000 % 1000, ".", kV % 1000), "",
          "GOOGLE_PROTOBUF_VERSION of the headers (no version call)"};
}

LibraryVersion Liburing() {
#if defined(COPYSCOPE_LIBURING_HAS_VERSION_CALL)
  return {"liburing",
          absl::StrCat(io_uring_major_version(), ".", io_uring_minor_version()),
          "", "io_uring_major/minor_version() at run time"};
#else
  return {"liburing", COPYSCOPE_LIBURING_PACKAGE_VERSION, "",
          "dpkg-query of liburing-dev when built (no version call)"};
#endif
}

LibraryVersion Hwloc() {
  unsigned api = hwloc_get_api_version();
  return {
      "hwloc", HWLOC_VERSION,
      absl::StrCat((api >> 16) & 0xff, ".", (api >> 8) & 0xff, ".", api & 0xff),
      "HWLOC_VERSION of the headers; API from hwloc_get_api_version() at "
      "run time"};
}

LibraryVersion Libpfm() {
  int api = pfm_get_version();
  return {"libpfm4", COPYSCOPE_LIBPFM_PACKAGE_VERSION,
          absl::StrCat(PFM_MAJ_VERSION(api), ".", PFM_MIN_VERSION(api)),
          "dpkg-query of libpfm4-dev when built; API from pfm_get_version() "
          "at run time"};
}

LibraryVersion Libnl() {
  return {"libnl", absl::StrCat(nl_ver_maj, ".", nl_ver_min, ".", nl_ver_mic),
          "", "nl_ver_maj, nl_ver_min, nl_ver_mic of libnl-3 at run time"};
}

LibraryVersion OpenSsl() {
  return {"OpenSSL", Text(OpenSSL_version(OPENSSL_VERSION_STRING)), "",
          "OpenSSL_version(OPENSSL_VERSION_STRING) at run time"};
}

LibraryVersion Sqlite() {
  return {"SQLite", Text(sqlite3_libversion()), "",
          "sqlite3_libversion() at run time"};
}

BuildFacts Make() {
  BuildFacts b;
  b.bazel_version = COPYSCOPE_BAZEL_VERSION;
  b.compiler_path = COPYSCOPE_COMPILER_PATH;
  b.compile_flags = COPYSCOPE_COMPILE_FLAGS;
  b.link_flags = COPYSCOPE_LINK_FLAGS;
  b.libraries = {Abseil(), Protobuf(), Liburing(), Hwloc(),
                 Libpfm(), Libnl(),    OpenSsl(),  Sqlite()};
  return b;
}

}  // namespace

const BuildFacts& GetBuildFacts() {
  static const BuildFacts* const facts = new BuildFacts(Make());
  return *facts;
}

}  // namespace copyscope::env
