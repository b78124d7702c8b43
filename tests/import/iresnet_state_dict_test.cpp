// Tests of the insightface iResNet import: state dicts written by PyTorch (tests/data/import/
// make_iresnet_state_dict.py, run with Debian's python3-torch) load without missing or unexpected keys and
// reproduce PyTorch's forward pass; mismatched and malformed files are refused with the offending names.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/sha256.h"
#include "import/iresnet_state_dict.h"
#include "import/torch_state_dict_file.h"
#include "model/model_file.h"
#include "support/command.h"
#include "support/margin.h"
#include "support/python_fixtures.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

namespace fs = std::filesystem;

using CommandRun = testing::CommandResult;

CommandRun run(const std::string& command) { return testing::run_command(command); }

// The fixtures (~15 s to make, ~700 MB), once per version of the generator script. Empty when python3-torch is
// not installed.
const fs::path& fixtures() {
  static const fs::path dir = testing::python_fixtures({"tests/data/import/make_iresnet_state_dict.py"},
                                                       FV_IMPORT_FIXTURE_DIR, "--seed 0", "import torch");
  return dir;
}

#define REQUIRE_FIXTURES()                                                                  \
  if (fixtures().empty()) GTEST_SKIP() << "python3-torch is not installed (scripts/install-deps.sh)"

std::vector<float> read_floats(const fs::path& path) {
  const std::string bytes = read_file(path);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

// Our network's forward pass on the script's input, compared with PyTorch's output.
void expect_forward_matches(Backbone& backbone, int depth) {
  const auto input = read_floats(fixtures() / fmt::format("iresnet{}.input.f32", depth));
  const auto expected = read_floats(fixtures() / fmt::format("iresnet{}.output.f32", depth));
  ASSERT_EQ(input.size(), 2u * 3 * 112 * 112);
  ASSERT_EQ(expected.size(), 2u * 512);
  torch::NoGradGuard no_grad;
  backbone.eval();
  const torch::Tensor x = torch::from_blob(const_cast<float*>(input.data()), {2, 3, 112, 112}).clone();
  const torch::Tensor y = backbone.forward(x).contiguous();
  ASSERT_EQ(y.sizes(), (torch::IntArrayRef{2, 512}));
  const torch::Tensor want = torch::from_blob(const_cast<float*>(expected.data()), {2, 512}).clone();
  // The outputs are O(1) (seeded weights scaled by 1/sqrt(fan_in)); a wrongly mapped tensor changes them by O(1).
  EXPECT_GT(want.abs().mean().item<float>(), 0.1f);
  const float max_diff = (y - want).abs().max().item<float>();
  ::testing::Test::RecordProperty(fmt::format("iresnet{}_max_abs_diff", depth), fmt::format("{:.3g}", max_diff));
  // PyTorch and we call the same OpenBLAS: 0 under Haswell, Cooperlake and Zen; under SkylakeX 9.1e-7 (iResNet-18),
  // 3.6e-6 (50), 3.8e-5 (100): the smallest margin, 2.6, is iResNet-100's 100 layers of rounding.
  EXPECT_TRUE(testing::below(fmt::format("max_abs_diff_to_pytorch[iresnet{}]", depth), max_diff, 1e-4));
}

IResNetImportConfig config_for(const std::string& file) {
  IResNetImportConfig c;
  c.state_dict = (fixtures() / file).string();
  return c;
}

class IResNetImportDepth : public ::testing::TestWithParam<int> {};

TEST_P(IResNetImportDepth, LoadsEveryKeyAndReproducesPyTorchForward) {
  REQUIRE_FIXTURES();
  const int depth = GetParam();
  const IResNetImport imported = load_iresnet_state_dict(config_for(fmt::format("iresnet{}.pth", depth)));
  EXPECT_EQ(imported.depth, depth);  // detected from the keys
  EXPECT_FALSE(imported.stripped_module_prefix);
  // Every entry of the file (parameters and buffers) went somewhere: as many as the script listed.
  std::ifstream keys(fixtures() / fmt::format("iresnet{}.keys.txt", depth));
  size_t listed = 0;
  for (std::string line; std::getline(keys, line);) ++listed;
  EXPECT_EQ(imported.tensors, listed);
  EXPECT_EQ(imported.tensors, imported.backbone->named_parameters().size() + imported.backbone->named_buffers().size());
  expect_forward_matches(*imported.backbone, depth);
}

INSTANTIATE_TEST_SUITE_P(Depths, IResNetImportDepth, ::testing::Values(18, 50, 100));

TEST(IResNetImport, StripsDataParallelPrefix) {
  REQUIRE_FIXTURES();
  const IResNetImport imported = load_iresnet_state_dict(config_for("iresnet18_module.pth"));
  EXPECT_TRUE(imported.stripped_module_prefix);
  EXPECT_EQ(imported.depth, 18);
  expect_forward_matches(*imported.backbone, 18);
}

TEST(IResNetImport, ReadsPickleProtocol4AndNamesTheLegacyFormat) {
  REQUIRE_FIXTURES();
  const IResNetImport imported = load_iresnet_state_dict(config_for("iresnet18_proto4.pth"));
  expect_forward_matches(*imported.backbone, 18);
  try {
    load_iresnet_state_dict(config_for("iresnet18_legacy.pth"));
    FAIL() << "the legacy format was accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("iresnet18_legacy.pth: legacy (PyTorch < 1.6) torch.save format"), std::string::npos)
        << e.what();
  }
}

TEST(IResNetImport, HalfPrecisionFileIsConvertedToFloat) {
  REQUIRE_FIXTURES();
  const IResNetImport half = load_iresnet_state_dict(config_for("iresnet18_half.pth"));
  const IResNetImport full = load_iresnet_state_dict(config_for("iresnet18.pth"));
  const auto a = half.backbone->named_parameters()["layer2.1.conv1.weight"];
  const auto b = full.backbone->named_parameters()["layer2.1.conv1.weight"];
  EXPECT_EQ(a.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(a, b.to(torch::kFloat16).to(torch::kFloat32)));
}

TEST(IResNetImport, RefusesMismatchedKeysNamingThem) {
  REQUIRE_FIXTURES();
  try {
    load_iresnet_state_dict(config_for("iresnet18_mismatch.pth"));
    FAIL() << "a mismatched state dict was accepted";
  } catch (const FormatError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("iresnet18_mismatch.pth"), std::string::npos) << m;
    EXPECT_NE(m.find("1 missing key(s): layer1.0.conv1.weight"), std::string::npos) << m;
    EXPECT_NE(m.find("2 unexpected key(s): layer1.0.conv_1.weight, head.weight"), std::string::npos) << m;
    EXPECT_NE(m.find("1 misshaped key(s): fc.weight: file 512x100, expected 512x25088"), std::string::npos) << m;
  }
}

