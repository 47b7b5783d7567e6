/// Rank-based hypothesis tests (Kruskal-Wallis, Conover-Iman, Wilcoxon), Shapiro-Wilk, Cliff's
/// delta.
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>

#include "analysis/stats.h"

namespace edgetier::stats {

namespace {

// Distribution errors become Status at this boundary; values outside a distribution's domain
// are reported instead of thrown.
using BoostPolicy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::errno_on_error>,
    boost::math::policies::overflow_error<boost::math::policies::errno_on_error>,
    boost::math::policies::evaluation_error<boost::math::policies::errno_on_error>,
    boost::math::policies::pole_error<boost::math::policies::errno_on_error>>;

double chi_squared_sf(double x, double df) {
  if (x <= 0) return 1.0;
  return boost::math::cdf(
      boost::math::complement(boost::math::chi_squared_distribution<double, BoostPolicy>(df), x));
}

double student_t_two_sided(double t, double df) {
  if (std::isinf(t)) return 0.0;
  return 2.0 * boost::math::cdf(boost::math::complement(
                   boost::math::students_t_distribution<double, BoostPolicy>(df), std::fabs(t)));
}

double normal_sf(double x, double mean = 0, double sd = 1) {
  return boost::math::cdf(
      boost::math::complement(boost::math::normal_distribution<double, BoostPolicy>(mean, sd), x));
}

double normal_quantile(double p) {
  return boost::math::quantile(boost::math::normal_distribution<double, BoostPolicy>(0, 1), p);
}

}  // namespace

std::vector<double> average_ranks(std::span<const double> values, std::vector<int64_t>* tie_sizes) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  if (tie_sizes) tie_sizes->clear();
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && values[order[j]] == values[order[i]]) ++j;
    const double rank = (i + 1 + j) / 2.0;  // mean of 1-based positions i+1 .. j
    for (size_t k = i; k < j; ++k) ranks[order[k]] = rank;
    if (tie_sizes && j - i > 1) tie_sizes->push_back(static_cast<int64_t>(j - i));
    i = j;
  }
  return ranks;
}

namespace {

/// Pooled ranks of all groups plus per-group rank sums: the shared core of Kruskal-Wallis and
/// Conover-Iman.
struct PooledRanks {
  std::vector<double> ranks;
  std::vector<int64_t> tie_sizes;
  std::vector<double> rank_sums;
  size_t n = 0;
};

Result<PooledRanks> pool_and_rank(const std::vector<std::span<const double>>& groups) {
  if (groups.size() < 2) {
    return invalid_argument("Kruskal-Wallis needs at least 2 groups, got " +
                            std::to_string(groups.size()));
  }
  PooledRanks p;
  std::vector<double> pooled;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].empty()) return invalid_argument("group " + std::to_string(g) + " is empty");
    for (double v : groups[g]) {
      if (std::isnan(v)) return invalid_argument("group " + std::to_string(g) + " holds NaN");
    }
    pooled.insert(pooled.end(), groups[g].begin(), groups[g].end());
  }
  p.n = pooled.size();
  p.ranks = average_ranks(pooled, &p.tie_sizes);
  size_t offset = 0;
  for (const auto& g : groups) {
    double sum = 0;
    for (size_t i = 0; i < g.size(); ++i) sum += p.ranks[offset + i];
    p.rank_sums.push_back(sum);
    offset += g.size();
  }
  return p;
}

KruskalWallisResult kruskal_from_ranks(const std::vector<std::span<const double>>& groups,
                                       const PooledRanks& p) {
  KruskalWallisResult r;
  const double n = static_cast<double>(p.n);
  r.n_total = p.n;
  double sum = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    r.group_sizes.push_back(groups[g].size());
    r.mean_ranks.push_back(p.rank_sums[g] / groups[g].size());
    sum += p.rank_sums[g] * p.rank_sums[g] / groups[g].size();
  }
  r.h_uncorrected = std::max(0.0, 12.0 / (n * (n + 1)) * sum - 3.0 * (n + 1));
  double ties = 0;
  for (int64_t t : p.tie_sizes) ties += static_cast<double>(t) * t * t - t;
  r.tie_correction = 1.0 - ties / (n * n * n - n);
  r.h = r.h_uncorrected / r.tie_correction;
  r.df = static_cast<int>(groups.size()) - 1;
  r.p_value = chi_squared_sf(r.h, r.df);
  return r;
}

}  // namespace

