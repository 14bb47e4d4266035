#include "harness/engine/runner.h"

#include <signal.h>

#include <mutex>

#include "harness/engine/cell_driver.h"
#include "harness/engine/local_side.h"
#include "harness/engine/message_pool.h"

namespace copyscope::engine {

void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
}

uint32_t FieldsUsed(const config::CellSpec& spec) {
  return static_cast<uint32_t>(SplitFields(spec.size, spec.fields).size());
}

CellResult RunCell(const config::CellSpec& spec, const CellPlugins& plugins,
                   const RunnerConfig& config, Network& network,
                   ThreadHooks* hooks) {
  IgnoreSigpipe();
  SideSetup setup;
  setup.spec = spec;
  setup.plugins = plugins;
  setup.config = config;
  setup.network = &network;
  setup.hooks = hooks;
  setup.side = Side::kServer;
  LocalSide server(setup);
  setup.side = Side::kClient;
  LocalSide client(setup);
  return DriveCell(config, server, client);
}

}  // namespace copyscope::engine
