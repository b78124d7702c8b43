// Identity and variation sampling, expressions and the pose/projection of head-coordinate points.
#include "synth/face_model.h"

#include <algorithm>
#include <cmath>

#include "synth/rng.h"

namespace fv::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;

// dlib's mean face shape for points 17-67 (dlib/image_transforms/interpolation.h, get_face_chip_details):
// x from 0 to 1 across the brows, y from the brow tops (about 0) to the lower lip (about 0.91).
constexpr double kMeanX[51] = {
    0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004,
    0.490127,    0.490127,  0.490127, 0.490127, 0.36688,  0.426036, 0.490127, 0.554217, 0.613373, 0.121737,
    0.187122,    0.265825,  0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751,
    0.719335,    0.254149,  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
    0.490127,    0.423532,  0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127,
    0.42689};
constexpr double kMeanY[51] = {
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454,
    0.203352, 0.307009, 0.409805,  0.515625,  0.587326,  0.609345,  0.628106,  0.609345,  0.587326, 0.216423,
    0.178758, 0.179852, 0.231733,  0.245099,  0.244077,  0.231733,  0.179852,  0.178758,  0.216423, 0.244077,
    0.245099, 0.780233, 0.745405,  0.727388,  0.742578,  0.727388,  0.745405,  0.780233,  0.864805, 0.902192,
    0.909281, 0.902192, 0.864805,  0.784792,  0.778746,  0.785343,  0.778746,  0.784792,  0.824182, 0.831803,
    0.824182};

// Head origin in the mean-shape frame (between the eyes and the nose tip, horizontally centred).
constexpr double kOriginX = 0.490127;
constexpr double kOriginY = 0.30;

double clamp(double v, double lo, double hi) { return std::min(hi, std::max(lo, v)); }
// Normal draw clipped to +-2.5 sigma so no identity is a caricature.
double cn(Rng& r) { return clamp(r.normal(), -2.5, 2.5); }

Bgr mix(const Bgr& a, const Bgr& b, double t) {
  return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}
Bgr jitter(Rng& r, Bgr c, double amount) {
  for (auto& v : c) v = clamp(v + r.sym(amount), 0, 255);
  return c;
}

void move(std::array<Vec3, 68>& s, int first, int last, double dx, double dy) {
  for (int i = first; i <= last; ++i) {
    s[i].x += dx;
    s[i].y += dy;
  }
}
Vec3 centroid(const std::array<Vec3, 68>& s, int first, int last) {
  Vec3 c;
  for (int i = first; i <= last; ++i) {
    c.x += s[i].x;
    c.y += s[i].y;
  }
  const double n = last - first + 1;
  c.x /= n;
  c.y /= n;
  return c;
}
void scale_about(std::array<Vec3, 68>& s, int first, int last, Vec3 c, double fx, double fy) {
  for (int i = first; i <= last; ++i) {
    s[i].x = c.x + (s[i].x - c.x) * fx;
    s[i].y = c.y + (s[i].y - c.y) * fy;
  }
}

}  // namespace

double ellipsoid_depth(const Vec3& a, double x, double y) {
  const double q = 1.0 - (x / a.x) * (x / a.x) - (y / a.y) * (y / a.y);
  return q > 0 ? a.z * std::sqrt(q) : 0.0;
}

