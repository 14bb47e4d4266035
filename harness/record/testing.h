// Test support: samples with known raw values, as the engine writes them,
// for the tests of the record and of what prints it. Never linked into
// copyscope.
//
//   record::Sample s = PerfSample(/*hardware=*/true);
//   // 2 connections of 1 MiB / 256 messages in 0.5 s; every thread counted
//   // 400 ms task-clock, 2 context switches (+ 1M cycles, 2M instructions)
#ifndef COPYSCOPE_HARNESS_RECORD_TESTING_H_
#define COPYSCOPE_HARNESS_RECORD_TESTING_H_

#include <cstdint>
#include <string>

#include "harness/record/perf_counter.h"
#include "harness/record/record.pb.h"
#include "perfmon/reading.h"

namespace copyscope::record {

inline void AddReading(ThreadReport* t, const perfmon::Reading& r) {
  *t->add_perf() = ToProto(r);
}

inline perfmon::Reading Counted(const std::string& event, uint64_t raw) {
  return perfmon::Reading::FromCounts(event, "cpu", raw, 1000, 1000);
}

// Two connections; every thread counted 400 ms of task-clock, 2 context
// switches and, with hardware, 1M cycles and 2M instructions over 0.5 s
// (without: both unsupported); 1 MiB and 256 messages received per
// connection.
inline Sample PerfSample(bool hardware, int rep = 1) {
  Sample s;
  s.set_rep(rep);
  s.set_status("ok");
  for (int i = 0; i < 2; ++i) {
    Connection* c = s.add_connections();
    c->set_index(i);
    c->set_bytes(1 << 20);
    c->set_messages(256);
    c->set_window_s(0.5);
    for (ThreadReport* t : {c->mutable_server(), c->mutable_client()}) {
      t->set_side(t == c->mutable_server() ? "server" : "client");
      t->set_connection(i);
      t->set_pinned_cpu(-1);
      t->set_window_s(0.5);
      AddReading(t, Counted("task-clock", 400000000));
      AddReading(t, Counted("context-switches", 2));
      if (hardware) {
        AddReading(t, Counted("cycles", 1000000));
        AddReading(t, Counted("instructions", 2000000));
      } else {
        AddReading(t, perfmon::Reading::Unsupported("cycles", "cpu", "no PMU"));
        AddReading(
            t, perfmon::Reading::Unsupported("instructions", "cpu", "no PMU"));
      }
    }
  }
  return s;
}

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_TESTING_H_
