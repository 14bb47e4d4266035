#include "harness/engine/side_run.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "harness/engine/cell_driver.h"
#include "harness/engine/endpoint.h"
#include "harness/engine/flow.h"
#include "harness/engine/histogram.h"
#include "harness/engine/message_pool.h"
#include "harness/engine/net_stats.h"
#include "harness/engine/payload.h"
#include "harness/engine/side.h"
#include "harness/engine/slice_clock.h"
#include "harness/engine/socket.h"
#include "harness/engine/tcp_info.h"

namespace copyscope::engine {
namespace {

using config::CellSpec;
using config::Mode;

using Counters = std::vector<std::pair<std::string, uint64_t>>;

// The start barrier of a side: its workers wait until Go() opens it (or an
// abort), all woken at once through an eventfd. A mutex's waiters would be
// woken one after another, and with dozens of connections on a busy machine
// the last ones would start hundreds of milliseconds late.
class Gate {
 public:
  void Open() {
    open_.store(true, std::memory_order_release);
    signal_.Cancel();
  }
  void Abort() { signal_.Cancel(); }

  // True once opened; false on abort or timeout (timed_out then says so).
  bool Wait(absl::Duration timeout, bool* timed_out) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!signal_.cancelled()) {
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left <= 0) {
        *timed_out = true;
        return false;
      }
      pollfd p = {signal_.fd(), POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)) + 1);
    }
    return open_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<bool> open_{false};
  CancelSignal signal_;  // readable once opened or aborted
};

// The round trips of one slice of an rr client's window (Window::marks()
// segment): its non-empty buckets and exact maximum.
struct SliceLatency {
  std::vector<Histogram::Bucket> buckets;
  uint64_t max = 0;
};

// What one connection's worker measured; written by the worker, read after
// it returned.
struct ConnState {
  uint16_t port = 0;  // server: set before `listening` counts it
  // The connection's socket: stream and rr close it in ~State only; crr
  // sets and closes each transaction's under fd_mu, which Fail() holds
  // while it shuts the socket down, so it never reaches a reused number.
  std::atomic<int> fd{-1};
  std::mutex fd_mu;  // not absl's: its deadlock checks cost per transaction
  // crr server: its listening socket, kept for the whole sample (closed by
  // ~State; Fail() shuts it down, which wakes a blocked accept()).
  std::atomic<int> listen_fd{-1};
  record::ThreadReport report;
  // The measuring side's window (stream: the receiver; rr, crr: the
  // client) and what it counted in it; rr and crr bytes are request +
  // response.
  absl::Duration window = absl::ZeroDuration();
  uint64_t bytes = 0;
  uint64_t messages = 0;
  uint64_t tx_messages_total = 0;
  uint64_t rx_messages_total = 0;
  uint64_t connects = 0;  // crr client: connections made to its server port
  Counters counters;
  std::optional<Histogram> latency;  // rr, crr client: transactions (ns)
  // The measuring loop's slice marks (window.h), and for the rr client the
  // round trips between each mark and the next.
  std::vector<SliceMark> marks;
  std::vector<SliceLatency> slice_latency;
  // TCP_INFO at the window's edges (read on the worker's own thread).
  std::optional<absl::StatusOr<TcpInfo>> tcp_before;
  std::optional<absl::StatusOr<TcpInfo>> tcp_after;
  // A datagram cell: the sequence numbers' story (record.proto Datagrams).
  std::optional<record::Datagrams> datagrams;
  std::atomic<bool> window_marked{false};
  std::atomic<bool> done{false};
  // What the measuring loop's complete window holds: its length, messages,
  // their bytes (bytes_per each) and the slice marks.
  void KeepWindow(const Window& w, uint64_t bytes_per) {
    window = w.window();
    messages = w.counted();
    bytes = messages * bytes_per;
    marks = w.marks();
  }
};

}  // namespace

struct SideRun::State {
  explicit State(const SideSetup& s)
      : setup(s), background_cell(s.spec.BackgroundCell()) {
    for (int i = 0; i < parties(); ++i) {
      conns.push_back(std::make_unique<ConnState>());
    }
    changed.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    datagram = s.plugins.transport != nullptr &&
               (s.plugins.transport->capabilities & CS_CAP_DATAGRAM) != 0;
    if (s.config.interval > absl::ZeroDuration() && Measures()) {
      clock = std::make_unique<SliceClock>(s.config.interval);
    }
  }
  ~State() {
    for (auto& c : conns) {
      for (std::atomic<int>* fd : {&c->fd, &c->listen_fd}) {
        int f = fd->exchange(-1);
        if (f >= 0) close(f);
      }
    }
    RemoveUnixSocketDir(unix_dir);
  }

  void Signal() {
    uint64_t one = 1;
    ssize_t n = write(changed.get(), &one, sizeof(one));
    (void)n;  // a full counter is still readable
  }

  void Count(std::atomic<int>& counter) {
    counter.fetch_add(1, std::memory_order_acq_rel);
    Signal();
  }

  // A worker's window is over (closed, or the worker returned): once each.
  void MarkWindow(int connection) {
    if (!conns[connection]->window_marked.exchange(true)) Count(windows);
  }

  void Fail(absl::Status s) {
    {
      absl::MutexLock lock(&mu);
      if (!first_error.ok()) return;
      first_error = std::move(s);
    }
    phase.store(kStop, std::memory_order_release);
    failed.store(true, std::memory_order_release);
    cancel.Cancel();
    gate.Abort();
    ShutdownAll();
    Signal();
  }

  bool count_mode() const { return setup.config.messages > 0; }
  bool crr() const { return setup.spec.mode == Mode::kConnectRequestResponse; }
  absl::Duration setup_timeout() const {
    return setup.config.io_timeout + setup.config.margin;
  }
  // Every connection: the cell's, then --background's.
  int parties() const {
    return setup.spec.threads + setup.spec.background.threads;
  }
  // Connection i is one of the background's stream flows.
  bool IsBackground(int i) const { return i >= setup.spec.threads; }
  // This side measures: the stream receiver, the rr and crr client.
  bool Measures() const {
    if (config::Transactional(setup.spec.mode)) {
      return setup.side == Side::kClient;
    }
    const bool server_sends =
        setup.spec.direction == config::Direction::kServerToClient;
    return (setup.side == Side::kServer) != server_sends;
  }
  const std::atomic<uint32_t>* tick() const {
    return clock ? &clock->tick() : nullptr;
  }

