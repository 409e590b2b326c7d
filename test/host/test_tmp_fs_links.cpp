// tmpfs (unix-server/tmp_fs*.cpp): symbolic and hard links, unlink,
// rmdir, rename and the attributes.
#include "tmp_fs_fixture.h"

using namespace ux;
using namespace tmpfs_test;

TEST_CASE("tmpfs: symbolic links") {
  Fs t;
  REQUIRE(t.fs.mkdir("d", 0755) == 0);
  REQUIRE(t.fs.mkdir("d/sub", 0755) == 0);
  t.create("d/sub/file");
  t.put("d/sub/file", 0, "data");
  REQUIRE(t.fs.symlink("sub/file", "d/rel") == 0);
  NodeInfo l = t.st("d/rel", false);
  CHECK(l.mode == (S_IFLNK_ | 0777));
  CHECK(l.size == 8);
  CHECK(t.link_target("d/rel") == "sub/file");
  CHECK(t.st("d/rel").ino == t.st("d/sub/file").ino);
  CHECK(t.get("d/rel") == "data");
  CHECK(t.fs.symlink("x", "d/rel") == EEXIST_);
  CHECK(t.fs.symlink("", "empty") == ENOENT_);
  // readlink: a truncated answer, EINVAL for others, the link itself not followed.
  char small[3];
  size_t len = 0;
  CHECK(t.fs.readlink("d/rel", small, sizeof small, &len) == 0);
  CHECK(len == 3);
  CHECK(std::string(small, 3) == "sub");
  CHECK(t.fs.readlink("d", small, sizeof small, &len) == EINVAL_);
  CHECK(t.fs.readlink("nope", small, sizeof small, &len) == ENOENT_);
  // "..", absolute targets under the mount point, and others.
  REQUIRE(t.fs.symlink("../../d/sub/file", "d/sub/up") == 0);
  CHECK(t.st("d/sub/up").ino == t.st("d/sub/file").ino);
  REQUIRE(t.fs.symlink("/tmp/d/sub/file", "abs") == 0);
  CHECK(t.st("abs").ino == t.st("d/sub/file").ino);
  REQUIRE(t.fs.symlink("/tmp//d/./sub/../sub/file", "abs-messy") == 0);
  CHECK(t.st("abs-messy").ino == t.st("d/sub/file").ino);
  REQUIRE(t.fs.symlink("../tmp/d", "out-and-back") == 0);  // from the root: /tmp/../tmp/d
  CHECK(t.st("out-and-back").ino == t.st("d").ino);
  REQUIRE(t.fs.symlink("/etc/passwd", "outside") == 0);
  CHECK(t.err("outside") == ENOENT_);
  CHECK(t.err("outside", false) == 0);
  REQUIRE(t.fs.symlink("/tmpfoo", "prefix-only") == 0);
  CHECK(t.err("prefix-only") == ENOENT_);
  REQUIRE(t.fs.symlink("/tmp", "root-link") == 0);
  CHECK(t.st("root-link").ino == 1);
  REQUIRE(t.fs.symlink("..", "dotdot") == 0);  // the mount's parent: another file system
  CHECK(t.err("dotdot") == ENOENT_);
  // A link as an intermediate component, relative and absolute.
  REQUIRE(t.fs.symlink("d/sub", "s") == 0);
  CHECK(t.st("s/file").ino == t.st("d/sub/file").ino);
  CHECK(t.get("s/file") == "data");
  CHECK(t.st("root-link/s/file").ino == t.st("d/sub/file").ino);
  // ".." after a link is physical: s/.. is d.
  CHECK(t.st("s/../rel").ino == t.st("d/rel").ino);
  t.create("s/made-through-link");
  CHECK(t.err("d/sub/made-through-link") == 0);
  // Through a link to a file: ENOTDIR; a dangling link: ENOENT.
  CHECK(t.err("abs/x") == ENOTDIR_);
  REQUIRE(t.fs.symlink("nothing", "dangling") == 0);
  CHECK(t.err("dangling") == ENOENT_);
  CHECK(t.err("dangling", false) == 0);
  // Chains: 8 links are followed, the 9th is ELOOP; a cycle too.
  t.create("end");
  REQUIRE(t.fs.symlink("end", "c1") == 0);
  for (int i = 2; i <= 9; ++i) {
    std::string from = "c" + std::to_string(i), to = "c" + std::to_string(i - 1);
    REQUIRE(t.fs.symlink(to.c_str(), from.c_str()) == 0);
  }
  CHECK(t.err("c8") == 0);
  CHECK(t.err("c9") == ELOOP_);
  REQUIRE(t.fs.symlink("loop-b", "loop-a") == 0);
  REQUIRE(t.fs.symlink("loop-a", "loop-b") == 0);
  CHECK(t.err("loop-a") == ELOOP_);
  CHECK(t.err("loop-a", false) == 0);
  CHECK(t.err("loop-a/x") == ELOOP_);
  NodeInfo n;
  CHECK(t.fs.create("loop-a/x", 0644, &n) == ELOOP_);
  // A target as long as Linux allows; longer is ENAMETOOLONG.
  std::string target(4095, 'x'), longer(4096, 'x');
  CHECK(t.fs.symlink(target.c_str(), "long") == 0);
  CHECK(t.link_target("long") == target);
  CHECK(t.fs.symlink(longer.c_str(), "longer") == ENAMETOOLONG_);
}

