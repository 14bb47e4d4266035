#include "harness/engine/runner.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "harness/engine/endpoint.h"
#include "harness/engine/flow.h"
#include "harness/engine/histogram.h"
#include "harness/engine/message_pool.h"
#include "harness/engine/side.h"
#include "harness/engine/socket.h"
#include "harness/engine/window.h"

namespace copyscope::engine {
namespace {

using config::CellSpec;
using config::Direction;
using config::Mode;

using Counters = std::vector<std::pair<std::string, uint64_t>>;

// A barrier for a fixed number of parties that can be aborted and whose
// wait is bounded. The last arrival (or an abort) makes an eventfd readable,
// which wakes every waiter at once: a mutex's waiters would be woken one
// after another, each only once the one before it ran, and with dozens of
// connections on a busy machine the last ones would start hundreds of
// milliseconds late, into the measured interval.
class StartGate {
 public:
  explicit StartGate(int parties) : parties_(parties) {}

  // True when every party arrived; false on abort or timeout.
  bool ArriveAndWait(absl::Duration timeout) {
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parties_) {
      open_.store(true, std::memory_order_release);
      signal_.Cancel();
    }
    const absl::Time deadline = absl::Now() + timeout;
    while (!signal_.cancelled()) {
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left <= 0) break;
      pollfd p = {signal_.fd(), POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)) + 1);
    }
    return open_.load(std::memory_order_acquire) &&
           !aborted_.load(std::memory_order_acquire);
  }

  void Abort() {
    aborted_.store(true, std::memory_order_release);
    signal_.Cancel();
  }

 private:
  const int parties_;
  std::atomic<int> arrived_{0};
  std::atomic<bool> open_{false};
  std::atomic<bool> aborted_{false};
  CancelSignal signal_;  // readable once open or aborted
};

// What one connection measured; each field is written by one of its two
// worker threads and read by the main thread after both finished.
struct ConnState {
  absl::Notification listening;  // port or listen_status is set
  uint16_t port = 0;
  absl::Status listen_status;
  // The connection's sockets, closed by ~CellState only, so that Fail() can
  // shut them down from any thread without racing a close().
  std::atomic<int> server_fd{-1};
  std::atomic<int> client_fd{-1};
  record::ThreadReport server;  // each thread writes its own report
  record::ThreadReport client;
  // The measuring side's window (stream: the receiver; rr: the client) and
  // what it counted in it; rr bytes are request + response.
  absl::Duration window = absl::ZeroDuration();
  uint64_t bytes = 0;
  uint64_t messages = 0;
  // Totals since the endpoints opened (warm-up and drain included); in rr
  // mode, the client's sent requests and received responses.
  uint64_t tx_messages_total = 0;
  uint64_t rx_messages_total = 0;
  Counters server_counters;  // the plugin's counters of each side
  Counters client_counters;
  std::optional<Histogram> latency;  // rr: the measured round trips (ns)
  std::atomic<bool> server_done{false};
  std::atomic<bool> client_done{false};
};

struct CellState {
  CellState(const CellSpec& s, const CellPlugins& p, const RunnerConfig& c,
            Network& n, ThreadHooks* h)
      : spec(s),
        plugins(p),
        config(c),
        network(n),
        hooks(h),
        gate(2 * s.threads + 1) {
    for (int i = 0; i < s.threads; ++i) {
      conns.push_back(std::make_unique<ConnState>());
    }
  }
  ~CellState() {
    for (auto& c : conns) {
      for (std::atomic<int>* fd : {&c->server_fd, &c->client_fd}) {
        int f = fd->exchange(-1);
        if (f >= 0) close(f);
      }
    }
  }

  // Records the first failure and unblocks every thread of the cell.
  void Fail(absl::Status s) {
    {
      absl::MutexLock lock(&mu);
      if (!first_error.ok()) return;
      first_error = std::move(s);
    }
    phase.store(kStop, std::memory_order_release);
    cancel.Cancel();
    gate.Abort();
    for (auto& c : conns) {
      for (std::atomic<int>* fd : {&c->server_fd, &c->client_fd}) {
        int f = fd->load();
        if (f >= 0) shutdown(f, SHUT_RDWR);
      }
    }
    failed.Notify();
  }

