// Backbone names, option resolution and validation, the factory and the input check.
#include "model/backbone.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/check.h"
#include "core/error.h"
#include "core/options.h"
#include "model/backbone_impls.h"

namespace fv {

const std::vector<std::pair<std::string, BackboneKind>>& backbone_kind_names() {
  static const std::vector<std::pair<std::string, BackboneKind>> names = {
      {"mnist", BackboneKind::kMnistNet},         {"cifar", BackboneKind::kCifarNet},
      {"sphereface20", BackboneKind::kSphereFace20}, {"iresnet18", BackboneKind::kIResNet18},
      {"iresnet50", BackboneKind::kIResNet50},     {"iresnet100", BackboneKind::kIResNet100},
      {"mobilefacenet", BackboneKind::kMobileFaceNet}, {"dlib_resnet", BackboneKind::kDlibResNet},
      {"onnx", BackboneKind::kOnnxGraph}};
  return names;
}

BackboneKind parse_backbone_kind(std::string_view name, std::string_view key) {
  return parse_enum(backbone_kind_names(), name, key);
}

std::string backbone_kind_name(BackboneKind kind) { return enum_name(backbone_kind_names(), kind); }

BackboneOptions resolve(BackboneOptions o) {
  int64_t dim = 512, h = 112, w = 112, c = 3;
  switch (o.kind()) {
    case BackboneKind::kMnistNet:
      dim = 256, h = 28, w = 28, c = 1;
      break;
    case BackboneKind::kCifarNet:
      dim = 256, h = 32, w = 32, c = 3;
      break;
    case BackboneKind::kSphereFace20:
      w = 96;
      break;
    case BackboneKind::kMobileFaceNet:
      dim = 128;
      break;
    case BackboneKind::kDlibResNet:
      dim = 128, h = 150, w = 150;
      break;
    case BackboneKind::kOnnxGraph:
      FV_CHECK(!o.graph().empty() && o.embedding_dim() > 0 && o.input_height() > 0 && o.input_width() > 0 &&
                   o.in_channels() > 0,
               ConfigError,
               "model.backbone onnx: an imported graph with its sizes is needed; such a network comes from a model "
               "file written by fv-import onnx and cannot be configured");
      break;
    default:
      break;
  }
  if (o.embedding_dim() == 0) o.embedding_dim(dim);
  if (o.input_height() == 0) o.input_height(h);
  if (o.input_width() == 0) o.input_width(w);
  if (o.in_channels() == 0) o.in_channels(c);
  FV_CHECK_GT(o.embedding_dim(), 0, ConfigError, "model.embedding_dim must be positive (0 = the network's own)");
  FV_CHECK_GE(o.input_height(), 16, ConfigError, "model.input_height must be at least 16 pixels");
  FV_CHECK_GE(o.input_width(), 16, ConfigError, "model.input_width must be at least 16 pixels");
  FV_CHECK_GT(o.in_channels(), 0, ConfigError, "model.in_channels must be positive");
  FV_CHECK(o.dropout() >= 0 && o.dropout() < 1, ConfigError, "model.dropout must be in [0, 1) (got {})", o.dropout());
  return o;
}

void bind(OptionSet& set, BackboneOptions* o) {
  set.add_enum("model.backbone", &o->kind(), backbone_kind_names(),
               "network: mnist, cifar (the L-Softmax/SM-Softmax papers' CNNs), sphereface20, iresnet18, iresnet50, "
               "iresnet100, mobilefacenet, dlib_resnet (dlib's face descriptor, for fv-import dlib), onnx (an imported "
               "graph, only from a model file)")
      .add("model.embedding_dim", &o->embedding_dim(), "embedding size (0 = the network's own)")
      .add("model.input_height", &o->input_height(), "input height in pixels (0 = the network's own)")
      .add("model.input_width", &o->input_width(), "input width in pixels (0 = the network's own)")
      .add("model.in_channels", &o->in_channels(), "input channels (0 = the network's own)")
      .add("model.dropout", &o->dropout(), "dropout before the embedding layer");
}

std::shared_ptr<Backbone> make_backbone(const BackboneOptions& options) {
  const BackboneOptions o = resolve(options);
  switch (o.kind()) {
    case BackboneKind::kMnistNet:
    case BackboneKind::kCifarNet:
      return detail::make_paper_cnn(o);
    case BackboneKind::kSphereFace20:
      return detail::make_sphereface20(o);
    case BackboneKind::kIResNet18:
    case BackboneKind::kIResNet50:
    case BackboneKind::kIResNet100:
      return detail::make_iresnet(o);
    case BackboneKind::kMobileFaceNet:
      return detail::make_mobilefacenet(o);
    case BackboneKind::kDlibResNet:
      return detail::make_dlib_resnet(o);
    case BackboneKind::kOnnxGraph:
      return detail::make_graph_net(o);
  }
  throw ConfigError("model.backbone: unknown backbone kind");
}

void Backbone::check_input(const torch::Tensor& x) const {
  const auto& o = options_;
  FV_CHECK(x.dim() == 4 && x.size(1) == o.in_channels() && x.size(2) == o.input_height() &&
               x.size(3) == o.input_width(),
           DataError, "{} expects images [N, {}, {}, {}], got [{}]", backbone_kind_name(o.kind()), o.in_channels(),
           o.input_height(), o.input_width(), fmt::format("{}", fmt::join(x.sizes(), ", ")));
}

void Backbone::pretty_print(std::ostream& stream) const {
  const auto& o = options_;
  stream << fmt::format("fv::Backbone({}, input={}x{}x{}, embedding_dim={}, dropout={})", backbone_kind_name(o.kind()),
                        o.in_channels(), o.input_height(), o.input_width(), o.embedding_dim(), o.dropout());
}

std::string Backbone::emit(GraphBuilder& /*graph*/, const std::string& /*input*/) const {
  throw ConfigError(fmt::format("model.backbone {}: this network cannot be exported as an operator graph yet "
                                "(exportable: mnist, cifar, sphereface20, iresnet18, iresnet50, iresnet100, mobilefacenet, onnx)",
                                backbone_kind_name(options_.kind())));
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace fv
