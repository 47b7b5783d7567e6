/// Tests for check_model_runs: a model ONNX Runtime loads passes; an unknown op or an opset it
/// does not know is named in one line with its domain and opset.
#include "runtime/load_check.h"

#include <gtest/gtest.h>

#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "runtime/ort_session.h"
#include "test_util.h"

namespace edgetier {
namespace {

Status check(const onnx::ModelProto& model, const TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name);
  EXPECT_TRUE(save_model(model, path).ok());
  return check_model_runs(path, model);
}

TEST(LoadCheck, PassesAModelOnnxRuntimeLoads) {
  TempDir dir;
  EXPECT_TRUE(check(fixtures::chain_model(), dir, "chain.onnx").ok());
  // Failing at run time is not a load failure: the session is created.
  EXPECT_TRUE(check(fixtures::failing_at_run_model(), dir, "failing.onnx").ok());
}

TEST(LoadCheck, NamesTheUnknownOpItsDomainAndOpset) {
  TempDir dir;
  Status st = check(fixtures::unknown_op_model(), dir, "unknown.onnx");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  const std::string& m = st.message();
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find("model 'unknown.onnx' cannot run in ONNX Runtime " + ort_version()),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("op 'FooBar' (domain 'ai.onnx', opset 17) is not supported"), std::string::npos)
      << m;
}

TEST(LoadCheck, NamesAnOpsetOnnxRuntimeDoesNotKnow) {
  TempDir dir;
  Status st = check(fixtures::future_opset_model(), dir, "future.onnx");
  ASSERT_FALSE(st.ok());
  const std::string& m = st.message();
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find("model 'future.onnx' cannot run in ONNX Runtime"), std::string::npos) << m;
  EXPECT_NE(m.find("opset 99"), std::string::npos) << m;
  EXPECT_NE(m.find("'ai.onnx'"), std::string::npos) << m;
}

}  // namespace
}  // namespace edgetier