  bool has_failed() {
    absl::MutexLock lock(&mu);
    return !first_error.ok();
  }

  bool count_mode() const { return config.messages > 0; }

  const CellSpec spec;
  const CellPlugins plugins;
  const RunnerConfig config;
  Network& network;
  ThreadHooks* const hooks;
  alignas(64) std::atomic<int> phase{kWarmup};
  alignas(64) StartGate gate;
  CancelSignal cancel;
  absl::Notification failed;  // notified once, by the first Fail()
  std::vector<std::unique_ptr<ConnState>> conns;
  absl::Mutex mu;
  absl::Status first_error;
  int finished = 0;  // worker threads done; guarded by mu
};

absl::Duration SetupTimeout(const RunnerConfig& c) {
  return c.io_timeout + c.margin;
}

// Stream sender: duration mode until the phase says stop; count mode
// exactly warmup_messages + messages. *sent counts accepted messages.
absl::Status StreamSend(CellState& st, Window& w, Sender& tx, uint64_t* sent) {
  for (; w.Next(*sent); ++*sent) {
    absl::Status s = tx.SendOne();
    if (!s.ok()) return s;
  }
  if (st.count_mode() && !w.complete()) return absl::OkStatus();  // failed
  return tx.Drain();
}

// Stream receiver, until end of stream.
absl::Status StreamReceive(CellState& st, Window& w, Receiver& rx,
                           ConnState* c) {
  uint64_t messages = 0;
  for (;;) {
    w.Next(messages);
    int rc = rx.RecvOne();
    if (rc == 0) {
      ++messages;
      continue;
    }
    if (rc == -EPIPE) break;  // end of stream
    return rx.Error(rc);
  }
  w.Next(messages);  // count mode: the last measured message closes it
  c->rx_messages_total = messages;
  const uint64_t expected = st.config.warmup_messages + st.config.messages;
  const bool stopping = st.phase.load(std::memory_order_acquire) >= kStop;
  if (st.count_mode() && messages != expected && !stopping) {
    return absl::AbortedError(
        absl::StrCat(st.spec.Label(), " receiver: the stream ended after ",
                     messages, " of ", expected, " messages"));
  }
  if (!st.count_mode() && !w.complete() && !stopping) {
    return absl::AbortedError(absl::StrCat(
        st.spec.Label(),
        " receiver: the sender closed the connection before the end of "
        "the measured interval"));
  }
  if (w.complete()) {
    c->window = w.window();
    c->messages = w.counted();
    c->bytes = c->messages * st.spec.size;
  }
  return absl::OkStatus();
}

// rr client: request, response, round trip into the histogram.
absl::Status RrClient(CellState& st, Window& w, Sender& tx, Receiver& rx,
                      ConnState* c) {
  Histogram& h = c->latency.emplace();
  uint64_t done = 0;
  while (w.Next(done)) {
    const int64_t t0 = MonotonicNs();
    absl::Status s = tx.SendOne();
    if (!s.ok()) return s;
    ++c->tx_messages_total;
    int rc = rx.RecvOne();
    if (rc == -EPIPE) {
      return absl::AbortedError(absl::StrCat(
          st.spec.Label(),
          " client: the server closed the connection mid-transaction"));
    }
    if (rc < 0) return rx.Error(rc);
    const int64_t t1 = MonotonicNs();
    ++c->rx_messages_total;
    ++done;
    if (w.measuring()) h.Record(static_cast<uint64_t>(t1 - t0));
  }
  w.Close(done);
  if (w.complete()) {
    c->window = w.window();
    c->messages = w.counted();
    c->bytes = c->messages * (st.spec.RequestSize() + st.spec.ResponseSize());
  }
  return tx.Drain();
}

// rr server: answers every request until the client closes.
absl::Status RrServer(Window& w, Sender& tx, Receiver& rx) {
  uint64_t done = 0;
  for (;; ++done) {
    w.Next(done);
    int rc = rx.RecvOne();
    if (rc == -EPIPE) break;
    if (rc < 0) return rx.Error(rc);
    absl::Status s = tx.SendOne();
    if (!s.ok()) return s;
  }
  w.Close(done);
  return tx.Drain();
}

