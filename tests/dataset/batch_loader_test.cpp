// Batch loader: every sample once per epoch, determinism across thread counts, resume mid-epoch,
// augmentation, failure handling; preprocessing values.
#include "dataset/batch_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "core/error.h"

namespace fv {
namespace {

// Sample i is a 4x4 image whose every pixel is i (R), 2i (G), 3i (B); sample `broken` cannot be decoded.
class FakeSource : public SampleSource {
 public:
  explicit FakeSource(std::size_t n, std::size_t broken = SIZE_MAX) : n_(n), broken_(broken) {}
  std::size_t size() const override { return n_; }
  RgbImage image(std::size_t i) const override {
    if (i == broken_) throw FormatError("'img" + std::to_string(i) + "': corrupt JPEG");
    RgbImage img;
    img.width = 4;
    img.height = 4;
    for (int k = 0; k < 16; ++k) {
      // Left half i, right half i + 100, so flips are visible.
      const int base = static_cast<int>(i) + ((k % 4) >= 2 ? 100 : 0);
      img.pixels.insert(img.pixels.end(), {static_cast<std::uint8_t>(base), 0, 0});
    }
    return img;
  }
  std::int64_t label(std::size_t i) const override { return static_cast<std::int64_t>(i % 3); }
  std::string id(std::size_t i) const override { return "img" + std::to_string(i); }
  std::int64_t num_classes() const override { return 3; }

