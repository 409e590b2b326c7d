// The Unix server's ext2 (unix-server/ext2_*.cpp) over an image file: images
// made by mkfs.ext2 (1 KiB and 4 KiB blocks, revision 0, 256-byte inodes),
// files written by debugfs, then every operation; after each scenario the
// file system is synced and unmounted, fsck.ext2 -fn must find nothing, and
// a remount sees the same contents.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../../unix-server/ext2_fs.h"

using namespace ux;

namespace {

constexpr int kENOENT = 2, kEEXIST = 17, kENOTDIR = 20, kEISDIR = 21, kEINVAL = 22, kENOTEMPTY = 39,
              kELOOP = 40, kEPERM = 1;

class FileDevice final : public BlockDevice {
 public:
  explicit FileDevice(const std::string& path) : fd_(open(path.c_str(), O_RDWR)) {}
  ~FileDevice() {
    if (fd_ >= 0) close(fd_);
  }
  int read(uint64_t sector, void* buf, uint32_t count) override {
    ssize_t n = count * kSectorSize;
    return pread(fd_, buf, n, off_t(sector * kSectorSize)) == n ? 0 : 5;
  }
  int write(uint64_t sector, const void* buf, uint32_t count) override {
    ssize_t n = count * kSectorSize;
    return pwrite(fd_, buf, n, off_t(sector * kSectorSize)) == n ? 0 : 5;
  }
  int flush() override { return fsync(fd_) == 0 ? 0 : 5; }
  uint64_t sectors() override { return uint64_t(lseek(fd_, 0, SEEK_END)) / kSectorSize; }

 private:
  int fd_;
};

uint64_t wall_clock() { return uint64_t(time(nullptr)); }

int run(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ext2-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { run("rm -rf " + path); }
};

// An image, and the file system mounted on it.
struct Image {
  TempDir dir;
  std::string img = dir.path + "/img";
  std::unique_ptr<FileDevice> dev;
  std::vector<uint8_t> cache = std::vector<uint8_t>(Ext2Fs::kCacheBytes);
  std::unique_ptr<Ext2Fs> fs;

  explicit Image(const std::string& mkfs_args, const std::string& size = "8M", const char* mkfs = "mkfs.ext2") {
    REQUIRE(run(std::string(mkfs) + " -q -F " + mkfs_args + " " + img + " " + size + " >/dev/null 2>&1") == 0);
  }
  int mount() {
    fs.reset();
    dev = std::make_unique<FileDevice>(img);
    fs = std::make_unique<Ext2Fs>(*dev, wall_clock, cache.data(), cache.size());
    return fs->mount();
  }
  // sync + unmount, then fsck must be silent; then mounted again.
  void check_and_remount() {
    REQUIRE(fs->sync() == 0);
    REQUIRE(fs->unmount() == 0);
    fsck_clean();
    REQUIRE(mount() == 0);
  }
  void fsck_clean() {
    std::string log = dir.path + "/fsck.log";
    int st = run("fsck.ext2 -fn " + img + " >" + log + " 2>&1");
    if (st != 0) run("cat " + log);
    CHECK(st == 0);
  }
  std::string state() {  // dumpe2fs's "Filesystem state"
    std::string out = dir.path + "/state";
    run("dumpe2fs -h " + img + " 2>/dev/null | grep '^Filesystem state:' >" + out);
    FILE* f = fopen(out.c_str(), "r");
    char line[200] = {};
    if (f) {
      if (!fgets(line, sizeof line, f)) line[0] = 0;
      fclose(f);
    }
    std::string s = line;
    size_t colon = s.find(':');
    s = colon == std::string::npos ? "" : s.substr(colon + 1);
    while (!s.empty() && (s.front() == ' ')) s.erase(0, 1);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
};

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char((i * 31 + seed * 7 + (i >> 10)) & 0xff);
  return s;
}

int write_file(Ext2Fs& fs, const char* path, const std::string& data, uint32_t chunk = 7000) {
  NodeInfo node;
  int err = fs.create(path, 0644, &node);
  if (err) return err;
  for (size_t off = 0; off < data.size();) {
    uint32_t n = uint32_t(std::min<size_t>(chunk, data.size() - off)), put = 0;
    if ((err = fs.write(path, node, off, data.data() + off, n, &put)) != 0) return err;
    if (put == 0) return 28;
    off += put;
  }
  return node.size == data.size() ? 0 : -1;
}

std::string read_file(Ext2Fs& fs, const char* path) {
  NodeInfo node;
  if (fs.stat(path, true, &node) != 0) return "<missing>";
  std::string out(node.size, '\0');
  uint64_t off = 0;
  while (off < node.size) {
    uint32_t got = 0;
    uint32_t n = uint32_t(std::min<uint64_t>(5000, node.size - off));
    if (fs.read(path, node, off, out.data() + off, n, &got) != 0 || got == 0) return "<read error>";
    off += got;
  }
  return out;
}

struct Names final : DirSink {
  std::set<std::string> names;
  std::vector<uint8_t> types;
  size_t limit = SIZE_MAX;
  bool add(const char* name, uint8_t type, uint64_t) override {
    if (names.size() >= limit) return false;
    names.insert(name);
    types.push_back(type);
    return true;
  }
};

std::set<std::string> list(Ext2Fs& fs, const char* path) {
  Names all;
  uint64_t next = 0;
  CHECK(fs.readdir(path, 0, all, &next) == 0);
  CHECK(next == all.names.size());
  return all.names;
}

uint64_t free_blocks(Ext2Fs& fs) {
  FsStats st;
  fs.statfs(&st);
  return st.blocks_free;
}
uint64_t free_inodes(Ext2Fs& fs) {
  FsStats st;
  fs.statfs(&st);
  return st.files_free;
}

}  // namespace

