// SHA-256 (FIPS 180-4), for the plugin fingerprints in a run's record.
//
//   Sha256 h;
//   h.Update(data, size);                    // as many times as needed
//   std::string hex = h.HexDigest();         // 64 lowercase hex digits
//   absl::StatusOr<std::string> f = Sha256File("/path/to/plugin.so");
#ifndef COPYSCOPE_HARNESS_RECORD_SHA256_H_
#define COPYSCOPE_HARNESS_RECORD_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::harness {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(absl::string_view s) { Update(s.data(), s.size()); }
  // Finishes the hash; the object must not be updated afterwards.
  std::array<uint8_t, 32> Digest();
  std::string HexDigest();

 private:
  void Block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

// Hex SHA-256 of a string.
std::string Sha256Hex(absl::string_view data);

// Hex SHA-256 of a file's contents.
absl::StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_RECORD_SHA256_H_
