#include "harness/results.h"

#include "absl/strings/str_cat.h"

namespace copyscope::harness {

void AddCounters(const std::vector<std::pair<std::string, uint64_t>>& in,
                 CounterMap* sum) {
  for (const auto& [name, value] : in) (*sum)[name] += value;
}

std::optional<double> CopiedFraction(const CounterMap& counters) {
  auto completions = counters.find(kZeroCopyCompletions);
  auto copied = counters.find(kZeroCopyCopied);
  if (completions == counters.end() || copied == counters.end() ||
      completions->second == 0) {
    return std::nullopt;
  }
  return static_cast<double>(copied->second) /
         static_cast<double>(completions->second);
}

void Summarize(CellResult* cell) {
  cell->sender_counters.clear();
  cell->receiver_counters.clear();
  for (const ConnectionResult& c : cell->connections) {
    for (const auto& [k, v] : c.sender_counters) cell->sender_counters[k] += v;
    for (const auto& [k, v] : c.receiver_counters) {
      cell->receiver_counters[k] += v;
    }
  }
  cell->throughput_gbps.reset();
  cell->messages_per_sec.reset();
  cell->mean_us_per_msg.reset();
  cell->zc_copied_fraction.reset();
  if (!cell->status.ok()) return;
  if (cell->connections.empty()) {
    cell->status = absl::InternalError("no connection results");
    return;
  }
  double bits_per_s = 0, msgs_per_s = 0, us_per_msg = 0;
  for (size_t i = 0; i < cell->connections.size(); ++i) {
    const ConnectionResult& c = cell->connections[i];
    double window_s = absl::ToDoubleSeconds(c.rx_window);
    if (window_s <= 0 || c.rx_messages == 0) {
      cell->status = absl::InternalError(absl::StrCat(
          "connection ", i, " received nothing in the measured interval"));
      return;
    }
    bits_per_s += static_cast<double>(c.rx_bytes) * 8 / window_s;
    msgs_per_s += static_cast<double>(c.rx_messages) / window_s;
    us_per_msg += window_s * 1e6 / static_cast<double>(c.rx_messages);
  }
  cell->throughput_gbps = bits_per_s / 1e9;
  cell->messages_per_sec = msgs_per_s;
  cell->mean_us_per_msg =
      us_per_msg / static_cast<double>(cell->connections.size());
  cell->zc_copied_fraction = CopiedFraction(cell->sender_counters);
}

}  // namespace copyscope::harness
