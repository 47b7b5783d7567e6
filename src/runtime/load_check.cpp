/// check_model_runs: one ONNX Runtime session, its error turned into the op, domain and opset.
#include "runtime/load_check.h"

#include <filesystem>
#include <regex>

#include "runtime/ort_session.h"

namespace edgetier {
namespace {

std::string domain_name(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx" ? "ai.onnx" : domain;
}

/// The model's opset for `domain` (ai.onnx: "" or "ai.onnx"); -1 when it imports none.
int64_t opset_of(const onnx::ModelProto& model, const std::string& domain) {
  for (const auto& op : model.opset_import()) {
    if (domain_name(op.domain()) == domain_name(domain)) return op.version();
  }
  return -1;
}

/// ORT's text on one line without its "Load model from PATH failed:" and source locations, at
/// most ~300 characters.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  static const std::regex load_prefix(R"(^Load model from \S+ failed: ?)");
  static const std::regex location(R"(\S+\.(cc|h|cpp):\d+ )");
  text = std::regex_replace(text, load_prefix, "");
  text = std::regex_replace(text, location, "");
  if (text.size() > 300) text = text.substr(0, 297) + "...";
  return text;
}

/// The node ORT names in `message`, or the first node whose op type it mentions.
const onnx::NodeProto* node_named_in(const onnx::ModelProto& model, const std::string& message) {
  std::smatch m;
  // "Fatal error: ai.onnx:FooBar(-1) is not a registered function/op"
  static const std::regex registered(R"(([\w.]*):(\w+)\(-?\d+\) is not a registered)");
  // "Could not find an implementation for FooBar(17) node with name 'foo'"
  static const std::regex implementation(
      R"(implementation for (\w+)\(\d+\) node with name '([^']*)')");
  std::string op_type, node_name;
  if (std::regex_search(message, m, registered)) {
    op_type = m[2];
  } else if (std::regex_search(message, m, implementation)) {
    op_type = m[1];
    node_name = m[2];
  }
  for (const auto& node : model.graph().node()) {
    if (!op_type.empty() && node.op_type() == op_type &&
        (node_name.empty() || node.name() == node_name))
      return &node;
  }
  if (!op_type.empty()) return nullptr;
  for (const auto& node : model.graph().node()) {
    const std::regex word("\\b" + node.op_type() + "\\b");
    if (std::regex_search(message, word)) return &node;
  }
  return nullptr;
}

}  // namespace

Status check_model_runs(const std::string& model_path, const onnx::ModelProto& model) {
  SessionOptions options;
  options.graph_opt_level = GraphOptLevel::kDisabled;  // only whether it loads, quickly
  options.enable_cpu_mem_arena = false;
  auto session = OrtSession::from_file(model_path, options);
  if (session.ok()) return ok_status();
  if (session.status().code() != StatusCode::kInvalidArgument) return session.status();
  const std::string name = std::filesystem::path(model_path).filename().string();
  const std::string head = "model '" + name + "' cannot run in ONNX Runtime " + ort_version() + ": ";
  std::string message = session.status().message();
  const std::string prefix = "ONNX Runtime could not load model " + model_path + ": ";
  if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());

  std::smatch m;
  // An opset ORT does not know: it names the domain and the opset (and how far it goes).
  static const std::regex opset_text(R"([Oo]pset (\d+)\b.*?(?:domain '?([\w.]*)'?)?)");
  static const std::regex till(R"(domain '?([\w.]*)'? is till opset (\d+))");
  if (const onnx::NodeProto* node = node_named_in(model, message)) {
    const std::string domain = domain_name(node->domain());
    const int64_t opset = opset_of(model, node->domain());
    const std::string node_label = node->name().empty() ? "" : " (node '" + node->name() + "')";
    return failed_precondition(
        head + "op '" + node->op_type() + "' (domain '" + domain + "', opset " +
        std::to_string(opset) + ") is not supported" + node_label +
        "; replace it or re-export the model with ops ONNX Runtime implements");
  }
  if (std::regex_search(message, m, opset_text)) {
    const int64_t opset = std::stoll(m[1]);
    std::string domain = "ai.onnx";
    for (const auto& op : model.opset_import()) {
      if (op.version() == opset) domain = domain_name(op.domain());
    }
    std::string limit;
    std::smatch t;
    if (std::regex_search(message, t, till)) limit = " (it supports up to opset " + t[2].str() + ")";
    return failed_precondition(head + "opset " + std::to_string(opset) + " of domain '" + domain +
                               "' is not supported" + limit +
                               "; re-export the model with a released opset, e.g. "
                               "torch.onnx.export(..., opset_version=17)");
  }
  return failed_precondition(head + one_line(message));
}

}  // namespace edgetier