 private:
  std::size_t n_, broken_;
};

std::vector<float> pixels(const Batch& b) { return std::vector<float>(b.data(), b.data() + b.floats); }

PreprocessOptions raw_red() { return PreprocessOptions::uniform(4, 4, 3, 0, 1); }

std::vector<Batch> run_epoch(BatchLoader& loader, std::int64_t epoch, std::int64_t first = 0) {
  loader.start_epoch(epoch, first);
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

TEST(BatchLoader, EverySampleOncePerEpochAndLabelsMatch) {
  FakeSource src(103);
  LoaderOptions o;
  o.batch_size = 10;
  o.threads = 3;
  BatchLoader loader(src, raw_red(), {}, o);
  EXPECT_EQ(loader.batches_per_epoch(), 10);  // drop_last: 103 -> 10 full batches
  const auto batches = run_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 10u);
  std::set<std::size_t> seen;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    EXPECT_EQ(batches[b].step, static_cast<std::int64_t>(b));
    ASSERT_EQ(batches[b].size(), 10u);
    ASSERT_EQ(batches[b].floats, 10u * 3 * 16);
    for (std::size_t r = 0; r < 10; ++r) {
      const std::size_t i = batches[b].indices[r];
      EXPECT_TRUE(seen.insert(i).second);
      EXPECT_EQ(batches[b].labels[r], static_cast<std::int64_t>(i % 3));
      EXPECT_FLOAT_EQ(batches[b].data()[r * 48 + 0], static_cast<float>(i));  // R plane, top-left pixel
    }
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(BatchLoader, OrderDependsOnSeedAndEpochNotOnThreads) {
  FakeSource src(64);
  LoaderOptions a;
  a.batch_size = 8;
  a.threads = 1;
  LoaderOptions b = a;
  b.threads = 4;
  b.prefetch = 2;
  AugmentOptions aug;
  aug.flip = true;
  aug.crop_padding = 1;
  BatchLoader la(src, raw_red(), aug, a), lb(src, raw_red(), aug, b);
  const auto ea = run_epoch(la, 3), eb = run_epoch(lb, 3);
  ASSERT_EQ(ea.size(), eb.size());
  for (std::size_t k = 0; k < ea.size(); ++k) {
    EXPECT_EQ(ea[k].indices, eb[k].indices);
    EXPECT_EQ(pixels(ea[k]), pixels(eb[k]));
  }
  EXPECT_NE(la.epoch_order(3), la.epoch_order(4));
  LoaderOptions c = a;
  c.seed = 2;
  BatchLoader lc(src, raw_red(), aug, c);
  EXPECT_NE(la.epoch_order(3), lc.epoch_order(3));
}

TEST(BatchLoader, ResumeMidEpochGivesTheSameRemainingBatches) {
  FakeSource src(50);
  LoaderOptions o;
  o.batch_size = 5;
  BatchLoader loader(src, raw_red(), {}, o);
  const auto full = run_epoch(loader, 1);
  const auto rest = run_epoch(loader, 1, 4);
  ASSERT_EQ(rest.size(), full.size() - 4);
  for (std::size_t k = 0; k < rest.size(); ++k) {
    EXPECT_EQ(rest[k].step, full[k + 4].step);
    EXPECT_EQ(rest[k].indices, full[k + 4].indices);
  }
}

// Distributed sampling: at every step the ranks' batches, concatenated in rank order, are the world-1 batch
// of size B*W (indices, labels and augmented pixels), and every rank sees floor(N / (B*W)) batches.
TEST(BatchLoader, RankSlicesConcatenateToTheWorldOneBatch) {
  FakeSource src(103);
  AugmentOptions aug;
  aug.flip = true;
  aug.crop_padding = 1;
  for (const int world : {2, 3}) {
    LoaderOptions global;
    global.batch_size = 4 * world;
    global.seed = 7;
    BatchLoader whole(src, raw_red(), aug, global);
    const auto expected = run_epoch(whole, 2);
    ASSERT_EQ(static_cast<std::int64_t>(expected.size()), 103 / (4 * world));
    std::vector<std::vector<Batch>> ranks;
    for (int r = 0; r < world; ++r) {
      LoaderOptions o = global;
      o.batch_size = 4;
      o.rank = r;
      o.world_size = world;
      o.threads = 1 + r;  // thread count must not matter
      BatchLoader loader(src, raw_red(), aug, o);
      EXPECT_EQ(loader.batches_per_epoch(), 103 / (4 * world));
      ranks.push_back(run_epoch(loader, 2));
      ASSERT_EQ(ranks.back().size(), expected.size());
    }
    for (std::size_t k = 0; k < expected.size(); ++k) {
      std::vector<std::size_t> indices;
      std::vector<std::int64_t> labels;
      std::vector<float> data;
      for (int r = 0; r < world; ++r) {
        const Batch& b = ranks[r][k];
        EXPECT_EQ(b.step, static_cast<std::int64_t>(k));
        ASSERT_EQ(b.size(), 4u);
        indices.insert(indices.end(), b.indices.begin(), b.indices.end());
        labels.insert(labels.end(), b.labels.begin(), b.labels.end());
        const auto px = pixels(b);
        data.insert(data.end(), px.begin(), px.end());
      }
      EXPECT_EQ(indices, expected[k].indices) << "world " << world << " step " << k;
      EXPECT_EQ(labels, expected[k].labels);
      EXPECT_EQ(data, pixels(expected[k]));
    }
  }
}

TEST(BatchLoader, DistributedResumeMidEpochMatches) {
  FakeSource src(60);
  LoaderOptions o;
  o.batch_size = 3;
  o.rank = 1;
  o.world_size = 2;
  BatchLoader loader(src, raw_red(), {}, o);
  const auto full = run_epoch(loader, 0);
  ASSERT_EQ(full.size(), 10u);
  const auto rest = run_epoch(loader, 0, 6);
  ASSERT_EQ(rest.size(), 4u);
  for (std::size_t k = 0; k < rest.size(); ++k) EXPECT_EQ(rest[k].indices, full[k + 6].indices);
}

TEST(BatchLoader, BadRankOrWorldIsAConfigError) {
  FakeSource src(10);
  LoaderOptions o;
  o.rank = 2;
  o.world_size = 2;
  EXPECT_THROW(BatchLoader(src, raw_red(), {}, o), ConfigError);
  o.rank = 0;
  o.world_size = 0;
  EXPECT_THROW(BatchLoader(src, raw_red(), {}, o), ConfigError);
  o.world_size = 2;
  o.drop_last = false;
  try {
    BatchLoader loader(src, raw_red(), {}, o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("drop_last"), std::string::npos) << e.what();
  }
}

TEST(BatchLoader, NoShuffleKeepsOrderAndKeepsTheLastPartialBatch) {
  FakeSource src(7);
  LoaderOptions o;
  o.batch_size = 3;
  o.shuffle = false;
  o.drop_last = false;
  BatchLoader loader(src, raw_red(), {}, o);
  const auto batches = run_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].indices, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(batches[2].indices, (std::vector<std::size_t>{6}));
}

TEST(BatchLoader, FlipMirrorsTheImage) {
  FakeSource src(40);
  LoaderOptions o;
  o.batch_size = 40;
  o.shuffle = false;
  AugmentOptions aug;
  aug.flip = true;
  BatchLoader loader(src, raw_red(), aug, o);
  const auto batches = run_epoch(loader, 0);
  int flipped = 0;
  for (std::size_t r = 0; r < 40; ++r) {
    const float left = batches[0].data()[r * 48 + 0], right = batches[0].data()[r * 48 + 3];
    if (left == r + 100.f) {
      EXPECT_FLOAT_EQ(right, static_cast<float>(r));
      ++flipped;
    } else {
      EXPECT_FLOAT_EQ(left, static_cast<float>(r));
      EXPECT_FLOAT_EQ(right, r + 100.f);
    }
  }
  EXPECT_GT(flipped, 8);  // about half of 40
  EXPECT_LT(flipped, 32);
}

TEST(BatchLoader, FailureStopsTrainingLoaderWithTheSampleNamed) {
  FakeSource src(20, 7);
  LoaderOptions o;
  o.batch_size = 5;
  o.shuffle = false;
  BatchLoader loader(src, raw_red(), {}, o);
  loader.start_epoch(0);
  try {
    while (loader.next()) {
    }
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("img7"), std::string::npos) << e.what();
  }
}

TEST(BatchLoader, SkipFailuresRecordsThem) {
  FakeSource src(10, 4);
  LoaderOptions o;
  o.batch_size = 5;
  o.shuffle = false;
  o.drop_last = false;
  o.skip_failures = true;
  BatchLoader loader(src, raw_red(), {}, o);
  const auto batches = run_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].indices, (std::vector<std::size_t>{0, 1, 2, 3}));
  ASSERT_EQ(batches[0].failures.size(), 1u);
  EXPECT_EQ(batches[0].failures[0].index, 4u);
  EXPECT_EQ(batches[0].floats, 4u * 48);
}

