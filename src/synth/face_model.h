// Synthetic faces as parameters: an identity (3D landmark shape + appearance) and one image's variation
// (pose, expression, light, background, degradations), both drawn from seeded streams; posing projects
// the identity into an image under a variation.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/landmarks.h"
#include "synth/synth_config.h"

namespace fv::synth {

struct Vec3 {
  double x = 0, y = 0, z = 0;
};
using Bgr = std::array<double, 3>;

enum class HairStyle { kBald = 0, kShort = 1, kMedium = 2, kLong = 3 };

// Head coordinates: x to image-right, y down, z towards the camera, unit = brow width (about 1.9 times
// the distance between the eye centres); origin inside the head between the eyes and the nose.
struct Identity {
  int index = 0;
  std::array<Vec3, 68> shape;   // neutral 3D landmarks, dlib 68-point order (core/landmarks.h)
  Vec3 head_axes;               // semi-axes of the head ellipsoid used for depth and shading
  double jaw_top_y = 0;         // y of jaw points 0 and 16 (the forehead arc starts there)
  Bgr skin, hair, brow, iris, lips, glasses_frame;
  HairStyle hair_style = HairStyle::kShort;
  double hairline = 0;          // y of the fringe line (head coordinates)
  double hair_volume = 0;       // how far the hair stands out from the head (fraction)
  double brow_thickness = 0;    // head units
  bool glasses = false;
  bool glasses_round = false;
  double glasses_size = 1;
  bool beard = false;
  double beard_alpha = 0;
};

struct Variation {
  double yaw = 0, pitch = 0, roll = 0;   // radians
  double mouth_open = 0, smile = 0, brow_raise = 0;
  Vec3 light;                            // unit vector towards the light, camera coordinates
  double diffuse = 0;                    // weight of the directional term
  Bgr gain{1, 1, 1};                     // illuminant colour times exposure, per channel
  double scale = 1;                      // output pixels per head unit
  double cx = 0, cy = 0;                 // output pixel position of the head origin
  std::array<Bgr, 4> background;         // corner colours of the background gradient
  Bgr shirt;
  int clutter = 0;
  double blur_sigma = 0;                 // output pixels; 0 = none
  double noise_sigma = 0;                // 0-255 scale
  int jpeg_quality = 90;
  std::uint64_t detail_seed = 0;         // stream for clutter and noise
};

// Requires 0 <= index. Deterministic in (seed, index, the identity keys of cfg).
Identity make_identity(const SynthConfig& cfg, int index);
// Deterministic in (seed, identity.index, image, cfg).
Variation make_variation(const SynthConfig& cfg, const Identity& identity, int image);

// The identity's landmarks with the variation's expression applied (still head coordinates, unrotated).
std::array<Vec3, 68> expressed_shape(const Identity& id, const Variation& v);
// Rotation matrix (row-major) camera = R * head: roll about z, then pitch about x, then yaw about y.
std::array<double, 9> rotation(const Variation& v);
// Projects a head-coordinate point to output pixel coordinates (OpenCV convention: pixel centres at
// integers). Orthographic camera.
Point2f project(const Variation& v, const std::array<double, 9>& r, const Vec3& p);
// Depth of the head ellipsoid's front surface at (x, y), 0 outside it.
double ellipsoid_depth(const Vec3& axes, double x, double y);

}  // namespace fv::synth
