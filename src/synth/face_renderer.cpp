// Rendering of a synthetic face with OpenCV drawing at render_scale x the output size, then INTER_AREA.
//
// Draw order: background gradient and clutter, hair behind the head, shoulders and neck, ears, skin,
// beard, nose, eyes, brows, mouth, hair in front, glasses; then Lambertian shading of the head region
// from the ellipsoid's normals, downsampling, illuminant gain, blur and noise.
#include "synth/face_renderer.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "synth/rng.h"

namespace fv::synth {
namespace {

constexpr int kShift = 4;  // OpenCV drawing with 4 fractional bits: sub-pixel accurate positions
constexpr double kOne = 16.0;
constexpr double kPi = 3.14159265358979323846;

cv::Scalar sc(const Bgr& c, double f = 1.0) {
  return {std::min(255.0, c[0] * f), std::min(255.0, c[1] * f), std::min(255.0, c[2] * f)};
}

class Painter {
 public:
  Painter(const SynthConfig& cfg, const Variation& v)
      : v_(v), s_(cfg.render_scale), img_(cfg.height * cfg.render_scale, cfg.width * cfg.render_scale, CV_8UC3),
        r_(rotation(v)) {}

  cv::Mat& img() { return img_; }
  double s() const { return s_; }
  const std::array<double, 9>& r() const { return r_; }

  // Output-pixel position -> shifted integer position on the supersampled canvas. Output pixel centre x
  // covers canvas pixels [x*S, x*S + S), whose centre is (x + 0.5) * S - 0.5.
  cv::Point hp(Point2f p) const {
    return {static_cast<int>(std::lround(((p.x + 0.5) * s_ - 0.5) * kOne)),
            static_cast<int>(std::lround(((p.y + 0.5) * s_ - 0.5) * kOne))};
  }
  Point2f proj(const Vec3& p) const { return project(v_, r_, p); }
  cv::Point hp3(const Vec3& p) const { return hp(proj(p)); }
  // Head units -> canvas pixels (at least 1).
  int thick(double units) const { return std::max(1, static_cast<int>(std::lround(units * v_.scale * s_))); }
  // Head units -> shifted canvas length.
  int len(double units) const { return std::max(1, static_cast<int>(std::lround(units * v_.scale * s_ * kOne))); }

  void fill(const std::vector<cv::Point>& pts, const cv::Scalar& c) {
    const cv::Point* p = pts.data();
    const int n = static_cast<int>(pts.size());
    cv::fillPoly(img_, &p, &n, 1, c, cv::LINE_8, kShift);
  }
  void line(const std::vector<cv::Point>& pts, bool closed, const cv::Scalar& c, int t) {
    const cv::Point* p = pts.data();
    const int n = static_cast<int>(pts.size());
    cv::polylines(img_, &p, &n, 1, closed, c, t, cv::LINE_8, kShift);
  }
  // Fills a polygon with `c` at opacity `alpha`.
  void blend(const std::vector<cv::Point>& pts, const cv::Scalar& c, double alpha) {
    cv::Rect box = bounds(pts);
    if (box.area() <= 0) return;
    const cv::Mat mask = polygon_mask(pts, box);
    cv::Mat roi = img_(box);
    for (int y = 0; y < roi.rows; ++y) {
      auto* px = roi.ptr<cv::Vec3b>(y);
      const auto* m = mask.ptr<std::uint8_t>(y);
      for (int x = 0; x < roi.cols; ++x) {
        if (!m[x]) continue;
        for (int k = 0; k < 3; ++k) px[x][k] = cv::saturate_cast<std::uint8_t>(px[x][k] * (1 - alpha) + c[k] * alpha);
      }
    }
  }
  // The polygon `pts` (shifted canvas points) as a 255 mask of the canvas rectangle `box`.
  cv::Mat polygon_mask(const std::vector<cv::Point>& pts, const cv::Rect& box) const {
    cv::Mat mask = cv::Mat::zeros(box.size(), CV_8U);
    std::vector<cv::Point> local;
    for (const auto& p : pts) local.emplace_back(p.x - box.x * 16, p.y - box.y * 16);
    const cv::Point* lp = local.data();
    const int n = static_cast<int>(local.size());
    cv::fillPoly(mask, &lp, &n, 1, cv::Scalar(255), cv::LINE_8, kShift);
    return mask;
  }
  // Canvas rectangle (unshifted pixels) covering shifted points, clipped to the image.
  cv::Rect bounds(const std::vector<cv::Point>& pts) const {
    int x0 = 1 << 30, y0 = 1 << 30, x1 = -(1 << 30), y1 = -(1 << 30);
    for (const auto& p : pts) {
      x0 = std::min(x0, p.x >> kShift), y0 = std::min(y0, p.y >> kShift);
      x1 = std::max(x1, (p.x >> kShift) + 2), y1 = std::max(y1, (p.y >> kShift) + 2);
    }
    return cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, img_.cols, img_.rows);
  }

