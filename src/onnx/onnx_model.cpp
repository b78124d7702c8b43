// ONNX ModelProto <-> operator graph. ONNX IR: https://github.com/onnx/onnx/blob/main/docs/IR.md
#include "onnx/onnx_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include <onnx/onnx_pb.h>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/error.h"
#include "onnx/onnx_tensor.h"

namespace fv {
namespace {

bool default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string node_label(const onnx::NodeProto& n, int index) {
  return n.name().empty() ? fmt::format("node {} ({})", index, n.op_type())
                          : fmt::format("node {} '{}' ({})", index, n.name(), n.op_type());
}

nlohmann::json attribute_value(const onnx::AttributeProto& a, const std::string& who) {
  switch (a.type()) {
    case onnx::AttributeProto::FLOAT:
      return static_cast<double>(a.f());
    case onnx::AttributeProto::INT:
      return a.i();
    case onnx::AttributeProto::STRING:
      return a.s();
    case onnx::AttributeProto::FLOATS: {
      nlohmann::json v = nlohmann::json::array();
      for (float f : a.floats()) v.push_back(static_cast<double>(f));
      return v;
    }
    case onnx::AttributeProto::INTS:
      return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    default:
      throw FormatError(fmt::format("{}: attribute '{}' of type {} is not supported", who, a.name(),
                                    onnx::AttributeProto::AttributeType_Name(a.type())));
  }
}

// A Constant node's value (opset 1-17 forms: value, value_float(s), value_int(s)).
torch::Tensor constant_value(const onnx::NodeProto& n, const std::filesystem::path& dir, const std::string& who) {
  for (const auto& a : n.attribute()) {
    if (a.name() == "value") return tensor_from_proto(a.t(), dir, who);
    if (a.name() == "value_float") return torch::tensor(a.f(), torch::kFloat32);
    if (a.name() == "value_int") return torch::tensor(a.i(), torch::kInt64);
    if (a.name() == "value_floats") return torch::tensor(std::vector<float>(a.floats().begin(), a.floats().end()));
    if (a.name() == "value_ints")
      return torch::tensor(std::vector<int64_t>(a.ints().begin(), a.ints().end()), torch::kInt64);
  }
  throw FormatError(fmt::format("{}: a Constant without a value of a supported kind", who));
}

// The image input: the graph input that is not an initializer; [N, C, H, W] float32 with C, H, W fixed.
const onnx::ValueInfoProto& image_input(const onnx::GraphProto& g, const std::set<std::string>& initializers,
                                        const std::string& where) {
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : g.input()) {
    if (!initializers.count(in.name())) inputs.push_back(&in);
  }
  if (inputs.size() != 1) {
    std::vector<std::string> names;
    for (const auto* in : inputs) names.push_back(in->name());
    throw FormatError(fmt::format("{}: the graph has {} inputs ({}); a recognition network has one, the images", where,
                                  inputs.size(), fmt::join(names, ", ")));
  }
  return *inputs[0];
}

std::vector<int64_t> input_dims(const onnx::ValueInfoProto& in, const std::string& where) {
  const auto& t = in.type().tensor_type();
  FV_CHECK(in.type().has_tensor_type() && t.elem_type() == onnx::TensorProto::FLOAT, FormatError,
           "{}: input '{}' is not a float32 tensor", where, in.name());
  FV_CHECK(t.has_shape() && t.shape().dim_size() == 4, FormatError,
           "{}: input '{}' has rank {}, expected 4 [N, C, H, W]", where, in.name(),
           t.has_shape() ? t.shape().dim_size() : 0);
  std::vector<int64_t> dims;
  for (int k = 1; k < 4; ++k) {
    const auto& d = t.shape().dim(k);
    FV_CHECK(d.has_dim_value() && d.dim_value() > 0, FormatError,
             "{}: input '{}' dimension {} is not a fixed size ('{}'); C, H and W must be fixed", where, in.name(), k,
             d.dim_param());
    dims.push_back(d.dim_value());
  }
  FV_CHECK(dims[0] == 1 || dims[0] == 3, FormatError, "{}: input '{}' has {} channels, expected 1 or 3", where,
           in.name(), dims[0]);
  return dims;
}

std::string chosen_output(const onnx::GraphProto& g, const std::string& wanted, const std::string& where) {
  std::vector<std::string> names;
  for (const auto& o : g.output()) names.push_back(o.name());
  if (wanted.empty()) {
    FV_CHECK(names.size() == 1, FormatError,
             "{}: the graph has {} outputs ({}); choose the embedding with --import.output_name", where, names.size(),
             fmt::join(names, ", "));
    return names[0];
  }
  FV_CHECK(std::find(names.begin(), names.end(), wanted) != names.end(), FormatError,
           "{}: import.output_name '{}' is not an output of the graph; its outputs: {}", where, wanted,
           fmt::join(names, ", "));
  return wanted;
}

onnx::ModelProto read_model(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    throw FormatError(fmt::format("{}: not an ONNX model: its {} bytes do not parse as a protobuf ModelProto "
                                  "(truncated or corrupt?)",
                                  path.string(), bytes.size()));
  }
  FV_CHECK(model.has_graph() && model.graph().node_size() > 0, FormatError,
           "{}: not an ONNX model: it holds no graph ({} bytes)", path.string(), bytes.size());
  return model;
}