TEST(IResNetImport, GivenDepthThatDiffersFromTheFileIsRefused) {
  REQUIRE_FIXTURES();
  IResNetImportConfig c = config_for("iresnet18.pth");
  c.depth = 50;
  try {
    load_iresnet_state_dict(c);
    FAIL() << "iresnet18 weights were loaded as iresnet50";
  } catch (const FormatError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("does not match iresnet50"), std::string::npos) << m;
    EXPECT_NE(m.find("missing key(s): "), std::string::npos) << m;
    EXPECT_NE(m.find("layer1.2.bn1.bias"), std::string::npos) << m;  // iresnet50 has a third block in layer1
  }
  c.depth = 0;
  c.embedding_dim = 128;
  EXPECT_THROW(load_iresnet_state_dict(c), ConfigError);
}

TEST(IResNetImport, RefusesFilesThatAreNotStateDicts) {
  REQUIRE_FIXTURES();
  try {
    read_torch_state_dict(fixtures() / "whole_module.pth");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("not a state dict"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("torch.nn.modules.linear.Linear"), std::string::npos) << e.what();
  }
  try {
    read_torch_state_dict(fixtures() / "non_tensor.pth");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("entry 'conv1.weight' is a int, not a tensor"), std::string::npos) << e.what();
  }
}

TEST(IResNetImport, WritesAModelFileThatReproducesTheForwardPass) {
  REQUIRE_FIXTURES();
  testing::TempDir dir;
  IResNetImportConfig c = config_for("iresnet18.pth");
  c.output = (dir / "r18.fvm").string();
  import_iresnet(c);
  const LoadedModel model = load_model_file(c.output);
  EXPECT_EQ(model.meta.producer, "fv-import iresnet");
  EXPECT_EQ(model.meta.backbone.kind(), BackboneKind::kIResNet18);
  EXPECT_EQ(model.meta.backbone.embedding_dim(), 512);
  EXPECT_EQ(model.meta.preprocess.width, 112);
  EXPECT_EQ(model.meta.preprocess.height, 112);
  EXPECT_EQ(model.meta.preprocess.channels, 3);
  EXPECT_FLOAT_EQ(model.meta.preprocess.mean[1], 127.5f);
  EXPECT_FLOAT_EQ(model.meta.preprocess.std[2], 127.5f);
  EXPECT_EQ(model.meta.provenance.at("source_sha256").get<std::string>(), sha256_file_hex(c.state_dict));
  EXPECT_EQ(model.meta.provenance.at("depth").get<int>(), 18);
  expect_forward_matches(*model.backbone, 18);
}

