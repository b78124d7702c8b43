// Tests for the manifest CSV: round trip with awkward paths, torn tails and incomplete inputs on resume.
#include "align/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

ManifestRow sample(const std::string& input, int face, int faces) {
  ManifestRow r;
  r.input = input;
  r.status = AlignStatus::kOk;
  r.face = face;
  r.faces = faces;
  r.label = 3;
  r.identity = "Jo, \"the\" one";
  r.has_box = true;
  r.x = 1.5f;
  r.y = 2.25f;
  r.w = 30;
  r.h = 31;
  r.has_score = true;
  r.score = 0.75f;
  r.has_landmarks = true;
  for (int i = 0; i < 5; ++i) r.landmarks[i] = {10.f + i, 20.f + i};
  r.output = "images/x.jpg";
  r.record = 4 + face;
  return r;
}

TEST(Manifest, RoundTripWithQuotedFields) {
  const ManifestRow r = sample("/data/a,b \"q\".jpg", 0, 1);
  const std::string line = to_csv_line(r);
  ASSERT_EQ(line.back(), '\n');
  const ManifestRow back = parse_manifest_line(line.substr(0, line.size() - 1), "m.csv", 1);
  EXPECT_EQ(back.input, r.input);
  EXPECT_EQ(back.identity, r.identity);
  EXPECT_EQ(back.status, AlignStatus::kOk);
  EXPECT_FLOAT_EQ(back.y, 2.25f);
  EXPECT_FLOAT_EQ(back.landmarks[4].y, 24.f);
  EXPECT_EQ(back.record, 4);
  ManifestRow none;
  none.input = "z.jpg";
  none.status = AlignStatus::kUnreadable;
  none.detail = "empty file";
  const std::string l2 = to_csv_line(none);
  const ManifestRow b2 = parse_manifest_line(l2.substr(0, l2.size() - 1), "m.csv", 2);
  EXPECT_FALSE(b2.has_box);
  EXPECT_FALSE(b2.has_landmarks);
  EXPECT_EQ(b2.record, -1);
  EXPECT_EQ(b2.detail, "empty file");
  try {
    parse_manifest_line("a,0,bogus", "m.csv", 7);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("m.csv:7"), std::string::npos) << e.what();
  }
}

TEST(Manifest, ResumeDropsTornTailAndIncompleteInput) {
  testing::TempDir dir;
  const auto path = dir / "manifest.csv";
  {
    ManifestWriter w(path, 0, true);
    w.append({sample("a.jpg", 0, 1)});
    w.append({sample("b.jpg", 0, 2), sample("b.jpg", 1, 2)});
  }
  const auto full = std::filesystem::file_size(path);
  // A kill in the middle of writing c.jpg's two rows: one complete row and a torn one.
  {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << to_csv_line(sample("c.jpg", 0, 2)) << "c.jpg,0,ok,1";
  }
  const ManifestState s = read_manifest(path);
  ASSERT_EQ(s.rows.size(), 3u);
  EXPECT_TRUE(s.has_header);
  EXPECT_EQ(s.valid_bytes, full);
  EXPECT_EQ(s.records, 6u);  // b.jpg face 1 has record 5
  {
    ManifestWriter w(path, s.valid_bytes, false);
    w.append({sample("c.jpg", 0, 1)});
  }
  const ManifestState again = read_manifest(path);
  ASSERT_EQ(again.rows.size(), 4u);
  EXPECT_EQ(again.rows[3].input, "c.jpg");
  const StatusCounts counts = count_statuses(again.rows);
  EXPECT_EQ(counts.inputs, 3u);
  EXPECT_EQ(counts.rows.at("ok"), 4u);
  EXPECT_EQ(counts.rows.at("no_face"), 0u);
  EXPECT_EQ(read_manifest(dir / "none.csv").rows.size(), 0u);
}

TEST(Manifest, MalformedMiddleLineIsAnError) {
  testing::TempDir dir;
  const auto path = dir / "m.csv";
  write_file_atomic(path, manifest_header() + to_csv_line(sample("a.jpg", 0, 1)) + "garbage\n" +
                              to_csv_line(sample("b.jpg", 0, 1)));
  try {
    read_manifest(path);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("m.csv:3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fv
