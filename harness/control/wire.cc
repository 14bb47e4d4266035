#include "harness/control/wire.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace copyscope::control {
namespace {

void PutOptions(const config::OptionList& in,
                google::protobuf::RepeatedPtrField<record::KeyValue>* out) {
  for (const auto& [key, value] : in) {
    record::KeyValue* kv = out->Add();
    kv->set_key(key);
    kv->set_value(value);
  }
}

config::OptionList GetOptions(
    const google::protobuf::RepeatedPtrField<record::KeyValue>& in) {
  config::OptionList out;
  for (const record::KeyValue& kv : in) out.emplace_back(kv.key(), kv.value());
  return out;
}

absl::Duration SecondsOf(double s) {
  return std::isfinite(s) && s > 0 ? absl::Seconds(s) : absl::ZeroDuration();
}

}  // namespace

Cell CellOf(const config::CellSpec& spec) {
  Cell c;
  c.set_transport(spec.transport);
  c.set_recv_transport(spec.recv_transport);
  c.set_size(spec.size);
  c.set_fields(spec.fields);
  c.set_threads(spec.threads);
  PutOptions(spec.options, c.mutable_options());
  PutOptions(spec.recv_options, c.mutable_recv_options());
  c.set_mode(config::ModeName(spec.mode));
  c.set_direction(config::DirectionName(spec.direction));
  c.set_request_size(spec.request_size);
  c.set_response_size(spec.response_size);
  if (!spec.background.none()) {
    c.set_background_transport(spec.background.transport);
    c.set_background_threads(spec.background.threads);
    c.set_background_size(spec.background.size);
    PutOptions(spec.background_options, c.mutable_background_options());
  }
  if (spec.family != config::Family::kInet) {
    c.set_family(config::FamilyName(spec.family));
  }
  return c;
}

absl::StatusOr<config::CellSpec> SpecOf(const Cell& c) {
  config::CellSpec spec;
  spec.transport = c.transport();
  spec.recv_transport = c.recv_transport();
  spec.size = c.size();
  spec.fields = c.fields();
  spec.threads = c.threads();
  if (spec.size == 0 || spec.fields == 0 || spec.threads < 1 ||
      spec.threads > 4096) {
    return absl::InvalidArgumentError(absl::StrCat("bad cell: size ", spec.size,
                                                   ", fields ", spec.fields,
                                                   ", threads ", spec.threads));
  }
  spec.options = GetOptions(c.options());
  spec.recv_options = GetOptions(c.recv_options());
  absl::StatusOr<config::Mode> mode = config::ParseMode(c.mode());
  if (!mode.ok()) return mode.status();
  spec.mode = *mode;
  absl::StatusOr<config::Direction> dir = config::ParseDirection(c.direction());
  if (!dir.ok()) return dir.status();
  spec.direction = *dir;
  spec.request_size = c.request_size();
  spec.response_size = c.response_size();
  if (c.background_threads() != 0) {
    absl::StatusOr<config::Background> b = config::ParseBackground(
        absl::StrCat(c.background_transport(), ":", c.background_threads(), ":",
                     c.background_size()));
    if (!b.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad cell background: ", b.status().message()));
    }
    spec.background = *b;
    spec.background_options = GetOptions(c.background_options());
  }
  if (!c.family().empty()) {
    absl::StatusOr<config::Family> family = config::ParseFamily(c.family());
    if (!family.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad cell: family ", c.family()));
    }
    spec.family = *family;
  }
  return spec;
}

Runner RunnerOf(const engine::RunnerConfig& config) {
  Runner r;
  r.set_io_timeout_s(absl::ToDoubleSeconds(config.io_timeout));
  r.set_margin_s(absl::ToDoubleSeconds(config.margin));
  r.set_max_in_flight(config.max_in_flight);
  r.set_in_flight_bytes(config.in_flight_bytes);
  r.set_messages(config.messages);
  r.set_warmup_messages(config.warmup_messages);
  r.set_verify(config.verify);
  r.set_interval_s(absl::ToDoubleSeconds(config.interval));
  r.set_batch(config.batch);
  r.set_rate_bps(config.rate_bps);
  r.set_rr_timeout_s(absl::ToDoubleSeconds(config.rr_timeout));
  return r;
}

