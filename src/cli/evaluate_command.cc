#include <fmt/format.h>

#include "cli/commands.h"

namespace og::cli {

int run_evaluate(const EvaluateArgs&) {
  fmt::print(stderr, "orderguard evaluate: not built yet\n");
  return kExitFailure;
}

}  // namespace og::cli