Result<KruskalWallisResult> kruskal_wallis(const std::vector<std::span<const double>>& groups) {
  ASSIGN_OR_RETURN(PooledRanks pooled, pool_and_rank(groups));
  if (pooled.tie_sizes.size() == 1 && static_cast<size_t>(pooled.tie_sizes[0]) == pooled.n) {
    return invalid_argument("Kruskal-Wallis: all " + std::to_string(pooled.n) +
                            " values are identical; nothing to compare");
  }
  return kruskal_from_ranks(groups, pooled);
}

Result<PAdjust> parse_p_adjust(std::string_view name) {
  if (name == "none") return PAdjust::kNone;
  if (name == "holm") return PAdjust::kHolm;
  if (name == "bonferroni") return PAdjust::kBonferroni;
  return invalid_argument("unknown p-value adjustment '" + std::string(name) +
                          "'; expected none, holm or bonferroni");
}

std::string_view p_adjust_name(PAdjust adjust) {
  switch (adjust) {
    case PAdjust::kNone: return "none";
    case PAdjust::kHolm: return "holm";
    case PAdjust::kBonferroni: return "bonferroni";
  }
  return "none";
}

std::vector<double> adjust_p_values(std::span<const double> p_values, PAdjust adjust) {
  const size_t m = p_values.size();
  std::vector<double> out(p_values.begin(), p_values.end());
  if (adjust == PAdjust::kNone) return out;
  if (adjust == PAdjust::kBonferroni) {
    for (double& p : out) p = std::min(1.0, p * m);
    return out;
  }
  // Holm: the i-th smallest p (0-based) is multiplied by m - i, then made non-decreasing.
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  double running = 0;
  for (size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, p_values[order[i]] * (m - i)));
    out[order[i]] = running;
  }
  return out;
}

Result<ConoverResult> conover_iman(const std::vector<std::span<const double>>& groups,
                                   PAdjust adjust) {
  ASSIGN_OR_RETURN(PooledRanks pooled, pool_and_rank(groups));
  ConoverResult out;
  out.adjust = adjust;
  out.kruskal = kruskal_from_ranks(groups, pooled);
  const double n = static_cast<double>(pooled.n);
  const double k = static_cast<double>(groups.size());
  out.df = n - k;
  if (out.df < 1) {
    return invalid_argument(
        "Conover-Iman needs more values than groups (N = " + std::to_string(pooled.n) +
        ", k = " + std::to_string(groups.size()) + ")");
  }
  double sum_sq = 0;
  for (double r : pooled.ranks) sum_sq += r * r;
  // Rank variance with ties (equals N(N+1)/12 without ties).
  const double s2 = (sum_sq - n * (n + 1) * (n + 1) / 4.0) / (n - 1);
  if (!(s2 > 0)) {
    return invalid_argument("Conover-Iman: all " + std::to_string(pooled.n) +
                            " values are identical; nothing to compare");
  }
  // H reaches N - 1 when every group's values are tied within and distinct across groups; snap
  // the rounding residue to zero so that case reads as certain (p = 0).
  double d = (n - 1 - out.kruskal.h) / out.df;
  if (d < 1e-12 * (n - 1) / out.df) d = 0;
  std::vector<double> raw;
  for (size_t a = 0; a < groups.size(); ++a) {
    for (size_t b = a + 1; b < groups.size(); ++b) {
      PairwiseComparison c;
      c.group_a = a;
      c.group_b = b;
      c.mean_rank_difference = out.kruskal.mean_ranks[a] - out.kruskal.mean_ranks[b];
      const double se = std::sqrt(s2 * d * (1.0 / groups[a].size() + 1.0 / groups[b].size()));
      const double diff = std::fabs(c.mean_rank_difference);
      // All within-group ranks tied while groups differ: the difference is certain.
      c.t = se > 0 ? diff / se : (diff > 0 ? INFINITY : 0.0);
      c.p_value = c.t == 0 ? 1.0 : student_t_two_sided(c.t, out.df);
      raw.push_back(c.p_value);
      out.pairs.push_back(c);
    }
  }
  const std::vector<double> adjusted = adjust_p_values(raw, adjust);
  for (size_t i = 0; i < out.pairs.size(); ++i) out.pairs[i].p_adjusted = adjusted[i];
  return out;
}

