// Private to src/model: one constructor per network family, called by make_backbone with resolved options.
#pragma once

#include <memory>

#include "model/backbone.h"

namespace fv::detail {

std::shared_ptr<Backbone> make_paper_cnn(const BackboneOptions& resolved);     // mnist, cifar
std::shared_ptr<Backbone> make_sphereface20(const BackboneOptions& resolved);
std::shared_ptr<Backbone> make_iresnet(const BackboneOptions& resolved);       // 18, 50, 100
std::shared_ptr<Backbone> make_mobilefacenet(const BackboneOptions& resolved);
std::shared_ptr<Backbone> make_dlib_resnet(const BackboneOptions& resolved);
std::shared_ptr<Backbone> make_graph_net(const BackboneOptions& resolved);  // onnx

}  // namespace fv::detail
