#include "harness/config/profiles.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace copyscope::config {
namespace {

const std::vector<Profile>& Table() {
  static const std::vector<Profile>* const table = new std::vector<Profile>{
      // A budget of about 1.5x its three-repetition sweep here, so that
      // a noisy machine costs at most that much; 40 ms slices give each
      // sample enough of them for the steady-state test.
      {"quick",
       "every usable transport, 4K and 64K, 1 and 2 connections, stream, "
       "within 80 s",
       {{"time-budget", "80s"}, {"interval", "40ms"}}},
      {"copy-matrix",
       "3 copy transports x 256B-16K x 1-8 connections, 5000 messages per "
       "client, server to client",
       {{"transports", "two_copy,one_copy,zero_copy"},
        {"sizes", "256,1K,4K,16K"},
        {"threads", "1,2,4,8"},
        {"fields", "8"},
        {"mode", "stream"},
        {"direction", "server-to-client"},
        {"messages", "5000"},
        {"reps", "auto"}}},
      {"copy-matrix-wide",
       "3 copy transports x 64B-64K x 1-8 connections, request-response, "
       "5 s per sample",
       {{"transports", "two_copy,one_copy,zero_copy"},
        {"sizes", "64,512,4K,64K"},
        {"threads", "1,2,4,8"},
        {"fields", "8"},
        {"mode", "rr"},
        {"duration", "5s"},
        {"warmup", "500ms"},
        {"reps", "auto"}}},
      // flent's RRUL question on one path: what a bulk flow does to the
      // round trips beside it. Each size x threads cell runs idle, then
      // with the background (adjacent rows).
      {"latency-under-load",
       "two_copy rr 64 B x 1, idle and under a two_copy 64K stream (server "
       "to client): p50/p99 beside the background's Gbit/s",
       {{"transports", "two_copy"},
        {"sizes", "64"},
        {"threads", "1"},
        {"mode", "rr"},
        {"background", "none,two_copy:1:64K"},
        {"duration", "2s"},
        {"warmup", "300ms"},
        {"reps", "3"}}},
      {"families",
       "two_copy, one_copy x 4K, 64K x 1 connection over unix, inet and "
       "inet6: the cost of TCP/IP next to the copy alone",
       {{"transports", "two_copy,one_copy"},
        {"family", "unix,inet,inet6"},
        {"sizes", "4K,64K"},
        {"threads", "1"},
        {"mode", "stream"},
        {"direction", "server-to-client"},
        {"duration", "1s"},
        {"reps", "3"}}},
      // UDP, QUIC's path: plain sendmmsg against GSO/GRO at datagrams that
      // fit a 1500-byte MTU (GSO does not fragment: 8K would fail on a veth),
      // unpaced (the loss says what the
      // receiver could not take) in 64 KiB batches, 1 and 2 connections.
      {"udp",
       "udp and udp_gso x 512B, 1472B x 1, 2 connections, stream, unpaced, "
       "64 KiB a send",
       {{"transports", "udp,udp_gso"},
        {"sizes", "512,1472"},
        {"threads", "1,2"},
        {"fields", "1"},
        {"mode", "stream"},
        {"direction", "server-to-client"},
        {"duration", "1s"},
        {"warmup", "200ms"},
        {"interval", "100ms"},
        {"reps", "auto"},
        {"time-budget", "120s"}}},
      // Short samples: every transaction leaves its client socket in
      // TIME_WAIT for 60 s, and a sample's connections share one server
      // port, so a sample must stay well within the ephemeral port range
      // (about 28,000 ports by default) where TIME_WAIT sockets are not
      // reused (between network namespaces).
      {"connection-rate",
       "3 copy transports x 64B, 1K x 1-2 connections, a connection per "
       "transaction (crr), 300 ms per sample",
       {{"transports", "two_copy,one_copy,zero_copy"},
        {"sizes", "64,1K"},
        {"threads", "1,2"},
        {"fields", "1"},
        {"mode", "crr"},
        {"duration", "300ms"},
        {"warmup", "100ms"},
        {"reps", "auto"}}},
  };
  return *table;
}

}  // namespace

std::string Profile::Value(const std::string& flag) const {
  for (const auto& [name, value] : values) {
    if (name == flag) return value;
  }
  return "";
}

const Profile* FindProfile(const std::string& name) {
  for (const Profile& p : Table()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> ProfileNames() {
  std::vector<std::string> names;
  for (const Profile& p : Table()) names.push_back(p.name);
  return names;
}

const std::vector<RecvAlias>& RecvAliases() {
  static const std::vector<RecvAlias>* const table = new std::vector<RecvAlias>{
      {"copy", "two_copy", "plain recv() into the host's buffer"},
      {"uring", "uring_recv",
       "io_uring multishot receive into provided buffers, in place"},
      {"zerocopy", "tcp_zerocopy_recv",
       "TCP_ZEROCOPY_RECEIVE: receive-queue pages mapped, not copied"},
      {"discard", "discard_recv",
       "TCP recv(MSG_TRUNC): the kernel drops the bytes, nothing copied (the "
       "receive side's floor; nothing to verify)"},
  };
  return *table;
}

std::string ResolveRecvName(const std::string& value) {
  for (const RecvAlias& a : RecvAliases()) {
    if (a.name == value) return a.transport;
  }
  return value;
}

std::string RecvAliasText() {
  std::vector<std::string> parts;
  for (const RecvAlias& a : RecvAliases()) {
    parts.push_back(absl::StrCat(a.name, " (", a.transport, ")"));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace copyscope::config
