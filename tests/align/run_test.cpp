// Dataset-scale tests of run_align: malformed-input folder, resume after a kill, thread and shard invariance,
// outputs confined to output.dir, entries that cannot be read, list boxes outside the image.
#include "align/align_run.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "align/inputs.h"
#include "align/manifest.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/sha256.h"
#include "formats/recordio.h"
#include "face/test_images.h"
#include "support/command.h"
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
  c.no_face = NoFacePolicy::kSkip;  // the blank photo: no_face, without output or record
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

  // The default (prior_box_then_crop): the prior-box landmarks of a blank photo are refused, with the reason.
  run(base_config(dir / "in", dir / "out_default"));
  const auto default_rows = rows_by_file(dir / "out_default" / "manifest.csv");
  EXPECT_EQ(default_rows.at("blank.png").status, AlignStatus::kNoFaceCropped);
  EXPECT_NE(default_rows.at("blank.png").detail.find("prior box not used: "), std::string::npos)
      << default_rows.at("blank.png").detail;
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

  // MXNet's reader (tests/dataset/mxnet_recordio.py, dmlc-core's framing and mxnet.recordio.unpack re-implemented
  // from their code) reads the same records: keys, labels, ids and image bytes.
  if (fs::exists("/usr/bin/python3")) {
    const auto mx = testing::run_command(fmt::format("/usr/bin/python3 {} read {}",
                                                     (testing::source_dir() / "tests/dataset/mxnet_recordio.py").string(),
                                                     (dir / "out" / "train").string()));
    ASSERT_EQ(mx.code, 0) << mx.output;
    std::istringstream lines(mx.output);
    std::size_t i = 0;
    for (std::string line; std::getline(lines, line); ++i) {
      ASSERT_LT(i, m.rows.size()) << line;
      const auto j = nlohmann::json::parse(line);
      const std::string image = read_file(dir / "out" / m.rows[i].output);
      EXPECT_EQ(j.at("key"), i);
      EXPECT_EQ(j.at("id"), i);
      EXPECT_EQ(j.at("flag"), 0);
      EXPECT_EQ(j.at("label"), static_cast<float>(m.rows[i].label));
      EXPECT_EQ(j.at("size"), image.size());
      EXPECT_EQ(j.at("sha256"), sha256_hex(image)) << m.rows[i].output;
    }
    EXPECT_EQ(i, m.rows.size());
  }

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

// Issue #19: outputs confined to output.dir, stale temporaries, rows for entries that cannot be read, boxes
// outside the image.
namespace fv {
namespace {

std::string encoded_face(int shift) {
  cv::Mat v;
  testing::astronaut_250().convertTo(v, -1, 1.0, shift);
  std::vector<unsigned char> jpg;
  cv::imencode(".jpg", v, jpg);
  return std::string(jpg.begin(), jpg.end());
}

// Every file under `dir`, relative to it (the files a run wrote, or a tree that must be left alone).
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).generic_string());
  }
  return out;
}

// Each ok row names an output under output.dir/images/ that exists.
void expect_outputs_inside(const fs::path& out, const ManifestState& m) {
  for (const auto& row : m.rows) {
    if (row.status != AlignStatus::kOk) continue;
    EXPECT_EQ(row.output.rfind("images/", 0), 0u) << row.output;
    EXPECT_EQ(row.output.find(".."), std::string::npos) << row.output;
    EXPECT_TRUE(fs::is_regular_file(out / row.output)) << row.output;
  }
}

TEST(AlignRunConfinement, SymlinkToAFileOutsideTheRootIsNamedByTheLink) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  const std::string original = encoded_face(0);
  write_file_atomic(dir / "outside" / "y.jpg", original);
  fs::create_directories(dir / "in" / "anna");
  fs::create_symlink(dir / "outside" / "y.jpg", dir / "in" / "anna" / "link.jpg");
  run(base_config(dir / "in", dir / "out"));
  const ManifestState m = read_manifest(dir / "out" / "manifest.csv");
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_EQ(m.rows[0].status, AlignStatus::kOk) << m.rows[0].detail;
  EXPECT_EQ(m.rows[0].input, (dir / "in" / "anna" / "link.jpg").string());
  EXPECT_EQ(m.rows[0].output, "images/anna/link.jpg");
  EXPECT_EQ(read_file(dir / "outside" / "y.jpg"), original);
  EXPECT_EQ(files_under(dir / "outside"), std::set<std::string>{"y.jpg"});
}

