// The Unix server's path handling (unix-server/vfs.cpp): absolute paths
// from a base directory, lexical normalization, and the mount table.
#include <doctest/doctest.h>

#include <string>

#include "../../unix-server/vfs.h"

using namespace ux;

namespace {

std::string absolute(const char* base, const char* path, int* err = nullptr, bool* slash = nullptr) {
  char out[kPathMax];
  bool s = false;
  int e = Vfs::absolute(base, path, out, &s);
  if (err) *err = e;
  if (slash) *slash = s;
  return e ? std::string("<error>") : std::string(out);
}

// A file system that only has to exist for the mount table.
class NullFs final : public FileSystem {
 public:
  int stat(const char*, bool, NodeInfo*) override { return 2; }
  int readlink(const char*, char*, size_t, size_t*) override { return 2; }
  int read(const char*, const NodeInfo&, uint64_t, char*, uint32_t, uint32_t*) override { return 2; }
  int readdir(const char*, uint64_t, DirSink&, uint64_t*) override { return 2; }
};

}  // namespace

TEST_CASE("unix vfs: absolute paths are normalized lexically") {
  CHECK(absolute("/", "/etc/motd") == "/etc/motd");
  CHECK(absolute("/usr/share", "doc/readme.txt") == "/usr/share/doc/readme.txt");
  CHECK(absolute("/usr/share", "../..//etc/./motd") == "/etc/motd");
  CHECK(absolute("/", "..") == "/");
  CHECK(absolute("/", "/../../..") == "/");
  CHECK(absolute("/etc", ".") == "/etc");
  CHECK(absolute("/etc", "/") == "/");
  CHECK(absolute("/a/b", "../../../c") == "/c");
  bool slash = false;
  CHECK(absolute("/", "etc/", nullptr, &slash) == "/etc");
  CHECK(slash);
  CHECK(absolute("/", "etc", nullptr, &slash) == "/etc");
  CHECK(!slash);
}

TEST_CASE("unix vfs: empty and too long paths") {
  int err = 0;
  absolute("/", "", &err);
  CHECK(err == 2);  // ENOENT, as Linux answers for ""
  std::string longest(kPathMax - 2, 'a');  // "/" + that + NUL fills the buffer
  CHECK(absolute("/", longest.c_str(), &err) == "/" + longest);
  std::string too_long(kPathMax - 1, 'a');
  absolute("/", too_long.c_str(), &err);
  CHECK(err == 36);  // ENAMETOOLONG
  // Long input that normalizes short is fine.
  std::string dots;
  for (int i = 0; i < 400; ++i) dots += "./";
  CHECK(absolute("/", (dots + "etc").c_str(), &err) == "/etc");
}

TEST_CASE("unix vfs: the longest mount prefix wins") {
  NullFs root, dev, pts;
  Vfs vfs;
  REQUIRE(vfs.mount("/", &root));
  REQUIRE(vfs.mount("/dev", &dev));
  REQUIRE(vfs.mount("/dev/pts", &pts));
  Location loc;
  vfs.locate("/etc/motd", &loc);
  CHECK(loc.fs == &root);
  CHECK(std::string(loc.path) == "etc/motd");
  vfs.locate("/", &loc);
  CHECK(loc.fs == &root);
  CHECK(std::string(loc.path) == "");
  vfs.locate("/dev", &loc);
  CHECK(loc.fs == &dev);
  CHECK(std::string(loc.path) == "");
  vfs.locate("/dev/console", &loc);
  CHECK(loc.fs == &dev);
  CHECK(std::string(loc.path) == "console");
  vfs.locate("/devices/x", &loc);  // a prefix of the name, not of the path
  CHECK(loc.fs == &root);
  CHECK(std::string(loc.path) == "devices/x");
  vfs.locate("/dev/pts/0", &loc);
  CHECK(loc.fs == &pts);
  CHECK(std::string(loc.path) == "0");

  const char* name = nullptr;
  CHECK(vfs.child_mount("/", 0, &name));
  CHECK(std::string(name) == "dev");
  CHECK(!vfs.child_mount("/", 1, &name));  // /dev/pts is not the root's child
  CHECK(vfs.child_mount("/dev", 0, &name));
  CHECK(std::string(name) == "pts");
  CHECK(!vfs.child_mount("/etc", 0, &name));
}