 private:
  const Variation& v_;
  double s_;
  cv::Mat img_;
  std::array<double, 9> r_;
};

void draw_background(Painter& p, const Variation& v) {
  cv::Mat corners(2, 2, CV_8UC3);
  for (int i = 0; i < 4; ++i) {
    const auto& c = v.background[i];
    corners.at<cv::Vec3b>(i / 2, i % 2) = cv::Vec3b(cv::saturate_cast<std::uint8_t>(c[0]),
                                                     cv::saturate_cast<std::uint8_t>(c[1]),
                                                     cv::saturate_cast<std::uint8_t>(c[2]));
  }
  cv::resize(corners, p.img(), p.img().size(), 0, 0, cv::INTER_LINEAR);
  Rng r(v.detail_seed);
  const int w = p.img().cols, h = p.img().rows;
  for (int i = 0; i < v.clutter; ++i) {
    const cv::Scalar c(r.uniform(0, 255), r.uniform(0, 255), r.uniform(0, 255));
    const int type = static_cast<int>(r.below(4));
    const bool filled = r.chance(0.6);
    const int t = filled ? cv::FILLED : 1 + static_cast<int>(r.below(static_cast<std::uint64_t>(2 * p.s()) + 4));
    const cv::Point a(static_cast<int>(r.uniform(0, w)), static_cast<int>(r.uniform(0, h)));
    const int size = static_cast<int>(r.uniform(0.03, 0.3) * std::min(w, h));
    if (type == 0) {
      cv::rectangle(p.img(), cv::Rect(a.x - size / 2, a.y - size / 2, size, static_cast<int>(size * r.uniform(0.3, 2))),
                    c, t);
    } else if (type == 1) {
      cv::ellipse(p.img(), a, cv::Size(size / 2, static_cast<int>(size * r.uniform(0.1, 0.6))), r.uniform(0, 180), 0,
                  360, c, t);
    } else if (type == 2) {
      cv::line(p.img(), a, a + cv::Point(static_cast<int>(r.sym(size * 2)), static_cast<int>(r.sym(size * 2))), c,
               t == cv::FILLED ? 3 : t);
    } else {
      std::vector<cv::Point> tri;
      for (int k = 0; k < 3; ++k)
        tri.push_back((a + cv::Point(static_cast<int>(r.sym(size)), static_cast<int>(r.sym(size)))) * 16);
      p.fill(tri, c);
    }
  }
}

// Points of an arc over the head (head coordinates) from angle t0 to t1: x = cx - a cos t, y = y0 + b sin t.
std::vector<Vec3> head_arc(const Identity& id, double cx, double a, double y0, double b, double t0, double t1, int n,
                           double shrink) {
  std::vector<Vec3> out;
  for (int k = 0; k < n; ++k) {
    const double t = t0 + (t1 - t0) * k / (n - 1);
    Vec3 q{cx - a * std::cos(t), y0 + b * std::sin(t), 0};
    q.z = std::max(0.02, ellipsoid_depth(id.head_axes, q.x * shrink, q.y * shrink));
    out.push_back(q);
  }
  return out;
}

void shade_head(Painter& p, const Identity& id, const Variation& v, const cv::Mat& mask) {
  const auto& r = p.r();
  const double a2 = id.head_axes.x * id.head_axes.x, b2 = id.head_axes.y * id.head_axes.y,
               c2 = id.head_axes.z * id.head_axes.z;
  // M = R diag(1/a^2, 1/b^2, 1/c^2) R^T: the head ellipsoid in camera coordinates, p^T M p = 1.
  double m[9];
  const double d[3] = {1 / a2, 1 / b2, 1 / c2};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) m[i * 3 + j] = r[i * 3] * d[0] * r[j * 3] + r[i * 3 + 1] * d[1] * r[j * 3 + 1] +
                                               r[i * 3 + 2] * d[2] * r[j * 3 + 2];
  const double s = p.s(), cxh = (v.cx + 0.5) * s - 0.5, cyh = (v.cy + 0.5) * s - 0.5, unit = v.scale * s;
  cv::Mat& img = p.img();
  for (int y = 0; y < img.rows; ++y) {
    const auto* mk = mask.ptr<std::uint8_t>(y);
    auto* px = img.ptr<cv::Vec3b>(y);
    const double Y = (y - cyh) / unit;
    for (int x = 0; x < img.cols; ++x) {
      if (!mk[x]) continue;
      const double X = (x - cxh) / unit;
      const double qa = m[8], qb = 2 * (m[2] * X + m[5] * Y), qc = m[0] * X * X + 2 * m[1] * X * Y + m[4] * Y * Y - 1;
      const double disc = qb * qb - 4 * qa * qc;
      const double Z = (-qb + std::sqrt(std::max(0.0, disc))) / (2 * qa);
      double nx = m[0] * X + m[1] * Y + m[2] * Z, ny = m[3] * X + m[4] * Y + m[5] * Z, nz = m[6] * X + m[7] * Y + m[8] * Z;
      const double norm = std::sqrt(nx * nx + ny * ny + nz * nz) + 1e-12;
      nx /= norm, ny /= norm, nz /= norm;
      const double lambert = std::max(0.0, nx * v.light.x + ny * v.light.y + nz * v.light.z);
      const double shade = (1 - v.diffuse) * 0.95 + v.diffuse * 1.15 * lambert;
      for (int k = 0; k < 3; ++k) px[x][k] = cv::saturate_cast<std::uint8_t>(px[x][k] * shade);
    }
  }
}

}  // namespace