TEST(BatchLoader, CustomAllocatorHoldsThePixelsAndGivesTheSameValues) {
  FakeSource source(12);
  LoaderOptions o;
  o.batch_size = 4;
  o.threads = 2;
  std::atomic<int> calls{0};
  LoaderOptions custom = o;
  custom.allocate = [&calls](std::size_t floats) {
    ++calls;
    auto storage = std::make_shared<std::vector<float>>(floats + 8, -7.f);  // more room than asked
    float* data = storage->data() + 8;
    return BatchBuffer{storage, data};
  };
  BatchLoader plain(source, raw_red(), {}, o), pinned(source, raw_red(), {}, custom);
  plain.start_epoch(0);
  pinned.start_epoch(0);
  for (int k = 0; k < 3; ++k) {
    const auto a = plain.next(), b = pinned.next();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(pixels(*a), pixels(*b));
    EXPECT_EQ(b->floats, 4u * 48);
    EXPECT_EQ(b->data(), static_cast<std::vector<float>*>(b->pixels.owner.get())->data() + 8);
  }
  EXPECT_EQ(calls.load(), 3);
}

TEST(Preprocess, NormalisesAndConvertsToGrey) {
  RgbImage img;
  img.width = 1;
  img.height = 1;
  img.pixels = {255, 0, 0};
  PreprocessOptions p;
  p.width = 1;
  p.height = 1;
  float out[3];
  preprocess_into(img, p, out);
  EXPECT_FLOAT_EQ(out[0], 1.f);   // (255 - 127.5) / 127.5
  EXPECT_FLOAT_EQ(out[1], -1.f);
  p.channels = 1;
  p.mean = {0, 0, 0};
  p.std = {255, 255, 255};
  preprocess_into(img, p, out);
  EXPECT_NEAR(out[0], 0.299f, 1e-6);
}

TEST(Preprocess, BilinearResizeMatchesOpenCvConvention) {
  // 2x1 -> 4x1 with pixel centres aligned: [10, 20] -> [10, 12.5, 17.5, 20] (rounded).
  RgbImage img;
  img.width = 2;
  img.height = 1;
  img.pixels = {10, 10, 10, 20, 20, 20};
  const RgbImage r = resize_bilinear(img, 4, 1);
  EXPECT_EQ(r.pixels[0], 10);
  EXPECT_EQ(r.pixels[3], 13);
  EXPECT_EQ(r.pixels[6], 18);
  EXPECT_EQ(r.pixels[9], 20);
}

}  // namespace
}  // namespace fv