TEST(AlignRunConfinement, SymlinkedSubFolderIsNamedByTheLink) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  write_file_atomic(dir / "outside" / "zoe" / "z.jpg", encoded_face(5));
  fs::create_directories(dir / "in");
  fs::create_symlink(dir / "outside" / "zoe", dir / "in" / "linked");
  fs::create_symlink(dir / "in", dir / "outside" / "zoe" / "back");  // back to the root: a row, no descent
  run(base_config(dir / "in", dir / "out"));
  const auto rows = rows_by_file(dir / "out" / "manifest.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at("z.jpg").status, AlignStatus::kOk) << rows.at("z.jpg").detail;
  EXPECT_EQ(rows.at("z.jpg").output, "images/linked/z.jpg");
  EXPECT_EQ(rows.at("z.jpg").identity, "linked");
  EXPECT_EQ(rows.at("back").status, AlignStatus::kUnreadable);
  EXPECT_NE(rows.at("back").detail.find("loop"), std::string::npos) << rows.at("back").detail;
  EXPECT_EQ(files_under(dir / "outside"), std::set<std::string>{"zoe/z.jpg"});
}

TEST(AlignRunConfinement, ParentAndAbsolutePathsInAListStayUnderImages) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  const std::string up = encoded_face(0), abs = encoded_face(10);
  write_file_atomic(dir / "x.jpg", up);
  write_file_atomic(dir / "far" / "away" / "y.jpg", abs);
  testing::write_text(dir / "set" / "list.txt", "../x.jpg\n" + (dir / "far" / "away" / "y.jpg").string() + "\n");
  run(base_config(dir / "set" / "list.txt", dir / "out"));
  const ManifestState m = read_manifest(dir / "out" / "manifest.csv");
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].input, (dir / "x.jpg").string());
  EXPECT_EQ(m.rows[0].output, "images/x.jpg");
  EXPECT_EQ(m.rows[1].input, (dir / "far" / "away" / "y.jpg").string());
  EXPECT_EQ(m.rows[1].output, "images/" + confined_stem(dir / "far" / "away" / "y.jpg") + ".jpg");
  expect_outputs_inside(dir / "out", m);
  EXPECT_EQ(read_file(dir / "x.jpg"), up);
  EXPECT_EQ(read_file(dir / "far" / "away" / "y.jpg"), abs);
}

// The reported case: output.dir = the input folder's parent. A '..' line and a link out of the input folder
// used to write onto the photos themselves (exit 0); an input folder named images/ is refused outright.
TEST(AlignRunConfinement, OutputDirIsTheInputFoldersParent) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  const fs::path d = dir / "d";
  const std::string photo = encoded_face(0), other = encoded_face(-10);
  write_file_atomic(d / "in" / "anna" / "x.jpg", photo);
  write_file_atomic(d / "src" / "y.jpg", other);
  fs::create_symlink(d / "src" / "y.jpg", d / "in" / "anna" / "y.jpg");
  testing::write_text(d / "list" / "list.txt", "../in/anna/x.jpg\n../src/y.jpg\n");

  run(base_config(d / "in", d));  // folder walk: images/anna/x.jpg, images/anna/y.jpg
  AlignConfig list = base_config(d / "list" / "list.txt", d);
  list.manifest = (d / "manifest-list.csv").string();
  run(list);  // list: images/in/anna/x.jpg, images/src/y.jpg (the '..' dropped)
  EXPECT_EQ(read_file(d / "in" / "anna" / "x.jpg"), photo);
  EXPECT_EQ(read_file(d / "src" / "y.jpg"), other);
  const ManifestState walk = read_manifest(d / "manifest.csv");
  const ManifestState listed = read_manifest(d / "manifest-list.csv");
  ASSERT_EQ(walk.rows.size(), 2u);
  ASSERT_EQ(listed.rows.size(), 2u);
  EXPECT_EQ(walk.rows[1].output, "images/anna/y.jpg");
  EXPECT_EQ(listed.rows[0].output, "images/in/anna/x.jpg");
  EXPECT_EQ(listed.rows[1].output, "images/src/y.jpg");
  expect_outputs_inside(d, walk);
  expect_outputs_inside(d, listed);

  // Input folder d2/images and output.dir d2: images/<name> would be the photo itself.
  const fs::path d2 = dir / "d2";
  write_file_atomic(d2 / "images" / "anna" / "x.jpg", photo);
  EXPECT_THROW(run(base_config(d2 / "images", d2)), ConfigError);
  EXPECT_THROW(run(base_config(d2, d2 / "aligned")), ConfigError);  // outputs inside the input tree
  EXPECT_EQ(read_file(d2 / "images" / "anna" / "x.jpg"), photo);
  // A list whose root is output.dir/images: the one output that is its own input is refused, not written.
  testing::write_text(d2 / "list.txt", "anna/x.jpg\n");
  AlignConfig self = base_config(d2 / "list.txt", d2);
  self.list_root = (d2 / "images").string();
  run(self);
  const ManifestState s = read_manifest(d2 / "manifest.csv");
  ASSERT_EQ(s.rows.size(), 1u);
  EXPECT_EQ(s.rows[0].status, AlignStatus::kError);
  EXPECT_NE(s.rows[0].detail.find("is the input file itself"), std::string::npos) << s.rows[0].detail;
  EXPECT_TRUE(s.rows[0].output.empty());
  EXPECT_EQ(read_file(d2 / "images" / "anna" / "x.jpg"), photo);
}

