// tmpfs (unix-server/tmp_fs*.cpp): the root, creation and lookups,
// readdir, file data against a reference, open-file lifetime and the
// limits. Pages come from malloc here (vm_allocate in the server) and are
// counted. The links, removals and renames: test_tmp_fs_links.cpp.
#include <cstdio>
#include <random>

#include "tmp_fs_fixture.h"

using namespace ux;
using namespace tmpfs_test;

TEST_CASE("tmpfs: the root") {
  Fs t;
  CHECK(t.fs.ready());
  CHECK(t.fs.writable());
  NodeInfo root = t.st("");
  CHECK(root.ino == 1);
  CHECK(root.mode == (S_IFDIR_ | 01777));
  CHECK(root.nlink == 2);
  CHECK(root.mtime == clock_now);
  CHECK(list(t.fs, "").empty());
  CHECK(t.fs.rmdir("") == EBUSY_);
  CHECK(t.fs.unlink("") == EISDIR_);
  CHECK(t.fs.mkdir("", 0755) == EEXIST_);
  mach_port_t object;
  CHECK(t.fs.memory_object("", &object) == ENODEV_);
  FsStats s;
  REQUIRE(t.fs.statfs(&s) == 0);
  CHECK(s.type == 0x01021994);
  CHECK(s.block_size == 4096);
  CHECK(s.blocks == 16384);
  CHECK(s.blocks_free == 16384);
  CHECK(s.files == 4096);
  CHECK(s.files_free == 4095);
  CHECK(s.name_max == 255);
}

TEST_CASE("tmpfs: create, mkdir and lookups") {
  Fs t;
  clock_now = 2000;
  NodeInfo f = t.create("a", 0100755);  // type bits in mode are ignored
  CHECK(f.mode == (S_IFREG_ | 0755));
  CHECK(f.size == 0);
  CHECK(f.nlink == 1);
  CHECK(f.ino > 1);
  CHECK(f.mtime == 2000);
  CHECK(t.st("").mtime == 2000);  // the directory changed
  NodeInfo again;
  CHECK(t.fs.create("a", 0644, &again) == EEXIST_);
  CHECK(t.fs.mkdir("a", 0755) == EEXIST_);
  CHECK(t.fs.mkdir("d", 0750) == 0);
  CHECK(t.st("d").mode == (S_IFDIR_ | 0750));
  CHECK(t.st("d").nlink == 2);
  CHECK(t.st("").nlink == 3);
  CHECK(t.fs.mkdir("d/e", 0755) == 0);
  CHECK(t.fs.mkdir("d/f", 0755) == 0);
  CHECK(t.st("d").nlink == 4);
  CHECK(t.st("").nlink == 3);
  t.create("d/e/file");
  CHECK(t.st("d/e/file").mode == (S_IFREG_ | 0644));
  CHECK(t.err("missing") == ENOENT_);
  CHECK(t.err("d/missing/x") == ENOENT_);
  CHECK(t.err("a/x") == ENOTDIR_);
  NodeInfo n;
  CHECK(t.fs.create("a/x", 0644, &n) == ENOTDIR_);
  CHECK(t.fs.create("nope/x", 0644, &n) == ENOENT_);
  CHECK(t.fs.mkdir("nope/x", 0755) == ENOENT_);
  std::string longest(255, 'n'), too_long(256, 'n');
  CHECK(t.fs.create(longest.c_str(), 0644, &n) == 0);
  CHECK(t.fs.create(too_long.c_str(), 0644, &n) == ENAMETOOLONG_);
  CHECK(t.fs.mkdir(too_long.c_str(), 0755) == ENAMETOOLONG_);
  CHECK(t.err((too_long + "/x").c_str()) == ENAMETOOLONG_);
  // Distinct inos, stable across lookups.
  CHECK(t.st("d").ino != t.st("d/e").ino);
  CHECK(t.st("d/e/file").ino == t.st("d/e/file").ino);
}