Identity make_identity(const SynthConfig& cfg, int index) {
  Rng r(derive_seed(cfg.seed, static_cast<std::uint64_t>(index), 0));
  const double sp = cfg.identity_spread;
  Identity id;
  id.index = index;
  auto& s = id.shape;

  // Neutral 2D shape: dlib's mean for 17-67, a jaw for 0-16 (a super-ellipse from ear to ear).
  for (int i = 17; i < 68; ++i) s[i] = {kMeanX[i - 17] - kOriginX, kMeanY[i - 17] - kOriginY, 0};
  // Close the mouth: the mean shape's inner lips are slightly apart.
  for (int i = 65; i <= 67; ++i) s[i].y = s[128 - i].y + 0.004;  // 65<-63, 66<-62, 67<-61
  const double jaw_half_width = 0.55 * (1 + 0.05 * sp * cn(r));
  const double chin = 1.12 + 0.05 * sp * cn(r);
  const double jaw_top = 0.20 + 0.03 * sp * cn(r);
  const double square = clamp(0.85 + 0.12 * sp * cn(r), 0.6, 1.0);
  id.jaw_top_y = jaw_top - kOriginY;
  for (int i = 0; i <= 16; ++i) {
    const double t = kPi * i / 16.0;
    const double c = std::cos(t), sn = std::sin(t);
    const double cx = (c >= 0 ? 1 : -1) * std::pow(std::fabs(c), square);
    const double sy = std::pow(sn, square);
    s[i] = {-jaw_half_width * cx, jaw_top - kOriginY + (chin - jaw_top) * sy, 0};
  }

  // Between-identity variation of the parts (all scaled by identity_spread).
  const double eye_dx = 0.035 * sp * cn(r), eye_dy = 0.025 * sp * cn(r);
  move(s, 36, 41, -eye_dx, eye_dy);
  move(s, 42, 47, eye_dx, eye_dy);
  const double eye_w = clamp(1 + 0.12 * sp * cn(r), 0.75, 1.3);
  const double eye_h = clamp(1.35 + 0.2 * sp * cn(r), 0.9, 1.9);  // mean eyes opened a little wider
  scale_about(s, 36, 41, centroid(s, 36, 41), eye_w, eye_h);
  scale_about(s, 42, 47, centroid(s, 42, 47), eye_w, eye_h);
  const double brow_dy = eye_dy - 0.025 * sp * cn(r);
  move(s, 17, 21, -eye_dx * 0.7, brow_dy);
  move(s, 22, 26, eye_dx * 0.7, brow_dy);
  const double arch = 0.02 * sp * cn(r);
  s[19].y -= arch;
  s[24].y -= arch;
  s[18].y -= arch * 0.6;
  s[20].y -= arch * 0.6;
  s[23].y -= arch * 0.6;
  s[25].y -= arch * 0.6;
  const double nose_len = 0.04 * sp * cn(r);
  for (int i = 28; i <= 30; ++i) s[i].y += nose_len * (i - 27) / 3.0;
  move(s, 31, 35, 0, nose_len);
  const double nose_w = clamp(1 + 0.15 * sp * cn(r), 0.7, 1.4);
  scale_about(s, 31, 35, s[33], nose_w, 1);
  const double mouth_dy = nose_len * 0.5 + 0.03 * sp * cn(r);
  move(s, 48, 67, 0, mouth_dy);
  const double mouth_w = clamp(1 + 0.1 * sp * cn(r), 0.75, 1.3);
  scale_about(s, 48, 67, s[51], mouth_w, 1);
  const double upper_lip = 0.015 * sp * cn(r), lower_lip = 0.02 * sp * cn(r);
  for (int i = 49; i <= 53; ++i) s[i].y -= upper_lip;
  for (int i = 55; i <= 59; ++i) s[i].y += lower_lip;
  const double face_w = clamp(1 + 0.05 * sp * cn(r), 0.85, 1.15);
  const double face_h = clamp(1 + 0.04 * sp * cn(r), 0.88, 1.12);
  for (auto& p : s) {
    p.x = p.x * face_w + 0.006 * sp * cn(r);
    p.y = p.y * face_h + 0.006 * sp * cn(r);
  }
  id.jaw_top_y *= face_h;

  // Depth: the front of an ellipsoid head, the nose standing out, eyes set in.
  id.head_axes = {0.58 * face_w, 0.86 * face_h, 0.62};
  const double nose_out = clamp(1 + 0.2 * sp * cn(r), 0.6, 1.5);
  for (int i = 0; i < 68; ++i) s[i].z = ellipsoid_depth(id.head_axes, s[i].x, s[i].y);
  const double bridge[4] = {0.03, 0.08, 0.14, 0.20};
  for (int i = 27; i <= 30; ++i) s[i].z += bridge[i - 27] * nose_out;
  const double base[5] = {0.04, 0.08, 0.10, 0.08, 0.04};
  for (int i = 31; i <= 35; ++i) s[i].z += base[i - 31] * nose_out;
  for (int i = 36; i <= 47; ++i) s[i].z -= 0.02;
  for (int i = 48; i <= 67; ++i) s[i].z += 0.03;
  for (int i = 0; i <= 16; ++i) s[i].z = std::max(s[i].z, 0.05 + 0.1 * std::sin(kPi * i / 16.0));

  // Appearance.
  const Bgr light{195, 210, 242}, medium{125, 160, 210}, dark{55, 80, 125};
  const double tone = r.uniform();
  id.skin = jitter(r, tone < 0.5 ? mix(light, medium, tone * 2) : mix(medium, dark, tone * 2 - 1), 10);
  const Bgr hair_palette[6] = {{25, 25, 30}, {30, 45, 70}, {45, 75, 115}, {110, 170, 210}, {160, 160, 165},
                               {40, 70, 150}};
  id.hair = jitter(r, hair_palette[r.below(6)], 15);
  // Brows darker than the skin whatever the hair colour (blonde brows on tan skin vanish otherwise).
  id.brow = mix(id.hair, {20, 20, 25}, 0.4);
  for (int c = 0; c < 3; ++c) id.brow[c] = std::min(id.brow[c], id.skin[c] * 0.5);
  const Bgr iris_palette[5] = {{30, 60, 100}, {25, 35, 50}, {160, 120, 70}, {90, 130, 80}, {130, 130, 120}};
  id.iris = jitter(r, iris_palette[r.below(5)], 12);
  id.lips = jitter(r, {id.skin[0] * 0.62, id.skin[1] * 0.58, std::min(255.0, id.skin[2] * 0.9 + 10)}, 10);
  const double style = r.uniform();
  id.hair_style = style < 0.07 ? HairStyle::kBald
                  : style < 0.45 ? HairStyle::kShort
                  : style < 0.75 ? HairStyle::kMedium
                                 : HairStyle::kLong;
  id.hairline = id.jaw_top_y - 0.33 + 0.08 * cn(r) * 0.5;
  id.hair_volume = r.uniform(0.04, 0.16);
  id.brow_thickness = clamp(0.045 + 0.01 * cn(r), 0.025, 0.07);
  id.glasses = r.chance(cfg.glasses_prob);
  id.glasses_round = r.chance(0.5);
  id.glasses_size = r.uniform(0.9, 1.2);
  id.glasses_frame = jitter(r, r.chance(0.6) ? Bgr{25, 25, 25} : Bgr{60, 90, 140}, 20);
  id.beard = r.chance(cfg.beard_prob);
  id.beard_alpha = r.uniform(0.55, 0.9);
  return id;
}