std::string_view magnitude_name(EffectMagnitude magnitude) {
  switch (magnitude) {
    case EffectMagnitude::kNegligible: return "negligible";
    case EffectMagnitude::kSmall: return "small";
    case EffectMagnitude::kMedium: return "medium";
    case EffectMagnitude::kLarge: return "large";
  }
  return "negligible";
}

EffectMagnitude cliffs_magnitude(double delta) {
  const double d = std::fabs(delta);
  if (d < 0.147) return EffectMagnitude::kNegligible;
  if (d < 0.33) return EffectMagnitude::kSmall;
  if (d < 0.474) return EffectMagnitude::kMedium;
  return EffectMagnitude::kLarge;
}

CliffsDelta cliffs_delta_sorted(std::span<const double> a, std::span<const double> b) {
  CliffsDelta out;
  if (a.empty() || b.empty()) return out;
  // For ascending a, the counts of b below a_i and of b at or below a_i only grow.
  size_t below = 0, at_or_below = 0;
  for (double x : a) {
    while (below < b.size() && b[below] < x) ++below;
    if (at_or_below < below) at_or_below = below;
    while (at_or_below < b.size() && b[at_or_below] <= x) ++at_or_below;
    out.greater += static_cast<int64_t>(below);
    out.less += static_cast<int64_t>(b.size() - at_or_below);
  }
  out.delta = static_cast<double>(out.greater - out.less) /
              (static_cast<double>(a.size()) * static_cast<double>(b.size()));
  out.magnitude = cliffs_magnitude(out.delta);
  return out;
}

Result<CliffsDelta> cliffs_delta(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) return invalid_argument("Cliff's delta needs two non-empty samples");
  std::vector<double> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  for (double v : sa) {
    if (std::isnan(v)) return invalid_argument("Cliff's delta: sample holds NaN");
  }
  for (double v : sb) {
    if (std::isnan(v)) return invalid_argument("Cliff's delta: sample holds NaN");
  }
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  return cliffs_delta_sorted(sa, sb);
}

namespace {

/// c[0] + c[1] x + c[2] x^2 + ... (the `poly` of AS R94).
double poly(std::initializer_list<double> c, double x) {
  double result = 0;
  double power = 1;
  for (double coef : c) {
    result += coef * power;
    power *= x;
  }
  return result;
}

}  // namespace