// See OnnxNetwork::batch_reshapes. Only Reshapes of tensors computed from the images are touched (a Reshape of
// a weight, e.g. a PReLU slope to [1, C, 1, 1], keeps its 1).
int free_batch_dimension(OnnxNetwork& net) {
  std::set<std::string> from_images{net.graph.input};
  std::unordered_map<std::string, size_t> weight_index;
  for (size_t i = 0; i < net.graph.initializers.size(); ++i) weight_index[net.graph.initializers[i].name] = i;
  int rewritten = 0;
  for (auto& node : net.graph.nodes) {
    const bool depends =
        std::any_of(node.inputs.begin(), node.inputs.end(), [&](const std::string& in) { return from_images.count(in) > 0; });
    if (depends) from_images.insert(node.outputs.begin(), node.outputs.end());
    if (node.op != "Reshape" || node.inputs.size() < 2 || !from_images.count(node.inputs[0])) continue;
    const auto it = weight_index.find(node.inputs[1]);
    if (it == weight_index.end()) continue;
    const torch::Tensor& shape = net.weights[it->second];
    if (shape.scalar_type() != torch::kInt64 || shape.dim() != 1 || shape.numel() < 2 || shape[0].item<int64_t>() != 1)
      continue;
    if (node.attributes.value("allowzero", int64_t{0}) != 0) continue;
    torch::Tensor batch_free = shape.clone();
    batch_free[0] = 0;
    OpInitializer init = net.graph.initializers[it->second];
    init.name = node.inputs[1] + "_any_batch";
    node.inputs[1] = init.name;
    if (!weight_index.count(init.name)) {
      weight_index[init.name] = net.graph.initializers.size();
      net.graph.initializers.push_back(init);
      net.weights.push_back(batch_free);
    }
    ++rewritten;
  }
  return rewritten;
}

}  // namespace

OnnxNetwork read_onnx_network(const std::filesystem::path& path, const std::string& output) {
  const onnx::ModelProto model = read_model(path);
  const std::string where = path.string();
  const std::filesystem::path model_dir = path.parent_path().empty() ? "." : path.parent_path();
  const onnx::GraphProto& g = model.graph();
  OnnxNetwork net;
  for (const auto& o : model.opset_import()) {
    if (default_domain(o.domain())) net.opset = o.version();
  }
  net.producer = fmt::format("{} {}", model.producer_name(), model.producer_version());
  for (const auto& p : model.metadata_props()) net.metadata[p.key()] = p.value();

  std::set<std::string> initializer_names;
  for (const auto& t : g.initializer()) initializer_names.insert(t.name());
  const auto& input = image_input(g, initializer_names, where);
  const auto dims = input_dims(input, where);
  net.channels = dims[0], net.height = dims[1], net.width = dims[2];
  net.graph.input = input.name();
  net.graph.output = chosen_output(g, output, where);

  // insightface's ArcFaceONNX looks at the first 8 nodes' names; their op types are what the names stand for.
  bool sub = false, mul = false;
  for (int k = 0; k < g.node_size() && k < 8; ++k) {
    sub = sub || g.node(k).op_type() == "Sub";
    mul = mul || g.node(k).op_type() == "Mul";
  }
  net.normalises_input = sub && mul;

  // Only what the chosen output needs: walk back from it.
  std::set<std::string> needed{net.graph.output};
  std::vector<bool> keep(static_cast<size_t>(g.node_size()), false);
  for (int k = g.node_size() - 1; k >= 0; --k) {
    const auto& n = g.node(k);
    if (std::none_of(n.output().begin(), n.output().end(), [&](const std::string& o) { return needed.count(o) > 0; }))
      continue;
    keep[static_cast<size_t>(k)] = true;
    needed.insert(n.input().begin(), n.input().end());
  }

  auto add_weight = [&](const std::string& name, torch::Tensor t) {
    OpInitializer init;
    init.name = name;
    init.type = t.scalar_type() == torch::kInt64 ? OpTensorType::kInt64 : OpTensorType::kFloat32;
    init.shape = t.sizes().vec();
    net.graph.initializers.push_back(std::move(init));
    net.weights.push_back(std::move(t));
  };
  for (const auto& t : g.initializer()) {
    if (needed.count(t.name())) add_weight(t.name(), tensor_from_proto(t, model_dir, where));
  }
  for (int k = 0; k < g.node_size(); ++k) {
    if (!keep[static_cast<size_t>(k)]) continue;
    const auto& n = g.node(k);
    const std::string who = fmt::format("{}: {}", where, node_label(n, k));
    FV_CHECK(default_domain(n.domain()), FormatError, "{}: operator '{}' of domain '{}' is not supported", who,
             n.op_type(), n.domain());
    if (n.op_type() == "Constant") {
      FV_CHECK(n.output_size() == 1, FormatError, "{}: a Constant with {} outputs", who, n.output_size());
      add_weight(n.output(0), constant_value(n, model_dir, who));
      continue;
    }
    OpNode node;
    node.name = n.name();
    node.op = n.op_type();
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (const auto& a : n.attribute()) node.attributes[a.name()] = attribute_value(a, who);
    net.graph.nodes.push_back(std::move(node));
  }
  validate(net.graph, where);
  net.batch_reshapes = free_batch_dimension(net);
  return net;
}

}  // namespace fv
