// dlib's ResNet face descriptor (dlib examples/dnn_face_recognition_ex.cpp, "dlib_face_recognition_resnet_model_v1"),
// as the TensorFlow.js port in @vladmandic/face-api 1.7.15 (src/faceRecognitionNet/*.ts) runs it, so that weights
// imported from that package (fv-import dlib) reproduce its descriptors.
//
// Input 150x150 RGB, (pixel - mean(122.782, 117.001, 104.298)) / 255 (see the model file's preprocessing).
//   conv32_down: conv 7x7/2 'valid' + bias, scale (per-channel a*x + b), ReLU         150 -> 72
//   max pool 3x3/2 'valid'                                                            72 -> 35
//   residual conv32_1..3; residual_down conv64_down, residual conv64_1..3;
//   residual_down conv128_down, residual conv128_1..2; residual_down conv256_down, residual conv256_1..2;
//   residual_down conv256_down_out                                          35 -> 17 -> 8 -> 3(4) -> 1(2)
//   global average pool, fc 256 -> 128 without bias (tf.matMul(x, fc)).
// A "conv layer" is conv + bias, scale (weights, biases), optional ReLU; 3x3 stride-1 convs use 'same'
// padding (1 on every side), stride-2 convs use 'valid' (none) — convLayer.ts. residual: conv+ReLU,
// conv, add the input, ReLU. residual_down: the first conv is the stride-2 'valid' one; the shortcut is a
// 2x2/2 'valid' average pool of the input, its channels doubled with zero channels (concatenated after)
// when the block doubles them (all but conv256_down_out, which stays at 256);
// when the pooled map is larger than the branch's (odd sizes: 3 vs 4, 1 vs 2), the branch gets zero rows
// at the bottom and zero columns at the right before the sum (residualLayer.ts), then ReLU.
//
// Parameter names follow the tfjs weight names with '/' -> '.', e.g. "conv64_down.conv1.conv.weight"
// (tfjs conv/filters, HWIO there, OIHW here), "conv64_down.conv1.conv.bias", "conv64_down.conv1.scale.weight"
// (scale/weights), "conv64_down.conv1.scale.bias" (scale/biases) and "fc.weight" ([128, 256], the tfjs
// fc [256, 128] transposed).
#include <fmt/format.h>

#include "core/check.h"
#include "model/backbone_impls.h"

namespace fv::detail {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

// Per-channel affine y = x * weight + bias (dlib's affine layer, face-api's scale layer).
class ScaleImpl : public nn::Module {
 public:
  explicit ScaleImpl(int64_t channels) {
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return x * weight.view({1, -1, 1, 1}) + bias.view({1, -1, 1, 1});
  }
  torch::Tensor weight, bias;
};
TORCH_MODULE(Scale);

// conv + bias, scale, optional ReLU. Stride 2 means 'valid' padding, stride 1 'same' (odd kernels only).
class ConvLayerImpl : public nn::Module {
 public:
  ConvLayerImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool relu) : relu_(relu) {
    const int64_t padding = stride == 1 ? kernel / 2 : 0;
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding)));
    scale = register_module("scale", Scale(out));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = scale->forward(conv->forward(x));
    return relu_ ? torch::relu(y) : y;
  }
  nn::Conv2d conv{nullptr};
  Scale scale{nullptr};

 private:
  bool relu_;
};
TORCH_MODULE(ConvLayer);

class ResidualImpl : public nn::Module {
 public:
  ResidualImpl(int64_t in, int64_t out, bool down) : down_(down) {
    FV_CHECK(out == in || (down && out == 2 * in), ConfigError, "dlib_resnet: residual block {} -> {} channels", in, out);
    conv1 = register_module("conv1", ConvLayer(in, out, 3, down ? 2 : 1, true));
    conv2 = register_module("conv2", ConvLayer(out, out, 3, 1, false));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor out = conv2->forward(conv1->forward(x));
    if (!down_) return torch::relu(out + x);
    torch::Tensor pooled = F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).stride(2));
    if (pooled.size(1) != out.size(1)) pooled = torch::cat({pooled, torch::zeros_like(pooled)}, 1);
    const int64_t dh = pooled.size(2) - out.size(2), dw = pooled.size(3) - out.size(3);
    if (dh != 0 || dw != 0) out = F::pad(out, F::PadFuncOptions({0, dw, 0, dh}));  // right, bottom
    return torch::relu(pooled + out);
  }
  ConvLayer conv1{nullptr}, conv2{nullptr};

 private:
  bool down_;
};
TORCH_MODULE(Residual);

// Spatial size after a k x k stride-s 'valid' window (floor((n - k) / s) + 1; 0 when the window does not fit).
int64_t valid_size(int64_t n, int64_t k, int64_t s) { return n < k ? 0 : (n - k) / s + 1; }

class DlibResNet final : public Backbone {
 public:
  explicit DlibResNet(const BackboneOptions& o) : Backbone(o) {
    // Check that every stage keeps a non-empty map (the padding trick of residual_down needs branch <= pooled).
    for (const int64_t n0 : {o.input_height(), o.input_width()}) {
      int64_t n = valid_size(valid_size(n0, 7, 2), 3, 2);
      for (int i = 0; i < 4; ++i) n = std::max(valid_size(n, 3, 2), valid_size(n, 2, 2));
      FV_CHECK(n >= 1, ConfigError, "dlib_resnet: input {}x{} is too small (the last stage would be empty); use 150x150",
               o.input_height(), o.input_width());
    }
    conv32_down = register_module("conv32_down", ConvLayer(o.in_channels(), 32, 7, 2, true));
    auto block = [&](const char* name, int64_t in, int64_t out, bool down) {
      blocks_.push_back(register_module(name, Residual(in, out, down)));
    };
    block("conv32_1", 32, 32, false);
    block("conv32_2", 32, 32, false);
    block("conv32_3", 32, 32, false);
    block("conv64_down", 32, 64, true);
    block("conv64_1", 64, 64, false);
    block("conv64_2", 64, 64, false);
    block("conv64_3", 64, 64, false);
    block("conv128_down", 64, 128, true);
    block("conv128_1", 128, 128, false);
    block("conv128_2", 128, 128, false);
    block("conv256_down", 128, 256, true);
    block("conv256_1", 256, 256, false);
    block("conv256_2", 256, 256, false);
    block("conv256_down_out", 256, 256, true);
    fc = register_module("fc", nn::Linear(nn::LinearOptions(256, o.embedding_dim()).bias(false)));
  }

  torch::Tensor forward(torch::Tensor x) override {
    check_input(x);
    x = conv32_down->forward(x);
    x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
    for (auto& b : blocks_) x = b->forward(x);
    return fc->forward(x.mean({2, 3}));
  }

  ConvLayer conv32_down{nullptr};
  nn::Linear fc{nullptr};

 private:
  std::vector<Residual> blocks_;
};

}  // namespace

std::shared_ptr<Backbone> make_dlib_resnet(const BackboneOptions& resolved) {
  return std::make_shared<DlibResNet>(resolved);
}

}  // namespace fv::detail
