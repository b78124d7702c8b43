// SynthConfig: INI/CLI binding and validation errors that name the offending key.
#include "synth/synth_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::synth {
namespace {

bool parse(OptionSet& o, std::vector<std::string> args) {
  args.insert(args.begin(), "fv-synth");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return o.parse(static_cast<int>(argv.size()), argv.data());
}

// Returns the ConfigError message of cfg.validate(), or "" when it passes.
std::string validation_error(const SynthConfig& cfg) {
  try {
    cfg.validate();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

SynthConfig valid() {
  SynthConfig c;
  c.output = "/tmp/unused";
  return c;
}

TEST(SynthConfig, DefaultsWithAnOutputAreValid) { EXPECT_EQ(validation_error(valid()), ""); }

TEST(SynthConfig, IniAndCommandLineFillTheFields) {
  testing::TempDir dir;
  testing::write_text(dir / "s.ini", "threads = 3\n[synth]\nidentities = 40\nyaw_deg = 10\noutput = from_ini\n");
  SynthConfig c;
  OptionSet o("fv-synth", "test");
  c.bind(o);
  ASSERT_TRUE(parse(o, {"--config", (dir / "s.ini").string(), "--synth.identities", "30", "--synth.seed", "9"}));
  EXPECT_EQ(c.identities, 30);
  EXPECT_EQ(c.yaw_deg, 10.0);
  EXPECT_EQ(c.output, "from_ini");
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(validation_error(c), "");
}

TEST(SynthConfig, UnknownKeyIsAnError) {
  SynthConfig c;
  OptionSet o("fv-synth", "test");
  c.bind(o);
  EXPECT_THROW(parse(o, {"--synth.identitys", "30"}), ConfigError);
}

TEST(SynthConfig, EachBadValueNamesItsKey) {
  struct Case {
    const char* key;
    void (*mutate)(SynthConfig&);
  };
  const Case cases[] = {
      {"synth.output", [](SynthConfig& c) { c.output.clear(); }},
      {"synth.identities", [](SynthConfig& c) { c.identities = 19; }},
      {"synth.images_per_identity", [](SynthConfig& c) { c.images_per_identity = 1; }},
      {"synth.width", [](SynthConfig& c) { c.width = 16; }},
      {"synth.height", [](SynthConfig& c) { c.height = 5000; }},
      {"synth.pairs_per_fold", [](SynthConfig& c) { c.pairs_per_fold = -1; }},
      {"synth.pairs_per_fold", [](SynthConfig& c) { c.identities = 20, c.images_per_identity = 2, c.pairs_per_fold = 3; }},
      {"synth.jpeg_quality_min", [](SynthConfig& c) { c.jpeg_quality_min = 0; }},
      {"synth.jpeg_quality_max", [](SynthConfig& c) { c.jpeg_quality_max = c.jpeg_quality_min - 1; }},
      {"synth.render_scale", [](SynthConfig& c) { c.render_scale = 0; }},
      {"synth.face_scale", [](SynthConfig& c) { c.face_scale = 0.9; }},
      {"synth.scale_jitter", [](SynthConfig& c) { c.scale_jitter = -0.1; }},
      {"synth.shift_jitter", [](SynthConfig& c) { c.shift_jitter = 1.5; }},
      {"synth.yaw_deg", [](SynthConfig& c) { c.yaw_deg = 90; }},
      {"synth.pitch_deg", [](SynthConfig& c) { c.pitch_deg = -1; }},
      {"synth.roll_deg", [](SynthConfig& c) { c.roll_deg = 61; }},
      {"synth.expression", [](SynthConfig& c) { c.expression = 2; }},
      {"synth.lighting", [](SynthConfig& c) { c.lighting = -0.5; }},
      {"synth.light_colour", [](SynthConfig& c) { c.light_colour = 1.1; }},
      {"synth.brightness", [](SynthConfig& c) { c.brightness = 3; }},
      {"synth.clutter_max", [](SynthConfig& c) { c.clutter_max = -1; }},
      {"synth.blur_max", [](SynthConfig& c) { c.blur_max = 11; }},
      {"synth.noise_max", [](SynthConfig& c) { c.noise_max = -2; }},
      {"synth.identity_spread", [](SynthConfig& c) { c.identity_spread = 4; }},
      {"synth.glasses_prob", [](SynthConfig& c) { c.glasses_prob = 1.5; }},
      {"synth.beard_prob", [](SynthConfig& c) { c.beard_prob = -0.1; }},
      {"'threads'", [](SynthConfig& c) { c.threads = -1; }},
  };
  for (const auto& cs : cases) {
    SynthConfig c = valid();
    cs.mutate(c);
    const std::string message = validation_error(c);
    EXPECT_NE(message.find(cs.key), std::string::npos) << "key " << cs.key << ", message: '" << message << "'";
  }
}

}  // namespace
}  // namespace fv::synth