// Everything a worker does once its socket is connected: open the
// endpoint, meet the others at the gate, run its loop, collect counters.
absl::Status Work(CellState& st, ConnState& c, Side side, int fd,
                  const ThreadContext& ctx) {
  const CellSpec& spec = st.spec;
  const bool rr = spec.mode == Mode::kRequestResponse;
  SidePlan plan = PlanSide(spec, st.plugins, side, st.config);
  const bool sends = plan.sends, receives = plan.receives;
  std::optional<MessagePool> pool;
  if (sends) pool.emplace(plan.tx_size, spec.fields, plan.pool_count);
  EndpointSpec& e = plan.endpoint;
  e.fd = fd;
  absl::StatusOr<Endpoint> opened = Endpoint::Open(e);
  if (!opened.ok()) return opened.status();
  Endpoint& ep = *opened;
  if (!st.gate.ArriveAndWait(SetupTimeout(st.config))) {
    return absl::OkStatus();  // aborted: someone else failed, or timeout
  }
  std::string name = absl::StrCat(spec.transport, " ", SideName(side));
  std::optional<Sender> tx;
  if (sends) tx.emplace(ep, *pool, plan.async, name);
  std::optional<Receiver> rx;
  if (receives) {
    rx.emplace(ep, plan.rx_size);
    if (!rx->ok()) return absl::ResourceExhaustedError("receive buffer");
  }
  Window window(st.phase, st.config.warmup_messages, st.config.messages,
                st.hooks, ctx);
  absl::Status s;
  if (rr && side == Side::kClient) {
    s = RrClient(st, window, *tx, *rx, &c);
    if (s.ok()) shutdown(fd, SHUT_WR);
  } else if (rr) {
    s = RrServer(window, *tx, *rx);
  } else if (sends) {
    s = StreamSend(st, window, *tx, &c.tx_messages_total);
    if (s.ok()) shutdown(fd, SHUT_WR);
  } else {
    s = StreamReceive(st, window, *rx, &c);
  }
  (side == Side::kServer ? c.server_counters : c.client_counters) =
      ep.Counters();
  return s;
}

void Finish(CellState& st, std::atomic<bool>& done) {
  absl::MutexLock lock(&st.mu);
  ++st.finished;
  done.store(true);
}

// The thread's own reference keeps the state alive should it be detached.
void Worker(std::shared_ptr<CellState>
                stp,  // NOLINT(performance-unnecessary-value-param)
            int i, Side side) {
  CellState& st = *stp;
  ConnState& c = *st.conns[i];
  record::ThreadReport* report = side == Side::kServer ? &c.server : &c.client;
  report->set_side(SideName(side));
  report->set_connection(i);
  report->set_pinned_cpu(-1);
  ThreadContext ctx{side, i, st.spec.threads, st.spec.transport, report};
  absl::Status s = st.hooks ? st.hooks->OnThreadStart(ctx) : absl::OkStatus();
  if (s.ok()) s = st.network.SetupThread(side, i);
  int fd = -1;
  if (side == Side::kServer) {
    std::optional<Listener> listener;
    if (s.ok()) {
      absl::StatusOr<Listener> l = ListenTcp(st.network.ServerAddress(i));
      if (l.ok()) {
        listener.emplace(*std::move(l));
        c.port = listener->port;
      } else {
        s = l.status();
      }
    }
    c.listen_status = s;
    c.listening.Notify();
    if (s.ok()) {
      absl::StatusOr<UniqueFd> a =
          AcceptTcp(listener->fd.get(), st.cancel, SetupTimeout(st.config));
      if (a.ok()) {
        fd = a->release();
        c.server_fd.store(fd);
      } else {
        s = a.status();
      }
    }
  } else {
    if (s.ok() &&
        !c.listening.WaitForNotificationWithTimeout(SetupTimeout(st.config))) {
      s = absl::DeadlineExceededError("the server did not start listening");
    }
    if (s.ok() && !c.listen_status.ok()) {
      s = absl::CancelledError("the server could not listen");
    }
    if (s.ok()) {
      absl::StatusOr<UniqueFd> a =
          ConnectTcp(st.network.ServerAddress(i), c.port, st.cancel,
                     SetupTimeout(st.config));
      if (a.ok()) {
        fd = a->release();
        c.client_fd.store(fd);
      } else {
        s = a.status();
      }
    }
  }
  if (s.ok()) s = Work(st, c, side, fd, ctx);
  if (!s.ok()) {
    st.Fail(absl::Status(
        s.code(), absl::StrCat(SideName(side), " ", i, ": ", s.message())));
  }
  if (st.hooks) st.hooks->OnThreadEnd(ctx);
  Finish(st, side == Side::kServer ? c.server_done : c.client_done);
}