  // Shuts every socket of the side down: wakes whatever waits on them.
  // Every socket of the side (crr: the transaction's and the listener),
  // under each connection's fd_mu, so that none is closed meanwhile.
  void ShutdownAll() {
    for (auto& c : conns) {
      std::lock_guard<std::mutex> lock(c->fd_mu);
      int f = c->fd.load();
      if (f >= 0) shutdown(f, SHUT_RDWR);
      f = c->listen_fd.load();
      if (f >= 0) shutdown(f, SHUT_RDWR);
    }
  }
  bool stopping() const {
    return phase.load(std::memory_order_acquire) >= kStop;
  }

  const SideSetup setup;
  // The background's flows as a stream cell (config::CellSpec).
  const CellSpec background_cell;
  bool datagram = false;  // UDP sockets (the transport has CS_CAP_DATAGRAM)
  alignas(64) std::atomic<int> phase{kWarmup};
  Gate gate;
  CancelSignal cancel;  // wakes accept/connect on failure
  UniqueFd changed;     // eventfd: some state changed
  std::vector<std::unique_ptr<ConnState>> conns;
  // --interval on the measuring side: started with the measurement
  // (duration mode: kMeasure; count mode: Go), stopped by Collect.
  std::unique_ptr<SliceClock> clock;
  // Server over unix: the directory of its socket files (SideRun::Start).
  std::string unix_dir;
  std::atomic<bool> failed{false};  // Fail() ran
  // crr: the namespace's connection setup (net_stats.h) when the side's
  // first window opened and when its last closed.
  absl::Mutex net_mu;
  int net_open ABSL_GUARDED_BY(net_mu) = 0;  // windows open now
  std::optional<absl::StatusOr<NetStats>> net_before ABSL_GUARDED_BY(net_mu);
  std::optional<absl::StatusOr<NetStats>> net_after ABSL_GUARDED_BY(net_mu);
  std::atomic<int> listening{0};
  std::atomic<int> ready{0};
  std::atomic<int> windows{0};
  std::atomic<int> finished{0};
  mutable absl::Mutex mu;
  absl::Status first_error ABSL_GUARDED_BY(mu);
};

namespace {

using State = SideRun::State;

// At the window's edges: reads the connection's TCP_INFO (just outside
// the other hooks' interval; crr: the namespace's connection setup at the
// side's first opening and last closing instead, there being no one socket
// to read), and counts the window as over when it closes; forwards
// everything.
class EdgeHooks final : public ThreadHooks {
 public:
  EdgeHooks(State& st, ThreadHooks* inner) : st_(st), inner_(inner) {}
  absl::Status OnThreadStart(const ThreadContext& t) override {
    return inner_ ? inner_->OnThreadStart(t) : absl::OkStatus();
  }
  void OnMeasureStart(const ThreadContext& t) override {
    ConnState& c = *st_.conns[t.connection];
    if (st_.crr()) {
      absl::MutexLock lock(&st_.net_mu);
      if (st_.net_open++ == 0 && !st_.net_before) {
        st_.net_before = ReadNetStats(st_.setup.config.proc_root);
      }
    } else {
      c.tcp_before = ReadTcpInfo(c.fd.load());
    }
    if (inner_) inner_->OnMeasureStart(t);
  }
  void OnMeasureStop(const ThreadContext& t) override {
    if (inner_) inner_->OnMeasureStop(t);
    ConnState& c = *st_.conns[t.connection];
    if (st_.crr()) {
      absl::MutexLock lock(&st_.net_mu);
      if (st_.net_open > 0 && --st_.net_open == 0) {
        st_.net_after = ReadNetStats(st_.setup.config.proc_root);
      }
    } else {
      c.tcp_after = ReadTcpInfo(c.fd.load());
    }
    st_.MarkWindow(t.connection);
  }
  void OnThreadEnd(const ThreadContext& t) override {
    if (inner_) inner_->OnThreadEnd(t);
  }

 private:
  State& st_;
  ThreadHooks* const inner_;
};

// Stream sender: duration mode until the phase says stop; count mode
// exactly warmup_messages + messages. *sent counts accepted messages. A
// datagram cell's sender passes tx.batch() messages per call (count mode
// is refused for datagram cells), and an error once the side stops is the
// receiver's socket going away, not a failure.
absl::Status StreamSend(State& st, Window& w, Sender& tx, uint64_t* sent,
                        ConnState* c) {
  const uint32_t batch = tx.batch();
  while (w.Next(*sent)) {
    absl::Status s = batch > 1 ? tx.SendBatch(batch) : tx.SendOne();
    if (!s.ok()) {
      if (st.datagram && st.stopping()) break;
      return s;
    }
    *sent = tx.sent();
  }
  w.Close(*sent);
  if (st.datagram && w.complete()) {
    record::Datagrams& d = c->datagrams.emplace();
    d.set_sent(w.counted());
    d.set_sent_window_s(absl::ToDoubleSeconds(w.window()));
  }
  if (st.count_mode() && !w.complete()) return absl::OkStatus();  // failed
  return tx.Drain();
}

// The sequence numbers at a window's edge, for the deltas over it.
struct SeqMark {
  uint64_t unique = 0, lost = 0, reordered = 0, duplicates = 0;
  static SeqMark Of(const SeqStats& s) {
    return {s.unique(), s.lost(), s.reordered(), s.duplicates()};
  }
};

// Stream receiver, until end of stream; spec is the cell or its background.
absl::Status StreamReceive(State& st, const CellSpec& spec, Window& w,
                           Receiver& rx, ConnState* c) {
  const RunnerConfig& config = st.setup.config;
  uint64_t messages = 0;
  // Datagram cells: the numbers seen when the window opened and closed.
  bool was_measuring = false, was_complete = false;
  SeqMark open, close;
  for (;;) {
    w.Next(messages);
    if (st.datagram && !was_measuring && w.measuring()) {
      was_measuring = true;
      open = SeqMark::Of(rx.stats());
    }
    if (st.datagram && w.complete() && !was_complete) {
      was_complete = true;
      close = SeqMark::Of(rx.stats());
    }
    int rc = rx.RecvOne();
    if (rc == 0) {
      ++messages;
      continue;
    }
    if (rc == -EPIPE) break;  // end of stream
    return rx.Error(rc);
  }
  w.Next(messages);  // the last measured message (or the phase) closes it
  if (st.datagram && w.complete()) {
    if (!was_complete) close = SeqMark::Of(rx.stats());
    record::Datagrams& d = c->datagrams.emplace();
    d.set_received(close.unique - open.unique);
    d.set_lost(close.lost >= open.lost ? close.lost - open.lost : 0);
    d.set_reordered(close.reordered - open.reordered);
    d.set_duplicates(close.duplicates - open.duplicates);
  }
  c->rx_messages_total = messages;
  const uint64_t expected = config.warmup_messages + config.messages;
  const bool stopping = st.phase.load(std::memory_order_acquire) >= kStop;
  if (st.count_mode() && messages != expected && !stopping) {
    return absl::AbortedError(
        absl::StrCat(spec.Label(), " receiver: the stream ended after ",
                     messages, " of ", expected, " messages"));
  }
  if (!st.count_mode() && !w.complete() && !stopping) {
    return absl::AbortedError(absl::StrCat(
        spec.Label(),
        " receiver: the sender closed the connection before the end of "
        "the measured interval"));
  }
  if (w.complete()) c->KeepWindow(w, spec.size);
  return absl::OkStatus();
}

// rr client with slices: the round trips since the last cut belong to the
// segment before the newest mark; segments without any get none.
class SliceCutter {
 public:
  void Record(uint64_t ns) { h_.Record(ns); }
  void Cut(const Window& w, std::vector<SliceLatency>* out) {
    const size_t marks = w.marks().size();
    if (marks == seen_) return;
    if (seen_ > 0) {
      out->push_back({h_.Buckets(), h_.max()});
      h_ = Histogram();
    }
    while (out->size() + 1 < marks) out->emplace_back();
    seen_ = marks;
  }