TEST_CASE("ext2: mounts mkfs.ext2 images, refuses ext4 and non-ext2") {
  Image im("-b 1024");
  REQUIRE(im.mount() == 0);
  FsStats st;
  CHECK(im.fs->statfs(&st) == 0);
  CHECK(st.type == 0xef53);
  CHECK(st.block_size == 1024);
  CHECK(st.blocks == 8192);
  NodeInfo root;
  REQUIRE(im.fs->stat("", true, &root) == 0);
  CHECK((root.mode & 0170000) == 0040000);
  CHECK(root.ino == 2);
  CHECK(list(*im.fs, "") == std::set<std::string>{"lost+found"});
  CHECK(im.state() == "not clean");
  REQUIRE(im.fs->unmount() == 0);
  CHECK(im.state() == "clean");
  im.fsck_clean();

  Image ext4("-b 4096", "16M", "mkfs.ext4");
  CHECK(ext4.mount() == Ext2Fs::kEOPNOTSUPP);
  Image zero("-b 1024");
  REQUIRE(run("dd if=/dev/zero of=" + zero.img + " bs=1024 count=8 conv=notrunc status=none") == 0);
  CHECK(zero.mount() == kEINVAL);
}

TEST_CASE("ext2: reads files debugfs put there") {
  Image im("-b 1024");
  std::string small = "hello from debugfs\n", big = pattern(300 * 1024 + 17, 3);
  FILE* f = fopen((im.dir.path + "/small").c_str(), "wb");
  fwrite(small.data(), 1, small.size(), f);
  fclose(f);
  f = fopen((im.dir.path + "/big").c_str(), "wb");
  fwrite(big.data(), 1, big.size(), f);
  fclose(f);
  std::string cmds = im.dir.path + "/cmds";
  f = fopen(cmds.c_str(), "w");
  fprintf(f, "mkdir sub\nwrite %s/small sub/small.txt\nwrite %s/big big.bin\nsymlink ln sub/small.txt\n",
          im.dir.path.c_str(), im.dir.path.c_str());
  fclose(f);
  REQUIRE(run("debugfs -w -f " + cmds + " " + im.img + " >/dev/null 2>&1") == 0);
  REQUIRE(run("debugfs -w -R \"write " + im.dir.path + "/small top.txt\" " + im.img + " >/dev/null 2>&1") == 0);
  REQUIRE(im.mount() == 0);
  CHECK(read_file(*im.fs, "top.txt") == small);
  CHECK(read_file(*im.fs, "sub/small.txt") == small);
  CHECK(read_file(*im.fs, "big.bin") == big);
  CHECK(read_file(*im.fs, "ln") == small);
  char target[64];
  size_t len = 0;
  REQUIRE(im.fs->readlink("ln", target, sizeof target, &len) == 0);
  CHECK(std::string(target, len) == "sub/small.txt");
  CHECK(list(*im.fs, "") == std::set<std::string>{"lost+found", "sub", "top.txt", "big.bin", "ln"});
  // Changing them keeps the file system consistent.
  CHECK(im.fs->unlink("big.bin") == 0);
  CHECK(write_file(*im.fs, "sub/new", pattern(5000, 1)) == 0);
  im.check_and_remount();
  CHECK(read_file(*im.fs, "sub/new") == pattern(5000, 1));
  CHECK(read_file(*im.fs, "big.bin") == "<missing>");
}

