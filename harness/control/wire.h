// The conversions between the engine's and config's types and their
// control.proto messages, both ways. Parsing distrusts its input (it comes
// from another process): a bad enum name or count is an error.
//
//   control::Cell c = CellOf(spec);
//   absl::StatusOr<config::CellSpec> back = SpecOf(c);
#ifndef COPYSCOPE_HARNESS_CONTROL_WIRE_H_
#define COPYSCOPE_HARNESS_CONTROL_WIRE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/config/options.h"
#include "harness/config/plan.h"
#include "harness/control/control.pb.h"
#include "harness/engine/cell_driver.h"
#include "harness/engine/runner.h"

namespace copyscope::control {

Cell CellOf(const config::CellSpec& spec);
absl::StatusOr<config::CellSpec> SpecOf(const Cell& cell);

Runner RunnerOf(const engine::RunnerConfig& config);
// Warm-up, duration and interrupt stay the caller's.
engine::RunnerConfig RunnerConfigOf(const Runner& runner);

Status StatusOf(const absl::Status& status);
absl::Status StatusFrom(const Status& status);

Event EventOf(const engine::SideEvent& event);
engine::SideEvent EventFrom(const Event& event);

engine::SideCommand CommandFrom(Command::Kind kind);
Command::Kind CommandOf(engine::SideCommand command);

absl::StatusOr<engine::Side> SideFrom(const std::string& name);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_WIRE_H_
