#include "harness/engine/network.h"

namespace copyscope::harness {

const char* SideName(Side side) {
  return side == Side::kServer ? "server" : "client";
}

}  // namespace copyscope::harness