engine::RunnerConfig RunnerConfigOf(const Runner& r) {
  engine::RunnerConfig config;
  config.io_timeout = SecondsOf(r.io_timeout_s());
  config.margin = SecondsOf(r.margin_s());
  config.max_in_flight = r.max_in_flight();
  config.in_flight_bytes = r.in_flight_bytes();
  config.messages = r.messages();
  config.warmup_messages = r.warmup_messages();
  config.verify = r.verify();
  config.interval = SecondsOf(r.interval_s());
  config.batch = r.batch();
  config.rate_bps = r.rate_bps();
  if (r.rr_timeout_s() > 0) config.rr_timeout = SecondsOf(r.rr_timeout_s());
  return config;
}

Status StatusOf(const absl::Status& status) {
  Status s;
  s.set_code(static_cast<int32_t>(status.code()));
  s.set_message(std::string(status.message()));
  s.set_verdict(engine::IsVerdict(status));
  return s;
}

absl::Status StatusFrom(const Status& s) {
  if (s.code() == 0) return absl::OkStatus();
  const auto code = s.code() > 0 && s.code() <= 16
                        ? static_cast<absl::StatusCode>(s.code())
                        : absl::StatusCode::kUnknown;
  if (s.verdict()) return engine::Verdict(code, s.message());
  return absl::Status(code, s.message());
}

Event EventOf(const engine::SideEvent& e) {
  Event out;
  out.set_kind(static_cast<Event::Kind>(e.kind));
  for (uint16_t p : e.ports) out.add_ports(p);
  out.set_address(e.address);
  *out.mutable_status() = StatusOf(e.status);
  if (e.kind == engine::SideEvent::kResult) *out.mutable_sample() = e.sample;
  out.set_spent(e.spent);
  return out;
}

engine::SideEvent EventFrom(const Event& e) {
  engine::SideEvent out;
  switch (e.kind()) {
    case Event::LISTENING:
      out.kind = engine::SideEvent::kListening;
      break;
    case Event::READY:
      out.kind = engine::SideEvent::kReady;
      break;
    case Event::WINDOWS_CLOSED:
      out.kind = engine::SideEvent::kWindowsClosed;
      break;
    case Event::RESULT:
      out.kind = engine::SideEvent::kResult;
      break;
    default:
      out.kind = engine::SideEvent::kFailed;
      break;
  }
  for (uint32_t p : e.ports()) out.ports.push_back(static_cast<uint16_t>(p));
  out.address = e.address();
  out.status = StatusFrom(e.status());
  out.sample = e.sample();
  out.spent = e.spent();
  return out;
}

engine::SideCommand CommandFrom(Command::Kind kind) {
  switch (kind) {
    case Command::GO:
      return engine::SideCommand::kGo;
    case Command::MEASURE:
      return engine::SideCommand::kMeasure;
    case Command::COOLDOWN:
      return engine::SideCommand::kCooldown;
    case Command::STOP:
      return engine::SideCommand::kStop;
    default:
      return engine::SideCommand::kAbort;
  }
}

Command::Kind CommandOf(engine::SideCommand command) {
  switch (command) {
    case engine::SideCommand::kGo:
      return Command::GO;
    case engine::SideCommand::kMeasure:
      return Command::MEASURE;
    case engine::SideCommand::kCooldown:
      return Command::COOLDOWN;
    case engine::SideCommand::kStop:
      return Command::STOP;
    case engine::SideCommand::kAbort:
      break;
  }
  return Command::ABORT;
}

absl::StatusOr<engine::Side> SideFrom(const std::string& name) {
  if (name == "server") return engine::Side::kServer;
  if (name == "client") return engine::Side::kClient;
  return absl::InvalidArgumentError(absl::StrCat("bad side '", name, "'"));
}

}  // namespace copyscope::control
