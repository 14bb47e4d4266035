// The io_uring send engine shared by uring_send and uring_send_zc: one ring
// per endpoint, messages turned into SEND/SENDMSG (or SEND_ZC/SENDMSG_ZC)
// submissions, buffers handed back (Reap) once the kernel is done with them.
// Header-only; needs liburing.
//
//   copyscope::transports::UringSender sender;
//   copyscope::transports::UringSenderOptions o;  // queue_depth 64, copying
//   if (sender.Open(fd, /*io_timeout_ms=*/5000, o, err, sizeof(err)) < 0) ...
//   sender.Send(messages, count, &error);       // submitted, not complete
//   int n = sender.Reap(tags, 16, -1, &error);  // tags whose buffers are free
//
// Ordering. TCP must see each message's bytes after the previous one's.
// * Every submission carries MSG_WAITALL: on a stream socket the kernel
//   (Linux 5.18+) retries a short send itself before completing it.
// * The submissions of one Send() call form one IOSQE_IO_LINK chain: each
//   starts only after the previous one completed in full; one that ends
//   short makes the kernel cancel the rest of the chain.
// * A chain cannot span two io_uring_enter() calls, so the next chain is
//   submitted only once the previous one completed: Send() waits for that,
//   each wait bounded by io_timeout_ms.
// * A send that still ends short (cancelled mid-way, or a kernel that gave
//   up without an error) is resubmitted from where it stopped, followed by
//   the cancelled rest of its chain, as a new chain. A short send with a
//   socket error, or one that made no progress, breaks the endpoint.
//
// Release. A copying send's buffers are free at its completion; a zero-copy
// send's at its notification (IORING_CQE_F_NOTIF), which follows every
// completion flagged IORING_CQE_F_MORE.
//
// Fixed buffers (zero-copy only): each distinct field buffer is registered
// on first use (UringFixedBuffers) and every field goes out as its own
// SEND_ZC with IORING_RECVSEND_FIXED_BUF. A registration pins the pages it
// saw: the host must keep those buffers mapped while the endpoint is open.
#ifndef COPYSCOPE_TRANSPORTS_COMMON_URING_SENDER_H_
#define COPYSCOPE_TRANSPORTS_COMMON_URING_SENDER_H_

#include <errno.h>
#include <liburing.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <deque>
#include <vector>

#include "plugins/copyscope_transport.h"
#include "transports/common/error_text.h"
#include "transports/common/send_loop.h"
#include "transports/common/uring_io.h"
#include "transports/common/wait.h"

namespace copyscope::transports {

// The opcodes a copying and a zero-copy UringSender need.
inline constexpr UringOpName kUringSendOps[] = {
    {IORING_OP_SEND, "IORING_OP_SEND"},
    {IORING_OP_SENDMSG, "IORING_OP_SENDMSG"}};
inline constexpr UringOpName kUringSendZcOps[] = {
    {IORING_OP_SEND_ZC, "IORING_OP_SEND_ZC"},
    {IORING_OP_SENDMSG_ZC, "IORING_OP_SENDMSG_ZC"}};

// probe() of a transport that sends with UringSender: can a ring with the
// opcodes it needs be set up here? ("IORING_OP_SEND_ZC not supported by
// kernel 5.15", "io_uring disabled by sysctl ...")
template <bool kZeroCopy>
int ProbeUringSender(char* why, size_t why_size) {
  return ProbeUring(kZeroCopy ? kUringSendZcOps : kUringSendOps, 2, why,
                    why_size);
}

struct UringSenderOptions {
  uint32_t queue_depth = 64;   // ring size; most submissions in flight
  bool zero_copy = false;      // SEND_ZC / SENDMSG_ZC
  bool fixed_buffers = false;  // zero_copy only: registered buffers
  uint32_t max_fixed_buffers = 4096;
};

class UringSender {
 public:
  UringSender() = default;
  UringSender(const UringSender&) = delete;
  UringSender& operator=(const UringSender&) = delete;
  ~UringSender() { Close(); }

