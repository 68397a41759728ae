#include "src/util/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace mandate {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mandate_file_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(FileTest, ReadsEveryByteOfAFileLargerThanOneRead) {
  std::string bytes(200'000, 'x');
  bytes[0] = '\0';  // binary content is kept as is
  bytes.back() = '\n';
  auto text = ReadFileBytes(Write("big", bytes));
  ASSERT_TRUE(text.has_value()) << text.error().message();
  EXPECT_EQ(*text, bytes);
}

TEST_F(FileTest, TrimsTrailingNewlinesAndSpacesOnly) {
  auto text = ReadTrimmedFile(Write("token", "  abc def \n\n"));
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "  abc def");
  auto empty = ReadTrimmedFile(Write("empty", "\n"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
}

TEST_F(FileTest, AMissingFileNamesThePathAndTheReason) {
  const std::string path = (dir_ / "absent").string();
  auto text = ReadFileBytes(path);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().reason(), "file.unreadable");
  EXPECT_EQ(text.error().code(), StatusCode::kNotFound);
  EXPECT_NE(text.error().message().find("`" + path + "`: No such file"), std::string::npos)
      << text.error().message();
}

TEST_F(FileTest, ADirectoryIsUnreadable) {
  auto text = ReadFileBytes(dir_.string());
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().reason(), "file.unreadable");
}

TEST_F(FileTest, RefusesMoreThanTheLimitAndAcceptsExactlyIt) {
  const std::string path = Write("limit", std::string(100, 'a'));
  ASSERT_TRUE(ReadFileBytes(path, 100).has_value());
  auto over = ReadFileBytes(path, 99);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().reason(), "file.too_large");
}

TEST_F(FileTest, AnEndlessDeviceStopsAtTheLimit) {
  auto text = ReadFileBytes("/dev/zero", 1 << 20);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().reason(), "file.too_large");
}

}  // namespace
}  // namespace mandate