namespace {

// Files of many sizes: their contents and i_blocks (data plus the map's
// blocks), then remounted.
void sizes_scenario(Image& im, uint32_t bs) {
  REQUIRE(im.mount() == 0);
  uint64_t p = bs / 4;
  std::vector<uint64_t> sizes = {0, 1, 100, bs - 1, bs, bs + 1, 12 * bs, 12 * bs + 1, (12 + p) * bs,
                                 (12 + p) * bs + 1, (12 + p + 3) * bs + 77};
  if (bs == 1024) sizes.push_back((12 + p + p * 2) * bs + 5);  // a few double-indirect children
  uint64_t before = free_blocks(*im.fs);
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::string name = "f" + std::to_string(i);
    REQUIRE(write_file(*im.fs, name.c_str(), pattern(sizes[i], unsigned(i))) == 0);
    NodeInfo st;
    REQUIRE(im.fs->stat(name.c_str(), true, &st) == 0);
    CHECK(st.size == sizes[i]);
    uint64_t data = (sizes[i] + bs - 1) / bs, meta = 0;
    if (data > 12) meta += 1;
    if (data > 12 + p) meta += 1 + (data - 12 - p + p - 1) / p;
    CHECK(st.blocks == (data + meta) * (bs / 512));
  }
  uint64_t used = before - free_blocks(*im.fs);
  im.check_and_remount();
  CHECK(before - free_blocks(*im.fs) == used);
  for (size_t i = 0; i < sizes.size(); ++i)
    CHECK(read_file(*im.fs, ("f" + std::to_string(i)).c_str()) == pattern(sizes[i], unsigned(i)));
  // Overwrites in the middle, and a sparse file.
  NodeInfo node;
  REQUIRE(im.fs->stat("f10", true, &node) == 0);
  std::string patch = pattern(3000, 99), expect = pattern(sizes[10], 10);
  uint32_t put;
  REQUIRE(im.fs->write("f10", node, 500, patch.data(), uint32_t(patch.size()), &put) == 0);
  expect.replace(500, patch.size(), patch);
  NodeInfo sparse;
  REQUIRE(im.fs->create("sparse", 0600, &sparse) == 0);
  uint64_t far = uint64_t(12 + p + 10) * bs + 3;
  REQUIRE(im.fs->write("sparse", sparse, far, "xyz", 3, &put) == 0);
  CHECK(sparse.size == far + 3);
  CHECK(sparse.blocks == 3 * (bs / 512));  // the data block, the double-indirect block and its child
  im.check_and_remount();
  CHECK(read_file(*im.fs, "f10") == expect);
  std::string s = read_file(*im.fs, "sparse");
  CHECK(s == std::string(far, '\0') + "xyz");
  REQUIRE(im.fs->unmount() == 0);
}

}  // namespace

TEST_CASE("ext2: files of many sizes, 1 KiB blocks (double indirect)") {
  Image im("-b 1024");
  sizes_scenario(im, 1024);
}

TEST_CASE("ext2: files of many sizes, 4 KiB blocks") {
  Image im("-b 4096", "32M");
  sizes_scenario(im, 4096);
}

TEST_CASE("ext2: revision 0 and 256-byte inodes") {
  for (const char* args : {"-b 1024 -r 0", "-b 2048 -I 256"}) {
    CAPTURE(args);
    Image im(args);
    REQUIRE(im.mount() == 0);
    REQUIRE(im.fs->mkdir("d", 0755) == 0);
    REQUIRE(write_file(*im.fs, "d/a", pattern(40000, 1)) == 0);
    REQUIRE(im.fs->symlink("d/a", "l") == 0);
    REQUIRE(im.fs->link("d/a", "b") == 0);
    Names n;
    uint64_t next;
    REQUIRE(im.fs->readdir("", 0, n, &next) == 0);
    im.check_and_remount();
    CHECK(read_file(*im.fs, "l") == pattern(40000, 1));
    CHECK(read_file(*im.fs, "b") == pattern(40000, 1));
    CHECK(im.fs->unlink("d/a") == 0);
    CHECK(im.fs->rename("b", "d/c") == 0);
    im.check_and_remount();
    CHECK(read_file(*im.fs, "d/c") == pattern(40000, 1));
    CHECK(im.fs->unmount() == 0);
  }
}

