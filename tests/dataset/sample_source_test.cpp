// Sample sources: folder labels, list-file parsing and its errors, MNIST IDX reading and validation.
#include "dataset/sample_source.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

const char* kMessi = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

void copy_messi(const std::filesystem::path& to) {
  std::filesystem::create_directories(to.parent_path());
  std::filesystem::copy_file(kMessi, to);
}

TEST(ImageFolder, LabelsFollowSortedIdentityFolders) {
  testing::TempDir dir;
  copy_messi(dir / "zed/a.jpg");
  copy_messi(dir / "amy/deep/b.JPG");
  copy_messi(dir / "amy/c.jpg");
  testing::write_text(dir / "amy/notes.txt", "not an image");
  auto src = open_image_folder(dir.path());
  ASSERT_EQ(src->size(), 3u);
  EXPECT_EQ(src->num_classes(), 2);
  EXPECT_EQ(src->id(0), "amy/c.jpg");
  EXPECT_EQ(src->id(1), "amy/deep/b.JPG");
  EXPECT_EQ(src->id(2), "zed/a.jpg");
  EXPECT_EQ(src->label(0), 0);
  EXPECT_EQ(src->label(1), 0);
  EXPECT_EQ(src->label(2), 1);
  EXPECT_EQ(src->image(2).width, 548);
}

// Links are named where they sit under the root; a link back to a folder above is walked once (no loop); a
// sub-folder that cannot be listed leaves its images out with a warning instead of ending the walk (checked
// when not running as root, which reads every folder).
TEST(ImageFolder, LinksLoopsAndUnlistableSubFolders) {
  testing::TempDir dir;
  const auto root = dir / "data";
  copy_messi(root / "amy/a.jpg");
  copy_messi(dir / "outside/b.jpg");
  std::filesystem::create_directory_symlink(dir / "outside", root / "bob");
  std::filesystem::create_directory_symlink("..", root / "amy/up");
  const auto files = list_image_files(root);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], "amy/a.jpg");
  EXPECT_EQ(files[1], "bob/b.jpg");
  if (::geteuid() != 0) {
    copy_messi(root / "locked/c.jpg");
    std::filesystem::permissions(root / "locked", std::filesystem::perms::none);
    EXPECT_EQ(list_image_files(root).size(), 2u);
    std::filesystem::permissions(root / "locked", std::filesystem::perms::owner_all);
  }
}

TEST(ImageFolder, EmptyOrMissingFolderIsAnError) {
  testing::TempDir dir;
  EXPECT_THROW(open_image_folder(dir.path()), DataError);
  EXPECT_THROW(open_image_folder(dir / "missing"), IoError);
}

TEST(ListFile, PathsAndLabelsWithComments) {
  testing::TempDir dir;
  copy_messi(dir / "imgs/x.jpg");
  testing::write_text(dir / "list.txt", "# header comment\nimgs/x.jpg 3\n\nimgs/x.jpg 0  # trailing\n");
  auto src = open_list_file(dir / "list.txt");
  ASSERT_EQ(src->size(), 2u);
  EXPECT_EQ(src->label(0), 3);
  EXPECT_EQ(src->label(1), 0);
  EXPECT_EQ(src->num_classes(), 4);
  EXPECT_EQ(src->image(0).height, 342);
}

TEST(ListFile, MalformedLinesNameFileAndLine) {
  testing::TempDir dir;
  const auto list = dir / "bad.txt";
  testing::write_text(list, "a.jpg 1\nb.jpg one\n");
  try {
    open_list_file(list);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), list.string() + ":2: label 'one' is not an integer");
  }
  testing::write_text(list, "a.jpg 1\nb.jpg\n");
  try {
    open_list_file(list);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), list.string() + ":2: some lines have a label and some do not");
  }
  testing::write_text(list, "a.jpg 1 extra\n");
  EXPECT_THROW(open_list_file(list), FormatError);
}

TEST(ListFile, UnreadableImageNamesIt) {
  testing::TempDir dir;
  testing::write_text(dir / "broken.jpg", "nope");
  testing::write_text(dir / "list.txt", "broken.jpg\n");
  auto src = open_list_file(dir / "list.txt");
  EXPECT_EQ(src->label(0), -1);
  try {
    src->image(0);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("broken.jpg"), std::string::npos);
  }
}

TEST(Mnist, SharedTestSetHasTenThousandDigits) {
  const auto root = testing::source_dir().parent_path() / "shared/data/mnist";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "no ../shared/data/mnist beside the checkout";
  auto src = open_mnist(root / "t10k-images-idx3-ubyte.gz", root / "t10k-labels-idx1-ubyte.gz");
  ASSERT_EQ(src->size(), 10000u);
  EXPECT_EQ(src->num_classes(), 10);
  EXPECT_EQ(src->label(0), 7);  // the first test digit of MNIST is a 7
  EXPECT_EQ(src->label(1), 2);
  const RgbImage img = src->image(0);
  EXPECT_EQ(img.width, 28);
  int ink = 0;
  for (size_t k = 0; k < img.pixels.size(); k += 3) ink += img.pixels[k] > 128;
  EXPECT_GT(ink, 50);
  EXPECT_LT(ink, 300);
}

void write_gz(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

TEST(Mnist, HandMadeFilesAndTheirErrors) {
  testing::TempDir dir;
  std::vector<std::uint8_t> images = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<std::uint8_t> labels = {0, 0, 8, 1, 0, 0, 0, 2, 4, 9};
  write_gz(dir / "i.gz", images);
  write_gz(dir / "l.gz", labels);
  auto src = open_mnist(dir / "i.gz", dir / "l.gz");
  ASSERT_EQ(src->size(), 2u);
  EXPECT_EQ(src->label(1), 9);
  EXPECT_EQ(src->image(1).pixels[3 * 3], 8);  // last pixel of the second image

  labels[7] = 3;  // count mismatch
  write_gz(dir / "l3.gz", labels);
  try {
    open_mnist(dir / "i.gz", dir / "l3.gz");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("holds 2 images"), std::string::npos) << e.what();
  }
  images[3] = 1;  // wrong magic
  write_gz(dir / "bad.gz", images);
  EXPECT_THROW(open_mnist(dir / "bad.gz", dir / "l.gz"), FormatError);
  EXPECT_THROW(open_mnist(dir / "none.gz", dir / "l.gz"), IoError);
}

}  // namespace
}  // namespace fv
