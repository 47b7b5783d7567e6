/// Terminal printer of the study's findings evaluated on a run.
#pragma once

#include <string>

#include "analysis/findings.h"

namespace edgetier {

/// Per finding its verdict and the comparisons behind it (ratios, Cliff's delta, the study's
/// ratio), accuracy losses with external ones marked, then the side-by-side table of medians.
std::string format_findings(const FindingsReport& report);

}  // namespace edgetier
