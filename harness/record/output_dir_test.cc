#include "harness/record/output_dir.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

std::string Fresh(const std::string& name) {
  static int n = 0;
  return std::string(getenv("TEST_TMPDIR")) + "/" + name + std::to_string(++n);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Entries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

TEST(DefaultRunNameTest, UtcTimestampAndId) {
  std::string name = DefaultRunName(absl::FromUnixSeconds(1700000000));
  EXPECT_TRUE(std::regex_match(
      name, std::regex("results/20231114T221320Z-[0-9a-f]{6}")))
      << name;
}

TEST(ResolveOutputDirTest, NewPathIsAcceptedAndNotCreated) {
  std::string dir = Fresh("new");
  absl::StatusOr<std::string> r = ResolveOutputDir(dir);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, dir);
  struct stat st;
  EXPECT_NE(stat(dir.c_str(), &st), 0);
}

TEST(ResolveOutputDirTest, EmptyDirectoryIsAccepted) {
  std::string dir = Fresh("empty");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  EXPECT_TRUE(ResolveOutputDir(dir).ok());
}

TEST(ResolveOutputDirTest, NonEmptyDirectoryIsRefused) {
  std::string dir = Fresh("full");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  std::ofstream(dir + "/x") << "keep me";
  absl::StatusOr<std::string> r = ResolveOutputDir(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "not empty"));
  EXPECT_EQ(Read(dir + "/x"), "keep me");
}

TEST(ResolveOutputDirTest, FileIsRefused) {
  std::string file = Fresh("file");
  std::ofstream(file) << "x";
  EXPECT_FALSE(ResolveOutputDir(file).ok());
}

TEST(ResolveOutputDirTest, RelativeToBuildWorkingDirectory) {
  std::string base = Fresh("base");
  ASSERT_EQ(mkdir(base.c_str(), 0755), 0);
  setenv("BUILD_WORKING_DIRECTORY", base.c_str(), 1);
  absl::StatusOr<std::string> named = ResolveOutputDir("mine");
  absl::StatusOr<std::string> dflt = ResolveOutputDir("");
  unsetenv("BUILD_WORKING_DIRECTORY");
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(*named, base + "/mine");
  ASSERT_TRUE(dflt.ok()) << dflt.status();
  EXPECT_TRUE(absl::StartsWith(*dflt, base + "/results/")) << *dflt;
}

TEST(CreateOutputDirTest, CreatesParentsAndRefusesNonEmpty) {
  std::string dir = Fresh("nested") + "/a/b";
  ASSERT_TRUE(CreateOutputDir(dir).ok());
  EXPECT_EQ(Entries(dir), 0);
  EXPECT_TRUE(CreateOutputDir(dir).ok());  // still empty: fine
  std::ofstream(dir + "/x") << "x";
  EXPECT_FALSE(CreateOutputDir(dir).ok());
}

TEST(WriteFileAtomicallyTest, WritesWholeFileAndLeavesNoTemporary) {
  std::string dir = Fresh("atomic");
  ASSERT_TRUE(CreateOutputDir(dir).ok());
  std::string big(1 << 20, 'z');
  ASSERT_TRUE(WriteFileAtomically(dir + "/f.csv", "one\n").ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/f.csv", big).ok());
  EXPECT_EQ(Read(dir + "/f.csv"), big);
  EXPECT_EQ(Entries(dir), 1);
}

TEST(WriteFileAtomicallyTest, MissingDirectoryIsAnError) {
  EXPECT_FALSE(WriteFileAtomically(Fresh("nodir") + "/f.csv", "x").ok());
}

}  // namespace
}  // namespace copyscope::record
