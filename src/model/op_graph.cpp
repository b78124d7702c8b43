// The operator graph: supported operators, validation and the JSON form kept in model files.
#include "model/op_graph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/check.h"
#include "core/error.h"

namespace fv {
namespace {

struct Arity {
  size_t min_inputs, max_inputs, max_outputs;
};

// Inputs and outputs per operator, as the ONNX specification allows them (opsets 7-17) and graph_net uses them.
const std::map<std::string, Arity>& arities() {
  static const std::map<std::string, Arity> table = {
      {"Add", {2, 2, 1}},       {"BatchNormalization", {5, 5, 1}}, {"Cast", {1, 1, 1}},
      {"Concat", {1, 64, 1}},   {"Conv", {2, 3, 1}},               {"Div", {2, 2, 1}},
      {"Dropout", {1, 3, 2}},   {"Flatten", {1, 1, 1}},            {"Gather", {2, 2, 1}},
      {"Gemm", {2, 3, 1}},      {"GlobalAveragePool", {1, 1, 1}},  {"Identity", {1, 1, 1}},
      {"MatMul", {2, 2, 1}},    {"MaxPool", {1, 1, 1}},            {"Mul", {2, 2, 1}},
      {"PRelu", {2, 2, 1}},     {"ReduceL2", {1, 1, 1}},           {"ReduceMean", {1, 1, 1}},
      {"Relu", {1, 1, 1}},      {"Reshape", {2, 2, 1}},
      {"Shape", {1, 1, 1}},     {"Sigmoid", {1, 1, 1}},            {"Squeeze", {1, 2, 1}},
      {"Sub", {2, 2, 1}},       {"Unsqueeze", {1, 2, 1}},
  };
  return table;
}

// The attribute values graph_net does not implement, per operator: "what was seen, and what is supported".
void check_attributes(const OpNode& node, const std::string& where, const std::string& who) {
  const auto& a = node.attributes;
  auto string_attr = [&](const char* key, const char* expected) {
    if (a.contains(key) && a.at(key) != expected)
      throw FormatError(fmt::format("{}: {}: attribute {} = {} is not supported (only {})", where, who, key,
                                    a.at(key).dump(), expected));
  };
  auto int_attr = [&](const char* key, int64_t expected) {
    if (a.contains(key) && a.at(key) != expected)
      throw FormatError(fmt::format("{}: {}: attribute {} = {} is not supported (only {})", where, who, key,
                                    a.at(key).dump(), expected));
  };
  auto spatial_2d = [&](const char* key) {
    if (a.contains(key) && (!a.at(key).is_array() || a.at(key).size() != 2))
      throw FormatError(fmt::format("{}: {}: attribute {} = {}: only 2-D (two values) is supported", where, who, key,
                                    a.at(key).dump()));
  };
  if (node.op == "Conv" || node.op == "MaxPool") {
    string_attr("auto_pad", "NOTSET");
    for (const char* key : {"kernel_shape", "strides", "dilations"}) spatial_2d(key);
    if (a.contains("pads") && (!a.at("pads").is_array() || a.at("pads").size() != 4))
      throw FormatError(fmt::format("{}: {}: attribute pads = {}: only 2-D (four values) is supported", where, who,
                                    a.at("pads").dump()));
    if (node.op == "MaxPool") int_attr("storage_order", 0);
    if (node.op == "MaxPool" && !a.contains("kernel_shape"))
      throw FormatError(fmt::format("{}: {}: attribute kernel_shape is required", where, who));
  } else if (node.op == "BatchNormalization") {
    int_attr("training_mode", 0);
  } else if (node.op == "Cast") {
    const int64_t to = a.value("to", int64_t{0});
    if (to != 1 && to != 7)
      throw FormatError(fmt::format("{}: {}: Cast to ONNX type {} is not supported (only 1 = FLOAT, 7 = INT64)", where,
                                    who, to));
  }
}

}  // namespace

const std::vector<std::string>& supported_ops() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [op, arity] : arities()) n.push_back(op);
    return n;
  }();
  return names;
}

std::string describe_node(const OpGraph& graph, size_t index) {
  const OpNode& node = graph.nodes.at(index);
  return node.name.empty() ? fmt::format("node {} ({})", index, node.op)
                           : fmt::format("node {} '{}' ({})", index, node.name, node.op);
}