 private:
  Histogram h_;
  size_t seen_ = 0;
};

// The timing of a transactional client's loop (rr, rr over datagrams,
// crr): each measured transaction into the connection's histogram and,
// with slices, into its slice's; at the end, the window's figures.
class RoundTrips {
 public:
  RoundTrips(const State& st, ConnState* c) : c_(*c), h_(c->latency.emplace()) {
    if (st.tick() != nullptr) slices_.emplace();
  }
  // Before each transaction: the slices the window marked since are over.
  void Next(const Window& w) {
    if (slices_) slices_->Cut(w, &c_.slice_latency);
  }
  // A transaction from t0 to t1 (MonotonicNs), timed when measured.
  void Done(const Window& w, int64_t t0, int64_t t1) {
    if (!w.measuring()) return;
    const uint64_t ns = static_cast<uint64_t>(t1 - t0);
    h_.Record(ns);
    if (slices_) slices_->Record(ns);
  }
  // After the loop: closes the window at `done` transactions and keeps its
  // figures when it is complete (bytes_per each).
  void Close(Window& w, uint64_t done, uint64_t bytes_per) {
    w.Close(done);
    if (slices_) slices_->Cut(w, &c_.slice_latency);
    if (w.complete()) c_.KeepWindow(w, bytes_per);
  }

 private:
  ConnState& c_;
  Histogram& h_;
  std::optional<SliceCutter> slices_;
};

// rr client over datagrams: request n, then its response within
// --rr-timeout; a response to an earlier request is stale (counted, and the
// wait goes on for n's), none in time is a timeout (counted, and the next
// request goes). Only answered transactions count and are timed.
absl::Status RrDatagramClient(State& st, Window& w, Sender& tx, Receiver& rx,
                              ConnState* c, RoundTrips& trips) {
  const CellSpec& spec = st.setup.spec;
  const int64_t timeout_ns =
      absl::ToInt64Nanoseconds(st.setup.config.rr_timeout);
  uint64_t done = 0, timeouts = 0, stale = 0;
  uint64_t timeouts0 = 0, stale0 = 0;
  bool was_measuring = false;
  while (w.Next(done)) {
    if (!was_measuring && w.measuring()) {
      was_measuring = true;
      timeouts0 = timeouts;
      stale0 = stale;
    }
    trips.Next(w);
    const uint64_t seq = tx.sent();
    const int64_t t0 = MonotonicNs();
    absl::Status s = tx.SendOne();
    if (!s.ok()) {
      if (st.stopping()) break;
      return s;
    }
    ++c->tx_messages_total;
    const int64_t deadline = t0 + timeout_ns;
    bool answered = false;
    for (;;) {
      const int64_t left = deadline - MonotonicNs();
      if (left <= 0) break;
      const int ms =
          static_cast<int>(std::max<int64_t>(1, (left + 999999) / 1000000));
      int rc = rx.RecvOne(ms);
      if (rc == -ETIMEDOUT) break;
      if (rc == -EPIPE) {
        if (st.stopping()) break;
        return absl::AbortedError(absl::StrCat(
            spec.Label(), " client: the socket was shut down mid-transaction"));
      }
      if (rc < 0) {
        if (st.stopping()) break;
        return rx.Error(rc);
      }
      if (rx.seq() == seq) {
        answered = true;
        break;
      }
      ++stale;  // the answer to an earlier request that timed out
    }
    if (!answered) {
      if (st.stopping()) break;
      ++timeouts;
      continue;
    }
    const int64_t t1 = MonotonicNs();
    ++c->rx_messages_total;
    ++done;
    trips.Done(w, t0, t1);
  }
  trips.Close(w, done, spec.RequestSize() + spec.ResponseSize());
  if (w.complete()) {
    record::Datagrams& d = c->datagrams.emplace();
    d.set_rr_timeouts(timeouts - timeouts0);
    d.set_rr_stale(stale - stale0);
    d.set_sent(c->tx_messages_total);
  }
  return tx.Drain();
}

// rr client: request, response, round trip into the histogram.
absl::Status RrClient(State& st, Window& w, Sender& tx, Receiver& rx,
                      ConnState* c) {
  const CellSpec& spec = st.setup.spec;
  RoundTrips trips(st, c);
  if (st.datagram) return RrDatagramClient(st, w, tx, rx, c, trips);
  uint64_t done = 0;
  while (w.Next(done)) {
    trips.Next(w);
    const int64_t t0 = MonotonicNs();
    absl::Status s = tx.SendOne();
    if (!s.ok()) return s;
    ++c->tx_messages_total;
    int rc = rx.RecvOne();
    if (rc == -EPIPE) {
      return absl::AbortedError(absl::StrCat(
          spec.Label(),
          " client: the server closed the connection mid-transaction"));
    }
    if (rc < 0) return rx.Error(rc);
    const int64_t t1 = MonotonicNs();
    ++c->rx_messages_total;
    ++done;
    trips.Done(w, t0, t1);
  }
  trips.Close(w, done, spec.RequestSize() + spec.ResponseSize());
  return tx.Drain();
}

// rr server: answers every request until the client closes (datagram
// cells: until the side stops and shuts its socket down; each answer
// carries its request's number).
absl::Status RrServer(State& st, Window& w, Sender& tx, Receiver& rx) {
  uint64_t done = 0;
  for (;; ++done) {
    w.Next(done);
    int rc = rx.RecvOne();
    if (rc == -EPIPE) break;
    if (rc < 0) {
      if (st.datagram && st.stopping()) break;
      return rx.Error(rc);
    }
    absl::Status s = st.datagram ? tx.SendNumbered(rx.seq()) : tx.SendOne();
    if (!s.ok()) {
      if (st.datagram && st.stopping()) break;
      return s;
    }
  }
  w.Close(done);
  return tx.Drain();
}

// crr: a transaction's socket, set where Fail() shuts it down (so that no
// worker stays blocked in connect() or in the plugin) and closed under the
// same lock when the transaction ends, however it ends.
class TransactionFd {
 public:
  TransactionFd(ConnState& c, int fd) : c_(c) {
    std::lock_guard<std::mutex> lock(c_.fd_mu);
    c_.fd.store(fd, std::memory_order_relaxed);
  }
  ~TransactionFd() {
    std::lock_guard<std::mutex> lock(c_.fd_mu);
    const int f = c_.fd.exchange(-1, std::memory_order_relaxed);
    if (f >= 0) close(f);
  }
  TransactionFd(const TransactionFd&) = delete;
  TransactionFd& operator=(const TransactionFd&) = delete;