TEST_CASE("ext2: directories with many entries") {
  Image im("-b 1024");
  REQUIRE(im.mount() == 0);
  REQUIRE(im.fs->mkdir("d", 0755) == 0);
  CHECK(im.fs->mkdir("d", 0755) == kEEXIST);
  std::set<std::string> names;
  for (int i = 0; i < 300; ++i) {
    std::string name = "d/entry-with-a-longish-name-" + std::to_string(i);
    if (i % 10 == 0) {
      REQUIRE(im.fs->mkdir(name.c_str(), 0700) == 0);
    } else {
      REQUIRE(write_file(*im.fs, name.c_str(), pattern(i, i)) == 0);
    }
    names.insert(name.substr(2));
  }
  NodeInfo d;
  REQUIRE(im.fs->stat("d", true, &d) == 0);
  CHECK(d.size > 10 * 1024);  // many blocks
  CHECK(d.nlink == 2 + 30);
  CHECK(list(*im.fs, "d") == names);
  // Read in pieces: the index resumes where the sink stopped.
  std::set<std::string> pieces;
  uint64_t index = 0;
  for (;;) {
    Names part;
    part.limit = 7;
    uint64_t next = 0;
    REQUIRE(im.fs->readdir("d", index, part, &next) == 0);
    pieces.insert(part.names.begin(), part.names.end());
    if (part.names.empty()) break;
    CHECK(next == index + part.names.size());
    index = next;
  }
  CHECK(pieces == names);
  im.check_and_remount();
  CHECK(list(*im.fs, "d") == names);
  CHECK(im.fs->rmdir("d") == kENOTEMPTY);
  CHECK(im.fs->unlink("d/entry-with-a-longish-name-10") == kEISDIR);
  CHECK(im.fs->rmdir("d/entry-with-a-longish-name-11") == kENOTDIR);
  for (int i = 0; i < 300; i += 2) {
    std::string name = "d/entry-with-a-longish-name-" + std::to_string(i);
    REQUIRE((i % 10 == 0 ? im.fs->rmdir(name.c_str()) : im.fs->unlink(name.c_str())) == 0);
    names.erase(name.substr(2));
  }
  for (int i = 0; i < 50; ++i) {  // into the freed slots
    std::string name = "d/n" + std::to_string(i);
    REQUIRE(write_file(*im.fs, name.c_str(), "x") == 0);
    names.insert(name.substr(2));
  }
  CHECK(list(*im.fs, "d") == names);
  REQUIRE(im.fs->stat("d", true, &d) == 0);
  CHECK(d.nlink == 2);  // every subdirectory had an even number
  im.check_and_remount();
  CHECK(list(*im.fs, "d") == names);
  for (const std::string& n : names) {
    std::string path = "d/" + n;
    NodeInfo st;
    REQUIRE(im.fs->stat(path.c_str(), false, &st) == 0);
    REQUIRE(((st.mode & 0170000) == 0040000 ? im.fs->rmdir(path.c_str()) : im.fs->unlink(path.c_str())) == 0);
  }
  CHECK(im.fs->rmdir("d") == 0);
  CHECK(im.fs->stat("d", true, &d) == kENOENT);
  NodeInfo root;
  REQUIRE(im.fs->stat("", true, &root) == 0);
  CHECK(root.nlink == 3);  // ".", "..", lost+found's ".."
  im.check_and_remount();
  CHECK(list(*im.fs, "") == std::set<std::string>{"lost+found"});
  REQUIRE(im.fs->unmount() == 0);
}

