#include "harness/engine/side.h"

#include <algorithm>

#include "absl/time/time.h"
#include "harness/engine/message_pool.h"

namespace copyscope::engine {

SidePlan PlanSide(const config::CellSpec& cell, uint64_t capabilities,
                  Side side, const RunnerConfig& config) {
  using config::Direction;
  using config::Mode;
  SidePlan p;
  const bool rr = config::Transactional(cell.mode);
  p.sends = rr || ((side == Side::kServer) ==
                   (cell.direction == Direction::kServerToClient));
  p.receives = rr || !p.sends;
  p.tx_size = p.sends ? cell.size : 0;
  p.rx_size = p.receives ? cell.size : 0;
  if (rr) {
    const bool client = side == Side::kClient;
    p.tx_size = client ? cell.RequestSize() : cell.ResponseSize();
    p.rx_size = client ? cell.ResponseSize() : cell.RequestSize();
  }
  p.async = (capabilities & CS_CAP_ASYNC_RELEASE) != 0;
  p.datagram = (capabilities & CS_CAP_DATAGRAM) != 0;
  // A datagram stream sender whose plugin batches passes many messages per
  // send() (64 KiB a call by default: 44 datagrams of 1472 bytes), each
  // with its own buffers, since each carries its own sequence number.
  if (p.datagram && p.sends && !rr && !p.async &&
      (capabilities & CS_CAP_BATCHING) != 0) {
    const uint64_t fit = p.tx_size > 0 ? 65536 / p.tx_size : 1;
    p.batch = config.batch > 0
                  ? config.batch
                  : static_cast<uint32_t>(std::clamp<uint64_t>(fit, 1, 64));
  }
  if (p.sends) {
    p.pool_count = p.async ? InFlight(p.tx_size, config.in_flight_bytes,
                                      config.max_in_flight)
                           : p.batch;
  }
  // A stream receiver may use a receive plugin of its own (--recv).
  const bool own = p.sends || cell.recv_transport.empty();
  EndpointSpec& e = p.endpoint;
  e.transport_name = own ? cell.transport : cell.recv_transport;
  e.role = rr ? CS_ROLE_BOTH : p.sends ? CS_ROLE_SENDER : CS_ROLE_RECEIVER;
  const int64_t ms = absl::ToInt64Milliseconds(config.io_timeout);
  e.io_timeout_ms = ms > 1000000000 ? 1000000000 : static_cast<int>(ms);
  const auto fields = [&](uint64_t size) {
    return static_cast<uint32_t>(SplitFields(size, cell.fields).size());
  };
  e.max_fields = std::max(p.sends ? fields(p.tx_size) : 0u,
                          p.receives ? fields(p.rx_size) : 0u);
  e.max_batch = p.batch;
  e.socket_type = p.datagram ? CS_SOCKET_DATAGRAM : CS_SOCKET_STREAM;
  e.max_message_size = std::max(p.tx_size, p.rx_size);
  e.options = own ? cell.options : cell.recv_options;
  return p;
}

SidePlan PlanSide(const config::CellSpec& cell, const CellPlugins& plugins,
                  Side side, const RunnerConfig& config) {
  SidePlan p =
      PlanSide(cell, plugins.transport ? plugins.transport->capabilities : 0,
               side, config);
  const bool own = p.sends || cell.recv_transport.empty();
  p.endpoint.transport = own ? plugins.transport : plugins.recv_transport;
  return p;
}

uint64_t SideMemory(const SidePlan& side) {
  return side.tx_size * side.pool_count + side.rx_size;
}

}  // namespace copyscope::engine
