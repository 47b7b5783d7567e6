/// Percentiles and the median of a sample: the one definition every layer and benchmark uses.
#pragma once

#include <span>

namespace edgetier {

/// The `pct` percentile (0..100) of ascending `sorted` values with linear interpolation between
/// order statistics (Hyndman-Fan type 7, the default of numpy and R). NaN for no values.
double percentile_sorted(std::span<const double> sorted, double pct);
/// Same as percentile_sorted for unsorted values (copies and sorts).
double percentile(std::span<const double> values, double pct);
/// The 50th percentile: the middle value, or the mean of the two middle ones.
double median(std::span<const double> values);

}  // namespace edgetier
