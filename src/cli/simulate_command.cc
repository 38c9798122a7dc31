#include <fmt/format.h>

#include "cli/commands.h"

namespace og::cli {

int run_simulate(const SimulateArgs&) {
  fmt::print(stderr, "orderguard simulate: not built yet\n");
  return kExitFailure;
}

}  // namespace og::cli