 private:
  ConnState& c_;
};

absl::Status ErrnoStatus(int err, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(what, ": ", std::strerror(err)));
}

// What a crr worker keeps from one transaction to the next: the endpoint
// every transaction opens (its fd set each time), the message pool and,
// once the first endpoint is open, the sender and receiver, whose sequence
// numbers (--verify) run on across transactions.
struct Crr {
  Crr(State& st, ConnState& c, const SidePlan& plan, const ThreadContext& ctx)
      : st(st),
        c(c),
        plan(plan),
        endpoint(plan.endpoint),
        pool(plan.tx_size, st.setup.spec.fields, plan.pool_count),
        name(absl::StrCat(plan.endpoint.transport_name, " ",
                          SideName(st.setup.side))) {
    const bool server = st.setup.side == Side::kServer;
    tx_verify = {st.setup.config.verify, static_cast<uint64_t>(ctx.connection),
                 server ? payload::kServerToClient : payload::kClientToServer};
    rx_verify = tx_verify;
    rx_verify.stream =
        server ? payload::kClientToServer : payload::kServerToClient;
  }

  // The transaction's endpoint on `fd`.
  absl::StatusOr<Endpoint> Open(int fd) {
    endpoint.fd = fd;
    return Endpoint::Open(endpoint);
  }

  // Adds the endpoint's counters (its one transaction's) to the
  // connection's.
  absl::Status AddCounters(const Endpoint& ep) {
    return ep.AddCountersTo(&c.counters, &scratch);
  }

  // The sender and receiver move messages on `ep` until the next Use().
  absl::Status Use(Endpoint& ep) {
    if (tx) {
      tx->Use(ep);
      rx->Use(ep);
      return absl::OkStatus();
    }
    tx.emplace(ep, pool, plan.async, name, tx_verify);
    rx.emplace(ep, plan.rx_size, name, rx_verify);
    if (!rx->ok()) return absl::ResourceExhaustedError("receive buffer");
    return absl::OkStatus();
  }

  // A blocking connect() of `fd` to the server; the cell's failure shuts
  // the socket down, which ends a connect still waiting for its handshake.
  absl::Status Connect(int fd) {
    const RunnerConfig& config = st.setup.config;
    const sockaddr* a = reinterpret_cast<const sockaddr*>(&server);
    int rc = config.connect_for_testing != nullptr
                 ? config.connect_for_testing(fd, a, sizeof(server))
                 : connect(fd, a, sizeof(server));
    if (rc == 0) {
      ++c.connects;
      return absl::OkStatus();
    }
    int err = errno;
    if (err == EINTR) {  // the handshake goes on: wait for its end
      pollfd p = {fd, POLLOUT, 0};
      const int64_t ms = absl::ToInt64Milliseconds(st.setup_timeout());
      rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
      socklen_t len = sizeof(err);
      if (rc < 0) {
        err = errno;
      } else if (rc == 0) {
        err = ETIMEDOUT;
      } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
      }
      if (err == 0) {
        ++c.connects;
        return absl::OkStatus();
      }
    }
    if (err == EADDRNOTAVAIL) {
      return absl::ResourceExhaustedError(PortsExhaustedText(config.proc_root));
    }
    return ErrnoStatus(err, absl::StrCat("connect to ", address));
  }

  State& st;
  ConnState& c;
  const SidePlan& plan;
  EndpointSpec endpoint;  // fd set per transaction
  std::vector<cs_counter> scratch;
  MessagePool pool;
  const std::string name;
  Verify tx_verify, rx_verify;
  std::optional<Sender> tx;
  std::optional<Receiver> rx;
  sockaddr_in server{};  // client: where every transaction connects
  std::string address;   // client: the same, as text
  int listen_fd = -1;    // server
};

// One crr client transaction: connect, open the endpoint, send the
// request, receive the response, close (endpoint, then socket).
absl::Status ClientTransaction(Crr& x) {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return ErrnoStatus(errno, "socket");
  TransactionFd fd(x.c, s);
  if (x.st.failed.load(std::memory_order_acquire)) {
    return absl::CancelledError("stopped");  // the first error is elsewhere
  }
  absl::Status status = x.Connect(s);
  if (!status.ok()) return status;
  absl::StatusOr<Endpoint> ep = x.Open(s);
  if (!ep.ok()) return ep.status();
  status = x.Use(*ep);
  if (!status.ok()) return status;
  status = x.tx->SendOne();
  if (!status.ok()) return status;
  ++x.c.tx_messages_total;
  const int rc = x.rx->RecvOne();
  if (rc == -EPIPE) {
    return absl::AbortedError(absl::StrCat(
        x.st.setup.spec.Label(),
        " client: the server closed the connection mid-transaction"));
  }
  if (rc < 0) return x.rx->Error(rc);
  ++x.c.rx_messages_total;
  status = x.tx->Drain();
  if (!status.ok()) return status;
  return x.AddCounters(*ep);
}

// crr client: a transaction per connection, each timed whole (socket() to
// close()) into the histogram; then one connection without a request,
// which tells the server the sample is over.
absl::Status CrrClient(Window& w, Crr& x) {
  State& st = x.st;
  ConnState& c = x.c;
  const CellSpec& spec = st.setup.spec;
  RoundTrips trips(st, &c);
  uint64_t done = 0;
  while (w.Next(done)) {
    trips.Next(w);
    const int64_t t0 = MonotonicNs();
    absl::Status s = ClientTransaction(x);
    if (!s.ok()) return s;
    const int64_t t1 = MonotonicNs();
    ++done;
    trips.Done(w, t0, t1);
  }
  trips.Close(w, done, spec.RequestSize() + spec.ResponseSize());
  if (st.failed.load(std::memory_order_acquire)) return absl::OkStatus();
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return ErrnoStatus(errno, "socket");
  TransactionFd fd(c, s);
  return x.Connect(s);  // and close without a request: the end
}