  // Sets up the ring. Returns 0 or a negative errno with err set.
  int Open(int fd, int io_timeout_ms, const UringSenderOptions& o, char* err,
           size_t err_size) {
    fd_ = fd;
    io_timeout_ms_ = io_timeout_ms;
    o_ = o;
    int rc = InitUring(o.queue_depth, &ring_,
                       o.zero_copy ? kUringSendZcOps : kUringSendOps, 2, err,
                       err_size);
    if (rc < 0) return rc;
    ring_ready_ = true;
    if (o.zero_copy) report_usage_ = UringReportsZeroCopyUsage(&ring_);
    if (o.fixed_buffers) {
      rc = fixed_.Init(&ring_, o.max_fixed_buffers, err, err_size);
      if (rc < 0) return rc;
    }
    try {
      ops_.resize(o.queue_depth);
      msgs_.resize(o.queue_depth);
      for (uint32_t i = o.queue_depth; i > 0; --i) {
        free_ops_.push_back(i - 1);
        free_msgs_.push_back(i - 1);
      }
    } catch (...) {
      FormatInto(err, err_size, "open: out of memory");
      return -ENOMEM;
    }
    return 0;
  }

  // Cancels what is still in flight, waits (bounded) for every completion
  // and notification, and tears the ring down. Safe to call twice.
  void Close() {
    if (!ring_ready_) return;
    ErrorText scratch;  // close() reports nothing
    err_ = &scratch;
    closing_ = true;
    CancelInFlight();
    Deadline deadline(io_timeout_ms_ < 0 ? 10000 : io_timeout_ms_);
    while (InFlight() > 0) {
      int left = deadline.LeftMs();
      if (left == 0 || WaitCompletions(left, "close") <= 0) break;
    }
    io_uring_queue_exit(&ring_);
    ring_ready_ = false;
    err_ = nullptr;
  }

  // Asks the kernel to cancel every send in flight (close() does this). A
  // cancelled send that had sent part of its bytes completes short; unless
  // closing, the rest is resubmitted like any short send's.
  void CancelInFlight() {
    uint32_t cancels = 0;
    for (uint32_t i = 0; i < ops_.size(); ++i) {
      if (!ops_[i].result_pending) continue;
      struct io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      if (sqe == nullptr) break;
      io_uring_prep_cancel64(sqe, i, 0);
      sqe->user_data = kInternalData;
      ++cancels;
    }
    if (cancels > 0) io_uring_submit(&ring_);
  }

  // Submits messages[0..count); see the top comment for the order kept.
  int Send(const cs_message* messages, uint32_t count, ErrorText* err) {
    err_ = err;
    if (broken_ != 0) return broken_;
    int rc = CheckMessages(messages, count, 0, err);
    if (rc < 0) return rc;
    try {
      need_.assign(count, 0);
      for (uint32_t m = 0; m < count; ++m) {
        rc = Plan(messages[m], m, &need_[m]);
        if (rc < 0) return rc;  // nothing sent: the endpoint stays usable
      }
      ProcessCompletions();
      for (uint32_t m = 0; m < count && broken_ == 0; ++m) {
        if (need_[m] == 0) {  // no bytes: free at once
          ready_.push_back(messages[m].tag);
          continue;
        }
        bool waited = false;
        while (broken_ == 0 &&
               (free_ops_.size() < need_[m] || free_msgs_.empty() ||
                (prepared_ == 0 && (chain_left_ > 0 || resend_)))) {
          if (prepared_ > 0) {
            rc = Submit();
          } else {
            if (!waited && (chain_left_ > 0 || resend_)) ++chain_waits_;
            waited = true;
            rc = WaitCompletions(io_timeout_ms_, "send");
            if (rc == 0) {
              rc = err->Set(-ETIMEDOUT,
                            "send: the kernel completed no io_uring send "
                            "within io_timeout_ms=%d (%u in flight; is the "
                            "peer reading?)",
                            io_timeout_ms_, InFlight());
            }
          }
          if (rc < 0) return Break(rc);
        }
        if (broken_ == 0) Prepare(messages[m], need_[m]);
      }
      if (prepared_ > 0 && broken_ == 0) {
        rc = Submit();
        if (rc < 0) return Break(rc);
      }
    } catch (...) {
      return Break(err->Set(-ENOMEM, "send: out of memory"));
    }
    return broken_;
  }