void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
}

void AddCounts(const Counters& in, std::map<std::string, uint64_t>* sum,
               google::protobuf::RepeatedPtrField<record::NamedCount>* out) {
  for (const auto& [name, value] : in) {
    (*sum)[name] += value;
    record::NamedCount* c = out->Add();
    c->set_name(name);
    c->set_value(value);
  }
}

void SetCounts(const std::map<std::string, uint64_t>& in,
               google::protobuf::RepeatedPtrField<record::NamedCount>* out) {
  for (const auto& [name, value] : in) {
    record::NamedCount* c = out->Add();
    c->set_name(name);
    c->set_value(value);
  }
}

void SetLatency(const Histogram& h, record::Latency* l) {
  l->set_count(h.count());
  l->set_p50_us(h.Percentile(50) / 1e3);
  l->set_p90_us(h.Percentile(90) / 1e3);
  l->set_p99_us(h.Percentile(99) / 1e3);
  l->set_p999_us(h.Percentile(99.9) / 1e3);
  l->set_max_us(static_cast<double>(h.max()) / 1e3);
  l->set_min_us(static_cast<double>(h.min()) / 1e3);
  l->set_mean_us(h.mean() / 1e3);
  l->set_max_relative_error(Histogram::kMaxRelativeError);
  for (const Histogram::Bucket& b : h.Buckets()) {
    record::HistogramBucket* rb = l->add_buckets();
    rb->set_lower_ns(b.lower);
    rb->set_upper_ns(b.upper);
    rb->set_count(b.count);
  }
}

