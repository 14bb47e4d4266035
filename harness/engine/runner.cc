#include "harness/engine/runner.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "harness/engine/endpoint.h"
#include "harness/engine/flow.h"
#include "harness/engine/message_pool.h"
#include "harness/engine/socket.h"

namespace copyscope::harness {
namespace {

enum Phase : int { kWarmup = 0, kMeasure = 1, kStop = 2 };

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// A barrier for a fixed number of parties that can be aborted and whose
// wait is bounded.
class StartGate {
 public:
  explicit StartGate(int parties) : parties_(parties) {}

  // True when every party arrived; false on abort or timeout.
  bool ArriveAndWait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    if (++arrived_ == parties_) open_ = true;
    auto done = [this]() { return open_ || aborted_; };
    mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
    return open_ && !aborted_;
  }

  void Abort() {
    absl::MutexLock lock(&mu_);
    aborted_ = true;
  }

 private:
  absl::Mutex mu_;
  const int parties_;
  int arrived_ = 0;
  bool open_ = false;
  bool aborted_ = false;
};

struct ConnState {
  absl::Notification listening;  // port or listen_status is set
  uint16_t port = 0;
  absl::Status listen_status;
  // The connection's sockets, closed by ~CellState only, so that Fail() can
  // shut them down from any thread without racing a close().
  std::atomic<int> server_fd{-1};
  std::atomic<int> client_fd{-1};
  ConnectionResult result;  // written by the two workers, read after join
  std::atomic<bool> server_done{false};
  std::atomic<bool> client_done{false};
};

struct CellState {
  CellState(const CellSpec& s, const RunnerConfig& c, Network& n,
            ThreadHooks* h)
      : spec(s), config(c), network(n), hooks(h), gate(2 * s.threads + 1) {
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

  bool stopping() const {
    return phase.load(std::memory_order_relaxed) >= kStop;
  }

  const CellSpec spec;
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

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

// The measured interval of one worker thread: its clock, its count, its
// rusage, and the measure hooks. Start and Stop are idempotent.
class Meter {
 public:
  Meter(CellState& st, const ThreadContext& ctx) : st_(st), ctx_(ctx) {}

  void Start(uint64_t count) {
    if (started_) return;
    started_ = true;
    getrusage(RUSAGE_THREAD, &r0_);
    if (st_.hooks) st_.hooks->OnMeasureStart(ctx_);
    t0_ = MonotonicNs();
    count0_ = count;
  }
  void Stop(uint64_t count) {
    if (!started_ || stopped_) return;
    stopped_ = true;
    t1_ = MonotonicNs();
    count1_ = count;
    if (st_.hooks) st_.hooks->OnMeasureStop(ctx_);
    rusage r1;
    getrusage(RUSAGE_THREAD, &r1);
    ThreadReport* t = ctx_.report;
    t->user_cpu_s = Seconds(r1.ru_utime) - Seconds(r0_.ru_utime);
    t->sys_cpu_s = Seconds(r1.ru_stime) - Seconds(r0_.ru_stime);
    t->voluntary_cs = r1.ru_nvcsw - r0_.ru_nvcsw;
    t->involuntary_cs = r1.ru_nivcsw - r0_.ru_nivcsw;
    t->window_s = static_cast<double>(t1_ - t0_) / 1e9;
  }
  // Observes a new phase in duration mode; false once it says stop.
  bool Observe(int phase, uint64_t count) {
    if (phase >= kMeasure) Start(count);
    if (phase >= kStop) {
      Stop(count);
      return false;
    }
    return true;
  }
  bool started() const { return started_; }
  bool complete() const { return started_ && stopped_; }
  absl::Duration window() const { return absl::Nanoseconds(t1_ - t0_); }
  uint64_t counted() const { return count1_ - count0_; }

 private:
  CellState& st_;
  const ThreadContext& ctx_;
  bool started_ = false, stopped_ = false;
  int64_t t0_ = 0, t1_ = 0;
  uint64_t count0_ = 0, count1_ = 0;
  rusage r0_{};
};

// Stream sender: duration mode until the phase says stop; count mode
// exactly warmup_messages + messages. *sent counts accepted messages.
absl::Status StreamSend(CellState& st, Meter& m, Sender& tx, uint64_t* sent) {
  const uint64_t n = st.config.messages, w = st.config.warmup_messages;
  if (n > 0) {
    for (uint64_t i = 0; i < w + n; ++i) {
      if (st.stopping()) return absl::OkStatus();  // failed elsewhere
      if (i == w) m.Start(i);
      absl::Status s = tx.SendOne();
      if (!s.ok()) return s;
      ++*sent;
    }
    m.Stop(*sent);
  } else {
    int seen = kWarmup;
    for (;;) {
      int phase = st.phase.load(std::memory_order_relaxed);
      if (phase != seen) {
        seen = phase;
        if (!m.Observe(phase, *sent)) break;
      }
      absl::Status s = tx.SendOne();
      if (!s.ok()) return s;
      ++*sent;
    }
  }
  return tx.Drain();
}

// Stream receiver, until end of stream.
absl::Status StreamReceive(CellState& st, Meter& m, Receiver& rx,
                           ConnectionResult* r) {
  const uint64_t n = st.config.messages, w = st.config.warmup_messages;
  const bool count_mode = n > 0;
  uint64_t messages = 0;
  if (count_mode && w == 0) m.Start(0);
  int seen = kWarmup;
  for (;;) {
    if (!count_mode) {
      int phase = st.phase.load(std::memory_order_relaxed);
      if (phase != seen) {
        seen = phase;
        m.Observe(phase, messages);
      }
    }
    int rc = rx.RecvOne();
    if (rc == 0) {
      ++messages;
      if (count_mode) {
        if (messages == w) m.Start(messages);
        if (messages == w + n) m.Stop(messages);
      }
      continue;
    }
    if (rc == -EPIPE) break;  // end of stream
    return rx.Error(rc);
  }
  r->rx_messages_total = messages;
  if (count_mode && messages != w + n && !st.stopping()) {
    return absl::AbortedError(absl::StrCat(
        st.spec.transport_name, " receiver: the stream ended after ", messages,
        " of ", w + n, " messages"));
  }
  if (!count_mode && !m.complete()) {
    int phase = st.phase.load(std::memory_order_acquire);
    if (phase < kStop) {
      return absl::AbortedError(absl::StrCat(
          st.spec.transport_name,
          " receiver: the sender closed the connection before the end of "
          "the measured interval"));
    }
    m.Observe(phase, messages);
  }
  if (m.complete()) {
    r->rx_window = m.window();
    r->rx_messages = m.counted();
    r->rx_bytes = r->rx_messages * st.spec.size;
  }
  return absl::OkStatus();
}

uint64_t RequestSize(const CellSpec& s) {
  return s.request_size ? s.request_size : s.size;
}
uint64_t ResponseSize(const CellSpec& s) {
  return s.response_size ? s.response_size : s.size;
}

// rr client: request, response, round trip into the histogram.
absl::Status RrClient(CellState& st, Meter& m, Sender& tx, Receiver& rx,
                      ConnectionResult* r) {
  const uint64_t n = st.config.messages, w = st.config.warmup_messages;
  const bool count_mode = n > 0;
  Histogram& h = r->latency.emplace();
  uint64_t done = 0;
  bool measuring = false;
  if (count_mode && w == 0) {
    m.Start(0);
    measuring = true;
  }
  int seen = kWarmup;
  for (;;) {
    int phase = st.phase.load(std::memory_order_relaxed);
    if (count_mode) {
      if (phase >= kStop || done == w + n) break;
    } else if (phase != seen) {
      seen = phase;
      if (phase >= kMeasure && !measuring) {
        m.Start(done);
        measuring = true;
      }
      if (phase >= kStop) break;
    }
    const int64_t t0 = MonotonicNs();
    absl::Status s = tx.SendOne();
    if (!s.ok()) return s;
    ++r->tx_messages_total;
    int rc = rx.RecvOne();
    if (rc == -EPIPE) {
      return absl::AbortedError(absl::StrCat(
          st.spec.transport_name,
          " client: the server closed the connection mid-transaction"));
    }
    if (rc < 0) return rx.Error(rc);
    const int64_t t1 = MonotonicNs();
    ++r->rx_messages_total;
    ++done;
    if (measuring) h.Record(static_cast<uint64_t>(t1 - t0));
    if (count_mode && done == w && !measuring) {
      m.Start(done);
      measuring = true;
    }
  }
  m.Stop(done);
  if (m.complete()) {
    r->rx_window = m.window();
    r->rx_messages = m.counted();
    r->rx_bytes =
        r->rx_messages * (RequestSize(st.spec) + ResponseSize(st.spec));
  }
  return tx.Drain();
}

// rr server: answers every request until the client closes.
absl::Status RrServer(CellState& st, Meter& m, Sender& tx, Receiver& rx) {
  const uint64_t n = st.config.messages, w = st.config.warmup_messages;
  const bool count_mode = n > 0;
  uint64_t done = 0;
  if (count_mode && w == 0) m.Start(0);
  int seen = kWarmup;
  for (;;) {
    if (!count_mode) {
      int phase = st.phase.load(std::memory_order_relaxed);
      if (phase != seen) {
        seen = phase;
        if (phase >= kMeasure) m.Start(done);
      }
    }
    int rc = rx.RecvOne();
    if (rc == -EPIPE) break;
    if (rc < 0) return rx.Error(rc);
    absl::Status s = tx.SendOne();
    if (!s.ok()) return s;
    ++done;
    if (count_mode) {
      if (done == w) m.Start(done);
      if (done == w + n) m.Stop(done);
    }
  }
  m.Stop(done);
  return tx.Drain();
}

// Everything a worker does once its socket is connected: open the
// endpoint, meet the others at the gate, run its loop, collect counters.
absl::Status Work(CellState& st, ConnState& c, Side side, int fd,
                  const ThreadContext& ctx) {
  const CellSpec& spec = st.spec;
  const bool rr = spec.mode == Mode::kRequestResponse;
  const bool sends = rr || ((side == Side::kServer) ==
                            (spec.direction == Direction::kServerToClient));
  const bool receives = rr || !sends;
  // What this side sends and receives.
  uint64_t tx_size = spec.size, rx_size = spec.size;
  if (rr) {
    tx_size = side == Side::kClient ? RequestSize(spec) : ResponseSize(spec);
    rx_size = side == Side::kClient ? ResponseSize(spec) : RequestSize(spec);
  }
  const bool async = (spec.transport->capabilities & CS_CAP_ASYNC_RELEASE) != 0;
  std::optional<MessagePool> pool;
  if (sends) {
    pool.emplace(tx_size, spec.fields,
                 async ? InFlight(tx_size, st.config.in_flight_bytes,
                                  st.config.max_in_flight)
                       : 1);
  }
  // A stream receiver may use a receive plugin of its own (--recv).
  const bool own = sends || spec.recv_transport == nullptr;
  EndpointSpec e;
  e.transport = own ? spec.transport : spec.recv_transport;
  e.transport_name = own ? spec.transport_name : spec.recv_transport_name;
  e.role = rr ? CS_ROLE_BOTH : sends ? CS_ROLE_SENDER : CS_ROLE_RECEIVER;
  e.fd = fd;
  int64_t ms = absl::ToInt64Milliseconds(st.config.io_timeout);
  e.io_timeout_ms = ms > 1000000000 ? 1000000000 : static_cast<int>(ms);
  e.max_fields = static_cast<uint32_t>(std::max(
      sends ? pool->field_count() : 0u,
      receives ? static_cast<uint32_t>(SplitFields(rx_size, spec.fields).size())
               : 0u));
  e.max_batch = 1;
  e.max_message_size = std::max(sends ? tx_size : 0, receives ? rx_size : 0);
  e.options = own ? spec.options : spec.recv_options;
  absl::StatusOr<Endpoint> opened = Endpoint::Open(e);
  if (!opened.ok()) return opened.status();
  Endpoint& ep = *opened;
  if (!st.gate.ArriveAndWait(SetupTimeout(st.config))) {
    return absl::OkStatus();  // aborted: someone else failed, or timeout
  }
  std::string name = absl::StrCat(spec.transport_name, " ", SideName(side));
  std::optional<Sender> tx;
  if (sends) tx.emplace(ep, *pool, async, name);
  std::optional<Receiver> rx;
  if (receives) {
    rx.emplace(ep, rx_size);
    if (!rx->ok()) return absl::ResourceExhaustedError("receive buffer");
  }
  Meter meter(st, ctx);
  ConnectionResult& r = c.result;
  absl::Status s;
  if (rr && side == Side::kClient) {
    s = RrClient(st, meter, *tx, *rx, &r);
    if (s.ok()) shutdown(fd, SHUT_WR);
  } else if (rr) {
    s = RrServer(st, meter, *tx, *rx);
  } else if (sends) {
    s = StreamSend(st, meter, *tx, &r.tx_messages_total);
    if (s.ok()) shutdown(fd, SHUT_WR);
  } else {
    s = StreamReceive(st, meter, *rx, &r);
  }
  AddCounters(ep.Counters(),
              side == Side::kServer ? &r.server_counters : &r.client_counters);
  return s;
}

void Finish(CellState& st, std::atomic<bool>& done) {
  absl::MutexLock lock(&st.mu);
  ++st.finished;
  done.store(true);
}

void Worker(std::shared_ptr<CellState> stp, int i, Side side) {
  CellState& st = *stp;
  ConnState& c = *st.conns[i];
  ThreadReport* report =
      side == Side::kServer ? &c.result.server : &c.result.client;
  report->side = side;
  report->connection = i;
  ThreadContext ctx{side, i, st.spec.threads, st.spec.transport_name, report};
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

}  // namespace

CellResult RunCell(const CellSpec& spec, const RunnerConfig& config,
                   Network& network, ThreadHooks* hooks) {
  IgnoreSigpipe();
  CellResult result;
  result.transport = spec.transport_name;
  if (spec.recv_transport != nullptr && spec.mode == Mode::kStream) {
    result.recv_transport = spec.recv_transport_name;
  }
  result.size = spec.size;
  result.fields =
      static_cast<uint32_t>(SplitFields(spec.size, spec.fields).size());
  result.threads = spec.threads;
  result.mode = spec.mode;
  result.direction = spec.direction;
  if (spec.mode == Mode::kRequestResponse) {
    result.request_size = RequestSize(spec);
    result.response_size = ResponseSize(spec);
  }
  if (spec.transport == nullptr || spec.size == 0 || spec.threads < 1) {
    result.status = absl::InvalidArgumentError("invalid cell");
    return result;
  }

  auto st = std::make_shared<CellState>(spec, config, network, hooks);
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
  {
    absl::MutexLock lock(&st->mu);
    result.status = st->first_error;
    if (st->finished == workers) {
      for (auto& c : st->conns) result.connections.push_back(c->result);
    } else if (result.status.ok()) {
      result.status = absl::InternalError("threads left running");
    }
  }
  Summarize(&result);
  return result;
}

}  // namespace copyscope::harness
