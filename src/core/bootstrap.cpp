/// Seeded percentile-bootstrap confidence intervals of percentiles: the one implementation the
/// runner's stopping rule and the analysis share.
#include "core/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/percentile.h"

namespace edgetier::stats {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

uint64_t derive_seed(uint64_t base, std::string_view name) {
  uint64_t h = 1469598103934665603ULL ^ base;
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::vector<ConfidenceInterval> bootstrap_percentile_cis(std::span<const double> sorted,
                                                         std::span<const double> pcts,
                                                         const BootstrapOptions& options,
                                                         ConfidenceInterval* mean_ci) {
  std::vector<ConfidenceInterval> out(pcts.size());
  const size_t n = sorted.size();
  for (auto& ci : out) ci.level = options.confidence;
  if (mean_ci) *mean_ci = {kNaN, kNaN, options.confidence};
  if (n == 0 || options.resamples <= 0) {
    for (auto& ci : out) ci.low = ci.high = kNaN;
    return out;
  }
  // For each requested percentile, the two order statistics (0-based) it interpolates between;
  // `ks` holds every needed order statistic once, ascending.
  struct Need {
    size_t lo_slot;
    size_t hi_slot;
    double frac;
  };
  std::vector<size_t> ks;
  std::vector<std::pair<size_t, double>> lo_frac;
  for (double pct : pcts) {
    const double h = (n - 1) * std::clamp(pct, 0.0, 100.0) / 100.0;
    const size_t lo = static_cast<size_t>(std::floor(h));
    lo_frac.emplace_back(lo, h - lo);
    ks.push_back(lo);
    ks.push_back(std::min(lo + 1, n - 1));
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  auto slot_of = [&](size_t k) {
    return static_cast<size_t>(std::lower_bound(ks.begin(), ks.end(), k) - ks.begin());
  };
  std::vector<Need> needs;
  for (const auto& [lo, frac] : lo_frac) {
    needs.push_back({slot_of(lo), slot_of(std::min(lo + 1, n - 1)), frac});
  }

  std::mt19937_64 rng(options.seed);
  std::vector<uint32_t> counts(n);
  std::vector<double> values(ks.size());
  std::vector<std::vector<double>> draws(pcts.size());
  for (auto& d : draws) d.reserve(options.resamples);
  std::vector<double> means;
  for (int r = 0; r < options.resamples; ++r) {
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < n; ++i) {
      // Multiply-shift maps a 64-bit draw to [0, n) identically on every standard library.
      const auto idx = static_cast<size_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
      ++counts[idx];
    }
    // One pass over the cumulative counts finds every needed order statistic of the resample:
    // order statistics below `cum` equal sorted[j].
    size_t j = 0;
    uint64_t cum = counts[0];
    for (size_t s = 0; s < ks.size(); ++s) {
      while (cum <= ks[s]) cum += counts[++j];
      values[s] = sorted[j];
    }
    for (size_t i = 0; i < needs.size(); ++i) {
      const double lo_value = values[needs[i].lo_slot];
      draws[i].push_back(lo_value + needs[i].frac * (values[needs[i].hi_slot] - lo_value));
    }
    if (mean_ci) {
      long double sum = 0;
      for (size_t k = 0; k < n; ++k) sum += counts[k] * static_cast<long double>(sorted[k]);
      means.push_back(static_cast<double>(sum / n));
    }
  }
  const double tail = (1.0 - options.confidence) / 2.0 * 100.0;
  for (size_t i = 0; i < pcts.size(); ++i) {
    std::sort(draws[i].begin(), draws[i].end());
    out[i].low = percentile_sorted(draws[i], tail);
    out[i].high = percentile_sorted(draws[i], 100.0 - tail);
  }
  if (mean_ci) {
    std::sort(means.begin(), means.end());
    mean_ci->low = percentile_sorted(means, tail);
    mean_ci->high = percentile_sorted(means, 100.0 - tail);
  }
  return out;
}

ConfidenceInterval median_ci(std::span<const double> sorted, const BootstrapOptions& options) {
  const double p50[] = {50.0};
  return bootstrap_percentile_cis(sorted, p50, options).front();
}

double half_width_pct(const ConfidenceInterval& ci, double center) {
  if (!std::isfinite(ci.low) || !std::isfinite(ci.high) || !std::isfinite(center) ||
      center <= 0)
    return kNaN;
  return (ci.high - ci.low) / 2.0 / center * 100.0;
}

}  // namespace edgetier::stats
