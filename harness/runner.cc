#include "harness/runner.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

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
#include "harness/endpoint.h"
#include "harness/message_pool.h"
#include "harness/socket.h"

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
  uint32_t fields_used = 0;
};

EndpointSpec MakeEndpointSpec(const CellState& st, uint32_t role, int fd,
                              uint32_t fields) {
  EndpointSpec e;
  e.transport = st.spec.transport;
  e.transport_name = st.spec.transport_name;
  e.role = role;
  e.fd = fd;
  int64_t ms = absl::ToInt64Milliseconds(st.config.io_timeout);
  e.io_timeout_ms = ms > 1000000000 ? 1000000000 : static_cast<int>(ms);
  e.max_fields = fields;
  e.max_batch = 1;
  e.max_message_size = st.spec.size;
  e.options = st.spec.options;
  return e;
}

absl::Duration SetupTimeout(const RunnerConfig& c) {
  return c.io_timeout + c.margin;
}

// The sender's hot loop and drain. *sent counts accepted messages.
absl::Status SendLoop(CellState& st, const ThreadContext& ctx, Endpoint& ep,
                      const MessagePool& pool, bool async, uint64_t* sent) {
  std::vector<uint32_t> free_list;
  std::vector<uint64_t> tags(pool.count());
  if (async) {
    for (uint32_t i = pool.count(); i > 0; --i) free_list.push_back(i - 1);
  }
  auto reap = [&](const char* why) -> absl::Status {
    int n = ep.Reap(tags.data(), static_cast<uint32_t>(tags.size()), -1);
    if (n < 0) return ep.Error(n, "reap");
    if (n == 0) {
      return absl::DeadlineExceededError(absl::StrCat(
          st.spec.transport_name, " sender: reap returned no buffer within ",
          absl::FormatDuration(st.config.io_timeout), " ", why));
    }
    for (int i = 0; i < n; ++i) {
      if (tags[i] >= pool.count()) {
        return absl::InternalError(
            absl::StrCat(st.spec.transport_name,
                         " sender: reap returned unknown tag ", tags[i]));
      }
      free_list.push_back(static_cast<uint32_t>(tags[i]));
    }
    return absl::OkStatus();
  };

  int seen = kWarmup;
  bool measuring = false;
  for (;;) {
    int phase = st.phase.load(std::memory_order_relaxed);
    if (phase != seen) {
      if (phase == kMeasure && !measuring) {
        measuring = true;
        if (st.hooks) st.hooks->OnMeasureStart(ctx);
      }
      if (phase >= kStop) {
        if (measuring && st.hooks) st.hooks->OnMeasureStop(ctx);
        break;
      }
      seen = phase;
    }
    uint32_t index = 0;
    if (async) {
      if (free_list.empty()) {
        absl::Status s = reap("while sending");
        if (!s.ok()) return s;
      }
      index = free_list.back();
      free_list.pop_back();
    }
    int rc = ep.Send(&pool.message(index), 1);
    if (rc < 0) return ep.Error(rc, "send");
    ++*sent;
  }
  while (async && free_list.size() < pool.count()) {
    absl::Status s = reap("after stop");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// The receiver's hot loop, until end of stream.
absl::Status ReceiveLoop(CellState& st, const ThreadContext& ctx, Endpoint& ep,
                         ConnectionResult* r) {
  const size_t size = st.spec.size;
  std::unique_ptr<char, decltype(&std::free)> buf(
      static_cast<char*>(std::aligned_alloc(64, (size + 63) / 64 * 64)),
      &std::free);
  if (!buf) return absl::ResourceExhaustedError("receive buffer");
  cs_recv_args args;
  std::memset(&args, 0, sizeof(args));
  args.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  args.buf = buf.get();
  args.len = size;

  uint64_t messages = 0;
  int seen = kWarmup;
  std::optional<std::pair<int64_t, uint64_t>> start, stop;  // ns, messages
  auto observe = [&](int phase) {
    if (phase >= kMeasure && !start) {
      start.emplace(MonotonicNs(), messages);
      if (st.hooks) st.hooks->OnMeasureStart(ctx);
    }
    if (phase >= kStop && !stop) {
      stop.emplace(MonotonicNs(), messages);
      if (st.hooks && start) st.hooks->OnMeasureStop(ctx);
    }
  };
  for (;;) {
    int phase = st.phase.load(std::memory_order_relaxed);
    if (phase != seen) {
      observe(phase);
      seen = phase;
    }
    args.segments = nullptr;
    args.segment_count = 0;
    int rc = ep.Recv(&args);
    if (rc == 0) {
      ++messages;
      continue;
    }
    if (rc == -EPIPE) break;  // end of stream
    return ep.Error(rc, "recv");
  }
  r->rx_messages_total = messages;
  if (!stop) {
    int phase = st.phase.load(std::memory_order_acquire);
    if (phase < kStop) {
      return absl::AbortedError(absl::StrCat(
          st.spec.transport_name,
          " receiver: the sender closed the connection before the end of "
          "the measured interval"));
    }
    observe(phase);
  }
  if (start && stop) {
    r->rx_window = absl::Nanoseconds(stop->first - start->first);
    r->rx_messages = stop->second - start->second;
    r->rx_bytes = r->rx_messages * size;
  }
  return absl::OkStatus();
}

void Finish(CellState& st, std::atomic<bool>& done) {
  absl::MutexLock lock(&st.mu);
  ++st.finished;
  done.store(true);
}

void ServerThread(std::shared_ptr<CellState> stp, int i) {
  CellState& st = *stp;
  ConnState& c = *st.conns[i];
  ThreadContext ctx{Side::kServer, i, st.spec.threads, st.spec.transport_name,
                    &c.result.server};
  c.result.server.side = Side::kServer;
  c.result.server.connection = i;
  absl::Status s = st.hooks ? st.hooks->OnThreadStart(ctx) : absl::OkStatus();
  if (s.ok()) s = st.network.SetupThread(Side::kServer, i);
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
    absl::StatusOr<UniqueFd> fd =
        AcceptTcp(listener->fd.get(), st.cancel, SetupTimeout(st.config));
    listener->fd.reset();
    if (fd.ok()) {
      c.server_fd.store(fd->release());
    } else {
      s = fd.status();
    }
  }
  std::optional<Endpoint> ep;
  std::optional<MessagePool> pool;
  const bool async =
      (st.spec.transport->capabilities & CS_CAP_ASYNC_RELEASE) != 0;
  if (s.ok()) {
    uint32_t count = async ? InFlight(st.spec.size, st.config.in_flight_bytes,
                                      st.config.max_in_flight)
                           : 1;
    pool.emplace(st.spec.size, st.spec.fields, count);
    absl::StatusOr<Endpoint> opened = Endpoint::Open(MakeEndpointSpec(
        st, CS_ROLE_SENDER, c.server_fd.load(), pool->field_count()));
    if (opened.ok()) {
      ep.emplace(*std::move(opened));
    } else {
      s = opened.status();
    }
  }
  if (!s.ok()) {
    st.Fail(
        absl::Status(s.code(), absl::StrCat("server ", i, ": ", s.message())));
  } else if (st.gate.ArriveAndWait(SetupTimeout(st.config))) {
    uint64_t sent = 0;
    s = SendLoop(st, ctx, *ep, *pool, async, &sent);
    c.result.tx_messages_total = sent;
    if (s.ok()) {
      shutdown(c.server_fd.load(), SHUT_WR);
    } else {
      st.Fail(s);
    }
    AddCounters(ep->Counters(), &c.result.sender_counters);
  }
  ep.reset();  // closes the endpoint; the socket stays open until the end
  pool.reset();
  if (st.hooks) st.hooks->OnThreadEnd(ctx);
  Finish(st, c.server_done);
}

void ClientThread(std::shared_ptr<CellState> stp, int i) {
  CellState& st = *stp;
  ConnState& c = *st.conns[i];
  ThreadContext ctx{Side::kClient, i, st.spec.threads, st.spec.transport_name,
                    &c.result.client};
  c.result.client.side = Side::kClient;
  c.result.client.connection = i;
  absl::Status s = st.hooks ? st.hooks->OnThreadStart(ctx) : absl::OkStatus();
  if (s.ok()) s = st.network.SetupThread(Side::kClient, i);
  if (s.ok() &&
      !c.listening.WaitForNotificationWithTimeout(SetupTimeout(st.config))) {
    s = absl::DeadlineExceededError("the server did not start listening");
  }
  if (s.ok() && c.listen_status.ok()) {
    absl::StatusOr<UniqueFd> fd =
        ConnectTcp(st.network.ServerAddress(i), c.port, st.cancel,
                   SetupTimeout(st.config));
    if (fd.ok()) {
      c.client_fd.store(fd->release());
    } else {
      s = fd.status();
    }
  } else if (s.ok()) {
    s = absl::CancelledError("the server could not listen");
  }
  std::optional<Endpoint> ep;
  if (s.ok()) {
    absl::StatusOr<Endpoint> opened = Endpoint::Open(MakeEndpointSpec(
        st, CS_ROLE_RECEIVER, c.client_fd.load(),
        static_cast<uint32_t>(
            SplitFields(st.spec.size, st.spec.fields).size())));
    if (opened.ok()) {
      ep.emplace(*std::move(opened));
    } else {
      s = opened.status();
    }
  }
  if (!s.ok()) {
    st.Fail(
        absl::Status(s.code(), absl::StrCat("client ", i, ": ", s.message())));
  } else if (st.gate.ArriveAndWait(SetupTimeout(st.config))) {
    s = ReceiveLoop(st, ctx, *ep, &c.result);
    if (!s.ok()) st.Fail(s);
    AddCounters(ep->Counters(), &c.result.receiver_counters);
  }
  ep.reset();
  if (st.hooks) st.hooks->OnThreadEnd(ctx);
  Finish(st, c.client_done);
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
  result.size = spec.size;
  result.fields =
      static_cast<uint32_t>(SplitFields(spec.size, spec.fields).size());
  result.threads = spec.threads;
  if (spec.transport == nullptr || spec.size == 0 || spec.threads < 1) {
    result.status = absl::InvalidArgumentError("invalid cell");
    return result;
  }

  auto st = std::make_shared<CellState>(spec, config, network, hooks);
  std::vector<std::thread> threads;
  for (int i = 0; i < spec.threads; ++i) {
    threads.emplace_back(ServerThread, st, i);
    threads.emplace_back(ClientThread, st, i);
  }
  const int workers = 2 * spec.threads;

  if (st->gate.ArriveAndWait(SetupTimeout(config))) {
    st->failed.WaitForNotificationWithTimeout(config.warmup);
    int expected = kWarmup;  // a failure may have set kStop already
    st->phase.compare_exchange_strong(expected, kMeasure,
                                      std::memory_order_release);
    st->failed.WaitForNotificationWithTimeout(config.duration);
    st->phase.store(kStop, std::memory_order_release);
  } else if (!st->has_failed()) {
    st->Fail(absl::DeadlineExceededError(
        absl::StrCat("connections were not set up within ",
                     absl::FormatDuration(SetupTimeout(config)))));
  }
  st->phase.store(kStop, std::memory_order_release);

  auto all_finished = [&]() {
    st->mu.AssertReaderHeld();
    return st->finished == workers;
  };
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