Variation make_variation(const SynthConfig& cfg, const Identity& identity, int image) {
  Rng r(derive_seed(cfg.seed, static_cast<std::uint64_t>(identity.index), static_cast<std::uint64_t>(image) + 1));
  const double deg = kPi / 180.0;
  Variation v;
  // Pose: triangular in +-range (the sum of two uniforms), so near-frontal heads are the most common, as
  // in photo collections like LFW, while the full range still occurs.
  auto triangular = [&](double range) { return (r.uniform() + r.uniform() - 1.0) * range; };
  v.yaw = triangular(cfg.yaw_deg) * deg;
  v.pitch = triangular(cfg.pitch_deg) * deg;
  v.roll = triangular(cfg.roll_deg) * deg;
  v.mouth_open = r.chance(0.35) ? r.uniform() * cfg.expression : 0.0;
  v.smile = r.chance(0.5) ? r.uniform() * cfg.expression : 0.0;
  v.brow_raise = r.chance(0.3) ? r.uniform() * cfg.expression : 0.0;
  const double az = r.sym(70) * deg, el = r.uniform(-20, 50) * deg;
  v.light = {std::sin(az) * std::cos(el), -std::sin(el), std::cos(az) * std::cos(el)};
  v.diffuse = cfg.lighting * r.uniform(0.35, 0.8);
  const double exposure = 1 + r.sym(cfg.brightness);
  for (auto& g : v.gain) g = exposure * (1 + r.sym(cfg.light_colour));
  const int size = std::min(cfg.width, cfg.height);
  v.scale = cfg.face_scale * size * (1 + r.sym(cfg.scale_jitter));
  v.cx = cfg.width * 0.5 + r.sym(cfg.shift_jitter) * size;
  v.cy = cfg.height * 0.45 + r.sym(cfg.shift_jitter) * size;
  for (auto& c : v.background) c = {r.uniform(15, 240), r.uniform(15, 240), r.uniform(15, 240)};
  v.shirt = {r.uniform(10, 230), r.uniform(10, 230), r.uniform(10, 230)};
  v.clutter = cfg.clutter_max > 0 ? r.range(0, cfg.clutter_max) : 0;
  v.blur_sigma = r.uniform(0, cfg.blur_max);
  v.noise_sigma = r.uniform(0, cfg.noise_max);
  v.jpeg_quality = r.range(cfg.jpeg_quality_min, cfg.jpeg_quality_max);
  v.detail_seed = r.next();
  return v;
}