// One crr server transaction: accept, open the endpoint, receive the
// request, send the response, wait for the client to close, close. A
// connection that closes before any request is the client's end of the
// sample: *end.
absl::Status ServerTransaction(Crr& x, bool* end) {
  int a;
  do {
    a = accept4(x.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  } while (a < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (a < 0) {
    if (x.st.failed.load(std::memory_order_acquire)) {
      return absl::CancelledError("stopped");  // Fail() shut it down
    }
    return ErrnoStatus(errno, "accept");
  }
  TransactionFd fd(x.c, a);
  if (x.st.failed.load(std::memory_order_acquire)) {
    return absl::CancelledError("stopped");
  }
  absl::StatusOr<Endpoint> ep = x.Open(a);
  if (!ep.ok()) return ep.status();
  absl::Status status = x.Use(*ep);
  if (!status.ok()) return status;
  int rc = x.rx->RecvOne();
  if (rc == -EPIPE) {
    *end = true;
    return x.AddCounters(*ep);
  }
  if (rc < 0) return x.rx->Error(rc);
  ++x.c.rx_messages_total;
  status = x.tx->SendOne();
  if (!status.ok()) return status;
  ++x.c.tx_messages_total;
  rc = x.rx->RecvOne();  // the client's close
  if (rc == 0) {
    return absl::AbortedError(
        absl::StrCat(x.st.setup.spec.Label(),
                     " server: the client sent a second request on a "
                     "connection of one transaction"));
  }
  if (rc != -EPIPE) return x.rx->Error(rc);
  status = x.tx->Drain();
  if (!status.ok()) return status;
  return x.AddCounters(*ep);
}

// crr server: a transaction per connection accepted, until the client's
// connection without a request.
absl::Status CrrServer(Window& w, Crr& x) {
  uint64_t done = 0;
  for (;; ++done) {
    w.Next(done);
    bool end = false;
    absl::Status s = ServerTransaction(x, &end);
    if (!s.ok()) return s;
    if (end) break;
  }
  w.Close(done);
  return absl::OkStatus();
}

// crr: everything a worker does after its thread's set-up. The server
// listens and publishes its port; both wait at the gate (the server
// listening, the client with nothing open), then run their transactions.
absl::Status CrrWork(State& st, ConnState& c, int i, ThreadHooks* hooks,
                     const ThreadContext& ctx) {
  const SideSetup& setup = st.setup;
  const bool server = setup.side == Side::kServer;
  const SidePlan plan =
      PlanSide(setup.spec, setup.plugins, setup.side, setup.config);
  const EndpointSpec& e = plan.endpoint;
  if (setup.config.verify && e.transport != nullptr &&
      (e.transport->capabilities & CS_CAP_RECV_DISCARDS) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--verify cannot check what ", e.transport_name,
        " receives: it discards the bytes (CS_CAP_RECV_DISCARDS)"));
  }
  Crr x(st, c, plan, ctx);
  const std::string address = setup.network->ServerAddress(i);
  if (server) {
    absl::StatusOr<Listener> l = ListenTcp(address);
    if (!l.ok()) return l.status();
    x.listen_fd = l->fd.get();
    {
      std::lock_guard<std::mutex> lock(c.fd_mu);  // Fail() shuts it down
      c.listen_fd.store(l->fd.release());
    }
    if (st.failed.load(std::memory_order_acquire)) return absl::OkStatus();
    c.port = l->port;
    st.Count(st.listening);
  } else {
    absl::StatusOr<sockaddr_in> a = Ipv4Address(address, setup.ports[i]);
    if (!a.ok()) return a.status();
    x.server = *a;
    x.address = absl::StrCat(address, ":", setup.ports[i]);
  }
  st.Count(st.ready);
  bool timed_out = false;
  if (!st.gate.Wait(st.setup_timeout(), &timed_out)) {
    if (!timed_out) return absl::OkStatus();  // aborted: a failure elsewhere
    return absl::DeadlineExceededError(
        absl::StrCat("the start signal did not come within ",
                     absl::FormatDuration(st.setup_timeout())));
  }
  Window window(st.phase, setup.config.warmup_messages, setup.config.messages,
                hooks, ctx, st.tick());
  absl::Status s = server ? CrrServer(window, x) : CrrClient(window, x);
  // Corrupt data is the side's verdict before x closes the transaction's
  // socket, so the peer's "closed mid-transaction" cannot come first.
  if (std::optional<std::string> corrupt = payload::CorruptText(s)) {
    st.Fail(Verdict(s.code(), *corrupt));
  }
  return s;
}

