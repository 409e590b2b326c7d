// The file pager's archive parser and path resolution
// (pagers/file_pager/ustar.cpp) over archives built here block by block.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../../pagers/file_pager/ustar.h"

using ustar::Entry;
using ustar::Error;
using ustar::Type;

namespace {

struct Tar {
  std::vector<uint8_t> bytes;

  // One header (and the data's blocks) as POSIX ustar writes it.
  void add(const std::string& name, char type, const std::string& data = "", const std::string& link = "",
           const std::string& prefix = "", unsigned mode = 0644) {
    uint8_t h[512] = {};
    memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
    snprintf(reinterpret_cast<char*>(h + 100), 8, "%07o", mode);
    snprintf(reinterpret_cast<char*>(h + 108), 8, "%07o", 0);
    snprintf(reinterpret_cast<char*>(h + 116), 8, "%07o", 0);
    snprintf(reinterpret_cast<char*>(h + 124), 12, "%011zo", data.size());
    snprintf(reinterpret_cast<char*>(h + 136), 12, "%011o", 1234u);
    h[156] = uint8_t(type);
    memcpy(h + 157, link.data(), std::min<size_t>(link.size(), 100));
    memcpy(h + 257, "ustar\0" "00", 8);
    memcpy(h + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (uint8_t b : h) sum += b;
    snprintf(reinterpret_cast<char*>(h + 148), 8, "%06o", sum);
    bytes.insert(bytes.end(), h, h + 512);
    bytes.insert(bytes.end(), data.begin(), data.end());
    bytes.resize((bytes.size() + 511) / 512 * 512, 0);
  }
  void end() { bytes.resize(bytes.size() + 1024, 0); }
};

struct Parsed {
  Error error;
  uint64_t at;
  std::vector<Entry> entries;
};

Parsed parse(const std::vector<uint8_t>& b) {
  ustar::Result r = ustar::parse(b.data(), b.size(), nullptr, 0);
  if (r.error != Error::kOk) return {r.error, r.at, {}};
  std::vector<Entry> e(r.count);
  r = ustar::parse(b.data(), b.size(), e.data(), e.size());
  e.resize(r.error == Error::kOk ? r.count : 0);
  return {r.error, r.at, e};
}

const Entry* at(const Parsed& p, const char* path, bool follow = false) {
  size_t i;
  if (ustar::resolve(p.entries.data(), p.entries.size(), path, follow, &i) != Error::kOk) return nullptr;
  return &p.entries[i];
}

Error resolve_error(const Parsed& p, const char* path, bool follow = true) {
  size_t i;
  return ustar::resolve(p.entries.data(), p.entries.size(), path, follow, &i);
}

std::string file_bytes(const std::vector<uint8_t>& b, const Entry* e) {
  return std::string(reinterpret_cast<const char*>(b.data() + e->offset), e->size);
}

Tar sample() {
  Tar t;
  t.add("./", '5', "", "", "", 0755);
  t.add("./etc/", '5', "", "", "", 0755);
  t.add("./etc/motd", '0', "hello\n");
  t.add("./etc/motd.link", '2', "", "motd", "", 0777);
  t.add("./bin/busybox", '0', std::string(1000, 'x'), "", "", 0755);  // bin/ only implied
  t.add("./bin/sh", '2', "", "busybox", "", 0777);
  t.add("./abs", '2', "", "/etc", "", 0777);
  t.add("./loop1", '2', "", "loop2", "", 0777);
  t.add("./loop2", '2', "", "loop1", "", 0777);
  t.add("./etc/hard", '1', "", "etc/motd");
  t.end();
  return t;
}

}  // namespace

TEST_CASE("ustar: files, directories, symbolic links, hard links") {
  Tar t = sample();
  Parsed p = parse(t.bytes);
  REQUIRE(p.error == Error::kOk);
  CHECK(p.entries[0].path == std::string(""));
  CHECK(p.entries[0].type == Type::kDirectory);
  CHECK(p.entries[0].mode == 0755);
  const Entry* motd = at(p, "etc/motd");
  REQUIRE(motd);
  CHECK(motd->type == Type::kRegular);
  CHECK(motd->mode == 0644);
  CHECK(motd->mtime == 1234);
  CHECK(file_bytes(t.bytes, motd) == "hello\n");
  const Entry* link = at(p, "/etc/motd.link");
  REQUIRE(link);
  CHECK(link->type == Type::kSymlink);
  CHECK(link->link == std::string("motd"));
  CHECK(at(p, "etc/motd.link", true) == motd);
  const Entry* bin = at(p, "bin");  // implied by bin/busybox
  REQUIRE(bin);
  CHECK(bin->type == Type::kDirectory);
  CHECK(at(p, "bin/sh", true) == at(p, "bin/busybox"));
  CHECK(at(p, "bin/busybox")->size == 1000);
  const Entry* hard = at(p, "etc/hard");
  REQUIRE(hard);
  CHECK(file_bytes(t.bytes, hard) == "hello\n");
  CHECK(p.entries.size() == 11);  // root, etc, motd, motd.link, busybox, sh, abs, loop1, loop2, hard, bin
}

TEST_CASE("ustar: long names through the prefix field, later entries replace earlier") {
  Tar t;
  std::string dir(120, 'd');
  t.add("name.txt", '0', "long", "", dir + "/sub");
  t.add("a", '0', "one");
  t.add("a", '0', "two");
  t.end();
  Parsed p = parse(t.bytes);
  REQUIRE(p.error == Error::kOk);
  std::string path = dir + "/sub/name.txt";
  const Entry* e = at(p, path.c_str());
  REQUIRE(e);
  CHECK(file_bytes(t.bytes, e) == "long");
  CHECK(at(p, (dir + "/sub").c_str())->type == Type::kDirectory);
  CHECK(file_bytes(t.bytes, at(p, "a")) == "two");
  CHECK(p.entries.size() == 5);  // root, the file, a, and two implied directories
}

TEST_CASE("ustar: bad checksums, magic and numbers are refused with the header's offset") {
  Tar t = sample();
  t.bytes[512 * 2 + 10] ^= 1;  // etc/motd's header (third block)
  Parsed p = parse(t.bytes);
  CHECK(p.error == Error::kBadChecksum);
  CHECK(p.at == 1024);

  Tar m;
  m.add("x", '0', "1");
  m.end();
  memcpy(m.bytes.data() + 257, "uSTAR", 5);  // fix the checksum by hand
  unsigned sum = 0;
  memset(m.bytes.data() + 148, ' ', 8);
  for (int i = 0; i < 512; ++i) sum += m.bytes[i];
  snprintf(reinterpret_cast<char*>(m.bytes.data() + 148), 8, "%06o", sum);
  CHECK(parse(m.bytes).error == Error::kBadHeader);

  Tar n;
  n.add("x", '0', "1");
  n.end();
  n.bytes[124] = '9';  // size field: not octal
  sum = 0;
  memset(n.bytes.data() + 148, ' ', 8);
  for (int i = 0; i < 512; ++i) sum += n.bytes[i];
  snprintf(reinterpret_cast<char*>(n.bytes.data() + 148), 8, "%06o", sum);
  CHECK(parse(n.bytes).error == Error::kBadHeader);
}

TEST_CASE("ustar: truncated archives are refused") {
  Tar t = sample();
  std::vector<uint8_t> b = t.bytes;
  b.resize(b.size() - 1024);  // no end marker
  CHECK(parse(b).error == Error::kTruncated);
  Tar big;
  big.add("f", '0', std::string(5000, 'z'));
  b = big.bytes;
  b.resize(512 + 1024);  // the data cut
  Parsed p = parse(b);
  CHECK(p.error == Error::kTruncated);
  CHECK(p.at == 0);
  b = t.bytes;
  b.resize(700);  // in the middle of a header
  CHECK(parse(b).error == Error::kTruncated);
  CHECK(parse({}).error == Error::kTruncated);
  b.assign(1024, 0);  // only the end marker: just the root
  p = parse(b);
  CHECK(p.error == Error::kOk);
  CHECK(p.entries.size() == 1);
  // A size field that points far beyond the archive (and would overflow).
  Tar huge;
  huge.add("f", '0', "");
  huge.end();
  memcpy(huge.bytes.data() + 124, "77777777777", 11);
  unsigned sum = 0;
  memset(huge.bytes.data() + 148, ' ', 8);
  for (int i = 0; i < 512; ++i) sum += huge.bytes[i];
  snprintf(reinterpret_cast<char*>(huge.bytes.data() + 148), 8, "%06o", sum);
  CHECK(parse(huge.bytes).error == Error::kTruncated);
}

TEST_CASE("ustar: paths that leave the archive, bad hard links, a full table") {
  Tar t;
  t.add("../evil", '0', "x");
  t.end();
  CHECK(parse(t.bytes).error == Error::kBadPath);
  Tar r;
  r.add("./", '0', "x");  // the root as a file
  r.end();
  CHECK(parse(r.bytes).error == Error::kBadPath);
  Tar h;
  h.add("link", '1', "", "nowhere");
  h.end();
  CHECK(parse(h.bytes).error == Error::kBadLink);
  Tar s = sample();
  std::vector<Entry> few(3);
  CHECK(ustar::parse(s.bytes.data(), s.bytes.size(), few.data(), few.size()).error == Error::kTooMany);
}

TEST_CASE("ustar: resolution") {
  Tar t = sample();
  Parsed p = parse(t.bytes);
  REQUIRE(p.error == Error::kOk);
  CHECK(at(p, "/") == &p.entries[0]);
  CHECK(at(p, "") == &p.entries[0]);
  CHECK(at(p, "etc/..") == &p.entries[0]);
  CHECK(at(p, "../../etc/motd") == at(p, "etc/motd"));  // the root's parent is the root
  CHECK(at(p, "abs/motd", false) == at(p, "etc/motd"));  // an absolute link in the middle
  CHECK(at(p, "abs/motd.link", true) == at(p, "etc/motd"));
  CHECK(at(p, "abs", false)->type == Type::kSymlink);
  CHECK(at(p, "abs/", false)->type == Type::kDirectory);  // a trailing '/' follows
  CHECK(resolve_error(p, "nothing") == Error::kNotFound);
  CHECK(resolve_error(p, "etc/nothing") == Error::kNotFound);
  CHECK(resolve_error(p, "etc/motd/x") == Error::kNotDirectory);
  CHECK(resolve_error(p, "etc/motd/") == Error::kNotDirectory);
  CHECK(resolve_error(p, "loop1") == Error::kLoop);
  CHECK(resolve_error(p, "loop1", false) == Error::kOk);
  CHECK(resolve_error(p, std::string(300, 'a').c_str()) == Error::kNameTooLong);
}

TEST_CASE("ustar: directory listings") {
  Tar t = sample();
  Parsed p = parse(t.bytes);
  size_t n = 0;
  char buf[256];
  size_t bytes = ustar::list_directory(p.entries.data(), p.entries.size(), 0, buf, sizeof buf, &n);
  CHECK(n == 5);  // etc, abs, loop1, loop2 and bin (implied, last); nothing deeper
  std::vector<std::string> names;
  for (size_t i = 0; i < bytes; i += strlen(buf + i + 1) + 2) names.push_back(std::to_string(buf[i]) + ":" + (buf + i + 1));
  CHECK(names == std::vector<std::string>{"4:etc", "10:abs", "10:loop1", "10:loop2", "4:bin"});
  size_t etc;
  REQUIRE(ustar::resolve(p.entries.data(), p.entries.size(), "etc", false, &etc) == Error::kOk);
  bytes = ustar::list_directory(p.entries.data(), p.entries.size(), etc, buf, sizeof buf, &n);
  CHECK(n == 3);
  CHECK(bytes == (1 + 5) + (1 + 10) + (1 + 5));
  // Too small a buffer: the size needed comes back, nothing written past it.
  char small[4] = {'#', '#', '#', '#'};
  CHECK(ustar::list_directory(p.entries.data(), p.entries.size(), etc, small, sizeof small, &n) == bytes);
  CHECK(small[0] == '#');
}