TEST_CASE("ext2: rename") {
  Image im("-b 1024");
  REQUIRE(im.mount() == 0);
  Ext2Fs& fs = *im.fs;
  uint64_t base_free = free_blocks(fs);
  REQUIRE(fs.mkdir("a", 0755) == 0);
  REQUIRE(fs.mkdir("b", 0755) == 0);
  REQUIRE(fs.mkdir("a/sub", 0755) == 0);
  REQUIRE(write_file(fs, "a/sub/f", "inner") == 0);
  REQUIRE(write_file(fs, "x", pattern(20000, 1)) == 0);
  REQUIRE(write_file(fs, "y", pattern(30000, 2)) == 0);
  uint64_t with_y = free_blocks(fs);
  // A file over a file: the replaced one's blocks come back.
  CHECK(fs.rename("x", "y") == 0);
  CHECK(read_file(fs, "y") == pattern(20000, 1));
  CHECK(read_file(fs, "x") == "<missing>");
  CHECK(free_blocks(fs) == with_y + 30 + 1);  // its data and its indirect block
  // Into another directory, and a directory to another parent.
  CHECK(fs.rename("y", "b/y2") == 0);
  CHECK(fs.rename("a/sub", "b/sub") == 0);
  CHECK(read_file(fs, "b/sub/f") == "inner");
  NodeInfo a, b;
  REQUIRE(fs.stat("a", true, &a) == 0);
  REQUIRE(fs.stat("b", true, &b) == 0);
  CHECK(a.nlink == 2);
  CHECK(b.nlink == 3);
  // Errors.
  REQUIRE(fs.mkdir("empty", 0755) == 0);
  REQUIRE(write_file(fs, "file", "f") == 0);
  CHECK(fs.rename("file", "empty") == kEISDIR);
  CHECK(fs.rename("empty", "file") == kENOTDIR);
  CHECK(fs.rename("b", "b/sub/inside") == kEINVAL);
  CHECK(fs.rename("b", "b/sub") == kEINVAL);
  CHECK(fs.rename("b/sub", "b") == kENOTEMPTY);
  CHECK(fs.rename("missing", "z") == kENOENT);
  CHECK(fs.rename("file", "nodir/z") == kENOENT);
  CHECK(fs.rename("file", "file/z") == kENOTDIR);
  // A directory over an empty directory, over a non-empty one.
  CHECK(fs.rename("b/sub", "empty") == 0);
  CHECK(read_file(fs, "empty/f") == "inner");
  REQUIRE(fs.stat("b", true, &b) == 0);
  CHECK(b.nlink == 2);
  CHECK(fs.rename("a", "empty") == kENOTEMPTY);
  // Hard links to one file: nothing happens.
  REQUIRE(fs.link("file", "file2") == 0);
  CHECK(fs.rename("file", "file2") == 0);
  CHECK(read_file(fs, "file") == "f");
  CHECK(read_file(fs, "file2") == "f");
  // In the same directory.
  CHECK(fs.rename("file2", "renamed") == 0);
  CHECK(list(fs, "") == std::set<std::string>{"lost+found", "a", "b", "empty", "file", "renamed"});
  NodeInfo root;
  REQUIRE(fs.stat("", true, &root) == 0);
  CHECK(root.nlink == 6);
  im.check_and_remount();
  CHECK(read_file(*im.fs, "b/y2") == pattern(20000, 1));
  CHECK(read_file(*im.fs, "empty/f") == "inner");
  for (const char* p : {"b/y2", "empty/f", "file", "renamed"}) CHECK(im.fs->unlink(p) == 0);
  for (const char* p : {"a", "b", "empty"}) CHECK(im.fs->rmdir(p) == 0);
  CHECK(free_blocks(*im.fs) == base_free);
  im.check_and_remount();
  REQUIRE(im.fs->unmount() == 0);
}

