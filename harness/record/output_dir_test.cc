#include "harness/record/output_dir.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Every name in dir, dot files included.
std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  closedir(d);
  return out;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

TEST(DefaultRunNameTest, UtcTimestampAndId) {
  std::string name = DefaultRunName(absl::FromUnixSeconds(1700000000));
  EXPECT_TRUE(std::regex_match(
      name, std::regex("results/20231114T221320Z-[0-9a-f]{6}")))
      << name;
}

TEST(OutputDirTest, ANewPathIsCreatedWithItsParentsAndLocked) {
  const std::string dir = Fresh("new") + "/a/b";
  absl::StatusOr<std::unique_ptr<OutputDir>> out = OutputDir::Claim(dir);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)->path(), dir);
  EXPECT_EQ((*out)->name(), "b");
  EXPECT_EQ(Names(dir), std::set<std::string>{kRunLockFile});
  EXPECT_EQ(Read(dir + "/" + kRunLockFile), absl::StrCat(getpid(), "\n"));
}

TEST(OutputDirTest, AnEmptyDirectoryIsTaken) {
  const std::string dir = Fresh("empty");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  EXPECT_TRUE(OutputDir::Claim(dir).ok());
}

TEST(OutputDirTest, WhatCannotTakeARunIsRefusedAndLeftAsItIs) {
  const std::string full = Fresh("full");
  ASSERT_EQ(mkdir(full.c_str(), 0755), 0);
  WriteFile(full + "/x", "keep me");
  const std::string file = Fresh("file");
  WriteFile(file, "keep me too");
  const std::string link = Fresh("link");
  ASSERT_EQ(symlink(full.c_str(), link.c_str()), 0);
  for (const auto& [path, why] :
       {std::pair<std::string, const char*>{full, "not empty"},
        {file, "not a directory"},
        {link, "symbolic link"}}) {
    absl::StatusOr<std::unique_ptr<OutputDir>> out = OutputDir::Claim(path);
    ASSERT_FALSE(out.ok()) << path;
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(out.status().message(), why)) << out.status();
    EXPECT_TRUE(absl::StrContains(out.status().message(), "--out=" + path));
  }
  EXPECT_EQ(Read(full + "/x"), "keep me");
  EXPECT_EQ(Names(full), std::set<std::string>{"x"});
  EXPECT_EQ(Read(file), "keep me too");
}

TEST(OutputDirTest, ASecondRunIntoALockedDirectoryNamesTheHolder) {
  const std::string dir = Fresh("locked");
  absl::StatusOr<std::unique_ptr<OutputDir>> first = OutputDir::Claim(dir);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<OutputDir>> second = OutputDir::Claim(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(second.status().message(),
                                absl::StrCat("a run (pid ", getpid(), ")")))
      << second.status();
  // Once the first is done, the directory holds a run: still refused.
  first->reset();
  absl::StatusOr<std::unique_ptr<OutputDir>> third = OutputDir::Claim(dir);
  ASSERT_FALSE(third.ok());
  EXPECT_TRUE(absl::StrContains(third.status().message(), "another run"));
}

TEST(OutputDirTest, RelativeToBuildWorkingDirectory) {
  const std::string base = Fresh("base");
  ASSERT_EQ(mkdir(base.c_str(), 0755), 0);
  setenv("BUILD_WORKING_DIRECTORY", base.c_str(), 1);
  absl::StatusOr<std::unique_ptr<OutputDir>> named = OutputDir::Claim("mine");
  absl::StatusOr<std::unique_ptr<OutputDir>> dflt = OutputDir::Claim("");
  unsetenv("BUILD_WORKING_DIRECTORY");
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ((*named)->path(), base + "/mine");
  ASSERT_TRUE(dflt.ok()) << dflt.status();
  EXPECT_TRUE(absl::StartsWith((*dflt)->path(), base + "/results/"))
      << (*dflt)->path();
}

TEST(OutputDirTest, WritesWholeFilesAndLeavesNoTemporary) {
  const std::string dir = Fresh("write");
  absl::StatusOr<std::unique_ptr<OutputDir>> out = OutputDir::Claim(dir);
  ASSERT_TRUE(out.ok()) << out.status();
  std::string big(1 << 20, 'x');
  ASSERT_TRUE((*out)->Write("f.csv", big).ok());
  ASSERT_TRUE((*out)->Write("f.csv", "second").ok());
  EXPECT_EQ(Read(dir + "/f.csv"), "second");
  EXPECT_EQ(Names(dir), (std::set<std::string>{kRunLockFile, "f.csv"}));
}

TEST(OutputDirTest, RoomKeptAsideIsOursAndGoesAway) {
  const std::string dir = Fresh("room");
  absl::StatusOr<std::unique_ptr<OutputDir>> out = OutputDir::Claim(dir);
  ASSERT_TRUE(out.ok()) << out.status();
  (*out)->KeepRoomFor(64 << 10);
  EXPECT_TRUE(Exists(dir + "/.copyscope-room"));
  (*out)->ReleaseRoom();
  EXPECT_FALSE(Exists(dir + "/.copyscope-room"));
  (*out)->KeepRoomFor(4096);
  out->reset();  // the room goes with the run
  EXPECT_FALSE(Exists(dir + "/.copyscope-room"));
}

TEST(OutputDirTest, AKilledWritersTemporariesAreRemovedByTheNextRun) {
  const std::string parent = Fresh("parent");
  const std::string old = parent + "/old";
  // A writer that claims a directory, leaves a temporary and is killed.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    absl::StatusOr<std::unique_ptr<OutputDir>> out = OutputDir::Claim(old);
    if (!out.ok()) _exit(1);
    WriteFile(old + "/.run.pb.tmp.123.abcdef", "half");
    WriteFile(old + "/run.pb", "whole");
    (*out)->KeepRoomFor(4096);
    kill(getpid(), SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  const std::string foreign = parent + "/not-a-run";
  ASSERT_EQ(mkdir(foreign.c_str(), 0755), 0);
  WriteFile(foreign + "/.x.tmp.1.y", "not ours");
  ASSERT_TRUE(Exists(old + "/.run.pb.tmp.123.abcdef"));
  absl::StatusOr<std::unique_ptr<OutputDir>> next =
      OutputDir::Claim(parent + "/next");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(Names(old), (std::set<std::string>{kRunLockFile, "run.pb"}));
  EXPECT_TRUE(Exists(foreign + "/.x.tmp.1.y"));  // not a run directory
  // A running writer's temporaries are its own business.
  const std::string live = parent + "/live";
  absl::StatusOr<std::unique_ptr<OutputDir>> running = OutputDir::Claim(live);
  ASSERT_TRUE(running.ok());
  WriteFile(live + "/.f.tmp.9.z", "in progress");
  EXPECT_EQ(RemoveStaleTemporaries(parent), 0);
  EXPECT_TRUE(Exists(live + "/.f.tmp.9.z"));
}

}  // namespace
}  // namespace copyscope::record