TEST(IResNetImport, CommandLineExitCodes) {
  REQUIRE_FIXTURES();
  testing::TempDir dir;
  const CommandRun ok = run(fmt::format("{} iresnet {} --import.output {}", FV_IMPORT_BIN, (fixtures() / "iresnet18_module.pth").string(),
                                 (dir / "m.fvm").string()));
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_TRUE(fs::exists(dir / "m.fvm"));
  const ModelMeta meta = read_model_meta(dir / "m.fvm");
  EXPECT_EQ(meta.backbone.kind(), BackboneKind::kIResNet18);
  EXPECT_TRUE(meta.provenance.at("stripped_module_prefix").get<bool>());
  // The resolved configuration beside the output, its hash in the model file.
  const std::string ini = read_file(dir / "m.fvm.ini");
  EXPECT_NE(ini.find("state_dict = " + (fixtures() / "iresnet18_module.pth").string()), std::string::npos) << ini;
  EXPECT_EQ(meta.provenance.at("config_hash").get<std::string>().size(), 16u);

  const CommandRun bad = run(fmt::format("{} iresnet --import.state_dict {} --import.output {}", FV_IMPORT_BIN,
                                  (fixtures() / "iresnet18_mismatch.pth").string(), (dir / "bad.fvm").string()));
  EXPECT_EQ(bad.code, kExitData) << bad.output;
  EXPECT_NE(bad.output.find("layer1.0.conv_1.weight"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(dir / "bad.fvm"));

  const CommandRun depth = run(fmt::format("{} iresnet --import.state_dict x.pth --import.output y.fvm --import.depth 34", FV_IMPORT_BIN));
  EXPECT_EQ(depth.code, kExitConfig) << depth.output;
  EXPECT_NE(depth.output.find("import.depth"), std::string::npos) << depth.output;

  const CommandRun unknown = run(fmt::format("{} dlibx", FV_IMPORT_BIN));
  EXPECT_EQ(unknown.code, kExitConfig) << unknown.output;
}

// ---- without PyTorch ----

std::vector<std::string> names_for(const std::vector<int>& blocks) {
  std::vector<std::string> names = {"conv1.weight", "bn1.weight", "fc.weight"};
  for (size_t layer = 0; layer < blocks.size(); ++layer) {
    for (int b = 0; b < blocks[layer]; ++b) {
      names.push_back(fmt::format("layer{}.{}.bn1.weight", layer + 1, b));
      names.push_back(fmt::format("layer{}.{}.conv2.weight", layer + 1, b));
    }
  }
  return names;
}

TEST(IResNetDepth, DetectedFromBlockCounts) {
  EXPECT_EQ(detect_iresnet_depth(names_for({2, 2, 2, 2}), "f"), 18);
  EXPECT_EQ(detect_iresnet_depth(names_for({3, 4, 14, 3}), "f"), 50);
  EXPECT_EQ(detect_iresnet_depth(names_for({3, 13, 30, 3}), "f"), 100);
  try {
    detect_iresnet_depth(names_for({3, 4, 6, 3}), "r34.pth");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("r34.pth: blocks per stage {3,4,6,3} are insightface's iresnet34"), std::string::npos)
        << e.what();
  }
  try {
    detect_iresnet_depth({"weight", "bias"}, "linear.pth");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("linear.pth: blocks per stage (layer1..layer4) {0,0,0,0} match no iResNet"),
              std::string::npos)
        << e.what();
  }
}

TEST(TorchStateDictFile, RefusesNonZipAndLegacyFilesNamingThem) {
  testing::TempDir dir;
  testing::write_text(dir / "text.pth", "hello\n");
  testing::write_text(dir / "legacy.pth", std::string("\x80\x02\x8a\x0a", 4) + "rest");
  try {
    read_torch_state_dict(dir / "text.pth");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("text.pth: not a PyTorch file"), std::string::npos) << e.what();
  }
  try {
    read_torch_state_dict(dir / "legacy.pth");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("legacy.pth: legacy (PyTorch < 1.6) torch.save format"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_torch_state_dict(dir / "missing.pth"), IoError);
}

TEST(IResNetImportConfig, ValidateNamesTheKey) {
  IResNetImportConfig c;
  try {
    c.validate();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("import.state_dict"), std::string::npos);
  }
  c.state_dict = "a.pth";
  c.output = "a.fvm";
  c.depth = 34;
  try {
    c.validate();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'import.depth': 34"), std::string::npos) << e.what();
  }
  c.depth = 100;
  EXPECT_NO_THROW(c.validate());
}

}  // namespace
}  // namespace fv