namespace {

// One face being painted, part by part in painting order: the painter, the identity and its variation, the 3-D
// landmarks and their projections (the result's ground truth), and the mask of skin and hair that shade_head
// lights. The head outline (hair arcs) is shared by the hair drawn behind and in front of the face.
class FaceCanvas {
 public:
  FaceCanvas(const SynthConfig& cfg, const Identity& id, const Variation& v)
      : p(cfg, v), id_(id), v_(v), s3_(expressed_shape(id, v)) {
    for (int i = 0; i < 68; ++i) out.points[i] = p.proj(s3_[i]);
    out.five = five_from_68(out.points);
    float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
    for (const auto& q : out.points) x0 = std::min(x0, q.x), y0 = std::min(y0, q.y), x1 = std::max(x1, q.x),
                                     y1 = std::max(y1, q.y);
    out.box = {x0, y0, x1 - x0, y1 - y0};
    for (int i = 0; i < 68; ++i) P_[i] = p.hp(out.points[i]);
    head_mask_ = cv::Mat::zeros(p.img().size(), CV_8U);
    // Hair geometry: an outer arc around the top of the head and an inner fringe line.
    xl_ = s3_[0].x, xr_ = s3_[16].x, jy_ = id.jaw_top_y;
    hc_ = (xl_ + xr_) / 2, ha_ = (xr_ - xl_) / 2, hb_ = jy_ + id.head_axes.y * 0.98;
    vol_ = 1 + id.hair_volume;
    side_ = id.hair_style == HairStyle::kShort ? 0.15 : 0.55;  // how far the hair reaches down
  }

