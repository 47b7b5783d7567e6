/// Fuzzes `edgetier analyze --samples/--accuracy`: the samples and accuracy CSV readers
/// (read_samples_csv, read_accuracy_csv) and the analysis over what they accept.
/// The input up to the first "\n---\n" is the samples CSV, the rest the accuracy CSV.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "analysis/analyze.h"
#include "analysis/result_set.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  static const bool init = (fuzz::quiet_logs(), true);
  (void)init;
  const std::string text(fuzz::as_view(data, size));
  const size_t split = text.find("\n---\n");
  const std::string samples = text.substr(0, split);
  const std::string accuracy = split == std::string::npos ? "" : text.substr(split + 5);
  ResultSet results;
  std::istringstream samples_in(samples);
  if (!read_samples_csv(samples_in, "samples.csv", &results).ok()) return 0;
  if (!accuracy.empty()) {
    std::istringstream accuracy_in(accuracy);
    if (!read_accuracy_csv(accuracy_in, "accuracy.csv", &results).ok()) return 0;
  }
  AnalysisOptions options;
  // The statistics are what analyze computes; fewer resamples keep one input well under a second.
  options.bootstrap.resamples = 20;
  (void)analyze(results, options);
  return 0;
}
