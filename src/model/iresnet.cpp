// iResNet-18/50/100 with the exact module layout and parameter names of insightface's
// recognition/arcface_torch/backbones/iresnet.py, so that its state dicts map onto ours name for name:
//   conv1, bn1, prelu, layer1..layer4 (Sequential of IBasicBlock {bn1, conv1, bn2, prelu, conv2, bn3,
//   downsample.0 (1x1 conv), downsample.1 (BN)}), bn2, dropout, fc, features (BatchNorm1d, weight fixed at 1).
// The stride sits on the block's second conv; every stage starts with stride 2 (112 -> 56 -> 28 -> 14 -> 7).
// Initialisation as insightface: conv weights N(0, 0.1), BN weight 1 and bias 0, features.weight frozen.
#include <fmt/format.h>

#include <cmath>

#include "model/backbone_impls.h"
#include "model/graph_builder.h"

namespace fv::detail {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

nn::BatchNorm2d bn(int64_t channels) { return nn::BatchNorm2d(nn::BatchNorm2dOptions(channels).eps(1e-5)); }

class IBasicBlockImpl : public nn::Module {
 public:
  IBasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride) {
    // Registration order = insightface's attribute order, so named_parameters() lists in the same order.
    bn1 = register_module("bn1", bn(inplanes));
    conv1 = register_module("conv1", conv3x3(inplanes, planes));
    bn2 = register_module("bn2", bn(planes));
    prelu = register_module("prelu", nn::PReLU(nn::PReLUOptions().num_parameters(planes)));
    conv2 = register_module("conv2", conv3x3(planes, planes, stride));
    bn3 = register_module("bn3", bn(planes));
    if (stride != 1 || inplanes != planes) {
      downsample = register_module(
          "downsample", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(inplanes, planes, 1).stride(stride).bias(false)),
                                       bn(planes)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto out = bn3->forward(conv2->forward(prelu->forward(bn2->forward(conv1->forward(bn1->forward(x))))));
    return out + (downsample.is_empty() ? x : downsample->forward(x));
  }

  std::string emit(GraphBuilder& g, const std::string& x, const std::string& name) const {
    std::string out = g.batch_norm(*bn1, x, name + ".bn1");
    out = g.conv(*conv1, out, name + ".conv1");
    out = g.batch_norm(*bn2, out, name + ".bn2");
    out = g.prelu(*prelu, out, name + ".prelu", /*spatial=*/true);
    out = g.conv(*conv2, out, name + ".conv2");
    out = g.batch_norm(*bn3, out, name + ".bn3");
    return g.add(out, downsample.is_empty() ? x : g.sequential(*downsample, x, name + ".downsample", true));
  }

  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::PReLU prelu{nullptr};
  nn::Sequential downsample{nullptr};
};
TORCH_MODULE(IBasicBlock);

std::vector<int> blocks_of(BackboneKind kind) {
  switch (kind) {
    case BackboneKind::kIResNet18:
      return {2, 2, 2, 2};
    case BackboneKind::kIResNet50:
      return {3, 4, 14, 3};
    default:
      return {3, 13, 30, 3};  // iresnet100
  }
}

class IResNet final : public Backbone {
 public:
  explicit IResNet(const BackboneOptions& o) : Backbone(o) {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(o.in_channels(), 64, 3).stride(1).padding(1).bias(false)));
    bn1 = register_module("bn1", bn(64));
    prelu = register_module("prelu", nn::PReLU(nn::PReLUOptions().num_parameters(64)));
    const auto blocks = blocks_of(o.kind());
    const int64_t planes[] = {64, 128, 256, 512};
    int64_t inplanes = 64;
    int64_t h = o.input_height(), w = o.input_width();
    for (int i = 0; i < 4; ++i) {
      nn::Sequential layer;
      layer->push_back(IBasicBlock(inplanes, planes[i], 2));
      inplanes = planes[i];
      for (int b = 1; b < blocks[i]; ++b) layer->push_back(IBasicBlock(inplanes, planes[i], 1));
      layers[i] = register_module("layer" + std::to_string(i + 1), layer);
      h = (h + 1) / 2;
      w = (w + 1) / 2;
    }
    bn2 = register_module("bn2", bn(512));
    dropout = register_module("dropout", nn::Dropout(o.dropout()));
    // insightface's fc_scale = 7 * 7 is the 112x112 case of this.
    fc = register_module("fc", nn::Linear(512 * h * w, o.embedding_dim()));
    features = register_module("features", nn::BatchNorm1d(nn::BatchNormOptions(o.embedding_dim()).eps(1e-5)));

    torch::NoGradGuard no_grad;
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* conv = module->as<nn::Conv2d>()) {
        nn::init::normal_(conv->weight, 0.0, 0.1);
      } else if (auto* norm = module->as<nn::BatchNorm2d>()) {
        nn::init::ones_(norm->weight);
        nn::init::zeros_(norm->bias);
      }
    }
    nn::init::ones_(features->weight);
    features->weight.set_requires_grad(false);
  }

  torch::Tensor forward(torch::Tensor x) override {
    check_input(x);
    x = prelu->forward(bn1->forward(conv1->forward(x)));
    for (auto& layer : layers) x = layer->forward(x);
    x = bn2->forward(x).flatten(1);
    return features->forward(fc->forward(dropout->forward(x)));
  }

  std::string emit(GraphBuilder& g, const std::string& input) const override {
    std::string x = g.prelu(*prelu, g.batch_norm(*bn1, g.conv(*conv1, input, "conv1"), "bn1"), "prelu", true);
    for (int i = 0; i < 4; ++i) {
      const auto& blocks = layers[i]->named_children();
      for (const auto& block : blocks)
        x = block.value()->as<IBasicBlock>()->emit(g, x, fmt::format("layer{}.{}", i + 1, block.key()));
    }
    x = g.flatten(g.batch_norm(*bn2, x, "bn2"));
    return g.batch_norm(*features, g.linear(*fc, x, "fc"), "features");  // dropout: the identity in eval mode
  }

  nn::Conv2d conv1{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::PReLU prelu{nullptr};
  nn::Sequential layers[4] = {nn::Sequential{nullptr}, nn::Sequential{nullptr}, nn::Sequential{nullptr},
                              nn::Sequential{nullptr}};
  nn::Dropout dropout{nullptr};
  nn::Linear fc{nullptr};
  nn::BatchNorm1d features{nullptr};
};

}  // namespace

std::shared_ptr<Backbone> make_iresnet(const BackboneOptions& resolved) { return std::make_shared<IResNet>(resolved); }

}  // namespace fv::detail
