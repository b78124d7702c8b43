// One photo, two routes, one embedding: fv-verify on the raw photo (verify.align = auto) and fv-align
// (output.format png) + fv-embed give the same aligned pixels and bit-identical embeddings, for each
// template (arcface, sphereface, dlib_chip), on astronaut.png and two photos of ../shared/data/faces (a JPEG
// and a Yale GIF), at the same batch size (1) and thread count. fv-align, fv-embed, fv-import and fv-verify run as users run them; fv-verify's embedding
// is read through its library (verify_run.h's embedding_of, configured by parsing the same command line).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "formats/embedding_store.h"
#include "core/image_codec.h"
#include "model/backbone.h"
#include "model/model_file.h"
#include "model/torch_runtime.h"
#include "support/command.h"
#include "support/temp_dir.h"
#include "verify/raw_image_aligner.h"
#include "verify/verify_config.h"
#include "verify/verify_run.h"

namespace fv {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
// Faces of ~60-150 px: found with detect.upsample 1, given to both routes.
const char* const kSharedPhotos[] = {"face_recognition_examples/Kit_Harington/john2.jpeg",
                                     "yalefaces/subject02/subject02.normal.gif"};

// Model files: random weights at each template's size (MobileFaceNet, 32-D), and dlib's descriptor for
// dlib_chip (imported from third_party/face-api when present, else random weights).
class SameEmbeddingTest : public ::testing::TestWithParam<const char*> {
 public:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    models_ = new std::map<std::string, fs::path>;
    auto save = [](const std::string& name, BackboneOptions options, PreprocessOptions p, std::uint64_t seed) {
      torch::manual_seed(seed);
      auto backbone = make_backbone(options);
      ModelMeta meta;
      meta.backbone = backbone->options();
      meta.preprocess = p;
      meta.producer = "same-embedding-test";
      const fs::path path = *dir_ / (name + ".fvm");
      save_model_file(path, meta, *backbone);
      (*models_)[name] = path;
    };
    save("arcface", BackboneOptions(BackboneKind::kMobileFaceNet).embedding_dim(32), PreprocessOptions::insightface(),
         1);
    PreprocessOptions sphereface;
    sphereface.width = 96;
    save("sphereface", BackboneOptions(BackboneKind::kMobileFaceNet).embedding_dim(32).input_width(96), sphereface, 2);
    const fs::path face_api = testing::source_dir() / "third_party" / "face-api";
    if (fs::exists(face_api / "face_recognition_model.bin")) {
      const fs::path out = *dir_ / "dlib_chip.fvm";
      const auto r = testing::run_command(fmt::format(
          "{} dlib --manifest {} --output {}", FV_IMPORT_BIN,
          (face_api / "face_recognition_model-weights_manifest.json").string(), out.string()));
      ASSERT_EQ(r.code, 0) << r.output;
      (*models_)["dlib_chip"] = out;
      dlib_imported_ = true;
    } else {
      save("dlib_chip", BackboneOptions(BackboneKind::kDlibResNet), PreprocessOptions::dlib_resnet(), 3);
    }
  }
  static void TearDownTestSuite() {
    delete models_;
    delete dir_;
    models_ = nullptr;
    dir_ = nullptr;
  }

 protected:
  // The photos present on this machine, copied into `in` under the names fv-embed will use as ids.
  static std::vector<fs::path> photos(const fs::path& in) {
    std::vector<fs::path> sources;
    if (fs::exists(kAstronaut)) sources.emplace_back(kAstronaut);
    for (const char* p : kSharedPhotos) {
      const fs::path path = testing::source_dir().parent_path() / "shared/data/faces" / p;
      if (fs::exists(path)) sources.push_back(path);
    }
    fs::create_directories(in);
    std::vector<fs::path> out;
    for (const auto& s : sources) {
      out.push_back(in / s.filename());
      fs::copy_file(s, out.back(), fs::copy_options::overwrite_existing);
    }
    return out;
  }

  static testing::TempDir* dir_;
  static std::map<std::string, fs::path>* models_;
  static bool dlib_imported_;
};

testing::TempDir* SameEmbeddingTest::dir_ = nullptr;
std::map<std::string, fs::path>* SameEmbeddingTest::models_ = nullptr;
bool SameEmbeddingTest::dlib_imported_ = false;