  Painter p;
  RenderedFace out;

  void hair_behind() {
    if (id_.hair_style != HairStyle::kLong) return;
    auto back = head_arc(id_, hc_, ha_ * vol_, jy_, hb_ * vol_, kPi, 2 * kPi, 13, 1 / vol_);
    back.insert(back.begin(), Vec3{hc_ - ha_ * vol_ - 0.06, s3_[8].y + 0.25, -0.2});
    back.push_back(Vec3{hc_ + ha_ * vol_ + 0.06, s3_[8].y + 0.25, -0.2});
    const auto poly = proj_all(back);
    p.fill(poly, sc(id_.hair));
    to_mask(poly);
  }

  void shoulders_and_neck() {
    const cv::Point sh = p.hp3({0, 1.6, -0.25});
    cv::ellipse(p.img(), cv::Point(sh.x, sh.y), cv::Size(p.len(1.25), p.len(0.5)), v_.roll * 180 / kPi, 0, 360,
                sc(v_.shirt), cv::FILLED, cv::LINE_8, kShift);
    p.fill(proj_all({{-0.27, 0.4, -0.1}, {0.27, 0.4, -0.1}, {0.3, 1.45, -0.1}, {-0.3, 1.45, -0.1}}),
           sc(id_.skin, 0.72));
  }

  // Ears, then the skin: jaw 0-16 and a forehead arc from the right end back to the left.
  void ears_and_skin() {
    for (int e = 0; e < 2; ++e) {
      const Vec3 c{e == 0 ? xl_ * 1.03 : xr_ * 1.03, jy_ + 0.14, 0.0};
      const cv::Point ec = p.hp3(c);
      cv::ellipse(p.img(), ec, cv::Size(p.len(0.07), p.len(0.15)), v_.roll * 180 / kPi, 0, 360, sc(id_.skin, 0.85),
                  cv::FILLED, cv::LINE_8, kShift);
      cv::ellipse(head_mask_, ec, cv::Size(p.len(0.07), p.len(0.15)), v_.roll * 180 / kPi, 0, 360, cv::Scalar(255),
                  cv::FILLED, cv::LINE_8, kShift);
    }
    std::vector<cv::Point> face = range(0, 16);
    for (const auto& q : proj_all(head_arc(id_, hc_, ha_, jy_, hb_, kPi, 2 * kPi, 13, 1.0))) face.push_back(q);
    p.fill(face, sc(id_.skin));
    to_mask(face);
  }

  // Chin and cheeks below the mouth corners plus a moustache, under the lips.
  void beard() {
    if (!id_.beard) return;
    std::vector<Vec3> b;
    for (int i = 3; i <= 13; ++i) b.push_back(s3_[i]);
    b.push_back({s3_[54].x + 0.03, s3_[54].y - 0.01, s3_[54].z});
    for (int i = 53; i >= 49; --i) b.push_back({s3_[i].x, s3_[i].y - 0.04, s3_[i].z});
    b.push_back({s3_[48].x - 0.03, s3_[48].y - 0.01, s3_[48].z});
    p.blend(proj_all(b), sc(id_.hair), id_.beard_alpha);
  }

