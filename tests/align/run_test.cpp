// Dataset-scale tests of run_align: malformed-input folder, resume after a kill, thread and shard invariance.
#include "align/align_run.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "align/manifest.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/recordio.h"
#include "face/test_images.h"
#include "support/temp_dir.h"

namespace fv {
namespace {
namespace fs = std::filesystem;

AlignConfig base_config(const fs::path& input, const fs::path& out) {
  AlignConfig c;
  c.input = input.string();
  c.output_dir = out.string();
  c.progress = false;
  c.threads = 1;
  return c;
}

AlignRunResult run(const AlignConfig& c) {
  c.validate();
  return run_align(c, "[test]\n", "0123456789abcdef");
}

std::map<std::string, ManifestRow> rows_by_file(const fs::path& manifest) {
  std::map<std::string, ManifestRow> out;
  for (const auto& r : read_manifest(manifest).rows) out[fs::path(r.input).filename().string()] = r;
  return out;
}

// Six face images in two identities, variants of the astronaut crop.
void make_face_dataset(const fs::path& root) {
  const cv::Mat face = testing::astronaut_250();
  ASSERT_FALSE(face.empty());
  for (int i = 0; i < 6; ++i) {
    cv::Mat v;
    face.convertTo(v, -1, 1.0, 8.0 * i - 20);
    if (i % 2) cv::flip(v, v, 1);
    const fs::path p = root / (i < 4 ? "anna" : "zoe") / fmt::format("img{}.{}", i, i % 3 ? "jpg" : "png");
    fs::create_directories(p.parent_path());
    ASSERT_TRUE(cv::imwrite(p.string(), v));
  }
}

TEST(AlignRun, MalformedInputFolderGivesOneRowEach) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  const fs::path in = dir / "in" / "person";
  fs::create_directories(in);
  const cv::Mat face = testing::astronaut_250();
  std::vector<unsigned char> jpg;
  cv::imencode(".jpg", face, jpg);
  write_file_atomic(in / "zero.jpg", "");
  write_file_atomic(in / "truncated.jpg", std::string(jpg.begin(), jpg.begin() + jpg.size() / 2));
  write_file_atomic(in / "text.jpg", "this is not an image\n");
  cv::Mat deep, grey;
  face.convertTo(deep, CV_16U, 257.0);
  cv::imwrite((in / "deep16.png").string(), deep);
  cv::cvtColor(face, grey, cv::COLOR_BGR2GRAY);
  cv::imwrite((in / "grey.png").string(), grey);
  const bool have_cmyk = testing::write_cmyk_jpeg(in / "cmyk.jpg", face);
  cv::imwrite((in / "tiny.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(128)));
  cv::imwrite((in / "blank.png").string(), cv::Mat(200, 200, CV_8UC3, cv::Scalar::all(128)));
  // 20000x20000 according to its header: rejected before any pixel memory is allocated.
  std::string huge("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x4e\x20\x00\x00\x4e\x20\x08\x02\x00\x00\x00", 33);
  write_file_atomic(in / "huge.png", huge + std::string(64, '\0'));
  write_file_atomic(in / "ok.jpg", std::string(jpg.begin(), jpg.end()));

  AlignConfig c = base_config(dir / "in", dir / "out");
  c.write_recordio = true;
  const AlignRunResult r = run(c);
  EXPECT_FALSE(r.interrupted);
  const auto rows = rows_by_file(dir / "out" / "manifest.csv");
  const std::map<std::string, AlignStatus> expected{
      {"zero.jpg", AlignStatus::kUnreadable}, {"truncated.jpg", AlignStatus::kTruncated},
      {"text.jpg", AlignStatus::kUnreadable}, {"deep16.png", AlignStatus::kOk},
      {"grey.png", AlignStatus::kOk},         {"tiny.png", AlignStatus::kTooSmall},
      {"blank.png", AlignStatus::kNoFace},    {"huge.png", AlignStatus::kTooLarge},
      {"ok.jpg", AlignStatus::kOk}};
  for (const auto& [name, status] : expected) {
    ASSERT_TRUE(rows.count(name)) << name;
    EXPECT_EQ(rows.at(name).status, status) << name << ": " << rows.at(name).detail;
  }
  if (have_cmyk) {
    ASSERT_TRUE(rows.count("cmyk.jpg"));
    EXPECT_EQ(rows.at("cmyk.jpg").status, AlignStatus::kOk) << rows.at("cmyk.jpg").detail;
  }
  EXPECT_EQ(rows.size(), expected.size() + (have_cmyk ? 1 : 0));
  EXPECT_EQ(r.counts.rows.at("ok"), have_cmyk ? 4u : 3u);
  EXPECT_EQ(r.counts.rows.at("unreadable"), 2u);
  // Every ok row names an existing aligned 112x112 image and a record; failures name neither.
  for (const auto& [name, row] : rows) {
    if (row.status == AlignStatus::kOk) {
      const cv::Mat out = cv::imread((dir / "out" / row.output).string());
      EXPECT_EQ(out.cols, 112) << name;
      EXPECT_GE(row.record, 0);
    } else {
      EXPECT_TRUE(row.output.empty()) << name;
      EXPECT_EQ(row.record, -1) << name;
      EXPECT_FALSE(row.detail.empty()) << name;
    }
  }
  const std::string summary = read_file(dir / "out" / "summary.json");
  EXPECT_NE(summary.find("\"too_large\": 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"complete\": true"), std::string::npos) << summary;

  // no_face policy center_crop writes the blank image as a crop and records it.
  AlignConfig crop = base_config(dir / "in", dir / "out_crop");
  crop.no_face = NoFacePolicy::kCenterCrop;
  run(crop);
  const auto crop_rows = rows_by_file(dir / "out_crop" / "manifest.csv");
  EXPECT_EQ(crop_rows.at("blank.png").status, AlignStatus::kNoFaceCropped);
  EXPECT_TRUE(fs::exists(dir / "out_crop" / crop_rows.at("blank.png").output));
}

TEST(AlignRun, ResumeAfterKillListsEachInputOnceAndRecordsMatch) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  make_face_dataset(dir / "in");
  AlignConfig c = base_config(dir / "in", dir / "out");
  c.write_recordio = true;
  c.max_items = 3;
  EXPECT_EQ(run(c).processed, 3u);
  // Simulate a kill after a record was written but before its manifest row: an extra complete record,
  // a partial one, and a torn manifest line.
  {
    RecordWriter w(dir / "out" / "train.rec", dir / "out" / "train.idx");
    w.write(3, pack_image_record({}, "stale"));
  }
  {
    std::ofstream rec(dir / "out" / "train.rec", std::ios::binary | std::ios::app);
    rec.write("\x0a\x23\xd7\xce\x10", 5);
    std::ofstream m(dir / "out" / "manifest.csv", std::ios::binary | std::ios::app);
    m << (dir / "in" / "anna" / "img3.jpg").string() << ",0,ok,0,1,0,anna,1";
  }
  c.max_items = 0;
  const AlignRunResult r = run(c);
  EXPECT_EQ(r.skipped, 3u);
  EXPECT_EQ(r.processed, 3u);
  const ManifestState m = read_manifest(dir / "out" / "manifest.csv");
  ASSERT_EQ(m.rows.size(), 6u);
  std::set<std::string> inputs;
  for (const auto& row : m.rows) inputs.insert(row.input);
  EXPECT_EQ(inputs.size(), 6u);
  const auto index = read_record_index(dir / "out" / "train.idx");
  ASSERT_EQ(index.size(), 6u);
  RecordReader reader(dir / "out" / "train.rec");
  for (std::size_t i = 0; i < m.rows.size(); ++i) {
    const ManifestRow& row = m.rows[i];
    ASSERT_EQ(row.status, AlignStatus::kOk) << row.input << " " << row.detail;
    ASSERT_EQ(row.record, static_cast<std::int64_t>(i));
    EXPECT_EQ(index[i].first, i);
    const ImageRecord rec = unpack_image_record(reader.read_at(index[i].second), "train.rec");
    EXPECT_EQ(rec.label(), static_cast<float>(row.label));
    EXPECT_EQ(rec.image, read_file(dir / "out" / row.output)) << row.output;
  }
  std::string payload;
  EXPECT_FALSE(reader.next(&payload));  // the stale and partial records were cut off
  EXPECT_EQ(m.rows[0].label, 0);
  EXPECT_EQ(m.rows[5].label, 1);
  EXPECT_EQ(read_file(dir / "out" / "identities.tsv"), "0\tanna\n1\tzoe\n");
  EXPECT_EQ(read_file(dir / "out" / "property"), "2,112,112\n");

  // An uninterrupted run with two threads writes byte-identical manifest and RecordIO files.
  AlignConfig two = base_config(dir / "in", dir / "out2");
  two.write_recordio = true;
  two.threads = 2;
  run(two);
  EXPECT_EQ(read_file(dir / "out2" / "manifest.csv"), read_file(dir / "out" / "manifest.csv"));
  EXPECT_EQ(read_file(dir / "out2" / "train.rec"), read_file(dir / "out" / "train.rec"));
  EXPECT_EQ(read_file(dir / "out2" / "train.idx"), read_file(dir / "out" / "train.idx"));

  // run.resume=false refuses to touch an existing manifest.
  AlignConfig no_resume = two;
  no_resume.resume = false;
  EXPECT_THROW(run(no_resume), ConfigError);
}

TEST(AlignRun, ShardManifestsConcatenateToTheUnshardedOne) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  make_face_dataset(dir / "in");
  run(base_config(dir / "in", dir / "all"));
  std::string joined;
  for (int i = 0; i < 4; ++i) {
    AlignConfig c = base_config(dir / "in", dir / "sharded");
    c.shard = fmt::format("{}/4", i);
    run(c);
    joined += read_file(dir / "sharded" / fmt::format("manifest-{}-of-4.csv", i));
  }
  EXPECT_EQ(joined, read_file(dir / "all" / "manifest.csv"));
  EXPECT_EQ(read_manifest(dir / "sharded" / "manifest-3-of-4.csv").rows.size(), 2u);  // [4, 6) of 6
}

TEST(AlignRun, ListFileWithGivenLandmarksAndMissingFiles) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  make_face_dataset(dir / "in");
  const auto arc = builtin_template(TemplateKind::kArcface);
  // Landmarks = the template scaled by 2 and shifted: the aligned image is that region, eyes exact.
  std::string line = "anna/img1.jpg";
  for (const auto& p : arc.points) line += fmt::format(" {} {}", p.x * 2 + 10, p.y * 2 + 5);
  testing::write_text(dir / "in" / "list.txt", line + "\nanna/nope.jpg\nzoe/img4.jpg 80 60 100 100\n");
  AlignConfig c = base_config(dir / "in" / "list.txt", dir / "out");
  const AlignRunResult r = run(c);
  const ManifestState m = read_manifest(dir / "out" / "manifest.csv");
  ASSERT_EQ(m.rows.size(), 3u);
  EXPECT_EQ(m.rows[0].status, AlignStatus::kOk);
  EXPECT_EQ(m.rows[0].line, 1);
  EXPECT_FALSE(m.rows[0].has_score);
  EXPECT_EQ(m.rows[1].status, AlignStatus::kMissing);
  EXPECT_EQ(m.rows[2].status, AlignStatus::kOk);
  EXPECT_FLOAT_EQ(m.rows[2].w, 100.f);
  EXPECT_EQ(r.counts.rows.at("missing"), 1u);
  // The aligned image from given landmarks is the source region resampled by 1/2.
  const cv::Mat src = cv::imread((dir / "in" / "anna" / "img1.jpg").string());
  const cv::Mat out = cv::imread((dir / "out" / m.rows[0].output).string());
  cv::Mat expected;
  cv::resize(src(cv::Rect(10, 5, 224, 224)), expected, cv::Size(112, 112), 0, 0, cv::INTER_AREA);
  EXPECT_LT(cv::norm(out, expected, cv::NORM_L1) / (112.0 * 112 * 3), 12.0);
}

}  // namespace
}  // namespace fv