TEST_P(SameEmbeddingTest, VerifyOnTheRawPhotoEqualsAlignThenEmbed) {
  const std::string templ = GetParam();
  const fs::path model = models_->at(templ);
  testing::TempDir dir;
  const std::vector<fs::path> inputs = photos(dir / "in");
  if (inputs.size() < 3) {
    std::printf("only %zu of the 3 photos are present (python3-skimage, ../shared/data/faces)\n", inputs.size());
  }
  if (inputs.empty()) GTEST_SKIP() << "no photo present";
  // The keys both routes share; [detect] upsample 1 finds the smaller faces.
  const std::string face_keys = fmt::format("--align.template {} --detect.upsample 1", templ);

  const auto align = testing::run_command(fmt::format("{} {} --output.dir {} --output.format png --run.progress=false {}",
                                                      FV_ALIGN_BIN, (dir / "in").string(), (dir / "aligned").string(),
                                                      face_keys));
  ASSERT_EQ(align.code, 0) << align.output;
  // fv-embed at batch size 1, as fv-verify embeds one photo at a time: LibTorch's CPU kernels round
  // differently for another batch composition or thread count (both routes use `threads` = all cores), so
  // bit identity holds at the same batch and threads. At the default batch size (64, so all photos in one
  // batch) the rows differ in the last bits only; measured and bounded below.
  auto run_embed = [&](const std::string& output, const std::string& extra) {
    const auto embed = testing::run_command(fmt::format(
        "{} --embed.input {} --embed.model {} --embed.output {} {}", FV_EMBED_BIN,
        (dir / "aligned" / "images").string(), model.string(), (dir / output).string(), extra));
    EXPECT_EQ(embed.code, 0) << embed.output;
    return read_embeddings(dir / output);
  };
  const EmbeddingSet set = run_embed("e.h5", "--embed.batch_size 1");
  ASSERT_EQ(set.rows(), static_cast<std::int64_t>(inputs.size())) << align.output;
  const EmbeddingSet batched = run_embed("batched.h5", "");
  ASSERT_EQ(batched.rows(), set.rows());

  // fv-verify's configuration from its own command line.
  VerifyConfig config;
  OptionSet options("fv-verify", "test");
  config.bind(options);
  const std::string model_arg = model.string();
  std::vector<const char*> argv = {"fv-verify", "--verify.align", "auto", "--align.template", templ.c_str(),
                                   "--detect.upsample", "1", "--embed.model", model_arg.c_str(), "a", "b"};
  ASSERT_TRUE(options.parse(static_cast<int>(argv.size()), argv.data()));
  config.validate();
  configure_torch_threads(config.threads);  // as fv-verify's main (and fv-embed's) does
  RawAlignOptions raw;
  raw.face = config.face;
  const auto embedder = make_embedder(config.embedder);
  raw.model_width = embedder->preprocess().width;
  raw.model_height = embedder->preprocess().height;
  const auto aligner = make_raw_image_aligner(raw);

  double max_batched_diff = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const fs::path& photo = inputs[i];
    SCOPED_TRACE(templ + " " + photo.filename().string());
    const std::string id = fs::path(photo.filename()).replace_extension(".png").string();
    std::int64_t row = -1;
    for (std::int64_t r = 0; r < set.rows(); ++r) {
      if (set.ids[static_cast<std::size_t>(r)] == id) row = r;
    }
    ASSERT_GE(row, 0) << id << " not embedded by fv-embed";
    // The same aligned pixels: fv-align's PNG, and fv-verify's aligner on the raw photo.
    const RgbImage written = read_image(dir / "aligned" / "images" / id);
    const RgbImage aligned = aligner->align(photo.string());
    ASSERT_EQ(aligned.width, written.width);
    ASSERT_EQ(aligned.height, written.height);
    EXPECT_TRUE(aligned.pixels == written.pixels) << "the aligned pixels differ";
    // The same embedding, bit for bit.
    const std::vector<float> verify = embedding_of(config, photo.string());
    const std::int64_t d = set.attributes.embedding_dim;
    ASSERT_EQ(static_cast<std::int64_t>(verify.size()), d);
    EXPECT_EQ(std::memcmp(verify.data(), set.row(row), static_cast<std::size_t>(d) * sizeof(float)), 0)
        << "first components: verify " << verify[0] << " " << verify[1] << ", fv-embed " << set.row(row)[0] << " "
        << set.row(row)[1];
    double worst = 0;
    for (std::int64_t k = 0; k < d; ++k) worst = std::max(worst, double(std::abs(verify[k] - batched.row(row)[k])));
    EXPECT_LT(worst, 1e-5) << "fv-embed at its default batch size";
    max_batched_diff = std::max(max_batched_diff, worst);
  }
  // And the fv-verify executable ranks the photo's own fv-embed row first, at similarity 1.
  const fs::path& probe = inputs.front();
  const auto verify = testing::run_command(fmt::format(
      "{} --verify.gallery {} --verify.a {} --verify.align auto --embed.model {} --verify.top_k 1 {}", FV_VERIFY_BIN,
      (dir / "e.h5").string(), probe.string(), model.string(), face_keys));
  ASSERT_EQ(verify.code, 0) << verify.output;
  const std::string id = fs::path(probe.filename()).replace_extension(".png").string();
  EXPECT_NE(verify.output.find(fmt::format("1  1.000000  {}", id)), std::string::npos) << verify.output;
  std::printf("%s: %zu photos, dlib model %s; fv-embed at batch size 64 differs by at most %.3g per component\n",
              templ.c_str(), inputs.size(),
              templ == std::string("dlib_chip") ? (dlib_imported_ ? "imported" : "random") : "-", max_batched_diff);
}

INSTANTIATE_TEST_SUITE_P(Templates, SameEmbeddingTest, ::testing::Values("arcface", "sphereface", "dlib_chip"));

}  // namespace
}  // namespace fv
