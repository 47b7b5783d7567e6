/// Shared subcommand helpers: error reporting and JSON printing.
#include "cli/command.h"

#include <cstdio>
#include <iostream>

namespace edgetier::cli {

int report_error(const Status& status) {
  std::fprintf(stderr, "edgetier: error: %s\n", status.message().c_str());
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound: return 2;
    case StatusCode::kCancelled: return 130;
    default: return 1;
  }
}

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << std::endl; }

}  // namespace edgetier::cli