// Everything a worker does once its socket is connected: open the
// endpoint, wait at the gate, run its loop, collect counters.
absl::Status Work(State& st, ConnState& c, int fd, ThreadHooks* hooks,
                  const ThreadContext& ctx) {
  const SideSetup& setup = st.setup;
  // A background connection runs the background's stream cell with its
  // plugin; the rest is the same.
  const bool background = st.IsBackground(ctx.connection);
  const CellSpec& spec = background ? st.background_cell : setup.spec;
  CellPlugins background_plugins;
  background_plugins.transport = setup.plugins.background;
  const Side side = setup.side;
  const bool rr = spec.mode == Mode::kRequestResponse;
  SidePlan plan =
      PlanSide(spec, background ? background_plugins : setup.plugins, side,
               setup.config);
  std::optional<MessagePool> pool;
  if (plan.sends) pool.emplace(plan.tx_size, spec.fields, plan.pool_count);
  EndpointSpec& e = plan.endpoint;
  e.fd = fd;
  if (plan.receives && setup.config.verify && e.transport != nullptr &&
      (e.transport->capabilities & CS_CAP_RECV_DISCARDS) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--verify cannot check what ", e.transport_name,
        " receives: it discards the bytes (CS_CAP_RECV_DISCARDS)"));
  }
  absl::StatusOr<Endpoint> opened = Endpoint::Open(e);
  if (!opened.ok()) return opened.status();
  Endpoint& ep = *opened;
  st.Count(st.ready);
  bool timed_out = false;
  if (!st.gate.Wait(st.setup_timeout(), &timed_out)) {
    if (!timed_out) return absl::OkStatus();  // aborted: a failure elsewhere
    return absl::DeadlineExceededError(
        absl::StrCat("the start signal did not come within ",
                     absl::FormatDuration(st.setup_timeout())));
  }
  std::string name = absl::StrCat(e.transport_name, " ", SideName(side));
  const bool server = side == Side::kServer;
  const Verify tx_verify{
      setup.config.verify, static_cast<uint64_t>(ctx.connection),
      server ? payload::kServerToClient : payload::kClientToServer};
  Verify rx_verify = tx_verify;
  rx_verify.stream =
      server ? payload::kClientToServer : payload::kServerToClient;
  DatagramFlow flow;
  flow.enabled = plan.datagram;
  flow.batch = plan.batch;
  if (!rr) flow.rate_bps = setup.config.rate_bps;
  std::optional<Sender> tx;
  if (plan.sends) tx.emplace(ep, *pool, plan.async, name, tx_verify, flow);
  std::optional<Receiver> rx;
  if (plan.receives) {
    rx.emplace(ep, plan.rx_size, name, rx_verify, plan.datagram);
    if (!rx->ok()) return absl::ResourceExhaustedError("receive buffer");
  }
  Window window(st.phase, setup.config.warmup_messages, setup.config.messages,
                hooks, ctx, background ? nullptr : st.tick());
  absl::Status s;
  if (rr && side == Side::kClient) {
    s = RrClient(st, window, *tx, *rx, &c);
    if (s.ok()) shutdown(fd, SHUT_WR);
  } else if (rr) {
    s = RrServer(st, window, *tx, *rx);
  } else if (plan.sends) {
    s = StreamSend(st, window, *tx, &c.tx_messages_total, &c);
    if (s.ok()) shutdown(fd, SHUT_WR);
  } else {
    s = StreamReceive(st, spec, window, *rx, &c);
  }
  absl::StatusOr<Counters> counters = ep.Counters();
  if (!counters.ok()) return s.ok() ? counters.status() : s;
  c.counters = *std::move(counters);
  return s;
}

// Where the server of connection i listens, for spec.family.
absl::StatusOr<std::string> ListenAddress(const State& st, int i) {
  const Network& net = *st.setup.network;
  switch (st.setup.spec.family) {
    case config::Family::kInet:
      return net.ServerAddress(i);
    case config::Family::kInet6: {
      std::string a = net.ServerAddress6(i);
      if (a.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "no IPv6 address on this network (", net.Describe(), ")"));
      }
      return a;
    }
    case config::Family::kUnix:
      return st.unix_dir;
  }
  return absl::InvalidArgumentError("unknown address family");
}

// The server's socket: listen, publish the port, accept (datagram cells: a
// UDP port, and the client's hello, socket.h).
absl::StatusOr<int> Accept(State& st, ConnState& c, int i) {
  if (st.datagram) {
    absl::StatusOr<Listener> l = BindUdp(st.setup.network->ServerAddress(i));
    if (!l.ok()) return l.status();
    c.port = l->port;
    st.Count(st.listening);
    absl::StatusOr<UniqueFd> a =
        AcceptUdp(*std::move(l), st.cancel, st.setup_timeout());
    if (!a.ok()) return a.status();
    return a->release();
  }
  absl::StatusOr<std::string> address = ListenAddress(st, i);
  if (!address.ok()) return address.status();
  absl::StatusOr<Listener> l = ListenStream(st.setup.spec.family, *address);
  if (!l.ok()) return l.status();
  c.port = l->port;
  st.Count(st.listening);
  absl::StatusOr<UniqueFd> a =
      AcceptTcp(l->fd.get(), st.cancel, st.setup_timeout());
  if (!a.ok()) return a.status();
  return a->release();
}

absl::StatusOr<int> Connect(State& st, int i) {
  if (st.datagram) {
    absl::StatusOr<UniqueFd> a =
        ConnectUdp(st.setup.network->ServerAddress(i), st.setup.ports[i],
                   st.cancel, st.setup_timeout());
    if (!a.ok()) return a.status();
    return a->release();
  }
  absl::StatusOr<std::string> address = st.setup.address;
  if (address->empty()) address = ListenAddress(st, i);
  if (address.ok() && address->empty()) {
    address = absl::InvalidArgumentError(
        "the client of a unix cell needs the server's directory");
  }
  if (!address.ok()) return address.status();
  absl::StatusOr<UniqueFd> a =
      ConnectStream(st.setup.spec.family, *address, st.setup.ports[i],
                    st.cancel, st.setup_timeout());
  if (!a.ok()) return a.status();
  return a->release();
}