TEST(AlignRun, StaleTemporariesOfAKilledRunAreRemoved) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  make_face_dataset(dir / "in");
  AlignConfig c = base_config(dir / "in", dir / "out");
  c.max_items = 2;
  run(c);
  // A process that has exited: its pid names the temporaries a kill -9 leaves behind.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  const fs::path stale = dir / "out" / "images" / "anna" / fmt::format(".img2.jpg.tmp.{}.0", child);
  const fs::path stale_top = dir / "out" / fmt::format(".manifest.csv.tmp.{}.3", child);
  const fs::path live = dir / "out" / "images" / fmt::format(".x.jpg.tmp.{}.0", ::getppid());  // a live process
  write_file_atomic(stale, "half a JPEG");
  write_file_atomic(stale_top, "half a manifest");
  write_file_atomic(live, "being written");
  c.max_items = 0;
  const AlignRunResult r = run(c);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_FALSE(fs::exists(stale_top));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_EQ(r.processed, 4u);
  const ManifestState m = read_manifest(dir / "out" / "manifest.csv");
  ASSERT_EQ(m.rows.size(), 6u);
  for (const auto& row : m.rows) {
    EXPECT_EQ(row.status, AlignStatus::kOk) << row.input << ": " << row.detail;
    EXPECT_EQ(cv::imread((dir / "out" / row.output).string()).cols, 112) << row.output;
  }
}

// Entries that used to be skipped without a row or a log line: each is now a row, and nothing blocks.
TEST(AlignRun, EntriesThatCannotBeReadGetRows) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  const fs::path p = dir / "in" / "p";
  write_file_atomic(p / "ok.jpg", encoded_face(0));
  fs::create_symlink("self.jpg", p / "self.jpg");
  fs::create_symlink(dir / "gone.jpg", p / "dangling.jpg");
  ASSERT_EQ(::mkfifo((p / "pipe.jpg").c_str(), 0600), 0);
  fs::create_symlink("/dev/zero", p / "x.jpg");
  run(base_config(dir / "in", dir / "out"));
  const auto rows = rows_by_file(dir / "out" / "manifest.csv");
  const std::map<std::string, std::pair<AlignStatus, std::string>> expected{
      {"ok.jpg", {AlignStatus::kOk, ""}},
      {"self.jpg", {AlignStatus::kUnreadable, "symbolic link loop"}},
      {"dangling.jpg", {AlignStatus::kMissing, "dangling symbolic link"}},
      {"pipe.jpg", {AlignStatus::kUnreadable, "a FIFO, not read"}},
      {"x.jpg", {AlignStatus::kUnreadable, "symbolic link to a character device, not read"}}};
  ASSERT_EQ(rows.size(), expected.size());
  for (const auto& [name, want] : expected) {
    ASSERT_TRUE(rows.count(name)) << name;
    EXPECT_EQ(rows.at(name).status, want.first) << name << ": " << rows.at(name).detail;
    EXPECT_NE(rows.at(name).detail.find(want.second), std::string::npos) << name << ": " << rows.at(name).detail;
    EXPECT_EQ(rows.at(name).identity, "p");
  }
  // The same checks guard list items (opened by name, not found by the walk).
  testing::write_text(dir / "list.txt", "in/p/pipe.jpg\nin/p/x.jpg\nin/p\nin/p/ok.jpg\n");
  run(base_config(dir / "list.txt", dir / "out_list"));
  const ManifestState m = read_manifest(dir / "out_list" / "manifest.csv");
  ASSERT_EQ(m.rows.size(), 4u);
  EXPECT_EQ(m.rows[0].detail, "a FIFO, not read");
  EXPECT_EQ(m.rows[1].detail, "a character device, not read");
  EXPECT_EQ(m.rows[2].detail, "a folder, not read");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(m.rows[i].status, AlignStatus::kUnreadable) << i;
  EXPECT_EQ(m.rows[3].status, AlignStatus::kOk);
}