Result<ShapiroWilkResult> shapiro_wilk(std::span<const double> values) {
  const size_t n = values.size();
  if (n < 3 || n > 5000) {
    return invalid_argument("Shapiro-Wilk needs 3 to 5000 values, got " + std::to_string(n));
  }
  std::vector<double> x(values.begin(), values.end());
  for (double v : x) {
    if (!std::isfinite(v)) return invalid_argument("Shapiro-Wilk: non-finite value");
  }
  std::sort(x.begin(), x.end());
  const double range = x.back() - x.front();
  if (!(range > 1e-19 * std::max(1.0, std::fabs(x.back())))) {
    return invalid_argument("Shapiro-Wilk: all " + std::to_string(n) + " values are identical");
  }

  // Coefficients a[0..n/2-1] for the upper half (the lower half mirrors them with a minus sign),
  // from Royston's polynomial approximations to the exact Shapiro-Wilk weights.
  const size_t half = n / 2;
  const double an = static_cast<double>(n);
  std::vector<double> a(half);
  if (n == 3) {
    a[0] = std::sqrt(0.5);
  } else {
    std::vector<double> m(half);
    double summ2 = 0;
    for (size_t i = 0; i < half; ++i) {
      m[i] = normal_quantile((i + 1 - 0.375) / (an + 0.25));
      summ2 += m[i] * m[i];
    }
    summ2 *= 2;
    const double ssumm2 = std::sqrt(summ2);
    const double rsn = 1.0 / std::sqrt(an);
    const double a1 =
        poly({0.0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056}, rsn) - m[0] / ssumm2;
    size_t first_scaled;
    double fac;
    if (n > 5) {
      first_scaled = 2;
      const double a2 =
          -m[1] / ssumm2 + poly({0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633}, rsn);
      fac =
          std::sqrt((summ2 - 2 * m[0] * m[0] - 2 * m[1] * m[1]) / (1 - 2 * a1 * a1 - 2 * a2 * a2));
      a[1] = a2;
    } else {
      first_scaled = 1;
      fac = std::sqrt((summ2 - 2 * m[0] * m[0]) / (1 - 2 * a1 * a1));
    }
    a[0] = a1;
    for (size_t i = first_scaled; i < half; ++i) a[i] = -m[i] / fac;
  }

  // W is the squared correlation between the data and the coefficients, computed on
  // range-scaled data; w1 = 1 - W directly avoids rounding when W is near 1 (large n).
  std::vector<double> coef(n, 0.0);
  for (size_t i = 0; i < half; ++i) {
    coef[i] = -a[i];
    coef[n - 1 - i] = a[i];
  }
  double sa = 0, sx = 0;
  for (size_t i = 0; i < n; ++i) {
    sa += coef[i];
    sx += x[i] / range;
  }
  sa /= an;
  sx /= an;
  double ssa = 0, ssx = 0, sax = 0;
  for (size_t i = 0; i < n; ++i) {
    const double asa = coef[i] - sa;
    const double xsx = x[i] / range - sx;
    ssa += asa * asa;
    ssx += xsx * xsx;
    sax += asa * xsx;
  }
  const double ssassx = std::sqrt(ssa * ssx);
  const double w1 = (ssassx - sax) * (ssassx + sax) / (ssa * ssx);
  ShapiroWilkResult out;
  out.n = n;
  out.w = 1 - w1;

  if (n == 3) {
    // Exact: p = 6/pi (asin(sqrt(W)) - asin(sqrt(3/4))).
    constexpr double kSixOverPi = 1.90985931710274;
    constexpr double kAsinSqrt34 = 1.04719755119660;
    out.p_value = std::max(0.0, kSixOverPi * (std::asin(std::sqrt(out.w)) - kAsinSqrt34));
    return out;
  }
  double y = std::log(w1);
  double mu, sigma;
  if (n <= 11) {
    const double gamma = poly({-2.273, 0.459}, an);
    if (y >= gamma) {
      out.p_value = 1e-19;  // beyond the approximation's range: W this small is never normal
      return out;
    }
    y = -std::log(gamma - y);
    mu = poly({0.544, -0.39978, 0.025054, -6.714e-4}, an);
    sigma = std::exp(poly({1.3822, -0.77857, 0.062767, -0.0020322}, an));
  } else {
    const double ln_n = std::log(an);
    mu = poly({-1.5861, -0.31082, -0.083751, 0.0038915}, ln_n);
    sigma = std::exp(poly({-0.4803, -0.082676, 0.0030302}, ln_n));
  }
  out.p_value = normal_sf(y, mu, sigma);
  return out;
}