  // Shadow on the side away from the light, base line, nostrils, tip highlight.
  void nose() {
    const Bgr& skin = id_.skin;
    const double shadow = 0.12 + 0.3 * v_.diffuse;
    if (v_.light.x >= 0) {
      p.blend(pts({27, 28, 29, 30, 33, 32, 31}), sc(skin, 0.45), shadow);
    } else {
      p.blend(pts({27, 28, 29, 30, 33, 34, 35}), sc(skin, 0.45), shadow);
    }
    p.line(range(31, 35), false, sc(skin, 0.6), p.thick(0.014));
    for (int n : {32, 34}) {
      const Point2f a = out.points[n], b = out.points[33];
      const Point2f c{a.x * 0.7f + b.x * 0.3f, a.y * 0.7f + b.y * 0.3f};
      cv::ellipse(p.img(), p.hp(c), cv::Size(p.len(0.028), p.len(0.014)), v_.roll * 180 / kPi, 0, 360,
                  sc(skin, 0.3), cv::FILLED, cv::LINE_8, kShift);
    }
    cv::circle(p.img(), P_[30], p.len(0.018), sc(skin, 1.1), cv::FILLED, cv::LINE_8, kShift);
  }

  // Socket shadow, sclera, iris and pupil centred on the eye centre (clipped by the lids), lids.
  void eyes() {
    for (int e = 0; e < 2; ++e) {
      const int f = e == 0 ? 36 : 42;
      const Point2f c = out.five[e];
      const double ew = std::hypot(out.points[f + 3].x - out.points[f].x, out.points[f + 3].y - out.points[f].y);
      const double ang = std::atan2(out.points[f + 3].y - out.points[f].y, out.points[f + 3].x - out.points[f].x);
      const int brow = e == 0 ? 19 : 24;
      const Point2f sock{(c.x * 2 + out.points[brow].x) / 3, (c.y * 2 + out.points[brow].y) / 3};
      std::vector<cv::Point> socket;
      cv::ellipse2Poly(cv::Point(static_cast<int>(p.hp(sock).x), static_cast<int>(p.hp(sock).y)),
                       cv::Size(static_cast<int>(ew * 0.85 * p.s() * kOne), static_cast<int>(ew * 0.55 * p.s() * kOne)),
                       static_cast<int>(ang * 180 / kPi), 0, 360, 10, socket);
      p.blend(socket, sc(id_.skin, 0.5), 0.35);
      const auto eye = range(f, f + 5);
      p.fill(eye, cv::Scalar(228, 232, 236));
      iris(eye, c, ew);
      p.line(pts({f, f + 1, f + 2, f + 3}), false, sc(id_.brow, 0.5), p.thick(0.026));
      p.line(pts({f + 3, f + 4, f + 5, f}), false, sc(id_.skin, 0.65), p.thick(0.008));
    }
  }

  // Thicker at the inner end.
  void brows() {
    for (int b = 0; b < 2; ++b) {
      const int first = b == 0 ? 17 : 22;
      for (int k = 0; k < 4; ++k) {
        const int i = first + k;
        const double inner = b == 0 ? (k + 0.5) / 4 : 1 - (k + 0.5) / 4;
        cv::line(p.img(), P_[i], P_[i + 1], sc(id_.brow), p.thick(id_.brow_thickness * (0.6 + 0.5 * inner)),
                 cv::LINE_8, kShift);
      }
    }
  }

  // Lips, then the open mouth (dark, upper teeth) or the closed lip line.
  void mouth() {
    p.fill(range(48, 59), sc(id_.lips));
    if (v_.mouth_open > 0.05) {
      p.fill(range(60, 67), cv::Scalar(35, 25, 55));
      auto lerp = [&](int a, int b, double t) {
        return p.hp({out.points[a].x + (out.points[b].x - out.points[a].x) * static_cast<float>(t),
                     out.points[a].y + (out.points[b].y - out.points[a].y) * static_cast<float>(t)});
      };
      p.fill({P_[61], P_[62], P_[63], lerp(63, 65, 0.35), lerp(62, 66, 0.35), lerp(61, 67, 0.35)},
             cv::Scalar(210, 222, 228));
    } else {
      p.line(range(60, 64), false, sc(id_.lips, 0.5), p.thick(0.012));
    }
  }