  // Writes up to max tags of messages the kernel is done with; waits up to
  // timeout_ms (< 0: io_timeout_ms) for one when none is ready. After a
  // failure, returns the error once no tag is left.
  int Reap(uint64_t* tags, uint32_t max, int timeout_ms, ErrorText* err) {
    err_ = err;
    if (max > 0 && tags == nullptr) {
      return err->Set(-EINVAL, "reap: tags is NULL");
    }
    if (max == 0) return 0;
    try {
      ProcessCompletions();
      Deadline deadline(timeout_ms < 0 ? io_timeout_ms_ : timeout_ms);
      while (ready_.empty() && InFlight() > 0 && timeout_ms != 0) {
        int left = deadline.LeftMs();
        if (left == 0) break;
        int rc = WaitCompletions(left, "reap");
        if (rc < 0) return rc;
        if (rc == 0) break;
      }
    } catch (...) {
      return err->Set(-ENOMEM, "reap: out of memory");
    }
    uint32_t n = 0;
    while (n < max && !ready_.empty()) {
      tags[n++] = ready_.front();
      ready_.pop_front();
    }
    if (n == 0 && broken_ != 0) return broken_;
    return (int)n;
  }

  bool report_usage() const { return report_usage_; }
  bool fixed_buffers_enabled() const { return o_.fixed_buffers; }
  uint64_t fixed_buffers() const { return fixed_.size(); }
  uint64_t send_calls() const { return send_calls_; }
  uint64_t short_writes() const { return short_writes_; }
  uint64_t resubmits() const { return resubmits_; }
  uint64_t submit_calls() const { return submit_calls_; }
  uint64_t chain_waits() const { return chain_waits_; }
  uint64_t zerocopy_completions() const { return zc_completions_; }
  uint64_t zerocopy_copied() const { return zc_copied_; }

 private:
  static constexpr uint64_t kInternalData = UINT64_MAX - 1;

  // One submission: fields [first, first + count) of its message's iov.
  struct Op {
    uint32_t msg = 0;
    uint32_t first = 0, count = 0;
    uint32_t len = 0;   // bytes this submission offers
    uint32_t sent = 0;  // bytes of a short completion, to skip on resend
    bool result_pending = false;
    bool resend = false;      // ended short or cancelled behind a short one
    uint8_t notifs = 0;       // notifications still to come
    uint8_t data_notifs = 0;  // of those, for submissions that sent bytes
    struct msghdr mh;
  };
  struct Msg {
    uint64_t tag = 0;
    uint32_t ops_left = 0;
    std::vector<struct iovec> iov;    // the non-empty fields, in order
    std::vector<uint16_t> buf_index;  // fixed buffers: per iov
  };

  uint32_t InFlight() const {
    return o_.queue_depth - (uint32_t)free_ops_.size() - prepared_;
  }

  int Break(int rc) {
    if (broken_ == 0) broken_ = rc;
    // Sends waiting to be resubmitted never will be: their buffers are free.
    std::vector<uint32_t> chain;
    chain.swap(chain_);
    for (uint32_t oi : chain) {
      if (ops_[oi].resend) {
        ops_[oi].resend = false;
        MaybeRelease(oi);
      }
    }
    resend_ = false;
    return broken_;
  }

