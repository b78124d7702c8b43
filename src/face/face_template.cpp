// Built-in and file-based 5-point alignment templates.
#include "face/face_template.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/check.h"

namespace fv {

const EnumNames<TemplateKind>& template_kind_names() {
  static const EnumNames<TemplateKind> names{{"arcface", TemplateKind::kArcface},
                                             {"sphereface", TemplateKind::kSphereface},
                                             {"dlib_chip", TemplateKind::kDlibChip},
                                             {"file", TemplateKind::kFile}};
  return names;
}

FaceTemplate builtin_template(TemplateKind kind) {
  switch (kind) {
    case TemplateKind::kArcface:
      // insightface/utils/face_align.py arcface_dst.
      return {112, 112, {{{38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f}, {41.5493f, 92.3655f},
                          {70.7299f, 92.2041f}}}};
    case TemplateKind::kSphereface:
      return {96, 112, {{{30.2946f, 51.6963f}, {65.5318f, 51.5014f}, {48.0252f, 71.7366f}, {33.5493f, 92.3655f},
                         {62.7299f, 92.2041f}}}};
    case TemplateKind::kDlibChip:
      // (0.25 + mean_face_shape)/1.5*150 from dlib/image_transforms/interpolation.h (dlib 19.24).
      return {150, 150, {{{47.5492f, 46.5990f}, {100.4761f, 46.5990f}, {74.0127f, 76.5625f}, {50.4149f, 103.0233f},
                          {97.6104f, 103.0233f}}}};
    case TemplateKind::kFile:
      break;
  }
  throw ConfigError("builtin_template: 'file' is not a built-in template; use read_template_file");
}

FaceTemplate read_template_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  FV_CHECK(in.good(), IoError, "cannot open template file '{}'", path.string());
  FaceTemplate t;
  int points = 0;
  bool have_size = false;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    std::istringstream s(line);
    std::string probe;
    if (!(s >> probe)) continue;
    s.clear();
    s.str(line);
    std::string rest;
    if (!have_size) {
      FV_CHECK(static_cast<bool>(s >> t.width >> t.height) && !(s >> rest) && t.width > 0 && t.height > 0, FormatError,
               "{}:{}: expected 'width height' (two positive integers), got '{}'", path.string(), line_no, line);
      have_size = true;
      continue;
    }
    FV_CHECK(points < 5, FormatError, "{}:{}: more than five points", path.string(), line_no);
    float x = 0, y = 0;
    FV_CHECK(static_cast<bool>(s >> x >> y) && !(s >> rest) && std::isfinite(x) && std::isfinite(y), FormatError,
             "{}:{}: expected 'x y' for point {}, got '{}'", path.string(), line_no, points, line);
    t.points[points++] = {x, y};
  }
  FV_CHECK(have_size && points == 5, FormatError, "{}:{}: expected a size line and five points, found {} points",
           path.string(), line_no, points);
  return t;
}

FaceTemplate resize_template(const FaceTemplate& t, int width, int height) {
  FV_CHECK(width >= 0 && height >= 0, ConfigError, "output size {}x{} must not be negative", width, height);
  FaceTemplate r = t;
  r.width = width > 0 ? width : t.width;
  r.height = height > 0 ? height : t.height;
  const float sx = static_cast<float>(r.width) / t.width, sy = static_cast<float>(r.height) / t.height;
  for (auto& p : r.points) p = {p.x * sx, p.y * sy};
  return r;
}

}  // namespace fv