void validate(const OpGraph& graph, const std::string& where) {
  FV_CHECK(!graph.input.empty() && !graph.output.empty(), FormatError, "{}: the graph names no input or no output",
           where);
  std::set<std::string> defined{graph.input};
  for (const auto& init : graph.initializers) {
    FV_CHECK(defined.insert(init.name).second, FormatError, "{}: tensor '{}' is defined twice", where, init.name);
    for (int64_t d : init.shape)
      FV_CHECK(d >= 0, FormatError, "{}: initializer '{}' has a negative dimension", where, init.name);
  }
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const OpNode& node = graph.nodes[k];
    const std::string who = describe_node(graph, k);
    const auto it = arities().find(node.op);
    if (it == arities().end()) {
      throw FormatError(fmt::format("{}: {}: operator '{}' is not supported; supported: {}", where, who, node.op,
                                    fmt::join(supported_ops(), ", ")));
    }
    const Arity& arity = it->second;
    FV_CHECK(node.inputs.size() >= arity.min_inputs && node.inputs.size() <= arity.max_inputs, FormatError,
             "{}: {}: {} inputs, expected {} to {}", where, who, node.inputs.size(), arity.min_inputs,
             arity.max_inputs);
    FV_CHECK(!node.outputs.empty() && node.outputs.size() <= arity.max_outputs, FormatError,
             "{}: {}: {} outputs, expected 1 to {}", where, who, node.outputs.size(), arity.max_outputs);
    FV_CHECK(node.attributes.is_object(), FormatError, "{}: {}: attributes are not an object", where, who);
    check_attributes(node, where, who);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const std::string& in = node.inputs[i];
      if (in.empty()) {
        FV_CHECK(i >= arity.min_inputs, FormatError, "{}: {}: required input {} is empty", where, who, i);
        continue;
      }
      FV_CHECK(defined.count(in), FormatError,
               "{}: {}: input '{}' is neither the graph input, an initializer nor an earlier node's output", where, who,
               in);
    }
    for (const auto& out : node.outputs) {
      if (out.empty()) continue;
      FV_CHECK(defined.insert(out).second, FormatError, "{}: {}: output '{}' is defined twice", where, who, out);
    }
  }
  FV_CHECK(defined.count(graph.output), FormatError, "{}: no node produces the output '{}'", where, graph.output);
}

nlohmann::json to_json(const OpGraph& graph) {
  nlohmann::json inits = nlohmann::json::array();
  for (const auto& i : graph.initializers)
    inits.push_back({{"name", i.name}, {"type", i.type == OpTensorType::kInt64 ? "int64" : "float32"}, {"shape", i.shape}});
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : graph.nodes)
    nodes.push_back({{"name", n.name}, {"op", n.op}, {"inputs", n.inputs}, {"outputs", n.outputs},
                     {"attributes", n.attributes}});
  return {{"input", graph.input}, {"output", graph.output}, {"initializers", inits}, {"nodes", nodes}};
}

OpGraph op_graph_from_json(const nlohmann::json& j, const std::string& where) {
  OpGraph g;
  try {
    g.input = j.at("input").get<std::string>();
    g.output = j.at("output").get<std::string>();
    for (const auto& i : j.at("initializers")) {
      OpInitializer init;
      init.name = i.at("name").get<std::string>();
      const auto type = i.at("type").get<std::string>();
      FV_CHECK(type == "float32" || type == "int64", FormatError, "{}: initializer '{}' has type '{}'", where,
               init.name, type);
      init.type = type == "int64" ? OpTensorType::kInt64 : OpTensorType::kFloat32;
      init.shape = i.at("shape").get<std::vector<int64_t>>();
      g.initializers.push_back(std::move(init));
    }
    for (const auto& n : j.at("nodes")) {
      OpNode node;
      node.name = n.at("name").get<std::string>();
      node.op = n.at("op").get<std::string>();
      node.inputs = n.at("inputs").get<std::vector<std::string>>();
      node.outputs = n.at("outputs").get<std::vector<std::string>>();
      node.attributes = n.at("attributes");
      g.nodes.push_back(std::move(node));
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: the operator graph is malformed ({})", where, e.what()));
  }
  return g;
}

}  // namespace fv