TEST_CASE("tmpfs: readdir in insertion order with the index/next protocol") {
  Fs t;
  t.create("zeta");
  REQUIRE(t.fs.mkdir("alpha", 0755) == 0);
  REQUIRE(t.fs.symlink("zeta", "mid") == 0);
  t.create("beta");
  CHECK(list(t.fs, "") == Names{"zeta", "alpha", "mid", "beta"});
  Listing all;
  uint64_t next = 0;
  REQUIRE(t.fs.readdir("", 0, all, &next) == 0);
  CHECK(all.types == std::vector<uint8_t>{8, 4, 10, 8});
  CHECK(all.inos[0] == t.st("zeta").ino);
  CHECK(all.inos[1] == t.st("alpha").ino);
  // Two at a time, resuming at next.
  Names got;
  uint64_t index = 0;
  for (int round = 0; round < 10; ++round) {
    Listing l;
    l.room = 2;
    REQUIRE(t.fs.readdir("", index, l, &next) == 0);
    got.insert(got.end(), l.names.begin(), l.names.end());
    if (l.names.size() < 2) break;
    index = next;
  }
  CHECK(got == Names{"zeta", "alpha", "mid", "beta"});
  // A removal does not move a reader's position.
  Listing first;
  first.room = 2;
  REQUIRE(t.fs.readdir("", 0, first, &next) == 0);
  REQUIRE(t.fs.unlink("zeta") == 0);
  Listing rest;
  REQUIRE(t.fs.readdir("", next, rest, &next) == 0);
  CHECK(rest.names == Names{"mid", "beta"});
  // At the end, next stays there.
  Listing none;
  uint64_t end = next;
  REQUIRE(t.fs.readdir("", end, none, &next) == 0);
  CHECK(none.names.empty());
  CHECK(next == end);
  CHECK(t.fs.readdir("beta", 0, none, &next) == ENOTDIR_);
  CHECK(t.fs.readdir("gone", 0, none, &next) == ENOENT_);
  // Through a link to a directory.
  REQUIRE(t.fs.symlink("alpha", "to-alpha") == 0);
  t.create("alpha/inner");
  CHECK(list(t.fs, "to-alpha") == Names{"inner"});
  // Directory sizes count their entries (20 bytes each, as Linux's tmpfs).
  CHECK(t.st("alpha").size == 60);
}

TEST_CASE("tmpfs: file data, holes and truncation") {
  Fs t;
  t.create("f");
  t.put("f", 0, "hello");
  CHECK(t.get("f") == "hello");
  CHECK(t.st("f").size == 5);
  CHECK(t.st("f").blocks == 8);
  CHECK(t.get("f", 1, 3) == "ell");
  CHECK(t.get("f", 5) == "");
  CHECK(t.get("f", 100) == "");
  // A write far out leaves a hole that reads as zeros and takes no pages.
  t.put("f", 3 * 4096 + 10, "X");
  CHECK(t.st("f").size == 3 * 4096 + 11);
  CHECK(t.st("f").blocks == 16);
  std::string all = t.get("f");
  CHECK(all.size() == 3 * 4096 + 11);
  CHECK(all.substr(0, 5) == "hello");
  CHECK(all.substr(5, 3 * 4096 + 5) == std::string(3 * 4096 + 5, '\0'));
  CHECK(all.back() == 'X');
  // Across a page boundary.
  t.put("f", 4090, "0123456789AB");
  CHECK(t.get("f", 4090, 12) == "0123456789AB");
  // Truncate down then up: the cut part reads as zeros.
  NodeInfo n = t.st("f");
  clock_now = 3000;
  REQUIRE(t.fs.truncate("f", n, 3) == 0);
  CHECK(n.size == 3);
  CHECK(n.mtime == 3000);
  CHECK(t.st("f").blocks == 8);
  REQUIRE(t.fs.truncate("f", n, 9000) == 0);
  CHECK(t.get("f") == std::string("hel") + std::string(9000 - 3, '\0'));
  CHECK(t.st("f").blocks == 8);
  REQUIRE(t.fs.truncate("f", n, 0) == 0);
  CHECK(t.st("f").blocks == 0);
  CHECK(live_pages == t.base_pages);
  // A file far beyond the index's first level (sparse, a few MiB out).
  t.put("f", 5ull << 30, "far");
  CHECK(t.get("f", 5ull << 30) == "far");
  CHECK(t.get("f", (5ull << 30) - 2, 4) == std::string("\0\0fa", 4));
  REQUIRE(t.fs.truncate("f", n, 0) == 0);
  CHECK(live_pages == t.base_pages);
  // Directories and links are not files.
  REQUIRE(t.fs.mkdir("d", 0755) == 0);
  NodeInfo d = t.st("d");
  char buf[4];
  uint32_t got;
  CHECK(t.fs.read("d", d, 0, buf, 4, &got) == EISDIR_);
  CHECK(t.fs.write("d", d, 0, buf, 4, &got) == EISDIR_);
  CHECK(t.fs.truncate("d", d, 0) == EISDIR_);
}