TEST_CASE("ext2: unlink while open, truncate") {
  Image im("-b 1024");
  REQUIRE(im.mount() == 0);
  uint64_t blocks0 = free_blocks(*im.fs), inodes0 = free_inodes(*im.fs);
  REQUIRE(write_file(*im.fs, "open", pattern(50000, 4)) == 0);
  NodeInfo node;
  REQUIRE(im.fs->stat("open", true, &node) == 0);
  im.fs->retain(node);
  CHECK(im.fs->unlink("open") == 0);
  CHECK(im.fs->stat("open", true, &node) == kENOENT);
  std::string buf(50000, '\0');
  uint32_t got = 0;
  CHECK(im.fs->read("open", node, 0, buf.data(), 50000, &got) == 0);
  CHECK(got == 50000);
  CHECK(buf == pattern(50000, 4));
  uint32_t put;
  CHECK(im.fs->write("open", node, 50000, "tail", 4, &put) == 0);
  CHECK(free_blocks(*im.fs) < blocks0);
  im.fs->release(node);
  CHECK(free_blocks(*im.fs) == blocks0);
  CHECK(free_inodes(*im.fs) == inodes0);
  im.check_and_remount();
  // Still open at unmount: freed then.
  REQUIRE(write_file(*im.fs, "open2", pattern(9000, 5)) == 0);
  REQUIRE(im.fs->stat("open2", true, &node) == 0);
  im.fs->retain(node);
  im.fs->retain(node);
  CHECK(im.fs->unlink("open2") == 0);
  im.fs->release(node);
  im.check_and_remount();
  CHECK(free_blocks(*im.fs) == blocks0);

  // Truncation down frees data and indirect blocks; up leaves a hole.
  REQUIRE(write_file(*im.fs, "t", pattern(300 * 1024, 6)) == 0);
  REQUIRE(im.fs->stat("t", true, &node) == 0);
  uint64_t full = free_blocks(*im.fs);
  CHECK(im.fs->truncate("t", node, 10 * 1024 + 5) == 0);
  CHECK(node.size == 10 * 1024 + 5);
  CHECK(node.blocks == 11 * 2);
  CHECK(free_blocks(*im.fs) == full + (300 + 1 + 1 + 1) - 11);  // data, ind, dind and its child
  CHECK(im.fs->truncate("t", node, 2 * 1024 * 1024) == 0);
  CHECK(node.blocks == 11 * 2);
  std::string t = read_file(*im.fs, "t");
  CHECK(t.size() == 2 * 1024 * 1024);
  CHECK(t.substr(0, 10 * 1024 + 5) == pattern(300 * 1024, 6).substr(0, 10 * 1024 + 5));
  CHECK(t.find_first_not_of('\0', 10 * 1024 + 5) == std::string::npos);
  CHECK(im.fs->truncate("", node, 0) == 0);  // by its ino
  CHECK(node.blocks == 0);
  CHECK(im.fs->write("t", node, 0, "abc", 3, &put) == 0);
  NodeInfo dir;
  REQUIRE(im.fs->stat("lost+found", true, &dir) == 0);
  CHECK(im.fs->truncate("lost+found", dir, 0) == kEISDIR);
  im.check_and_remount();
  CHECK(read_file(*im.fs, "t") == "abc");
  REQUIRE(im.fs->unmount() == 0);
}

TEST_CASE("ext2: symbolic links and hard links") {
  Image im("-b 1024");
  REQUIRE(im.mount() == 0);
  Ext2Fs& fs = *im.fs;
  REQUIRE(fs.mkdir("dir", 0755) == 0);
  REQUIRE(write_file(fs, "dir/file", "content") == 0);
  std::string slow_target = "dir/../dir/./" + std::string(100, 'x') + "/../file";
  CHECK(fs.symlink("dir/file", "fast") == 0);
  CHECK(fs.symlink(slow_target.c_str(), "slow") == 0);
  CHECK(fs.symlink("dir", "dirlink") == 0);
  CHECK(fs.symlink("/dir/file", "abs") == 0);
  CHECK(fs.symlink("nowhere", "dangling") == 0);
  CHECK(fs.symlink("loop2", "loop1") == 0);
  CHECK(fs.symlink("loop1", "loop2") == 0);
  CHECK(fs.symlink("x", "fast") == kEEXIST);
  NodeInfo st;
  REQUIRE(fs.stat("fast", false, &st) == 0);
  CHECK((st.mode & 0170000) == 0120000);
  CHECK(st.blocks == 0);
  REQUIRE(fs.stat("slow", false, &st) == 0);
  CHECK(st.size == slow_target.size());
  CHECK(st.blocks == 2);
  char buf[300];
  size_t len;
  REQUIRE(fs.readlink("slow", buf, sizeof buf, &len) == 0);
  CHECK(std::string(buf, len) == slow_target);
  CHECK(fs.readlink("dir/file", buf, sizeof buf, &len) == kEINVAL);
  CHECK(read_file(fs, "fast") == "content");
  CHECK(read_file(fs, "dirlink/file") == "content");
  CHECK(read_file(fs, "abs") == "content");
  CHECK(fs.stat("dangling", true, &st) == kENOENT);
  CHECK(fs.stat("loop1", true, &st) == kELOOP);
  CHECK(fs.stat("dir/file/x", true, &st) == kENOTDIR);
  // (The slow one's middle component does not exist: "xxx.../.." is
  // resolved lexically after the link is expanded, as the VFS does.)
  CHECK(read_file(fs, "slow") == "content");
  // Creating through a link to a directory.
  CHECK(write_file(fs, "dirlink/other", "o") == 0);
  CHECK(read_file(fs, "dir/other") == "o");
  // Hard links.
  CHECK(fs.link("dir/file", "hard") == 0);
  REQUIRE(fs.stat("hard", true, &st) == 0);
  CHECK(st.nlink == 2);
  CHECK(fs.link("dir", "dir2") == kEPERM);
  CHECK(fs.link("dir/file", "fast") == kEEXIST);
  CHECK(fs.link("fast", "fast-hard") == 0);  // the link itself, not its target
  REQUIRE(fs.stat("fast-hard", false, &st) == 0);
  CHECK((st.mode & 0170000) == 0120000);
  CHECK(st.nlink == 2);
  im.check_and_remount();
  Ext2Fs& fs2 = *im.fs;
  CHECK(fs2.unlink("dir/file") == 0);
  CHECK(read_file(fs2, "hard") == "content");
  CHECK(fs2.stat("fast", true, &st) == kENOENT);
  CHECK(fs2.unlink("slow") == 0);
  CHECK(fs2.unlink("fast") == 0);
  REQUIRE(fs2.stat("fast-hard", false, &st) == 0);
  CHECK(st.nlink == 1);
  CHECK(fs2.readlink("fast-hard", buf, sizeof buf, &len) == 0);
  im.check_and_remount();
  CHECK(read_file(*im.fs, "hard") == "content");
  REQUIRE(im.fs->unmount() == 0);
}