  // Counts the submissions message m needs (registering fixed buffers).
  int Plan(const cs_message& msg, uint32_t m, uint32_t* need) {
    uint64_t total = 0;
    uint32_t fields = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      size_t n = msg.fields[f].iov_len;
      if (n == 0) continue;
      ++fields;
      total += n;
      uint16_t slot = 0;
      int rc = o_.fixed_buffers
                   ? fixed_.Find(msg.fields[f].iov_base, n, &slot, err_)
                   : 0;
      if (rc < 0) return rc;
    }
    if (total > INT32_MAX) {
      return err_->Set(-EMSGSIZE,
                       "send: message %u has %llu bytes; an io_uring send "
                       "reports at most %d",
                       m, (unsigned long long)total, INT32_MAX);
    }
    uint32_t ops = o_.fixed_buffers ? fields : (fields + IOV_MAX - 1) / IOV_MAX;
    if (ops > o_.queue_depth) {
      return err_->Set(-EMSGSIZE,
                       "send: message %u needs %u submissions, more than "
                       "queue_depth=%u",
                       m, ops, o_.queue_depth);
    }
    *need = ops;
    return 0;
  }

  // Adds message msg's submissions (need of them) to the chain being built.
  void Prepare(const cs_message& msg, uint32_t need) {
    uint32_t mi = free_msgs_.back();
    free_msgs_.pop_back();
    Msg& slot = msgs_[mi];
    slot.tag = msg.tag;
    slot.ops_left = need;
    slot.iov.clear();
    slot.buf_index.clear();
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      if (msg.fields[f].iov_len == 0) continue;
      slot.iov.push_back(msg.fields[f]);
      uint16_t index = 0;
      if (o_.fixed_buffers) {  // registered by Plan(): a lookup
        fixed_.Find(msg.fields[f].iov_base, msg.fields[f].iov_len, &index,
                    err_);
      }
      slot.buf_index.push_back(index);
    }
    const uint32_t per_op = o_.fixed_buffers ? 1 : IOV_MAX;
    for (uint32_t first = 0; first < slot.iov.size(); first += per_op) {
      uint32_t oi = free_ops_.back();
      free_ops_.pop_back();
      Op& op = ops_[oi];
      op = Op();
      op.msg = mi;
      op.first = first;
      op.count = (uint32_t)slot.iov.size() - first;
      if (op.count > per_op) op.count = per_op;
      for (uint32_t i = 0; i < op.count; ++i) {
        op.len += (uint32_t)slot.iov[first + i].iov_len;
      }
      PrepareSqe(oi);
    }
  }

  // Queues op oi's submission (its unsent bytes) as a link of the chain
  // being built.
  void PrepareSqe(uint32_t oi) {
    Op& op = ops_[oi];
    Msg& slot = msgs_[op.msg];
    // A resend skips what the short completion sent: advance the fields.
    while (op.sent > 0) {
      struct iovec& v = slot.iov[op.first];
      size_t skip = op.sent < v.iov_len ? op.sent : v.iov_len;
      v.iov_base = static_cast<char*>(v.iov_base) + skip;
      v.iov_len -= skip;
      op.sent -= (uint32_t)skip;
      op.len -= (uint32_t)skip;
      if (v.iov_len == 0) {
        ++op.first;
        --op.count;
      }
    }
    op.result_pending = true;
    op.resend = false;
    const unsigned zc = report_usage_ ? IORING_SEND_ZC_REPORT_USAGE : 0;
    struct io_uring_sqe* sqe = io_uring_get_sqe(&ring_);  // the SQ has room
    const struct iovec& v = slot.iov[op.first];
    if (o_.fixed_buffers) {
      io_uring_prep_send_zc_fixed(sqe, fd_, v.iov_base, v.iov_len, MSG_WAITALL,
                                  zc, slot.buf_index[op.first]);
    } else if (op.count == 1 && o_.zero_copy) {
      io_uring_prep_send_zc(sqe, fd_, v.iov_base, v.iov_len, MSG_WAITALL, zc);
    } else if (op.count == 1) {
      io_uring_prep_send(sqe, fd_, v.iov_base, v.iov_len, MSG_WAITALL);
    } else {
      memset(&op.mh, 0, sizeof(op.mh));
      op.mh.msg_iov = &slot.iov[op.first];
      op.mh.msg_iovlen = op.count;
      if (o_.zero_copy) {
        io_uring_prep_sendmsg_zc(sqe, fd_, &op.mh, MSG_WAITALL);
        sqe->ioprio |= zc;
      } else {
        io_uring_prep_sendmsg(sqe, fd_, &op.mh, MSG_WAITALL);
      }
    }
    sqe->flags |= IOSQE_IO_LINK;
    sqe->user_data = oi;
    last_sqe_ = sqe;
    building_.push_back(oi);
    ++prepared_;
  }

  // Submits the chain being built (its last link flag cleared).
  int Submit() {
    last_sqe_->flags &= (__u8)~IOSQE_IO_LINK;
    chain_.swap(building_);
    building_.clear();
    chain_left_ += prepared_;
    send_calls_ += prepared_;
    uint32_t left = prepared_;
    prepared_ = 0;
    while (left > 0) {
      int rc = io_uring_submit(&ring_);
      if (rc == -EINTR) continue;
      if (rc == -EAGAIN || rc == -EBUSY) {  // kernel short of memory/CQ room
        rc = WaitCompletions(io_timeout_ms_, "send");
        if (rc > 0) continue;
        if (rc == 0) rc = -EAGAIN;
      }
      if (rc < 0) {
        return err_->Set(rc, "send: io_uring_submit: %s",
                         ErrnoText(-rc).c_str());
      }
      if (rc == 0) return err_->Set(-EIO, "send: io_uring_submit took nothing");
      ++submit_calls_;
      left -= (uint32_t)rc < left ? (uint32_t)rc : left;
    }
    return 0;
  }

  void MaybeRelease(uint32_t oi) {
    Op& op = ops_[oi];
    if (op.result_pending || op.resend || op.notifs > 0) return;
    free_ops_.push_back(oi);
    Msg& msg = msgs_[op.msg];
    if (--msg.ops_left == 0) {
      ready_.push_back(msg.tag);
      free_msgs_.push_back(op.msg);
    }
  }

  // A completion that ended short (0 <= res < len) without the chain lost.
  void ShortCompletion(Op& op, int res) {
    ++short_writes_;
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0 || res == 0 || closing_) {
      Break(err_->Set(so_error != 0 ? -so_error : -EIO,
                      "send: io_uring sent %d of %u bytes and stopped (%s)",
                      res, op.len,
                      so_error != 0 ? ErrnoText(so_error).c_str()
                      : closing_    ? "cancelled"
                                    : "no progress, no socket error"));
      return;
    }
    op.sent = (uint32_t)res;
    op.resend = true;
    resend_ = true;
  }

  void Complete(const struct io_uring_cqe* cqe) {
    if (cqe->user_data >= ops_.size()) return;  // cancellations
    uint32_t oi = (uint32_t)cqe->user_data;
    Op& op = ops_[oi];
    int res = cqe->res;
    if (cqe->flags & IORING_CQE_F_NOTIF) {
      if (op.notifs > 0) --op.notifs;
      if (op.data_notifs > 0) {
        --op.data_notifs;
        ++zc_completions_;
        if (report_usage_ && ((uint32_t)res & IORING_NOTIF_USAGE_ZC_COPIED)) {
          ++zc_copied_;
        }
      }
    } else if (op.result_pending) {
      op.result_pending = false;
      if (cqe->flags & IORING_CQE_F_MORE) {
        ++op.notifs;
        if (res > 0) ++op.data_notifs;
      }
      if (chain_left_ > 0) --chain_left_;
      if (res >= 0 && (uint32_t)res == op.len) {
        if (resend_ && broken_ == 0) {  // ran after a short one: order lost
          Break(err_->Set(-EIO,
                          "send: a send ran after a short one in its chain; "
                          "this kernel does not finish short io_uring sends "
                          "(MSG_WAITALL needs Linux 5.18+)"));
        }
      } else if (res >= 0) {
        if (broken_ == 0) ShortCompletion(op, res);
      } else if (res == -ECANCELED && !closing_ && broken_ == 0) {
        // Cancelled behind a short send (or by CancelInFlight before it
        // sent a byte): it goes again, in order, when the chain is done.
        op.resend = true;
        resend_ = true;
      } else if (broken_ == 0 || (broken_ == -ECANCELED && res != -ECANCELED)) {
        broken_ = 0;
        Break(err_->Set(res,
                        "send: %s (io_uring send of %u bytes, message "
                        "tag %llu)",
                        ErrnoText(-res).c_str(), op.len,
                        (unsigned long long)msgs_[op.msg].tag));
      }
    }
    MaybeRelease(oi);
  }

  // Resubmits, in order, the sends of the finished chain that ended short
  // or were cancelled behind a short one.
  int Resubmit() {
    resend_ = false;
    std::vector<uint32_t> chain;
    chain.swap(chain_);
    for (uint32_t oi : chain) {
      if (ops_[oi].resend) PrepareSqe(oi);
    }
    if (prepared_ == 0) return 0;
    ++resubmits_;
    int rc = Submit();
    return rc < 0 ? Break(rc) : 0;
  }

  // Handles every completion already posted; returns how many.
  int ProcessCompletions() {
    int n = 0;
    struct io_uring_cqe* cqe = nullptr;
    while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
      Complete(cqe);
      io_uring_cqe_seen(&ring_, cqe);
      ++n;
    }
    if (resend_ && chain_left_ == 0 && prepared_ == 0 && broken_ == 0) {
      Resubmit();
    }
    return n;
  }

  // Waits up to timeout_ms (< 0: forever) for completions and handles them.
  // Returns how many (> 0), 0 on timeout, or a negative errno (err set).
  int WaitCompletions(int timeout_ms, const char* what) {
    int n = ProcessCompletions();
    if (n > 0) return n;
    Deadline deadline(timeout_ms);
    for (;;) {
      struct io_uring_cqe* cqe = nullptr;
      int rc = WaitCqe(&ring_, &cqe, deadline);
      if (rc == 0) return ProcessCompletions();
      if (rc == -ETIME) return 0;
      if (rc == -EINTR) continue;
      return err_->Set(rc, "%s: waiting for io_uring completions: %s", what,
                       ErrnoText(-rc).c_str());
    }
  }

  int fd_ = -1;
  int io_timeout_ms_ = -1;
  UringSenderOptions o_;
  struct io_uring ring_;
  bool ring_ready_ = false;
  bool report_usage_ = false;
  bool closing_ = false;
  ErrorText* err_ = nullptr;  // the endpoint's, set by each call
  int broken_ = 0;
  UringFixedBuffers fixed_;

  std::vector<Op> ops_;
  std::vector<Msg> msgs_;
  std::vector<uint32_t> free_ops_, free_msgs_;
  std::vector<uint32_t> need_;
  std::deque<uint64_t> ready_;
  std::vector<uint32_t> building_;  // the chain being built, in order
  std::vector<uint32_t> chain_;     // the chain last submitted, in order
  struct io_uring_sqe* last_sqe_ = nullptr;
  uint32_t prepared_ = 0;    // in the chain being built, not submitted
  uint32_t chain_left_ = 0;  // submitted, completion not yet seen
  bool resend_ = false;      // the chain has sends to resubmit

  uint64_t send_calls_ = 0;
  uint64_t short_writes_ = 0;
  uint64_t resubmits_ = 0;
  uint64_t submit_calls_ = 0;
  uint64_t chain_waits_ = 0;
  uint64_t zc_completions_ = 0;
  uint64_t zc_copied_ = 0;
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_URING_SENDER_H_