// The thread's own reference keeps the state alive should it be detached.
void Worker(
    std::shared_ptr<State> stp,  // NOLINT(performance-unnecessary-value-param)
    int i) {
  State& st = *stp;
  ConnState& c = *st.conns[i];
  const Side side = st.setup.side;
  // A background flow's thread runs none of the cell's hooks (no pinning,
  // no counters: the cell's figures are its own threads'), only the edges.
  const bool background = st.IsBackground(i);
  EdgeHooks hooks(st, background ? nullptr : st.setup.hooks);
  c.report.set_side(SideName(side));
  c.report.set_connection(i);
  c.report.set_pinned_cpu(-1);
  ThreadContext ctx{
      side, i, st.setup.spec.threads,
      background ? st.background_cell.transport : st.setup.spec.transport,
      &c.report};
  auto fail = [&](const absl::Status& e) {
    if (std::optional<std::string> corrupt = payload::CorruptText(e)) {
      st.Fail(Verdict(e.code(), *corrupt));  // the sample's status as it is
    } else if (!e.ok()) {
      st.Fail(absl::Status(
          e.code(), absl::StrCat(SideName(side), " ", i, ": ", e.message())));
    }
  };
  // A server that could not listen counts as listening only once its
  // error is the side's: whoever sees the side listening sees why too.
  auto listened = [&](const absl::Status& e) {
    if (side != Side::kServer || c.port != 0) return;
    fail(e);
    st.Count(st.listening);
  };
  absl::Status s = hooks.OnThreadStart(ctx);
  if (s.ok()) s = st.setup.network->SetupThread(side, i);
  if (st.crr() && !background) {
    // A background flow of a crr cell is a long-lived stream as ever.
    if (s.ok()) s = CrrWork(st, c, i, &hooks, ctx);
    listened(s);
  } else {
    absl::StatusOr<int> fd = absl::UnknownError("unset");
    if (s.ok()) {
      fd = side == Side::kServer ? Accept(st, c, i) : Connect(st, i);
      if (fd.ok()) {
        c.fd.store(*fd);
      } else {
        s = fd.status();
      }
    }
    listened(s);
    if (s.ok()) s = Work(st, c, *fd, &hooks, ctx);
  }
  fail(s);
  hooks.OnThreadEnd(ctx);
  st.MarkWindow(i);
  c.done.store(true, std::memory_order_release);
  st.Count(st.finished);
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

// The sample's slices: per tick, what every connection counted from a mark
// of that tick to the next, summed; the length is the mean of the
// connections' parts; rr adds the round trips of the slice, merged.
void SetSlices(const State& st, record::Sample* out) {
  struct Acc {
    uint64_t messages = 0;
    int64_t ns = 0;
    int parts = 0;
    std::optional<Histogram> latency;
    uint64_t ns_max = 0;  // the slowest round trip
  };
  const CellSpec& spec = st.setup.spec;
  const bool rr = config::Transactional(spec.mode);
  const uint64_t bytes_per =
      rr ? spec.RequestSize() + spec.ResponseSize() : spec.size;
  std::map<uint32_t, Acc> slices;
  for (const auto& c : st.conns) {
    for (size_t j = 0; j + 1 < c->marks.size(); ++j) {
      const SliceMark& a = c->marks[j];
      const SliceMark& b = c->marks[j + 1];
      Acc& acc = slices[a.tick];
      acc.messages += b.done - a.done;
      acc.ns += b.ns - a.ns;
      ++acc.parts;
      if (!rr || j >= c->slice_latency.size()) continue;
      const SliceLatency& l = c->slice_latency[j];
      if (l.buckets.empty()) continue;
      Histogram h;
      for (const Histogram::Bucket& bucket : l.buckets) {
        h.AddBucket(bucket.lower, bucket.count);
      }
      if (!acc.latency) acc.latency.emplace();
      acc.latency->Merge(h);
      acc.ns_max = std::max(acc.ns_max, l.max);
    }
  }
  const double interval = absl::ToDoubleSeconds(st.setup.config.interval);
  for (const auto& [tick, acc] : slices) {
    record::Slice* s = out->add_slices();
    s->set_start_s(tick * interval);
    s->set_length_s(static_cast<double>(acc.ns) / acc.parts / 1e9);
    s->set_messages(acc.messages);
    s->set_bytes(acc.messages * bytes_per);
    if (acc.latency && acc.latency->count() > 0) {
      s->set_latency_p50_us(acc.latency->Percentile(50) / 1e3);
      s->set_latency_p99_us(acc.latency->Percentile(99) / 1e3);
      s->set_latency_max_us(static_cast<double>(acc.ns_max) / 1e3);
    }
  }
}

// One end's TCP_INFO over its window, for the record.
void SetTcp(const State& st, const ConnState& c, record::TcpEnd* end) {
  if (st.crr()) {
    end->set_not_read(
        "not read in crr: every transaction has a socket of its own, none "
        "lives across the window's edges");
    return;
  }
  for (const auto* r : {&c.tcp_before, &c.tcp_after}) {
    if (r->has_value() && !(*r)->ok()) {
      end->set_error(std::string((*r)->status().message()));
      return;
    }
  }
  if (!c.tcp_before || !c.tcp_after) return;  // the window never closed
  TcpInfoDelta d = Delta(**c.tcp_before, **c.tcp_after);
  if (!d.is_tcp) {
    end->set_not_tcp(d.not_tcp.empty() ? "not TCP" : d.not_tcp);
    return;
  }
  for (const TcpCounterField& f : TcpCounterFields()) {
    if (const std::optional<uint64_t>& v = d.counters.*f.value) {
      record::NamedCount* n = end->add_counters();
      n->set_name(f.name);
      n->set_value(*v);
    }
  }
  for (const TcpGaugeField& f : TcpGaugeFields()) {
    if (const std::optional<uint32_t>& v = d.gauges.*f.value) {
      record::NamedCount* n = end->add_gauges();
      n->set_name(f.name);
      n->set_value(*v);
    }
  }
}

// crr: what the side's namespace saw of connection setup over its
// interval, from its first window's opening to its last one's closing.
void SetConnectionSetup(State& st, record::Sample* out) {
  absl::MutexLock lock(&st.net_mu);
  if (!st.net_before || !st.net_after) return;  // no window was measured
  record::ConnectionSetup* r = out->add_connection_setup();
  r->set_side(SideName(st.setup.side));
  const absl::StatusOr<NetStats>& a = *st.net_before;
  const absl::StatusOr<NetStats>& b = *st.net_after;
  if (!a.ok() || !b.ok()) {
    r->set_error(std::string((a.ok() ? b.status() : a.status()).message()));
    return;
  }
  if (a->time_wait) r->set_time_wait_start(*a->time_wait);
  if (b->time_wait) r->set_time_wait_end(*b->time_wait);
  if (a->ports)
    r->set_ephemeral_ports(static_cast<uint32_t>(a->ports->ports()));
  if (a->tw_reuse) r->set_tcp_tw_reuse(*a->tw_reuse);
  if (st.setup.side == Side::kClient) {
    uint64_t most = 0;
    for (const auto& c : st.conns) most = std::max(most, c->connects);
    r->set_connections_to_one_port(most);
    r->set_server_address(st.setup.network->ServerAddress(0));
  }
  for (const auto& [name, value] : CounterIncrease(*a, *b)) {
    record::NamedCount* n = r->add_tcp_ext();
    n->set_name(name);
    n->set_value(value);
  }
}

void AddCounts(const Counters& in,
               google::protobuf::RepeatedPtrField<record::NamedCount>* out) {
  for (const auto& [name, value] : in) {
    record::NamedCount* n = out->Add();
    n->set_name(name);
    n->set_value(value);
  }
}

// The background's receivers (the clients) over their windows, summed;
// nothing on the sending side or without a background.
void SetBackground(const State& st, record::Sample* out) {
  if (st.setup.spec.background.none() || st.setup.side != Side::kClient) {
    return;
  }
  uint64_t bytes = 0, messages = 0;
  double window_s = 0;
  int windows = 0;
  for (int i = st.setup.spec.threads; i < st.parties(); ++i) {
    const ConnState& c = *st.conns[i];
    bytes += c.bytes;
    messages += c.messages;
    if (c.window > absl::ZeroDuration()) {
      window_s += absl::ToDoubleSeconds(c.window);
      ++windows;
    }
  }
  out->set_background_connections(st.setup.spec.background.threads);
  out->set_background_bytes(bytes);
  out->set_background_messages(messages);
  if (windows > 0) out->set_background_window_s(window_s / windows);
}

}  // namespace