TEST_CASE("ext2: attributes, statfs and the clean state") {
  Image im("-b 4096", "16M");
  REQUIRE(im.mount() == 0);
  REQUIRE(write_file(*im.fs, "f", "data") == 0);
  CHECK(im.fs->chmod("f", 0600) == 0);
  CHECK(im.fs->chown("f", 1000, 70000, true) == 0);
  CHECK(im.fs->utimes("f", 1000000, 2000000, true) == 0);
  CHECK(im.fs->utimes("f", UINT64_MAX, 3000000, true) == 0);
  CHECK(im.state() == "not clean");
  CHECK(im.fs->sync() == 0);
  CHECK(im.state() == "clean");
  CHECK(im.fs->mkdir("again", 0700) == 0);
  CHECK(im.state() == "not clean");
  im.check_and_remount();
  NodeInfo st;
  REQUIRE(im.fs->stat("f", true, &st) == 0);
  CHECK(st.mode == (0100000 | 0600));
  CHECK(st.uid == 1000);
  CHECK(st.gid == 70000);
  CHECK(st.atime == 1000000);
  CHECK(st.mtime == 3000000);
  CHECK(st.ctime >= uint64_t(time(nullptr)) - 100);
  FsStats fst;
  REQUIRE(im.fs->statfs(&fst) == 0);
  CHECK(fst.block_size == 4096);
  CHECK(fst.blocks == 4096);
  CHECK(fst.files_free < fst.files);
  REQUIRE(im.fs->unmount() == 0);
  CHECK(im.state() == "clean");
  im.fsck_clean();
}

TEST_CASE("ext2: a full file system answers ENOSPC and stays consistent") {
  Image im("-b 1024", "2M");
  REQUIRE(im.mount() == 0);
  uint64_t blocks0 = free_blocks(*im.fs);
  NodeInfo node;
  REQUIRE(im.fs->create("big", 0644, &node) == 0);
  std::string chunk = pattern(64 * 1024, 8);
  uint64_t off = 0;
  int err = 0;
  for (int i = 0; i < 100 && !err; ++i) {
    uint32_t put = 0;
    err = im.fs->write("big", node, off, chunk.data(), uint32_t(chunk.size()), &put);
    off += put;
  }
  CHECK(err == 28);
  CHECK(free_blocks(*im.fs) == 0);
  CHECK(node.size == off);
  CHECK(im.fs->mkdir("nospace", 0755) == 28);
  im.check_and_remount();
  REQUIRE(im.fs->stat("big", true, &node) == 0);
  CHECK(node.size == off);
  CHECK(im.fs->unlink("big") == 0);
  CHECK(free_blocks(*im.fs) == blocks0);
  im.check_and_remount();
  REQUIRE(im.fs->unmount() == 0);
}
