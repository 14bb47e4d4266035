// exit_recv: two_copy that calls exit() in recv() at message 200 (the
// 201st, counted from 0 on the endpoint), with status 0 or the exit_code
// option's.
#include <stdlib.h>

#include "tests/plugins/bad_endpoint.h"
#include "transports/common/options.h"

namespace copyscope::bad_plugins {
namespace {

constexpr uint64_t kExitAt = 200;

const cs_option_desc kOptions[] = {
    {"exit_code", "0", "the status exit() is called with, 0..255"}};

struct Endpoint : BadEndpoint<Endpoint> {
  struct Options {
    uint64_t exit_code = 0;
  };
  static constexpr transports::OptionTable kOptionTable =
      transports::OptionsOf(kOptions);

  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size) {
    if (!transports::NumberOption(&config, "exit_code", 0, 255, &o->exit_code,
                                  err, err_size)) {
      return -EINVAL;
    }
    return BadEndpoint::Configure(config, o, err, err_size);
  }

  int Setup(const cs_endpoint_config& config, const Options& o, char* err,
            size_t err_size) {
    exit_code = static_cast<int>(o.exit_code);
    return BadEndpoint::Setup(config, o, err, err_size);
  }

  int Receive(cs_recv_args* args) {
    if (received == kExitAt) exit(exit_code);
    return BadEndpoint::Receive(args);
  }

  int exit_code = 0;
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "exit_recv", "1.0",
    "test plugin: two_copy whose recv() calls exit(exit_code) at message 200",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
