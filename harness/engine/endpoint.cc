#include "harness/engine/endpoint.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace copyscope::engine {

const char* RoleName(uint32_t role) {
  switch (role) {
    case CS_ROLE_SENDER:
      return "sender";
    case CS_ROLE_RECEIVER:
      return "receiver";
    case CS_ROLE_BOTH:
      return "sender+receiver";
    default:
      return "unknown role";
  }
}

absl::StatusOr<Endpoint> Endpoint::Open(const EndpointSpec& spec) {
  // Datagram sockets go to datagram transports only, and those get nothing
  // else (ABI 1.3; a plugin built before it never has the bit).
  const bool can_datagram =
      (spec.transport->capabilities & CS_CAP_DATAGRAM) != 0;
  if ((spec.socket_type == CS_SOCKET_DATAGRAM) != can_datagram) {
    return absl::FailedPreconditionError(absl::StrCat(
        spec.transport_name, " ", RoleName(spec.role),
        can_datagram
            ? ": a datagram transport (CS_CAP_DATAGRAM) cannot take a stream "
              "socket; pair it with datagram transports only"
            : ": a stream transport cannot take a datagram socket (no "
              "CS_CAP_DATAGRAM); pair datagram senders with datagram "
              "receivers only"));
  }
  std::vector<cs_option> options;
  options.reserve(spec.options.size());
  for (const auto& [key, value] : spec.options) {
    options.push_back({key.c_str(), value.c_str()});
  }
  cs_endpoint_config config;
  std::memset(&config, 0, sizeof(config));
  config.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
  config.role = spec.role;
  config.fd = spec.fd;
  config.io_timeout_ms = spec.io_timeout_ms;
  config.max_fields = spec.max_fields;
  config.max_batch = spec.max_batch;
  config.max_message_size = spec.max_message_size;
  config.options = options.empty() ? nullptr : options.data();
  config.option_count = static_cast<uint32_t>(options.size());
  // The runner shuts a cell's sockets down when it must end (stop, failure,
  // deadline), which wakes any blocked call: plugins need no per-call timers.
  config.flags = CS_ENDPOINT_HOST_UNBLOCKS;
  config.socket_type = spec.socket_type;

  char err[512] = "";
  cs_endpoint* ep = nullptr;
  int rc = spec.transport->open(&config, &ep, err, sizeof(err));
  err[sizeof(err) - 1] = '\0';
  if (rc < 0 || ep == nullptr) {
    return absl::Status(
        absl::ErrnoToStatusCode(rc < 0 ? -rc : EINVAL),
        absl::StrCat(spec.transport_name, " ", RoleName(spec.role),
                     ": open failed: ", std::strerror(rc < 0 ? -rc : EINVAL),
                     err[0] != '\0' ? absl::StrCat(": ", err) : ""));
  }
  return Endpoint(spec.transport, ep, spec.transport_name, spec.role);
}

Endpoint::Endpoint(Endpoint&& other) noexcept
    : t_(other.t_),
      ep_(other.ep_),
      name_(std::move(other.name_)),
      role_(other.role_) {
  other.ep_ = nullptr;
}

Endpoint& Endpoint::operator=(Endpoint&& other) noexcept {
  if (this != &other) {
    Close();
    t_ = other.t_;
    ep_ = other.ep_;
    name_ = std::move(other.name_);
    role_ = other.role_;
    other.ep_ = nullptr;
  }
  return *this;
}

absl::Status Endpoint::Error(int rc, const char* call) const {
  int err = rc < 0 ? -rc : EIO;
  const char* detail = ep_ != nullptr ? t_->last_error(ep_) : nullptr;
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(name_, " ", RoleName(role_), ": ", call,
                                   " failed: ", std::strerror(err),
                                   detail != nullptr && detail[0] != '\0'
                                       ? absl::StrCat(": ", detail)
                                       : ""));
}

absl::StatusOr<std::vector<std::pair<std::string, uint64_t>>>
Endpoint::Counters() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  std::vector<cs_counter> raw;
  absl::StatusOr<uint32_t> got = ReadCounters(&raw);
  if (!got.ok()) return got.status();
  out.reserve(*got);
  for (uint32_t i = 0; i < *got; ++i) {
    out.emplace_back(std::string(raw[i].name), raw[i].value);
  }
  return out;
}

absl::Status Endpoint::AddCountersTo(
    std::vector<std::pair<std::string, uint64_t>>* totals,
    std::vector<cs_counter>* scratch) const {
  absl::StatusOr<uint32_t> got = ReadCounters(scratch);
  if (!got.ok()) return got.status();
  for (uint32_t i = 0; i < *got; ++i) {
    const cs_counter& c = (*scratch)[i];
    // The same names in the same order, as a rule: a compare each.
    if (i < totals->size() && (*totals)[i].first == c.name) {
      (*totals)[i].second += c.value;
      continue;
    }
    auto it = std::find_if(totals->begin(), totals->end(),
                           [&](const auto& t) { return t.first == c.name; });
    if (it != totals->end()) {
      it->second += c.value;
    } else {
      totals->emplace_back(std::string(c.name), c.value);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> Endpoint::ReadCounters(
    std::vector<cs_counter>* raw) const {
  if (ep_ == nullptr) return 0;
  // Built only for an error: this runs once per transaction in crr.
  auto who = [&] { return absl::StrCat(name_, " ", RoleName(role_), ": "); };
  // counters() returns a uint32_t: a negative errno shows as a huge count.
  auto count = [](uint32_t n) {
    const int32_t signed_n = static_cast<int32_t>(n);
    return signed_n < 0 ? absl::StrCat(n, " (", signed_n, " as a signed value)")
                        : absl::StrCat(n);
  };
  const uint32_t n = t_->counters(ep_, nullptr, 0);
  if (n > kMaxCounters) {
    return absl::InternalError(absl::StrCat(who(), "counters() reports ",
                                            count(n), " counters, more than ",
                                            kMaxCounters));
  }
  if (n == 0) return 0;
  if (raw->size() < n) raw->resize(n);
  const uint32_t got = t_->counters(ep_, raw->data(), n);
  if (got > n) {
    return absl::InternalError(
        absl::StrCat(who(), "counters() returned ", count(got),
                     " counters, more than the ", n, " asked"));
  }
  for (uint32_t i = 0; i < got; ++i) {
    const char* name = (*raw)[i].name;
    if (name == nullptr || name[0] == '\0') {
      return absl::InternalError(absl::StrCat(
          who(), "counters() returned counter ", i, " without a name"));
    }
    const size_t len = strnlen(name, kMaxCounterNameBytes + 1);
    if (len > kMaxCounterNameBytes) {
      return absl::InternalError(absl::StrCat(
          who(), "counters() returned counter ", i, " with a name longer than ",
          kMaxCounterNameBytes, " bytes"));
    }
  }
  return got;
}

void Endpoint::Close() {
  if (ep_ != nullptr) {
    t_->close(ep_);
    ep_ = nullptr;
  }
}

}  // namespace copyscope::engine