TEST_CASE("tmpfs: random writes and truncates match a reference") {
  Fs t;
  t.create("r");
  std::string ref;
  std::mt19937 rng(1234);
  for (int step = 0; step < 600; ++step) {
    NodeInfo n = t.st("r");
    int what = int(rng() % 10);
    if (what < 7) {
      uint64_t off = rng() % (300 * 1024);
      uint32_t len = rng() % 9000;
      std::string data(len, '\0');
      for (auto& c : data) c = char('a' + rng() % 26);
      uint32_t put = 0;
      REQUIRE(t.fs.write("r", n, off, data.data(), len, &put) == 0);
      REQUIRE(put == len);
      if (len) {
        if (ref.size() < off + len) ref.resize(off + len, '\0');
        ref.replace(off, len, data);
      }
    } else {
      uint64_t size = rng() % (320 * 1024);
      REQUIRE(t.fs.truncate("r", n, size) == 0);
      ref.resize(size, '\0');
    }
    REQUIRE(n.size == ref.size());
    if (step % 50 == 0 || step == 599) REQUIRE(t.get("r", 0, uint32_t(ref.size() + 10)) == ref);
  }
  // A random read window.
  for (int i = 0; i < 50; ++i) {
    uint64_t off = rng() % (ref.size() + 100);
    uint32_t len = rng() % 20000;
    std::string want = off < ref.size() ? ref.substr(off, len) : "";
    CHECK(t.get("r", off, len) == want);
  }
  REQUIRE(t.fs.unlink("r") == 0);
  CHECK(live_pages == t.base_pages);
}

TEST_CASE("tmpfs: an unlinked open file lives until its last release") {
  Fs t;
  t.create("f");
  t.put("f", 0, std::string(10000, 'q'));
  NodeInfo n = t.st("f");
  t.fs.retain(n);
  t.fs.retain(n);
  REQUIRE(t.fs.unlink("f") == 0);
  CHECK(t.err("f") == ENOENT_);
  // Data operations go by ino.
  std::string buf(10000, '\0');
  uint32_t got = 0;
  CHECK(t.fs.read("f", n, 0, buf.data(), 10000, &got) == 0);
  CHECK(got == 10000);
  CHECK(buf == std::string(10000, 'q'));
  uint32_t put = 0;
  CHECK(t.fs.write("f", n, 10000, "tail", 4, &put) == 0);
  CHECK(n.size == 10004);
  CHECK(n.nlink == 0);
  CHECK(t.fs.truncate("f", n, 5000) == 0);
  // The name is free again; a new file there is another node.
  NodeInfo other = t.create("f");
  CHECK(other.ino != n.ino);
  REQUIRE(t.fs.unlink("f") == 0);
  FsStats s;
  t.fs.statfs(&s);
  CHECK(s.files_free == 4094);
  t.fs.release(n);
  t.fs.statfs(&s);
  CHECK(s.files_free == 4094);
  CHECK(s.blocks_free == 16384 - 2);
  t.fs.release(n);
  t.fs.statfs(&s);
  CHECK(s.files_free == 4095);
  CHECK(s.blocks_free == 16384);
  CHECK(live_pages == t.base_pages);
  // The ino is gone: operations by it fall back to the path.
  CHECK(t.fs.read("f", n, 0, buf.data(), 1, &got) == ENOENT_);
  t.fs.release(n);  // harmless
  // Renamed while open: still the same file by ino.
  NodeInfo r = t.create("r");
  t.fs.retain(r);
  REQUIRE(t.fs.rename("r", "r2") == 0);
  CHECK(t.fs.write("r", r, 0, "abc", 3, &put) == 0);
  CHECK(t.get("r2") == "abc");
  t.fs.release(r);
  CHECK(t.err("r2") == 0);  // still linked: stays
  // A removed directory held open goes at its release.
  REQUIRE(t.fs.mkdir("d", 0755) == 0);
  NodeInfo d = t.st("d");
  t.fs.retain(d);
  REQUIRE(t.fs.rmdir("d") == 0);
  t.fs.statfs(&s);
  CHECK(s.files_free == 4096 - 3);
  t.fs.release(d);
  t.fs.statfs(&s);
  CHECK(s.files_free == 4096 - 2);
}

