// Operator graph -> ONNX ModelProto (fv-export onnx), in the form insightface's torch2onnx.py writes: input
// "data" with a symbolic batch dimension, weights as initializers (not as inputs), one output.
#include <fmt/format.h>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <unordered_map>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/error.h"
#include "onnx/onnx_model.h"
#include "onnx/onnx_tensor.h"

namespace fv {
namespace {

// The IR version ONNX 1.12's checker expects with each opset (onnx/helper.py VERSION_TABLE).
int64_t ir_version_of(int64_t opset) { return opset <= 11 ? 6 : opset <= 14 ? 7 : 8; }

void set_attribute(onnx::NodeProto* node, const std::string& name, const nlohmann::json& v) {
  auto* a = node->add_attribute();
  a->set_name(name);
  if (v.is_number_integer()) {
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v.get<int64_t>());
  } else if (v.is_number()) {
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v.get<float>());
  } else if (v.is_string()) {
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v.get<std::string>());
  } else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_number_integer(); })) {
    a->set_type(onnx::AttributeProto::INTS);
    for (const auto& e : v) a->add_ints(e.get<int64_t>());
  } else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_number(); })) {
    a->set_type(onnx::AttributeProto::FLOATS);
    for (const auto& e : v) a->add_floats(e.get<float>());
  } else {
    throw DataError(fmt::format("attribute '{}' = {} cannot be written", name, v.dump()));
  }
}

void set_value_info(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& dims) {
  info->set_name(name);
  auto* t = info->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = t->mutable_shape();
  shape->add_dim()->set_dim_param("None");  // the batch, as torch2onnx.py marks it
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

}  // namespace

void write_onnx_network(const std::filesystem::path& path, const OpGraph& graph, const std::vector<torch::Tensor>& weights,
                        int64_t channels, int64_t height, int64_t width, int64_t embedding_dim,
                        const OnnxWriteOptions& options) {
  const int64_t opset = options.opset;
  FV_CHECK(opset >= 11 && opset <= 17, ConfigError, "config key 'export.opset': {} is not supported (11 to 17)", opset);
  FV_CHECK(weights.size() == graph.initializers.size(), DataError, "{} weights for {} initializers", weights.size(),
           graph.initializers.size());
  onnx::ModelProto model;
  model.set_ir_version(ir_version_of(opset));
  model.set_producer_name(options.producer);
  auto* op = model.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  for (const auto& [key, value] : options.metadata) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  auto* g = model.mutable_graph();
  g->set_name("fv");

  // Tensor names: the input and output take the requested names; Identity and Dropout outputs are aliases of
  // their input.
  std::unordered_map<std::string, std::string> rename{{graph.input, options.input_name}};
  auto name_of = [&](const std::string& n) {
    const auto it = rename.find(n);
    return it == rename.end() ? n : it->second;
  };
  std::unordered_map<std::string, const torch::Tensor*> weight_of;
  for (size_t i = 0; i < weights.size(); ++i) {
    weight_of[graph.initializers[i].name] = &weights[i];
    tensor_to_proto(weights[i], graph.initializers[i].name, g->add_initializer());
  }
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const OpNode& n = graph.nodes[k];
    const std::string who = describe_node(graph, k);
    if (n.op == "Identity" || n.op == "Dropout") {
      rename[n.outputs[0]] = name_of(n.inputs[0]);
      continue;
    }
    auto* node = g->add_node();
    node->set_op_type(n.op);
    node->set_name(n.name.empty() ? fmt::format("{}_{}", n.op, k) : n.name);
    for (const auto& in : n.inputs) node->add_input(name_of(in));
    for (const auto& out : n.outputs) node->add_output(out);
    nlohmann::json attributes = n.attributes;
    if (n.op == "Squeeze" || n.op == "Unsqueeze") {
      if (opset >= 13 && attributes.contains("axes")) {  // axes moved from the attribute to input 2 in opset 13
        const std::string axes = n.outputs[0] + "_axes";
        tensor_to_proto(torch::tensor(attributes.at("axes").get<std::vector<int64_t>>(), torch::kInt64), axes,
                        g->add_initializer());
        node->add_input(axes);
        attributes.erase("axes");
      } else if (opset < 13 && n.inputs.size() > 1) {
        const auto it = weight_of.find(n.inputs[1]);
        FV_CHECK(it != weight_of.end(), ConfigError,
                 "config key 'export.opset': {}: opset {} needs constant axes (an attribute); use opset 13 or later", who,
                 opset);
        const auto axes = it->second->to(torch::kInt64).contiguous();
        attributes["axes"] = std::vector<int64_t>(axes.data_ptr<int64_t>(), axes.data_ptr<int64_t>() + axes.numel());
        node->mutable_input()->RemoveLast();
      }
    }
    if (n.op == "Reshape" && opset < 14 && attributes.contains("allowzero")) {
      FV_CHECK(attributes.at("allowzero") == 0, ConfigError,
               "config key 'export.opset': {}: Reshape allowzero = 1 needs opset 14 or later", who);
      attributes.erase("allowzero");
    }
    if (n.op == "Shape" && opset < 15)
      FV_CHECK(!attributes.contains("start") && !attributes.contains("end"), ConfigError,
               "config key 'export.opset': {}: Shape start/end need opset 15 or later", who);
    for (const auto& [key, value] : attributes.items()) set_attribute(node, key, value);
  }
  set_value_info(g->add_input(), options.input_name, {channels, height, width});
  // The output under its requested name: an Identity when the graph's last tensor has another name.
  const std::string last = name_of(graph.output);
  if (last != options.output_name) {
    auto* id = g->add_node();
    id->set_op_type("Identity");
    id->set_name("output");
    id->add_input(last);
    id->add_output(options.output_name);
  }
  set_value_info(g->add_output(), options.output_name, {embedding_dim});
  std::string bytes;
  FV_CHECK(model.SerializeToString(&bytes), IoError, "{}: could not serialise the ONNX model (over 2 GiB?)",
           path.string());
  write_file_atomic(path, bytes);
}

}  // namespace fv