  // From the outer arc down to the fringe line.
  void hair_in_front() {
    if (id_.hair_style == HairStyle::kBald) return;
    auto hair = head_arc(id_, hc_, ha_ * vol_, jy_, hb_ * vol_, kPi - side_, 2 * kPi + side_, 15, 1 / vol_);
    std::vector<Vec3> fringe;
    fringe.push_back({xl_ * 1.0, jy_ + side_ * 0.3, 0.05});
    for (int k = 0; k <= 8; ++k) {
      const double x = hc_ + ha_ * 0.85 * (-1 + 2 * k / 8.0);
      const double y = id_.hairline + 0.12 * ((x - hc_) / ha_) * ((x - hc_) / ha_);
      fringe.push_back({x, y, std::max(0.05, ellipsoid_depth(id_.head_axes, x, y))});
    }
    fringe.push_back({xr_ * 1.0, jy_ + side_ * 0.3, 0.05});
    // The arc runs right -> top -> left; close it through the fringe from left to right.
    for (const auto& q : fringe) hair.push_back(q);
    const auto poly = proj_all(hair);
    p.fill(poly, sc(id_.hair));
    to_mask(poly);
  }

  void shade() { shade_head(p, id_, v_, head_mask_); }

  // After shading: frames are not skin.
  void glasses() {
    if (!id_.glasses) return;
    cv::Point inner[2], outer[2];
    for (int e = 0; e < 2; ++e) {
      const int f = e == 0 ? 36 : 42;
      const Point2f c = out.five[e];
      const double dx = out.points[f + 3].x - out.points[f].x, dy = out.points[f + 3].y - out.points[f].y;
      const double ew = std::hypot(dx, dy), ang = std::atan2(dy, dx);
      const double ax = ew * 0.78 * id_.glasses_size, ay = ew * 0.55 * id_.glasses_size;
      const int t = p.thick(0.018);
      if (id_.glasses_round) {
        cv::ellipse(p.img(), p.hp(c), cv::Size(static_cast<int>(ax * p.s() * kOne), static_cast<int>(ay * p.s() * kOne)),
                    ang * 180 / kPi, 0, 360, sc(id_.glasses_frame), t, cv::LINE_8, kShift);
      } else {
        const double ca = std::cos(ang), sa = std::sin(ang);
        std::vector<cv::Point> rect;
        for (auto [u, w] : {std::pair{-1, -1}, {1, -1}, {1, 1}, {-1, 1}}) {
          rect.push_back(p.hp({static_cast<float>(c.x + u * ax * ca - w * ay * sa),
                               static_cast<float>(c.y + u * ax * sa + w * ay * ca)}));
        }
        p.line(rect, true, sc(id_.glasses_frame), t);
      }
      const double sgn = e == 0 ? 1 : -1;  // the left lens's inner edge is on its right
      inner[e] = p.hp({static_cast<float>(c.x + sgn * ax * std::cos(ang)), static_cast<float>(c.y + sgn * ax * std::sin(ang))});
      outer[e] = p.hp({static_cast<float>(c.x - sgn * ax * std::cos(ang)), static_cast<float>(c.y - sgn * ax * std::sin(ang))});
    }
    cv::line(p.img(), inner[0], inner[1], sc(id_.glasses_frame), p.thick(0.018), cv::LINE_8, kShift);
    cv::line(p.img(), outer[0], P_[0], sc(id_.glasses_frame), p.thick(0.014), cv::LINE_8, kShift);
    cv::line(p.img(), outer[1], P_[16], sc(id_.glasses_frame), p.thick(0.014), cv::LINE_8, kShift);
  }