TEST_CASE("tmpfs: inos are not reused while a node lives, and slots are recycled") {
  Fs t;
  std::vector<uint64_t> inos;
  for (int round = 0; round < 3; ++round) {
    t.create("x");
    inos.push_back(t.st("x").ino);
    REQUIRE(t.fs.unlink("x") == 0);
  }
  CHECK(inos[0] != inos[1]);
  CHECK(inos[1] != inos[2]);
  CHECK(inos[0] != inos[2]);
}

TEST_CASE("tmpfs: the limits: 4096 nodes and 64 MiB of data") {
  Fs t;
  // Nodes: the root and 4095 more.
  char name[16];
  for (int i = 0; i < 4095; ++i) {
    snprintf(name, sizeof name, "n%d", i);
    if (i % 3 == 0)
      REQUIRE(t.fs.mkdir(name, 0755) == 0);
    else if (i % 3 == 1)
      t.create(name);
    else
      REQUIRE(t.fs.symlink("n0", name) == 0);
  }
  FsStats s;
  t.fs.statfs(&s);
  CHECK(s.files_free == 0);
  NodeInfo n;
  CHECK(t.fs.create("more", 0644, &n) == ENOSPC_);
  CHECK(t.fs.mkdir("more", 0755) == ENOSPC_);
  CHECK(t.fs.symlink("n0", "more") == ENOSPC_);
  CHECK(t.fs.link("n1", "hard") == 0);  // a name is not a node
  CHECK(list(t.fs, "").size() == 4096);
  CHECK(t.st("").nlink == 2 + 1365);
  REQUIRE(t.fs.unlink("n1") == 0);
  CHECK(t.fs.create("more", 0644, &n) == ENOSPC_);  // "hard" keeps it
  REQUIRE(t.fs.unlink("hard") == 0);
  CHECK(t.fs.create("more", 0644, &n) == 0);
  for (int i = 0; i < 4095; ++i) {
    snprintf(name, sizeof name, "n%d", i);
    if (i == 1) continue;
    REQUIRE((i % 3 == 0 ? t.fs.rmdir(name) : t.fs.unlink(name)) == 0);
  }
  REQUIRE(t.fs.unlink("more") == 0);
  t.fs.statfs(&s);
  CHECK(s.files_free == 4095);
  long table_pages = live_pages;  // the node table keeps its pages

  // Data: 64 MiB in two files, then ENOSPC; a short write at the edge.
  std::string mib(1 << 20, 'd');
  t.create("big1");
  t.create("big2");
  for (int i = 0; i < 32; ++i) t.put("big1", uint64_t(i) << 20, mib);
  for (int i = 0; i < 31; ++i) t.put("big2", uint64_t(i) << 20, mib);
  t.put("big2", 31ull << 20, std::string((1 << 20) - 4096, 'e'));
  t.fs.statfs(&s);
  CHECK(s.blocks_free == 1);
  CHECK(s.blocks_available == 1);
  NodeInfo b = t.st("big2");
  uint32_t put = 0;
  CHECK(t.fs.write("big2", b, b.size, mib.data(), 8192, &put) == 0);
  CHECK(put == 4096);
  CHECK(t.fs.write("big2", b, b.size, mib.data(), 1, &put) == ENOSPC_);
  CHECK(put == 0);
  // Rewriting allocated pages and growing by truncation still work.
  CHECK(t.fs.write("big2", b, 0, "zz", 2, &put) == 0);
  CHECK(put == 2);
  CHECK(t.fs.truncate("big2", b, 1ull << 30) == 0);
  CHECK(t.get("big2", 0, 3) == "zzd");
  CHECK(t.get("big2", (1ull << 30) - 2) == std::string(2, '\0'));
  t.fs.statfs(&s);
  CHECK(s.blocks_free == 0);
  // Freed space comes back.
  REQUIRE(t.fs.unlink("big1") == 0);
  t.fs.statfs(&s);
  CHECK(s.blocks_free == 8192);
  CHECK(t.fs.write("big2", b, b.size, mib.data(), 1, &put) == 0);
  REQUIRE(t.fs.unlink("big2") == 0);
  CHECK(live_pages == table_pages);
}