// The sample of a cell whose threads all finished, or why it measured
// nothing. A connection that received nothing in its measured interval
// while others did was starved of CPU (record/metrics.h counts it); only a
// cell where every connection received nothing failed.
absl::Status Collect(const CellSpec& spec, const CellState& st,
                     record::Sample* sample) {
  std::map<std::string, uint64_t> server_sum, client_sum;
  std::optional<Histogram> latency;
  size_t starved = 0;
  for (size_t i = 0; i < st.conns.size(); ++i) {
    const ConnState& c = *st.conns[i];
    record::Connection* rc = sample->add_connections();
    rc->set_index(static_cast<int32_t>(i));
    *rc->mutable_server() = c.server;
    *rc->mutable_client() = c.client;
    rc->set_window_s(absl::ToDoubleSeconds(c.window));
    rc->set_bytes(c.bytes);
    rc->set_messages(c.messages);
    rc->set_tx_messages_total(c.tx_messages_total);
    rc->set_rx_messages_total(c.rx_messages_total);
    AddCounts(c.server_counters, &server_sum, rc->mutable_server_counters());
    AddCounts(c.client_counters, &client_sum, rc->mutable_client_counters());
    if (c.latency) {
      if (!latency) latency.emplace();
      latency->Merge(*c.latency);
    }
    if (c.window <= absl::ZeroDuration() || c.messages == 0) ++starved;
  }
  SetCounts(server_sum, sample->mutable_server_counters());
  SetCounts(client_sum, sample->mutable_client_counters());
  if (spec.mode == Mode::kRequestResponse && latency && latency->count() > 0) {
    SetLatency(*latency, sample->mutable_latency());
  }
  if (starved == st.conns.size()) {
    return absl::InternalError(
        "no connection received anything in the measured interval");
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t FieldsUsed(const CellSpec& spec) {
  return static_cast<uint32_t>(SplitFields(spec.size, spec.fields).size());
}

CellResult RunCell(const CellSpec& spec, const CellPlugins& plugins,
                   const RunnerConfig& config, Network& network,
                   ThreadHooks* hooks) {
  IgnoreSigpipe();
  CellResult result;
  auto finish = [&result](absl::Status s) {
    result.status = std::move(s);
    result.sample.set_status(
        result.status.ok() ? "ok"
                           : absl::StrCat("failed: ", result.status.message()));
    return result;
  };
  if (plugins.transport == nullptr || spec.size == 0 || spec.threads < 1 ||
      (!spec.recv_transport.empty() && plugins.recv_transport == nullptr)) {
    return finish(absl::InvalidArgumentError("invalid cell"));
  }

  auto st = std::make_shared<CellState>(spec, plugins, config, network, hooks);
  std::vector<std::thread> threads;
  for (int i = 0; i < spec.threads; ++i) {
    threads.emplace_back(Worker, st, i, Side::kServer);
    threads.emplace_back(Worker, st, i, Side::kClient);
  }
  const int workers = 2 * spec.threads;
  auto all_finished = [&]() {
    st->mu.AssertReaderHeld();
    return st->finished == workers;
  };
  // Waits up to d (for the workers to finish, or just the time), in short
  // slices so that an interrupt stops the cell quickly. False on failure.
  auto wait = [&](absl::Duration d, bool until_finished) {
    const absl::Time deadline = absl::Now() + d;
    while (!st->failed.HasBeenNotified()) {
      if (config.interrupt != nullptr && config.interrupt->load()) {
        st->Fail(absl::CancelledError("interrupted"));
        break;
      }
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return !until_finished;
      absl::Duration slice = std::min(left, absl::Milliseconds(50));
      if (until_finished) {
        absl::MutexLock lock(&st->mu);
        if (st->mu.AwaitWithTimeout(absl::Condition(&all_finished), slice)) {
          return true;
        }
      } else {
        st->failed.WaitForNotificationWithTimeout(slice);
      }
    }
    return false;
  };

  if (st->gate.ArriveAndWait(SetupTimeout(config))) {
    if (config.messages > 0) {
      if (!wait(config.count_timeout, /*until_finished=*/true) &&
          !st->has_failed()) {
        st->Fail(absl::DeadlineExceededError(
            absl::StrCat("the messages were not all exchanged within ",
                         absl::FormatDuration(config.count_timeout))));
      }
    } else {
      wait(config.warmup, false);
      int expected = kWarmup;  // a failure may have set kStop already
      st->phase.compare_exchange_strong(expected, kMeasure,
                                        std::memory_order_release);
      wait(config.duration, false);
    }
    st->phase.store(kStop, std::memory_order_release);
  } else if (!st->has_failed()) {
    st->Fail(absl::DeadlineExceededError(
        absl::StrCat("connections were not set up within ",
                     absl::FormatDuration(SetupTimeout(config)))));
  }
  st->phase.store(kStop, std::memory_order_release);

  bool finished;
  {
    absl::MutexLock lock(&st->mu);
    finished = st->mu.AwaitWithTimeout(absl::Condition(&all_finished),
                                       SetupTimeout(config));
  }
  if (!finished) {
    st->Fail(absl::DeadlineExceededError(
        absl::StrCat("threads did not finish within ",
                     absl::FormatDuration(SetupTimeout(config)),
                     " after the measured interval")));
    absl::MutexLock lock(&st->mu);
    st->mu.AwaitWithTimeout(absl::Condition(&all_finished), config.margin);
  }
  for (int i = 0; i < spec.threads; ++i) {
    ConnState& c = *st->conns[i];
    std::thread& server = threads[2 * i];
    std::thread& client = threads[2 * i + 1];
    if (c.server_done.load())
      server.join();
    else
      server.detach();
    if (c.client_done.load())
      client.join();
    else
      client.detach();
  }
  absl::Status status;
  {
    absl::MutexLock lock(&st->mu);
    status = st->first_error;
    if (st->finished != workers) {
      if (status.ok()) status = absl::InternalError("threads left running");
      return finish(status);
    }
  }
  absl::Status measured = Collect(spec, *st, &result.sample);
  return finish(status.ok() ? measured : status);
}

}  // namespace copyscope::engine
