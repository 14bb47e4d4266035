// A side of a cell run by this process (side_run.h), behind the driver's
// SideHandle (cell_driver.h). The in-process runner (runner.h) drives two
// of them; an agent process drives one for its controller.
//
//   SideSetup setup{spec, plugins, Side::kServer, config, &network, hooks};
//   LocalSide server(setup);
//   server.Start({});
//   while (auto e = server.NextEvent()) ...   // after poll(server.fd())
//
// After Stop or Abort the side's workers get io_timeout + margin to
// return; then the side's sockets are shut down (a worker blocked in the
// kernel, e.g. sending to a peer that stopped reading, returns) and they
// get one more margin; a worker still inside its plugin then makes the
// result the verdict "hung: <plugin> (<side>): ..." with `spent` set (the
// process must not run another cell, nor unload the plugin).
#ifndef COPYSCOPE_HARNESS_ENGINE_LOCAL_SIDE_H_
#define COPYSCOPE_HARNESS_ENGINE_LOCAL_SIDE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "harness/engine/cell_driver.h"
#include "harness/engine/side_run.h"
#include "harness/engine/socket.h"

namespace copyscope::engine {

class LocalSide final : public SideHandle {
 public:
  explicit LocalSide(SideSetup setup);
  ~LocalSide() override;

  void Start(const std::string& address,
             const std::vector<uint16_t>& ports) override;
  void Command(SideCommand command) override;
  int fd() override;
  std::optional<SideEvent> NextEvent() override;
  SideEvent Kill(absl::string_view why) override;

  // The plugin this side runs, e.g. "two_copy" (the receive plugin of a
  // stream receiver with --recv).
  const std::string& plugin() const { return plugin_; }

 private:
  SideEvent Result(SideOutcome outcome, absl::string_view why);

  SideSetup setup_;
  std::unique_ptr<Network> elsewhere_;  // the client's, given an address
  std::string plugin_;
  std::shared_ptr<SideRun> run_;
  UniqueFd idle_;  // fd() before Start: never readable
  bool cooldown_ = false;
  bool unblocked_ = false;  // sockets shut down after the stop deadline
  std::optional<absl::Time> stop_deadline_;
  bool sent_listening_ = false;
  bool sent_ready_ = false;
  bool sent_windows_ = false;
  bool sent_failed_ = false;
  bool sent_result_ = false;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_LOCAL_SIDE_H_