 private:
  // The iris and pupil of an eye (`eye`: its lid polygon, `c` its centre, `ew` its width), clipped by the lids.
  void iris(const std::vector<cv::Point>& eye, Point2f c, double ew) {
    const cv::Rect box = p.bounds(eye);
    if (box.area() <= 0) return;
    cv::Mat roi = p.img()(box);
    cv::Mat iris = roi.clone();
    const cv::Mat mask = p.polygon_mask(eye, box);
    const cv::Point ic = p.hp(c) - cv::Point(box.x * 16, box.y * 16);
    const int ir = static_cast<int>(ew * 0.4 * p.s() * kOne);
    cv::circle(iris, ic, ir, sc(id_.iris), cv::FILLED, cv::LINE_8, kShift);
    cv::circle(iris, ic, ir, sc(id_.iris, 0.55), std::max(1, static_cast<int>(ew * 0.05 * p.s())), cv::LINE_8, kShift);
    cv::circle(iris, ic, static_cast<int>(ir * 0.42), cv::Scalar(12, 12, 14), cv::FILLED, cv::LINE_8, kShift);
    cv::circle(iris, ic + cv::Point(-ir / 3, -ir / 3), std::max(16, ir / 8), cv::Scalar(245, 245, 245), cv::FILLED,
               cv::LINE_8, kShift);
    // The highlight must not cover the pupil centre (the 5-point ground truth is checked against it).
    iris.copyTo(roi, mask);
  }

  std::vector<cv::Point> pts(std::initializer_list<int> idx) const {
    std::vector<cv::Point> o;
    for (int i : idx) o.push_back(P_[i]);
    return o;
  }
  std::vector<cv::Point> range(int a, int b) const {
    std::vector<cv::Point> o;
    for (int i = a; i <= b; ++i) o.push_back(P_[i]);
    return o;
  }
  std::vector<cv::Point> proj_all(const std::vector<Vec3>& q) const {
    std::vector<cv::Point> o;
    for (const auto& e : q) o.push_back(p.hp3(e));
    return o;
  }
  void to_mask(const std::vector<cv::Point>& poly) {
    const cv::Point* pp = poly.data();
    const int n = static_cast<int>(poly.size());
    cv::fillPoly(head_mask_, &pp, &n, 1, cv::Scalar(255), cv::LINE_8, kShift);
  }

  const Identity& id_;
  const Variation& v_;
  std::array<Vec3, 68> s3_;
  std::array<cv::Point, 68> P_;
  cv::Mat head_mask_;
  double xl_, xr_, jy_, hc_, ha_, hb_, vol_, side_;
};

// Downsample (antialiasing), illuminant, blur, noise.
cv::Mat finish_image(const SynthConfig& cfg, const Variation& v, const cv::Mat& canvas) {
  cv::Mat image;
  cv::resize(canvas, image, cv::Size(cfg.width, cfg.height), 0, 0, cv::INTER_AREA);
  cv::multiply(image, cv::Scalar(v.gain[0], v.gain[1], v.gain[2]), image);
  if (v.blur_sigma > 0.15) cv::GaussianBlur(image, image, cv::Size(0, 0), v.blur_sigma);
  if (v.noise_sigma > 0.0) {
    Rng r(v.detail_seed ^ 0x6E6F697365ull);
    const float sigma = static_cast<float>(v.noise_sigma);
    for (int y = 0; y < image.rows; ++y) {
      auto* px = image.ptr<std::uint8_t>(y);
      for (int x = 0; x < image.cols * 3; ++x) px[x] = cv::saturate_cast<std::uint8_t>(px[x] + sigma * r.fast_normal());
    }
  }
  return image;
}

}  // namespace

RenderedFace render_face(const SynthConfig& cfg, const Identity& id, const Variation& v) {
  FaceCanvas f(cfg, id, v);
  draw_background(f.p, v);
  f.hair_behind();
  f.shoulders_and_neck();
  f.ears_and_skin();
  f.beard();
  f.nose();
  f.eyes();
  f.brows();
  f.mouth();
  f.hair_in_front();
  f.shade();
  f.glasses();
  f.out.image = finish_image(cfg, v, f.p.img());
  return f.out;
}

}  // namespace fv::synth