std::shared_ptr<SideRun> SideRun::Start(const SideSetup& setup) {
  auto state = std::make_shared<State>(setup);
  std::shared_ptr<SideRun> run(new SideRun(state));
  const CellSpec& spec = setup.spec;
  absl::Status invalid;
  if (setup.plugins.transport == nullptr || spec.size == 0 ||
      spec.threads < 1 || setup.network == nullptr ||
      (!spec.recv_transport.empty() &&
       setup.plugins.recv_transport == nullptr) ||
      (!spec.background.none() && setup.plugins.background == nullptr)) {
    invalid = absl::InvalidArgumentError("invalid cell");
  } else if ((setup.plugins.transport->capabilities & CS_CAP_DATAGRAM) &&
             (spec.size < kSeqBytes ||
              (spec.mode == Mode::kRequestResponse &&
               std::min(spec.RequestSize(), spec.ResponseSize()) <
                   kSeqBytes))) {
    invalid = absl::InvalidArgumentError(
        absl::StrCat("a datagram cell's messages carry an 8-byte sequence "
                     "number: ",
                     spec.size, " bytes is too small"));
  } else if ((setup.plugins.transport->capabilities & CS_CAP_DATAGRAM) &&
             setup.config.messages > 0) {
    invalid = absl::InvalidArgumentError(
        "a datagram cell cannot count messages (--messages): datagrams may "
        "be lost, so the count might never be reached");
  } else if ((setup.plugins.transport->capabilities & CS_CAP_DATAGRAM) &&
             (spec.family != config::Family::kInet ||
              !spec.background.none())) {
    invalid = absl::InvalidArgumentError(
        "a datagram cell runs over IPv4 (--family=inet) and without "
        "--background");
  } else if (setup.side == Side::kClient &&
             setup.ports.size() != static_cast<size_t>(state->parties())) {
    invalid = absl::InvalidArgumentError(
        absl::StrCat("the client needs ", state->parties(),
                     " server ports, got ", setup.ports.size()));
  }
  if (invalid.ok() && setup.side == Side::kServer &&
      spec.family == config::Family::kUnix) {
    absl::StatusOr<std::string> dir = MakeUnixSocketDir();
    if (dir.ok()) {
      state->unix_dir = *dir;
    } else {
      invalid = dir.status();
    }
  }
  if (!invalid.ok()) {
    state->Fail(invalid);
    state->finished.store(state->parties());
    state->listening.store(state->parties());
    return run;
  }
  for (int i = 0; i < state->parties(); ++i) {
    run->threads_.emplace_back(Worker, state, i);
  }
  return run;
}

SideRun::SideRun(std::shared_ptr<State> state) : state_(std::move(state)) {}

SideRun::~SideRun() {
  if (!collected_) {
    state_->Fail(absl::CancelledError("abandoned"));
    Collect();
  }
}

int SideRun::fd() const { return state_->changed.get(); }

void SideRun::Acknowledge() {
  uint64_t n;
  ssize_t r = read(state_->changed.get(), &n, sizeof(n));
  (void)r;  // EAGAIN: nothing new
}

bool SideRun::listening() const {
  return state_->listening.load() >= state_->parties();
}

std::vector<uint16_t> SideRun::ports() const {
  std::vector<uint16_t> out;
  for (const auto& c : state_->conns) out.push_back(c->port);
  return out;
}

std::string SideRun::address() const {
  absl::StatusOr<std::string> a = ListenAddress(*state_, 0);
  return a.ok() ? *a : "";
}

bool SideRun::ready() const {
  return state_->ready.load() >= state_->parties();
}

bool SideRun::windows_closed() const {
  return state_->windows.load() >= state_->parties();
}

bool SideRun::finished() const {
  return state_->finished.load() >= state_->parties();
}

absl::Status SideRun::error() const {
  absl::MutexLock lock(&state_->mu);
  return state_->first_error;
}

void SideRun::Go() {
  if (state_->clock && state_->count_mode()) state_->clock->Start();
  state_->gate.Open();
}

void SideRun::SetPhase(Phase phase) {
  if (phase == kMeasure && state_->clock && !state_->count_mode()) {
    state_->clock->Start();
  }
  // Never backwards: a failure may have set kStop already.
  int now = state_->phase.load();
  while (now < phase && !state_->phase.compare_exchange_weak(
                            now, phase, std::memory_order_release)) {
  }
  // UDP has no end of stream: a datagram cell's loops end when the side
  // stops, and its sockets are shut down to wake whoever waits on them.
  if (phase >= kStop && state_->datagram) state_->ShutdownAll();
}

void SideRun::Fail(absl::Status status) { state_->Fail(std::move(status)); }

SideOutcome SideRun::Collect() {
  collected_ = true;
  SideOutcome out;
  State& st = *state_;
  if (st.clock) st.clock->Stop();
  for (size_t i = 0; i < threads_.size(); ++i) {
    if (st.conns[i]->done.load(std::memory_order_acquire)) {
      threads_[i].join();
    } else {
      threads_[i].detach();
      ++out.threads_left;
    }
  }
  threads_.clear();
  out.status = error();
  if (out.threads_left > 0) {
    if (out.status.ok())
      out.status = absl::InternalError("threads left running");
    return out;
  }
  const bool server = st.setup.side == Side::kServer;
  std::optional<Histogram> latency;
  SetBackground(st, &out.sample);
  for (size_t i = 0; i < static_cast<size_t>(st.setup.spec.threads); ++i) {
    const ConnState& c = *st.conns[i];
    record::Connection* rc = out.sample.add_connections();
    rc->set_index(static_cast<int32_t>(i));
    *(server ? rc->mutable_server() : rc->mutable_client()) = c.report;
    rc->set_window_s(absl::ToDoubleSeconds(c.window));
    rc->set_bytes(c.bytes);
    rc->set_messages(c.messages);
    rc->set_tx_messages_total(c.tx_messages_total);
    rc->set_rx_messages_total(c.rx_messages_total);
    AddCounts(c.counters, server ? rc->mutable_server_counters()
                                 : rc->mutable_client_counters());
    SetTcp(st, c, server ? rc->mutable_server_tcp() : rc->mutable_client_tcp());
    if (c.datagrams) *rc->mutable_datagrams() = *c.datagrams;
    if (c.latency) {
      if (!latency) latency.emplace();
      latency->Merge(*c.latency);
    }
  }
  if (latency && latency->count() > 0) {
    SetLatency(*latency, out.sample.mutable_latency());
  }
  SetSlices(st, &out.sample);
  if (st.crr()) SetConnectionSetup(st, &out.sample);
  if (st.setup.hooks != nullptr) {
    st.setup.hooks->OnSideEnd(st.setup.side, &out.sample);
  }
  return out;
}

}  // namespace copyscope::engine
