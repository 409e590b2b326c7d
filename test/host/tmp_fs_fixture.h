// The fixture of the tmpfs host tests (test_tmp_fs*.cpp): a TmpFs at
// /tmp with counted malloc pages and a settable clock, and short helpers.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "../../unix-server/tmp_fs.h"

namespace tmpfs_test {

using namespace ux;

constexpr int ENOENT_ = 2, EEXIST_ = 17, ENOTDIR_ = 20, EISDIR_ = 21, EINVAL_ = 22, ENOSPC_ = 28,
              ENAMETOOLONG_ = 36, ENOTEMPTY_ = 39, ELOOP_ = 40, EBUSY_ = 16, EPERM_ = 1, ENODEV_ = 19;
constexpr uint32_t S_IFDIR_ = 0040000, S_IFREG_ = 0100000, S_IFLNK_ = 0120000;

inline long live_pages = 0;
inline void* alloc_page() {
  ++live_pages;
  return std::aligned_alloc(4096, 4096);
}
inline void free_page(void* p) {
  --live_pages;
  std::free(p);
}
inline uint64_t clock_now = 1000;
inline uint64_t now() { return clock_now; }

struct Fs {
  TmpFs fs{"/tmp", now, alloc_page, free_page};
  long base_pages = live_pages;  // the node table's first page

  NodeInfo st(const char* path, bool follow = true, int* err = nullptr) {
    NodeInfo n;
    int e = fs.stat(path, follow, &n);
    if (err) *err = e;
    return n;
  }
  int err(const char* path, bool follow = true) {
    int e;
    st(path, follow, &e);
    return e;
  }
  NodeInfo create(const char* path, uint32_t mode = 0644) {
    NodeInfo n;
    REQUIRE(fs.create(path, mode, &n) == 0);
    return n;
  }
  void put(const char* path, uint64_t offset, const std::string& data) {
    NodeInfo n = st(path);
    uint32_t done = 0;
    REQUIRE(fs.write(path, n, offset, data.data(), uint32_t(data.size()), &done) == 0);
    REQUIRE(done == data.size());
  }
  std::string get(const char* path, uint64_t offset = 0, uint32_t count = 1 << 20) {
    NodeInfo n = st(path);
    std::string buf(count, '\xee');
    uint32_t got = 0;
    REQUIRE(fs.read(path, n, offset, buf.data(), count, &got) == 0);
    buf.resize(got);
    return buf;
  }
  std::string link_target(const char* path) {
    char buf[4096];
    size_t len = 0;
    REQUIRE(fs.readlink(path, buf, sizeof buf, &len) == 0);
    return std::string(buf, len);
  }
};

struct Listing : DirSink {
  std::vector<std::string> names;
  std::vector<uint8_t> types;
  std::vector<uint64_t> inos;
  size_t room = 1000;
  bool add(const char* name, uint8_t type, uint64_t ino) override {
    if (names.size() == room) return false;
    names.push_back(name);
    types.push_back(type);
    inos.push_back(ino);
    return true;
  }
};

inline std::vector<std::string> list(TmpFs& fs, const char* path) {
  Listing l;
  l.room = 1 << 20;
  uint64_t next = 0;
  REQUIRE(fs.readdir(path, 0, l, &next) == 0);
  return l.names;
}

using Names = std::vector<std::string>;

}  // namespace tmpfs_test
