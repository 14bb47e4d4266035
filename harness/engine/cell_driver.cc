#include "harness/engine/cell_driver.h"

#include <poll.h>

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "harness/engine/window.h"

namespace copyscope::engine {
namespace {

constexpr char kVerdictUrl[] = "copyscope/verdict";

// What the driver knows of one side.
struct Track {
  explicit Track(SideHandle* h) : handle(h) {}
  SideHandle* handle;
  bool started = false;
  bool listening = false;
  std::string address;
  std::vector<uint16_t> ports;
  bool ready = false;
  bool windows_closed = false;
  std::optional<SideEvent> result;
};

class Driver {
 public:
  Driver(const RunnerConfig& config, SideHandle& server, SideHandle& client)
      : config_(config), sides_{Track(&server), Track(&client)} {}

  enum Outcome { kDone, kFailure, kTimeout, kInterrupted };

  // Reads events until done() holds, a side fails (when stop_on_failure),
  // the interrupt flag is set, or the deadline passes.
  Outcome WaitFor(const std::function<bool()>& done, absl::Duration within,
                  bool stop_on_failure = true) {
    const absl::Time deadline = absl::Now() + within;
    for (;;) {
      for (Track& t : sides_) Pump(t);
      if (stop_on_failure && !failures_.empty()) return kFailure;
      if (done()) return kDone;
      if (config_.interrupt != nullptr && config_.interrupt->load()) {
        return kInterrupted;
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return kTimeout;
      pollfd fds[2] = {{sides_[0].handle->fd(), POLLIN, 0},
                       {sides_[1].handle->fd(), POLLIN, 0}};
      const int64_t ms =
          absl::ToInt64Milliseconds(std::min(left, absl::Milliseconds(50)));
      poll(fds, 2, static_cast<int>(std::max<int64_t>(ms, 1)));
    }
  }

  // Sleeps `d` unless a side fails or the run is interrupted.
  Outcome Hold(absl::Duration d) {
    Outcome o = WaitFor([] { return false; }, d);
    return o == kTimeout ? kDone : o;
  }

  void Start(Track& t, const std::string& address,
             const std::vector<uint16_t>& ports) {
    t.started = true;
    t.handle->Start(address, ports);
  }

  void Command(SideCommand c) {
    for (Track& t : sides_) {
      if (t.started) t.handle->Command(c);
    }
  }

  bool Both(bool Track::*flag) const {
    return sides_[0].*flag && sides_[1].*flag;
  }
  // A side never started has nothing to give.
  bool BothResults() const {
    for (const Track& t : sides_) {
      if (t.started && !t.result.has_value()) return false;
    }
    return true;
  }

  Track& server() { return sides_[0]; }
  Track& client() { return sides_[1]; }

  // The failures seen, in the order they came.
  const std::vector<absl::Status>& failures() const { return failures_; }

 private:
  void Pump(Track& t) {
    while (std::optional<SideEvent> e = t.handle->NextEvent()) {
      Note(t, *std::move(e));
    }
  }

 public:
  void Note(Track& t, SideEvent e) {
    switch (e.kind) {
      case SideEvent::kListening:
        t.listening = true;
        t.address = std::move(e.address);
        t.ports = std::move(e.ports);
        break;
      case SideEvent::kReady:
        t.ready = true;
        break;
      case SideEvent::kWindowsClosed:
        t.windows_closed = true;
        break;
      case SideEvent::kFailed:
        Failed(e.status);
        break;
      case SideEvent::kResult:
        Failed(e.status);
        t.result = std::move(e);
        break;
    }
  }

 private:
  // A side's own error; a side stopped by the driver (CANCELLED) is not one.
  void Failed(const absl::Status& s) {
    if (s.ok() || s.code() == absl::StatusCode::kCancelled) return;
    failures_.push_back(s);
  }

  const RunnerConfig& config_;
  Track sides_[2];
  std::vector<absl::Status> failures_;
};

// An error a side sees when its peer went away first: a send into a
// closed connection, a reset, a stream that ended early.
bool PeerSymptom(const absl::Status& s) {
  for (absl::string_view sign : {"Broken pipe", "Connection reset by peer",
                                 "closed the connection", "the stream ended"}) {
    if (absl::StrContains(s.message(), sign)) return true;
  }
  return false;
}

// The status of a sample: the driver's own (interrupt, deadlines) when the
// sides said nothing; otherwise a verdict (a side that crashed, exited,
// hung or received corrupt data), else the first error that is not a
// symptom of the other side's, else the first error.
absl::Status Choose(const absl::Status& driver,
                    const std::vector<absl::Status>& failures) {
  if (driver.code() == absl::StatusCode::kCancelled) return driver;
  for (const absl::Status& f : failures) {
    if (IsVerdict(f)) return f;
  }
  for (const absl::Status& f : failures) {
    if (!PeerSymptom(f)) return f;
  }
  if (!failures.empty()) return failures.front();
  return driver;
}

void SumCounts(const google::protobuf::RepeatedPtrField<record::NamedCount>& in,
               std::map<std::string, uint64_t>* sum) {
  for (const record::NamedCount& c : in) (*sum)[c.name()] += c.value();
}

void SetCounts(const std::map<std::string, uint64_t>& in,
               google::protobuf::RepeatedPtrField<record::NamedCount>* out) {
  for (const auto& [name, value] : in) {
    record::NamedCount* c = out->Add();
    c->set_name(name);
    c->set_value(value);
  }
}

}  // namespace

absl::Status Verdict(absl::StatusCode code, absl::string_view text) {
  absl::Status s(code, text);
  s.SetPayload(kVerdictUrl, absl::Cord("1"));
  return s;
}

bool IsVerdict(const absl::Status& status) {
  return status.GetPayload(kVerdictUrl).has_value();
}

std::string SampleStatus(const absl::Status& status) {
  if (status.ok()) return "ok";
  if (IsVerdict(status)) return std::string(status.message());
  return absl::StrCat("failed: ", status.message());
}

absl::Status MergeSides(const record::Sample& server,
                        const record::Sample& client, record::Sample* out) {
  if (server.connections_size() != client.connections_size()) {
    return absl::InternalError(
        absl::StrCat("the server reported ", server.connections_size(),
                     " connections, the client ", client.connections_size()));
  }
  std::map<std::string, uint64_t> server_sum, client_sum;
  size_t starved = 0;
  for (int i = 0; i < server.connections_size(); ++i) {
    record::Connection* c = out->add_connections();
    *c = server.connections(i);
    c->MergeFrom(client.connections(i));
    c->set_index(i);
    SumCounts(c->server_counters(), &server_sum);
    SumCounts(c->client_counters(), &client_sum);
    if (c->window_s() <= 0 || c->messages() == 0) ++starved;
  }
  SetCounts(server_sum, out->mutable_server_counters());
  SetCounts(client_sum, out->mutable_client_counters());
  for (const record::Sample* part : {&server, &client}) {
    if (part->has_latency()) *out->mutable_latency() = part->latency();
    out->mutable_cpu_load()->MergeFrom(part->cpu_load());
    out->mutable_slices()->MergeFrom(part->slices());  // the measuring side's
    if (part->has_background_connections()) {  // the background's receivers
      out->set_background_connections(part->background_connections());
      out->set_background_bytes(part->background_bytes());
      out->set_background_messages(part->background_messages());
      if (part->has_background_window_s()) {
        out->set_background_window_s(part->background_window_s());
      }
    }
    out->mutable_connection_setup()->MergeFrom(part->connection_setup());
  }
  if (starved == static_cast<size_t>(out->connections_size())) {
    return absl::InternalError(
        "no connection received anything in the measured interval");
  }
  return absl::OkStatus();
}

CellResult DriveCell(const RunnerConfig& config, SideHandle& server,
                     SideHandle& client) {
  Driver d(config, server, client);
  const absl::Duration setup = config.io_timeout + config.margin;
  absl::Status driver;  // the driver's own reason to stop, if any
  auto stopped = [&](Driver::Outcome o, absl::string_view timeout_text) {
    if (o == Driver::kDone) return false;
    if (o == Driver::kInterrupted) {
      driver = absl::CancelledError("interrupted");
    } else if (o == Driver::kTimeout) {
      driver = absl::DeadlineExceededError(timeout_text);
    }
    return true;
  };

  d.Start(d.server(), "", {});
  bool stop = stopped(d.WaitFor([&] { return d.server().listening; }, setup),
                      absl::StrCat("the server did not listen within ",
                                   absl::FormatDuration(setup)));
  if (!stop) {
    d.Start(d.client(), d.server().address, d.server().ports);
    stop = stopped(d.WaitFor([&] { return d.Both(&Track::ready); }, setup),
                   absl::StrCat("connections were not set up within ",
                                absl::FormatDuration(setup)));
  }
  if (!stop) {
    d.Command(SideCommand::kGo);
    if (config.messages > 0) {
      stop = stopped(
          d.WaitFor([&] { return d.BothResults(); }, config.count_timeout),
          absl::StrCat("the messages were not all exchanged within ",
                       absl::FormatDuration(config.count_timeout)));
    } else {
      stop = stopped(d.Hold(config.warmup), "");
      if (!stop) {
        d.Command(SideCommand::kMeasure);
        stop = stopped(d.Hold(config.duration), "");
      }
      if (!stop) {
        d.Command(SideCommand::kCooldown);
        // A window that does not close (a receiver starved of messages)
        // closes when its stream ends after Stop.
        Driver::Outcome o =
            d.WaitFor([&] { return d.Both(&Track::windows_closed); }, setup);
        stop = o == Driver::kTimeout ? false : stopped(o, "");
      }
      if (!stop) d.Command(SideCommand::kStop);
    }
  }
  if (stop) d.Command(SideCommand::kAbort);

  // The sides' own bound after stop (local_side.h) is io_timeout + 2 x
  // margin; a side still silent after one more margin is killed.
  const absl::Duration finish = config.io_timeout + 3 * config.margin;
  d.WaitFor([&] { return d.BothResults(); }, finish,
            /*stop_on_failure=*/false);
  for (Track* t : {&d.server(), &d.client()}) {
    if (t->result || !t->started) continue;
    SideEvent e = t->handle->Kill(
        absl::StrCat("did not finish within ", absl::FormatDuration(finish),
                     " after the cell ", stop ? "failed" : "ended"));
    d.Note(*t, std::move(e));
  }

  CellResult result;
  result.status = Choose(driver, d.failures());
  const record::Sample none;
  const record::Sample& s =
      d.server().result ? d.server().result->sample : none;
  const record::Sample& c =
      d.client().result ? d.client().result->sample : none;
  // A failed sample keeps what both sides measured, for the record.
  if (result.status.ok() || s.connections_size() == c.connections_size()) {
    absl::Status merged = MergeSides(s, c, &result.sample);
    if (result.status.ok()) result.status = merged;
  }
  result.sample.set_status(SampleStatus(result.status));
  return result;
}

}  // namespace copyscope::engine