TEST_CASE("tmpfs: a tmpfs mounted at / resolves every absolute target") {
  TmpFs fs("/", now, alloc_page, free_page);
  REQUIRE(fs.mkdir("etc", 0755) == 0);
  REQUIRE(fs.symlink("/etc", "e") == 0);
  REQUIRE(fs.symlink("../../etc", "etc/up") == 0);
  NodeInfo a, b;
  REQUIRE(fs.stat("e", true, &a) == 0);
  REQUIRE(fs.stat("etc", true, &b) == 0);
  CHECK(a.ino == b.ino);
  REQUIRE(fs.stat("etc/up", true, &a) == 0);
  CHECK(a.ino == b.ino);
}

TEST_CASE("tmpfs: hard links") {
  Fs t;
  t.create("a");
  t.put("a", 0, "shared");
  REQUIRE(t.fs.mkdir("d", 0755) == 0);
  clock_now = 4000;
  CHECK(t.fs.link("a", "d/b") == 0);
  CHECK(t.st("a").nlink == 2);
  CHECK(t.st("a").ctime == 4000);
  CHECK(t.st("d/b").ino == t.st("a").ino);
  t.put("d/b", 6, "!");
  CHECK(t.get("a") == "shared!");
  CHECK(t.fs.link("a", "d/b") == EEXIST_);
  CHECK(t.fs.link("a", "") == EEXIST_);
  CHECK(t.fs.link("missing", "x") == ENOENT_);
  CHECK(t.fs.link("a", "missing/x") == ENOENT_);
  CHECK(t.fs.link("d", "d2") == EPERM_);
  CHECK(t.fs.link("", "root2") == EPERM_);
  // The link itself, not its target (linkat without AT_SYMLINK_FOLLOW).
  REQUIRE(t.fs.symlink("a", "sl") == 0);
  CHECK(t.fs.link("sl", "sl2") == 0);
  CHECK(t.st("sl2", false).ino == t.st("sl", false).ino);
  CHECK(t.st("sl", false).nlink == 2);
  CHECK(t.st("a").nlink == 2);
  REQUIRE(t.fs.unlink("a") == 0);
  CHECK(t.st("d/b").nlink == 1);
  CHECK(t.get("d/b") == "shared!");
  REQUIRE(t.fs.unlink("d/b") == 0);
  CHECK(t.err("d/b") == ENOENT_);
}

TEST_CASE("tmpfs: unlink and rmdir") {
  Fs t;
  REQUIRE(t.fs.mkdir("d", 0755) == 0);
  REQUIRE(t.fs.mkdir("d/e", 0755) == 0);
  t.create("d/f");
  REQUIRE(t.fs.symlink("d", "link-to-dir") == 0);
  CHECK(t.fs.unlink("d") == EISDIR_);
  CHECK(t.fs.unlink("missing") == ENOENT_);
  CHECK(t.fs.unlink("d/f/x") == ENOTDIR_);
  CHECK(t.fs.rmdir("d/f") == ENOTDIR_);
  CHECK(t.fs.rmdir("d") == ENOTEMPTY_);
  CHECK(t.fs.rmdir("missing") == ENOENT_);
  CHECK(t.fs.rmdir("link-to-dir") == ENOTDIR_);  // not followed
  CHECK(t.fs.unlink("link-to-dir") == 0);          // the link goes, not the directory
  CHECK(t.err("d") == 0);
  CHECK(t.st("d").nlink == 3);
  CHECK(t.fs.rmdir("d/e") == 0);
  CHECK(t.st("d").nlink == 2);
  CHECK(t.fs.unlink("d/f") == 0);
  CHECK(t.fs.rmdir("d") == 0);
  CHECK(t.st("").nlink == 2);
  CHECK(list(t.fs, "").empty());
  CHECK(live_pages == t.base_pages);
  FsStats s;
  t.fs.statfs(&s);
  CHECK(s.files_free == 4095);
}

