// read_tfjs_weights on tiny hand-made manifests: dequantisation, float32, shard layout and malformed inputs.
#include "import/tfjs_weights.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string float_bytes(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) {
    char b[4];
    std::memcpy(b, &v, 4);
    s.append(b, 4);
  }
  return s;
}

// Three tensors: uint8-quantised [2, 3], float32 [2], uint16-quantised [2].
const char* kManifest = R"([{"paths": ["w.bin"], "weights": [
  {"name": "a/conv/filters", "shape": [2, 3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
  {"name": "b", "shape": [2], "dtype": "float32"},
  {"name": "c", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.25, "min": 2.0}}]}])";

std::string binary() {
  std::string s = {0, 1, 2, 3, 10, static_cast<char>(255)};
  s += float_bytes({1.5f, -2.25f});
  s += std::string{1, 0, 0, 1};  // uint16 little-endian: 1, 256
  return s;
}

TEST(TfjsWeights, DequantisesUint8Uint16AndCopiesFloat32) {
  testing::TempDir dir;
  testing::write_text(dir / "m.json", kManifest);
  write_bytes(dir / "w.bin", binary());
  for (const auto& weights : {std::filesystem::path(), dir / "w.bin"}) {
    const auto t = read_tfjs_weights(dir / "m.json", weights);
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t[0].name, "a/conv/filters");
    EXPECT_EQ(t[0].shape, (std::vector<int64_t>{2, 3}));
    EXPECT_TRUE(t[0].quantized);
    // value = q * 0.5 - 1
    EXPECT_EQ(t[0].values, (std::vector<float>{-1.f, -0.5f, 0.f, 0.5f, 4.f, 126.5f}));
    EXPECT_FALSE(t[1].quantized);
    EXPECT_EQ(t[1].values, (std::vector<float>{1.5f, -2.25f}));
    // value = q * 0.25 + 2 with q = 1 and 256
    EXPECT_EQ(t[2].values, (std::vector<float>{2.25f, 66.f}));
  }
}

void expect_error(const std::function<void()>& f, const std::string& needle, bool format_error = true) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << needle << "'";
  } catch (const FormatError& e) {
    EXPECT_TRUE(format_error) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  } catch (const ConfigError& e) {
    EXPECT_FALSE(format_error) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(TfjsWeights, RefusesShardOfTheWrongSizeNamingFileAndTensor) {
  testing::TempDir dir;
  testing::write_text(dir / "m.json", kManifest);
  write_bytes(dir / "w.bin", binary() + "x");
  expect_error([&] { read_tfjs_weights(dir / "m.json"); }, "has 19");
  write_bytes(dir / "w.bin", binary().substr(0, 16));
  expect_error([&] { read_tfjs_weights(dir / "m.json"); }, "tensor 'c': needs bytes [14, 18)");
  expect_error([&] { read_tfjs_weights(dir / "m.json"); }, (dir / "w.bin").string());
}

TEST(TfjsWeights, RefusesMalformedManifests) {
  testing::TempDir dir;
  write_bytes(dir / "w.bin", binary());
  const auto m = dir / "m.json";
  testing::write_text(m, "[{\"paths\": [\"w.bin\"], \"weights\": [");
  expect_error([&] { read_tfjs_weights(m); }, "not valid JSON");
  expect_error([&] { read_tfjs_weights(m); }, m.string());
  // A number beyond a double (nlohmann's out_of_range, not a parse_error; found by fuzz_tfjs_manifest).
  testing::write_text(m, R"([{"paths": ["w.bin"], "weights": [{"name": "x", "shape": [2], "dtype": "float32",
      "quantization": {"dtype": "uint8", "scale": 0.0001E51439717236687, "min": 0}}]}])");
  expect_error([&] { read_tfjs_weights(m); }, m.string() + ": not valid JSON: [json.exception.out_of_range.406]");
  testing::write_text(m, R"([{"paths": ["w.bin"], "weights": [{"name": "x", "shape": [2], "dtype": "int32"}]}])");
  expect_error([&] { read_tfjs_weights(m); }, "tensor 'x': dtype 'int32' is not supported");
  testing::write_text(m, R"([{"paths": ["w.bin"], "weights": [{"name": "x", "shape": [2], "dtype": "float32",
      "quantization": {"dtype": "float16", "scale": 1, "min": 0}}]}])");
  expect_error([&] { read_tfjs_weights(m); }, "quantization dtype 'float16' is not supported");
  testing::write_text(m, R"([{"paths": ["w.bin"], "weights": [{"name": "x", "dtype": "float32"}]}])");
  expect_error([&] { read_tfjs_weights(m); }, "tensor 'x': missing field 'shape'");
  testing::write_text(m, R"([{"paths": ["w.bin"], "weights": [{"name": "x", "shape": "2", "dtype": "float32"}]}])");
  expect_error([&] { read_tfjs_weights(m); }, "tensor 'x': 'shape' is a string, not an array of dimensions");
  testing::write_text(m, R"([{"paths": ["w.bin"], "weights": [
      {"name": "x", "shape": [1], "dtype": "float32"}, {"name": "x", "shape": [1], "dtype": "float32"}]}])");
  expect_error([&] { read_tfjs_weights(m); }, "tensor 'x': duplicate tensor name");
  testing::write_text(m, R"([{"paths": ["w.bin", "v.bin"], "weights": []}])");
  expect_error([&] { read_tfjs_weights(m, dir / "w.bin"); }, "lists 2 shards", /*format_error=*/false);
  EXPECT_THROW(read_tfjs_weights(dir / "absent.json"), IoError);
}

TEST(TfjsWeights, ConcatenatesShardsOfAGroup) {
  testing::TempDir dir;
  testing::write_text(dir / "m.json", R"([{"paths": ["p1", "p2"], "weights": [
      {"name": "x", "shape": [3], "dtype": "float32"}]}])");
  const std::string bytes = float_bytes({1.f, 2.f, 3.f});
  write_bytes(dir / "p1", bytes.substr(0, 5));
  write_bytes(dir / "p2", bytes.substr(5));
  const auto t = read_tfjs_weights(dir / "m.json");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].values, (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_EQ(tfjs_shard_paths(dir / "m.json"), (std::vector<std::filesystem::path>{dir / "p1", dir / "p2"}));
  EXPECT_EQ(tfjs_shard_paths(dir / "m.json", "x.bin"), (std::vector<std::filesystem::path>{"x.bin"}));
}

}  // namespace
}  // namespace fv
