// MobileFaceNet (Chen et al., "MobileFaceNets: Efficient CNNs for Accurate Real-Time Face Verification on
// Mobile Devices", 2018), Table 1, for 112x112 input:
//   conv3x3 64 /2, depthwise conv3x3 64, bottlenecks (t, c, n, s) = (2,64,5,2) (4,128,1,2) (2,128,6,1)
//   (4,128,1,2) (2,128,2,1), conv1x1 512, linear GDConv 7x7 (depthwise, 512), linear conv1x1 128.
// Every conv is followed by BN; PReLU on the non-linear ones; bottlenecks are MobileNetV2 inverted residuals
// (1x1 expand by t, 3x3 depthwise with the stride, linear 1x1 project, shortcut when stride 1 and the
// channels match). The GDConv kernel equals the final feature-map size (7x7 at 112x112). The embedding
// size (128 in the paper) is configurable; a BN follows the last linear conv, as in the authors' model.
#include "model/backbone_impls.h"
#include "model/graph_builder.h"

namespace fv::detail {
namespace {

namespace nn = torch::nn;

// Appends conv + BN (+ PReLU when `linear` is false) to `s` (LibTorch cannot nest Sequentials).
void conv_bn(nn::Sequential& s, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
             int64_t groups, bool linear) {
  s->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).groups(groups).bias(false)));
  s->push_back(nn::BatchNorm2d(out));
  if (!linear) s->push_back(nn::PReLU(nn::PReLUOptions().num_parameters(out)));
}

class BottleneckImpl : public nn::Module {
 public:
  BottleneckImpl(int64_t in, int64_t out, int64_t stride, int64_t expansion) : shortcut_(stride == 1 && in == out) {
    const int64_t hidden = in * expansion;
    nn::Sequential s;
    conv_bn(s, in, hidden, 1, 1, 0, 1, false);
    conv_bn(s, hidden, hidden, 3, stride, 1, hidden, false);
    conv_bn(s, hidden, out, 1, 1, 0, 1, true);
    body = register_module("body", s);
  }
  torch::Tensor forward(const torch::Tensor& x) { return shortcut_ ? x + body->forward(x) : body->forward(x); }
  std::string emit(GraphBuilder& g, const std::string& x, const std::string& name) const {
    const std::string y = g.sequential(*body, x, name + ".body", /*spatial=*/true);
    return shortcut_ ? g.add(x, y) : y;
  }

  nn::Sequential body{nullptr};

 private:
  bool shortcut_;
};
TORCH_MODULE(Bottleneck);

class MobileFaceNet final : public Backbone {
 public:
  explicit MobileFaceNet(const BackboneOptions& o) : Backbone(o) {
    int64_t h = (o.input_height() + 1) / 2, w = (o.input_width() + 1) / 2;
    conv_bn(features_, o.in_channels(), 64, 3, 2, 1, 1, false);
    conv_bn(features_, 64, 64, 3, 1, 1, 64, false);  // depthwise
    struct Stage {
      int64_t t, c, n, s;
    };
    const Stage stages[] = {{2, 64, 5, 2}, {4, 128, 1, 2}, {2, 128, 6, 1}, {4, 128, 1, 2}, {2, 128, 2, 1}};
    int64_t channels = 64;
    for (const auto& st : stages) {
      for (int64_t i = 0; i < st.n; ++i) {
        const int64_t stride = i == 0 ? st.s : 1;
        features_->push_back(Bottleneck(channels, st.c, stride, st.t));
        channels = st.c;
        if (stride == 2) {
          h = (h + 1) / 2;
          w = (w + 1) / 2;
        }
      }
    }
    conv_bn(features_, channels, 512, 1, 1, 0, 1, false);
    // Global depthwise conv (linear GDConv): one hxw filter per channel over the whole final map.
    features_->push_back(nn::Conv2d(nn::Conv2dOptions(512, 512, {h, w}).groups(512).bias(false)));
    features_->push_back(nn::BatchNorm2d(512));
    register_module("features", features_);
    dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
    nn::Sequential embedding;
    conv_bn(embedding, 512, o.embedding_dim(), 1, 1, 0, 1, true);
    embedding_ = register_module("embedding", embedding);
  }

  torch::Tensor forward(torch::Tensor x) override {
    check_input(x);
    return embedding_->forward(dropout_->forward(features_->forward(x))).flatten(1);
  }

  std::string emit(GraphBuilder& g, const std::string& input) const override {
    std::string x = input;
    for (const auto& child : features_->named_children()) {
      const std::string name = "features." + child.key();
      if (const auto* block = child.value()->as<Bottleneck>()) {
        x = block->emit(g, x, name);
      } else {  // conv, BN or PReLU
        x = g.module(*child.value(), x, name, /*spatial=*/true);
      }
    }
    // dropout: the identity in eval mode.
    return g.flatten(g.sequential(*embedding_, x, "embedding", true));
  }

 private:
  nn::Sequential features_;
  nn::Dropout dropout_{nullptr};
  nn::Sequential embedding_{nullptr};
};

}  // namespace

std::shared_ptr<Backbone> make_mobilefacenet(const BackboneOptions& resolved) {
  return std::make_shared<MobileFaceNet>(resolved);
}

}  // namespace fv::detail
