/// Shared pieces of the tier tests: split fixture models, test images, tier processes.
#pragma once

#include <onnx/onnx_pb.h>

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "runtime/preprocess.h"
#include "test_util.h"
#include "tier/local_tier.h"

namespace edgetier::tier_test {

inline constexpr int64_t kImageSize = 16;

/// `parts` builder models whose tensor names chain (part k's only output is part k+1's only
/// input); part 0 takes "input" [1,3,16,16] float, the last part ends in a 10-way Gemm.
std::vector<onnx::ModelProto> split_chain(int parts, uint32_t seed = 7);
/// A part taking `input_name` [1,8,16,16] that upsamples and runs `convs` 64-channel 3x3
/// convolutions at 128x128: slow enough (~0.1-0.5 s) to be killed mid-request.
onnx::ModelProto heavy_part(const std::string& input_name, int convs = 6);
/// The only input name of a model.
std::string input_name(const onnx::ModelProto& model);
/// Saves the models as dir/part<k>.onnx and returns the paths.
std::vector<std::string> save_parts(const std::vector<onnx::ModelProto>& parts,
                                    const std::string& dir);

/// A seeded random image encoded as ".png" or ".jpg".
std::string encode_test_image(int width, int height, const std::string& ext, uint32_t seed = 1);
/// Preprocessing for the 16x16 fixtures.
PreprocessSpec small_preprocess();
Tensor random_tensor(const std::string& name, std::vector<int64_t> shape, uint32_t seed);

/// Runs the parts one after another in this process (1 intra-op thread, like the tiers).
std::vector<Tensor> run_in_process(const std::vector<std::string>& part_paths,
                                   std::vector<Tensor> inputs);

/// Starts `edgetier serve --tier NAME --listen unix:DIR/NAME.sock --threads THREADS
/// --model-root DIR` (log in DIR/NAME.log); fails the test and returns null when it does not
/// come up.
std::unique_ptr<tier::LocalTier> start_tier(const TempDir& dir, const std::string& name,
                                            std::vector<std::string> extra_args = {},
                                            int threads = 1);

}  // namespace edgetier::tier_test