std::array<Vec3, 68> expressed_shape(const Identity& id, const Variation& v) {
  std::array<Vec3, 68> s = id.shape;
  // Mouth open: lower lip and chin drop.
  const double open = v.mouth_open * 0.11;
  for (int i = 65; i <= 67; ++i) s[i].y += open;
  for (int i = 55; i <= 59; ++i) s[i].y += open * 0.9;
  for (int i = 4; i <= 12; ++i) s[i].y += open * 0.6 * std::sin(3.14159265358979 * (i - 3) / 10.0);
  // Smile: corners out and up.
  const double sm = v.smile;
  s[48].x -= 0.035 * sm, s[60].x -= 0.03 * sm, s[54].x += 0.035 * sm, s[64].x += 0.03 * sm;
  for (int i : {48, 54, 60, 64}) s[i].y -= 0.035 * sm;
  for (int i : {49, 53, 59, 55}) s[i].y -= 0.015 * sm;
  // Brows raised.
  for (int i = 17; i <= 26; ++i) s[i].y -= 0.05 * v.brow_raise;
  return s;
}

std::array<double, 9> rotation(const Variation& v) {
  const double cy = std::cos(v.yaw), sy = std::sin(v.yaw);
  const double cp = std::cos(v.pitch), sp = std::sin(v.pitch);
  const double cr = std::cos(v.roll), sr = std::sin(v.roll);
  // Ry: yaw about the vertical axis; Rx: pitch (positive = chin up); Rz: roll in the image plane.
  const double ry[9] = {cy, 0, sy, 0, 1, 0, -sy, 0, cy};
  const double rx[9] = {1, 0, 0, 0, cp, sp, 0, -sp, cp};
  const double rz[9] = {cr, -sr, 0, sr, cr, 0, 0, 0, 1};
  auto mul = [](const double* a, const double* b, double* out) {
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  };
  double t[9];
  std::array<double, 9> out{};
  mul(rx, ry, t);
  mul(rz, t, out.data());
  return out;
}

Point2f project(const Variation& v, const std::array<double, 9>& r, const Vec3& p) {
  const double x = r[0] * p.x + r[1] * p.y + r[2] * p.z;
  const double y = r[3] * p.x + r[4] * p.y + r[5] * p.z;
  return {static_cast<float>(v.cx + v.scale * x), static_cast<float>(v.cy + v.scale * y)};
}

}  // namespace fv::synth