Result<WilcoxonResult> wilcoxon_signed_rank(std::span<const double> x, std::span<const double> y,
                                            const WilcoxonOptions& options) {
  if (x.size() != y.size()) {
    return invalid_argument("Wilcoxon signed-rank needs paired samples; got " +
                            std::to_string(x.size()) + " and " + std::to_string(y.size()) +
                            " values");
  }
  WilcoxonResult out;
  out.n = x.size();
  std::vector<double> d;
  for (size_t i = 0; i < x.size(); ++i) {
    const double diff = x[i] - y[i];
    if (std::isnan(diff))
      return invalid_argument("Wilcoxon signed-rank: NaN in pair " + std::to_string(i));
    if (diff == 0) ++out.n_zero;
    if (diff != 0 || options.zero_method == ZeroMethod::kPratt) d.push_back(diff);
  }
  if (out.n_zero == out.n) {
    return invalid_argument("Wilcoxon signed-rank: all " + std::to_string(out.n) +
                            " differences are zero");
  }
  std::vector<double> abs_d(d.size());
  for (size_t i = 0; i < d.size(); ++i) abs_d[i] = std::fabs(d[i]);
  const std::vector<double> ranks = average_ranks(abs_d);
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] > 0) out.w_plus += ranks[i];
    if (d[i] < 0) out.w_minus += ranks[i];
  }
  out.statistic = std::min(out.w_plus, out.w_minus);

  // Ties among the ranks of non-zero differences (zeros' ranks are dropped under Pratt).
  std::vector<double> nonzero_ranks;
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] != 0) nonzero_ranks.push_back(ranks[i]);
  }
  std::sort(nonzero_ranks.begin(), nonzero_ranks.end());
  double tie_term = 0;
  bool has_ties = false;
  for (size_t i = 0; i < nonzero_ranks.size();) {
    size_t j = i + 1;
    while (j < nonzero_ranks.size() && nonzero_ranks[j] == nonzero_ranks[i]) ++j;
    const double t = static_cast<double>(j - i);
    if (t > 1) has_ties = true;
    tie_term += t * t * t - t;
    i = j;
  }

  const size_t count = d.size();  // ranked differences
  const size_t n_nonzero = out.n - out.n_zero;
  if (out.n_zero == 0 && !has_ties && n_nonzero <= options.exact_max_n) {
    // Exact null distribution: number of subsets of {1..n} per rank sum.
    out.exact = true;
    const size_t max_sum = n_nonzero * (n_nonzero + 1) / 2;
    std::vector<double> ways(max_sum + 1, 0.0);
    ways[0] = 1;
    for (size_t r = 1; r <= n_nonzero; ++r) {
      for (size_t s = max_sum; s >= r; --s) ways[s] += ways[s - r];
    }
    double tail = 0;
    const auto t = static_cast<size_t>(std::llround(out.statistic));
    for (size_t s = 0; s <= t && s <= max_sum; ++s) tail += ways[s];
    out.p_value = std::min(1.0, 2.0 * tail / std::ldexp(1.0, static_cast<int>(n_nonzero)));
    return out;
  }

  const double c = static_cast<double>(count);
  double mean = c * (c + 1) / 4.0;
  double var = c * (c + 1) * (2 * c + 1) / 24.0;
  if (options.zero_method == ZeroMethod::kPratt) {
    const double z = static_cast<double>(out.n_zero);
    mean -= z * (z + 1) / 4.0;
    var -= z * (z + 1) * (2 * z + 1) / 24.0;
  }
  var -= tie_term / 48.0;
  if (!(var > 0)) return invalid_argument("Wilcoxon signed-rank: zero variance under the null");
  const double se = std::sqrt(var);
  double correction = 0;
  if (options.continuity_correction)
    correction = out.statistic > mean ? 0.5 : (out.statistic < mean ? -0.5 : 0);
  out.z = (out.statistic - mean - correction) / se;
  out.p_value = std::min(1.0, 2.0 * normal_sf(std::fabs(out.z)));
  return out;
}

}  // namespace edgetier::stats
