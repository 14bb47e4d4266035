#include "harness/control/auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace copyscope::control {

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--token-file=", path, ": cannot open: ", std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file=", path, ": not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrFormat(
        "--token-file=%s: mode %04o lets others read or write the token; "
        "chmod 600 %s",
        path, st.st_mode & 07777, path));
  }
  std::string token;
  char buf[4097];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0 && token.size() <= 4096) {
    token.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
    token.pop_back();
  }
  if (token.empty() || token.size() > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file=", path, ": ",
                     token.empty() ? "empty" : "longer than 4 KiB",
                     "; put one secret line in it, e.g. from "
                     "`head -c 32 /dev/urandom | base64`"));
  }
  return token;
}

std::string Nonce() {
  std::string n(32, '\0');
  size_t got = 0;
  while (got < n.size()) {
    ssize_t r = getrandom(n.data() + got, n.size() - got, 0);
    if (r > 0) got += static_cast<size_t>(r);
  }
  return n;
}

std::string Mac(absl::string_view token, absl::string_view label,
                absl::string_view first, absl::string_view second) {
  const std::string data = absl::StrCat(label, "|", first, "|", second);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool SameMac(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && !a.empty() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace copyscope::control
