// The backbone interface (images -> embeddings), its options and the factory for every network of the project.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fv {

class OptionSet;
class GraphBuilder;

enum class BackboneKind {
  kMnistNet,       // L-Softmax / SM-Softmax papers' VGG-style MNIST network (Table 1), 28x28x1, FC 256
  kCifarNet,       // the same papers' CIFAR-10 network, 32x32x3, FC 256
  kSphereFace20,   // SphereFace's 20-layer residual network (Liu et al. CVPR 2017), 112x96x3, 512-D
  kIResNet18,      // insightface arcface_torch iresnet18 (same module names), 112x112x3, 512-D
  kIResNet50,      // ... iresnet50
  kIResNet100,     // ... iresnet100
  kMobileFaceNet,  // Chen et al. 2018, 112x112x3, 128-D
  kDlibResNet,     // dlib's ResNet face descriptor (dnn_face_recognition_ex.cpp; fv-import dlib), 150x150x3, 128-D
  kOnnxGraph,      // an imported ONNX graph (fv-import onnx; model/op_graph.h), sizes from the graph
};

// Names accepted in configs: mnist, cifar, sphereface20, iresnet18, iresnet50, iresnet100, mobilefacenet,
// dlib_resnet, onnx.
const std::vector<std::pair<std::string, BackboneKind>>& backbone_kind_names();
// Throws ConfigError naming `key` and listing the valid names.
BackboneKind parse_backbone_kind(std::string_view name, std::string_view key = "model.backbone");
std::string backbone_kind_name(BackboneKind kind);

struct BackboneOptions {
  explicit BackboneOptions(BackboneKind kind) : kind_(kind) {}
  TORCH_ARG(BackboneKind, kind);
  // 0 = the network's own value (see BackboneKind); input sizes other than the native one are allowed
  // (the fully connected layer follows the final feature-map size), down to 16 pixels.
  TORCH_ARG(int64_t, embedding_dim) = 0;
  TORCH_ARG(int64_t, input_height) = 0;
  TORCH_ARG(int64_t, input_width) = 0;
  TORCH_ARG(int64_t, in_channels) = 0;
  // Dropout before the embedding layer (iResNet's `dropout`, insightface default 0).
  TORCH_ARG(double, dropout) = 0.0;
  // kOnnxGraph only: the operator graph as JSON (model/op_graph.h's to_json), written by fv-import onnx.
  TORCH_ARG(std::string, graph) = "";
};

// The options with every 0 replaced by the network's own value. Throws ConfigError naming the key
// (model.embedding_dim, model.input_height, model.input_width, model.in_channels, model.dropout); for onnx,
// which has no own values, when the graph or a size is missing (such a network only comes from a model file).
BackboneOptions resolve(BackboneOptions options);

// Binds model.backbone, model.embedding_dim, model.input_height, model.input_width, model.in_channels and
// model.dropout to `options` (its current values are the defaults). Call resolve() after parsing.
void bind(OptionSet& set, BackboneOptions* options);

class Backbone : public torch::nn::Module {
 public:
  // images [N, in_channels, input_height, input_width] float -> embeddings [N, embedding_dim].
  // Throws DataError naming the shape seen when the input does not match the options.
  virtual torch::Tensor forward(torch::Tensor images) = 0;
  // The resolved options (never 0 fields).
  const BackboneOptions& options() const { return options_; }
  void pretty_print(std::ostream& stream) const override;
  // Writes forward() (eval mode) on the graph input `input` as operator-graph nodes (model/graph_builder.h; for
  // fv-export onnx) and returns the output's name. The default throws ConfigError naming the network: every
  // network that can be exported overrides it.
  virtual std::string emit(GraphBuilder& graph, const std::string& input) const;

 protected:
  explicit Backbone(const BackboneOptions& resolved) : options_(resolved) {}
  // Checks the input shape against the options.
  void check_input(const torch::Tensor& images) const;

 private:
  BackboneOptions options_;
};

// Builds the network; `options` are resolved first (so 0 fields mean the network's defaults).
std::shared_ptr<Backbone> make_backbone(const BackboneOptions& options);

// Number of parameter elements (trainable or not) of a module.
int64_t parameter_count(const torch::nn::Module& module);

}  // namespace fv