TEST(AlignRun, FolderWithoutReadPermissionGetsARow) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads folders whatever their permissions";
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  write_file_atomic(dir / "in" / "anna" / "a.jpg", encoded_face(0));
  write_file_atomic(dir / "in" / "bob" / "b.jpg", encoded_face(5));
  fs::permissions(dir / "in" / "anna", fs::perms::none);
  const AlignRunResult r = run(base_config(dir / "in", dir / "out"));
  fs::permissions(dir / "in" / "anna", fs::perms::owner_all);
  const ManifestState m = read_manifest(dir / "out" / "manifest.csv");
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].input, (dir / "in" / "anna").string());
  EXPECT_EQ(m.rows[0].status, AlignStatus::kUnreadable);
  EXPECT_NE(m.rows[0].detail.find("cannot list the folder"), std::string::npos) << m.rows[0].detail;
  EXPECT_EQ(m.rows[1].status, AlignStatus::kOk);
  EXPECT_EQ(r.counts.rows.at("unreadable"), 1u);
}

TEST(AlignRun, ListBoxEntirelyOutsideTheImageIsNotOk) {
  if (!testing::have_photos()) GTEST_SKIP() << "photos not installed";
  testing::TempDir dir;
  write_file_atomic(dir / "in" / "p" / "a.jpg", encoded_face(0));  // 250x250, face near 75..175
  testing::write_text(dir / "in" / "list.txt",
                      "p/a.jpg 300 40 100 100\n"   // right of the image
                      "p/a.jpg -150 60 120 120\n"  // left of it
                      "p/a.jpg 60 -20 130 130\n"   // partly above it: ok
                      "p/a.jpg 180 60 100 100\n"); // partly right of it: ok
  const AlignRunResult r = run(base_config(dir / "in" / "list.txt", dir / "out"));
  const ManifestState m = read_manifest(dir / "out" / "manifest.csv");
  ASSERT_EQ(m.rows.size(), 4u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(m.rows[i].status, AlignStatus::kBoxOutsideImage) << i << ": " << m.rows[i].detail;
    EXPECT_NE(m.rows[i].detail.find("entirely outside the 250x250 image"), std::string::npos) << m.rows[i].detail;
    EXPECT_TRUE(m.rows[i].output.empty());
    EXPECT_TRUE(m.rows[i].has_box);
  }
  EXPECT_FLOAT_EQ(m.rows[0].x, 300.f);
  EXPECT_EQ(m.rows[2].status, AlignStatus::kOk) << m.rows[2].detail;
  EXPECT_EQ(m.rows[3].status, AlignStatus::kOk) << m.rows[3].detail;
  EXPECT_TRUE(fs::exists(dir / "out" / m.rows[3].output));
  EXPECT_EQ(r.counts.rows.at("box_outside_image"), 2u);
  EXPECT_NE(read_file(dir / "out" / "summary.json").find("\"box_outside_image\": 2"), std::string::npos);
}

}  // namespace
}  // namespace fv
