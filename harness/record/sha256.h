// SHA-256 through OpenSSL (libcrypto's EVP interface), for the fingerprints
// a run records: each plugin's .so, the harness binary, and the record's
// own checksum.
//
//   Sha256 h;
//   h.Update(data, size);                    // as many times as needed
//   std::string hex = h.HexDigest();         // 64 lowercase hex digits
//   absl::StatusOr<std::string> f = Sha256File("/path/to/plugin.so");
#ifndef COPYSCOPE_HARNESS_RECORD_SHA256_H_
#define COPYSCOPE_HARNESS_RECORD_SHA256_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::record {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(absl::string_view s) { Update(s.data(), s.size()); }
  // Finishes the hash; the object must not be updated afterwards.
  std::string HexDigest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Hex SHA-256 of a string.
std::string Sha256Hex(absl::string_view data);

// Hex SHA-256 of a file's contents. A file that is not regular (a FIFO, a
// directory, a device) is refused rather than read.
absl::StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_SHA256_H_
