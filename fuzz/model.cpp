/// Fuzzes what every command does with an .onnx file first: load_model (with external data), the
/// graph view, shape inference, cut and skip enumeration (analyse_model) and inspect's summary.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "graph/cuts.h"
#include "graph/model_io.h"
#include "graph/summary.h"

namespace {

// The analysis is polynomial in the graph size; a few thousand bytes of input never describe a
// real model of more nodes than this, so larger graphs would only spend the time budget.
constexpr int kMaxNodes = 512;
// The external data file a model may name (as "model.onnx.data"): enough bytes for small tensors.
constexpr size_t kExternalDataBytes = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  static const bool init = (fuzz::quiet_logs(),
                            fuzz::write_temp_file("model.onnx.data",
                                                  std::string(kExternalDataBytes, '\x01')),
                            true);
  (void)init;
  const std::string path = fuzz::write_temp_file("model.onnx", fuzz::as_view(data, size));
  auto model = load_model(path);
  if (!model.ok()) return 0;
  if (model->graph().node_size() > kMaxNodes) return 0;
  auto analysed = analyse_model(*model);
  // The check partition makes of a cut named by the user, on the first cut found.
  if (analysed.ok() && !analysed->analysis.cuts.empty()) {
    (void)separates(analysed->view, analysed->analysis.cuts.front().names());
  }
  (void)summarize_model(*model);
  return 0;
}