TEST_CASE("tmpfs: rename") {
  Fs t;
  REQUIRE(t.fs.mkdir("a", 0755) == 0);
  REQUIRE(t.fs.mkdir("a/b", 0755) == 0);
  REQUIRE(t.fs.mkdir("empty", 0755) == 0);
  REQUIRE(t.fs.mkdir("full", 0755) == 0);
  t.create("full/x");
  t.create("f");
  t.put("f", 0, "F");
  t.create("g");
  t.put("g", 0, "G");
  uint64_t f_ino = t.st("f").ino, g_ino = t.st("g").ino;
  // A file replaces a file.
  CHECK(t.fs.rename("f", "g") == 0);
  CHECK(t.err("f") == ENOENT_);
  CHECK(t.st("g").ino == f_ino);
  CHECK(t.get("g") == "F");
  (void)g_ino;
  // Errors.
  CHECK(t.fs.rename("missing", "x") == ENOENT_);
  CHECK(t.fs.rename("g", "missing/x") == ENOENT_);
  CHECK(t.fs.rename("g", "g/x") == ENOTDIR_);
  CHECK(t.fs.rename("g", "empty") == EISDIR_);
  CHECK(t.fs.rename("empty", "g") == ENOTDIR_);
  CHECK(t.fs.rename("empty", "full") == ENOTEMPTY_);
  CHECK(t.fs.rename("a", "a/b/c") == EINVAL_);
  CHECK(t.fs.rename("a", "a/c") == EINVAL_);
  CHECK(t.fs.rename("a/b", "a") == ENOTEMPTY_);
  CHECK(t.fs.rename("", "x") == EBUSY_);
  CHECK(t.fs.rename("g", "") == EBUSY_);
  std::string too_long(256, 'n');
  CHECK(t.fs.rename("g", too_long.c_str()) == ENAMETOOLONG_);
  // Onto itself, and onto another name of the same file: nothing happens.
  CHECK(t.fs.rename("g", "g") == 0);
  REQUIRE(t.fs.link("g", "g2") == 0);
  CHECK(t.fs.rename("g", "g2") == 0);
  CHECK(t.st("g").nlink == 2);
  CHECK(t.err("g") == 0);
  REQUIRE(t.fs.unlink("g2") == 0);
  // In place: the readdir position stays.
  CHECK(list(t.fs, "") == Names{"a", "empty", "full", "g"});
  CHECK(t.fs.rename("empty", "renamed") == 0);
  CHECK(list(t.fs, "") == Names{"a", "renamed", "full", "g"});
  // A directory replaces an empty directory; nlink counts follow.
  CHECK(t.st("").nlink == 5);
  CHECK(t.fs.rename("full", "renamed") == 0);
  CHECK(t.st("").nlink == 4);
  CHECK(list(t.fs, "renamed") == Names{"x"});
  // A directory to another parent.
  CHECK(t.fs.rename("renamed", "a/b/moved") == 0);
  CHECK(t.st("").nlink == 3);
  CHECK(t.st("a/b").nlink == 3);
  CHECK(t.err("a/b/moved/x") == 0);
  // Its ".." follows it (resolved physically).
  REQUIRE(t.fs.symlink("../../../g", "a/b/moved/up") == 0);
  CHECK(t.st("a/b/moved/up").ino == f_ino);
  // A file to another directory, and back.
  CHECK(t.fs.rename("g", "a/g") == 0);
  CHECK(t.get("a/g") == "F");
  CHECK(t.fs.rename("a/g", "g") == 0);
  CHECK(list(t.fs, "a") == Names{"b"});
  // A symbolic link is renamed, not its target.
  REQUIRE(t.fs.symlink("g", "sl") == 0);
  CHECK(t.fs.rename("sl", "sl2") == 0);
  CHECK(t.link_target("sl2") == "g");
  CHECK(t.err("g") == 0);
}

TEST_CASE("tmpfs: chmod, chown, utimes and the clock") {
  Fs t;
  clock_now = 5000;
  t.create("f", 0600);
  REQUIRE(t.fs.symlink("f", "l") == 0);
  clock_now = 5001;
  CHECK(t.fs.chmod("l", 0104755) == 0);  // follows; type bits stay
  CHECK(t.st("f").mode == (S_IFREG_ | 04755));
  CHECK(t.st("f").ctime == 5001);
  CHECK(t.st("f").mtime == 5000);
  CHECK(t.fs.chown("f", 7, 8, true) == 0);
  CHECK(t.st("f").uid == 7);
  CHECK(t.st("f").gid == 8);
  CHECK(t.fs.chown("f", 0xffffffffu, 9, true) == 0);  // -1: left as it is
  CHECK(t.st("f").uid == 7);
  CHECK(t.st("f").gid == 9);
  clock_now = 5002;
  CHECK(t.fs.utimes("f", 100, 200, true) == 0);
  CHECK(t.st("f").atime == 100);
  CHECK(t.st("f").mtime == 200);
  CHECK(t.st("f").ctime == 5002);
  CHECK(t.fs.utimes("f", UINT64_MAX, 300, true) == 0);
  CHECK(t.st("f").atime == 100);
  CHECK(t.st("f").mtime == 300);
  CHECK(t.fs.utimes("f", 400, UINT64_MAX, true) == 0);
  CHECK(t.st("f").atime == 400);
  CHECK(t.st("f").mtime == 300);
  CHECK(t.fs.chmod("missing", 0) == ENOENT_);
  CHECK(t.fs.chown("missing", 0, 0, true) == ENOENT_);
  CHECK(t.fs.utimes("missing", 0, 0, true) == ENOENT_);
  // Writes stamp mtime and ctime.
  clock_now = 6000;
  t.put("f", 0, "x");
  CHECK(t.st("f").mtime == 6000);
  CHECK(t.st("f").ctime == 6000);
}