namespace fv {
namespace {

TEST(AlignRun, SeveralFacesPolicies) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  const cv::Mat face = testing::astronaut_250();
  cv::Mat two;
  cv::hconcat(face, face, two);  // two faces side by side
  fs::create_directories(dir / "in" / "p");
  ASSERT_TRUE(cv::imwrite((dir / "in" / "p" / "two.png").string(), two));
  AlignConfig reject = base_config(dir / "in", dir / "reject");
  reject.policy = MultiFacePolicy::kReject;
  run(reject);
  const ManifestState r = read_manifest(dir / "reject" / "manifest.csv");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].status, AlignStatus::kSeveralFaces);
  EXPECT_EQ(r.rows[0].detail, "2 faces detected");

  AlignConfig all = base_config(dir / "in", dir / "all");
  all.policy = MultiFacePolicy::kAll;
  all.write_recordio = true;
  run(all);
  const ManifestState a = read_manifest(dir / "all" / "manifest.csv");
  ASSERT_EQ(a.rows.size(), 2u);
  EXPECT_EQ(a.rows[0].faces, 2);
  EXPECT_EQ(a.rows[1].face, 1);
  EXPECT_LT(a.rows[0].x, a.rows[1].x);  // left to right
  EXPECT_NEAR(a.rows[1].x - a.rows[0].x, 250.f, 2.f);
  EXPECT_EQ(a.rows[0].output, "images/p/two_0.jpg");
  EXPECT_EQ(a.rows[1].record, 1);
  EXPECT_TRUE(fs::exists(dir / "all" / "images/p/two_1.jpg"));
  EXPECT_EQ(a.records, 2u);

  AlignConfig center = base_config(dir / "in", dir / "center");
  center.policy = MultiFacePolicy::kLargest;
  run(center);
  EXPECT_EQ(read_manifest(dir / "center" / "manifest.csv").rows.size(), 1u);
}

}  // namespace
}  // namespace fv
