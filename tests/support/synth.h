// fv-synth from a test: a small set of synthetic face images, 64x64, for the tests that run executables.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "support/command.h"

namespace fv::testing {

// Runs `synth_bin` into `out` (identities x images_per_identity images of 64x64, rendered at scale 1) and returns
// its images folder.
inline std::filesystem::path make_synth_images(const std::string& synth_bin, const std::filesystem::path& out,
                                               int identities, int images_per_identity) {
  const CommandResult r = run_command(fmt::format(
      "{} --synth.output {} --synth.identities {} --synth.images_per_identity {} --synth.width 64 --synth.height 64 "
      "--synth.render_scale 1 --threads 2",
      synth_bin, out.string(), identities, images_per_identity));
  EXPECT_EQ(r.code, 0) << r.output;
  return out / "images";
}

}  // namespace fv::testing
