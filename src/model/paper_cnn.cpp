// The seed papers' networks: the VGG-style MNIST/CIFAR-10 CNNs and SphereFace-20.
//
// MNIST / CIFAR-10: Table 1 of Liu et al., "Large-Margin Softmax Loss for Convolutional Neural Networks"
// (ICML 2016), reused by Liang et al., "Soft-Margin Softmax for Deep Classification" (2017):
//   MNIST:    conv0 [3x3, 64]x1, conv1 [3x3, 64]x3, pool, conv2 [3x3, 64]x3, pool, conv3 [3x3, 64]x3, pool, FC 256
//   CIFAR-10: conv0 [3x3, 64]x1, conv1 [3x3, 64]x4, pool, conv2 [3x3, 96]x4, pool, conv3 [3x3, 128]x4, pool, FC 256
// Every convolution has stride 1 and padding 1 and is followed by batch normalisation and PReLU (the
// papers' Section 5); pooling is 2x2 max with stride 2 rounded up as in Caffe (28 -> 14 -> 7 -> 4). The FC
// layer is the feature (embedding) layer fed to the loss, kept linear so that a 2-D FC gives the papers'
// feature plots. Source of the table: the papers as remembered and cross-checked against the issue text;
// the BN placement (after each conv, before PReLU) is the usual Caffe prototxt order.
//
// SphereFace-20: Liu et al., "SphereFace" (CVPR 2017), Table 2 / Fig. 3: four stages, each a 3x3 stride-2
// convolution (64, 128, 256, 512 channels) + PReLU followed by 1, 2, 4, 1 residual units of two 3x3 convs
// with PReLU (20 conv/FC layers), no batch normalisation; 112x96 input -> 7x6x512 -> FC 512. Initialisation
// as the authors' prototxt: Xavier for the stride-2 convs and the FC, N(0, 0.01) for the residual convs,
// biases 0.
#include <cmath>

#include "model/backbone_impls.h"
#include "model/graph_builder.h"

namespace fv::detail {
namespace {

namespace nn = torch::nn;

// Caffe's ceil-mode pooling size.
int64_t pooled(int64_t size) { return (size - 2 + 1) / 2 + 1; }

class PaperCnn final : public Backbone {
 public:
  explicit PaperCnn(const BackboneOptions& o) : Backbone(o) {
    const bool mnist = o.kind() == BackboneKind::kMnistNet;
    const int repeats = mnist ? 3 : 4;
    const std::vector<int64_t> widths = mnist ? std::vector<int64_t>{64, 64, 64} : std::vector<int64_t>{64, 96, 128};
    int64_t channels = o.in_channels();
    add_conv(channels, 64);  // conv0
    channels = 64;
    int64_t h = o.input_height(), w = o.input_width();
    for (size_t stage = 0; stage < widths.size(); ++stage) {
      for (int r = 0; r < repeats; ++r) {
        add_conv(channels, widths[stage]);
        channels = widths[stage];
      }
      features_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2).ceil_mode(true)));
      h = pooled(h);
      w = pooled(w);
    }
    register_module("features", features_);
    dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
    fc_ = register_module("fc", nn::Linear(channels * h * w, o.embedding_dim()));
  }

  torch::Tensor forward(torch::Tensor x) override {
    check_input(x);
    x = features_->forward(x).flatten(1);
    return fc_->forward(dropout_->forward(x));
  }

  std::string emit(GraphBuilder& g, const std::string& input) const override {
    // dropout: the identity in eval mode.
    return g.linear(*fc_, g.flatten(g.sequential(*features_, input, "features", /*spatial=*/true)), "fc");
  }

 private:
  void add_conv(int64_t in, int64_t out) {
    features_->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)));
    features_->push_back(nn::BatchNorm2d(out));
    features_->push_back(nn::PReLU(nn::PReLUOptions().num_parameters(out)));
  }

  nn::Sequential features_;
  nn::Dropout dropout_{nullptr};
  nn::Linear fc_{nullptr};
};

// One SphereFace residual unit: x + PReLU(conv(PReLU(conv(x)))).
class SphereResidualImpl : public nn::Module {
 public:
  explicit SphereResidualImpl(int64_t channels) {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1)));
    prelu1 = register_module("prelu1", nn::PReLU(nn::PReLUOptions().num_parameters(channels)));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1)));
    prelu2 = register_module("prelu2", nn::PReLU(nn::PReLUOptions().num_parameters(channels)));
    for (auto* conv : {&conv1, &conv2}) {
      nn::init::normal_((*conv)->weight, 0.0, 0.01);
      nn::init::zeros_((*conv)->bias);
    }
  }
  torch::Tensor forward(const torch::Tensor& x) { return x + prelu2->forward(conv2->forward(prelu1->forward(conv1->forward(x)))); }
  std::string emit(GraphBuilder& g, const std::string& x, const std::string& name) const {
    std::string y = g.prelu(*prelu1, g.conv(*conv1, x, name + ".conv1"), name + ".prelu1", true);
    y = g.prelu(*prelu2, g.conv(*conv2, y, name + ".conv2"), name + ".prelu2", true);
    return g.add(x, y);
  }

  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::PReLU prelu1{nullptr}, prelu2{nullptr};
};
TORCH_MODULE(SphereResidual);

class SphereFace20 final : public Backbone {
 public:
  explicit SphereFace20(const BackboneOptions& o) : Backbone(o) {
    const int64_t widths[] = {64, 128, 256, 512};
    const int units[] = {1, 2, 4, 1};
    int64_t channels = o.in_channels();
    int64_t h = o.input_height(), w = o.input_width();
    for (int stage = 0; stage < 4; ++stage) {
      nn::Conv2d down(nn::Conv2dOptions(channels, widths[stage], 3).stride(2).padding(1));
      nn::init::xavier_uniform_(down->weight);
      nn::init::zeros_(down->bias);
      body_->push_back(down);
      body_->push_back(nn::PReLU(nn::PReLUOptions().num_parameters(widths[stage])));
      for (int u = 0; u < units[stage]; ++u) body_->push_back(SphereResidual(widths[stage]));
      channels = widths[stage];
      h = (h + 1) / 2;  // 3x3, stride 2, padding 1
      w = (w + 1) / 2;
    }
    register_module("body", body_);
    dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
    fc_ = register_module("fc5", nn::Linear(channels * h * w, o.embedding_dim()));
    nn::init::xavier_uniform_(fc_->weight);
    nn::init::zeros_(fc_->bias);
  }

  torch::Tensor forward(torch::Tensor x) override {
    check_input(x);
    return fc_->forward(dropout_->forward(body_->forward(x).flatten(1)));
  }

  std::string emit(GraphBuilder& g, const std::string& input) const override {
    std::string x = input;
    for (const auto& child : body_->named_children()) {
      const std::string name = "body." + child.key();
      if (const auto* unit = child.value()->as<SphereResidual>()) x = unit->emit(g, x, name);
      else x = g.module(*child.value(), x, name, /*spatial=*/true);
    }
    return g.linear(*fc_, g.flatten(x), "fc5");  // dropout: the identity in eval mode
  }

 private:
  nn::Sequential body_;
  nn::Dropout dropout_{nullptr};
  nn::Linear fc_{nullptr};
};

}  // namespace

std::shared_ptr<Backbone> make_paper_cnn(const BackboneOptions& resolved) { return std::make_shared<PaperCnn>(resolved); }
std::shared_ptr<Backbone> make_sphereface20(const BackboneOptions& resolved) {
  return std::make_shared<SphereFace20>(resolved);
}

}  // namespace fv::detail
