// Deterministic random numbers for the synthetic generator: splitmix64 seeding + xoshiro256**, with our
// own uniform and normal transforms (std:: distributions differ between standard libraries).
#pragma once

#include <cmath>
#include <cstdint>

namespace fv::synth {

// One splitmix64 step: a well-mixed 64-bit hash of `x`.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Seed of an independent stream for (seed, a, b): identity streams use (seed, identity, 0), image streams
// (seed, identity, image + 1), so any thread can regenerate any image on its own.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  std::uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ (a * 0xD1B54A32D192ED03ull));
  h = splitmix64(h ^ (b * 0xABC98388FB8FAC03ull));
  return h;
}

// xoshiro256** (Blackman & Vigna). Same seed, same sequence on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& s : s_) {
      x = splitmix64(x);
      s = x;
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Symmetric: uniform in [-a, a).
  double sym(double a) { return uniform(-a, a); }
  // Integer uniform in [0, n); requires n > 0 (the modulo bias is below 2^-40 for the n used here).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  int range(int lo, int hi_inclusive) { return lo + static_cast<int>(below(hi_inclusive - lo + 1)); }
  bool chance(double p) { return uniform() < p; }

  // Standard normal by Marsaglia's polar method (only log and sqrt, both deterministic in glibc).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0, v = 0, s = 0;
    do {
      u = uniform(-1.0, 1.0);
      v = uniform(-1.0, 1.0);
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }
  double normal(double mean, double sigma) { return mean + sigma * normal(); }

  // Cheap approximately normal value (sum of 4 uniforms, unit variance), for per-pixel noise.
  float fast_normal() {
    const std::uint64_t r = next();
    const float a = static_cast<float>(r & 0xFFFF) + static_cast<float>((r >> 16) & 0xFFFF) +
                    static_cast<float>((r >> 32) & 0xFFFF) + static_cast<float>(r >> 48);
    // Each term is uniform on [0, 65535]: mean 4 * 32767.5, variance 4 * 65536^2 / 12.
    return (a - 131070.f) * (1.f / 37837.23f);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace fv::synth
