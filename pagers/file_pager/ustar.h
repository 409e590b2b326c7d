// The boot archive: a POSIX ustar archive (tar --format=ustar) parsed into
// a table of entries, and path resolution over that table. Pure C++ (no
// libc, no allocation): the file pager and the host tests
// (test/host/test_ustar.cpp) build the same code.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace ustar {

constexpr uint64_t kBlock = 512;
constexpr size_t kMaxPath = 256;      // prefix (155) + '/' + name (100) + NUL
constexpr size_t kMaxLink = 101;      // linkname (100) + NUL
constexpr unsigned kMaxSymlinks = 8;  // hops in one resolution

enum class Type : uint8_t { kRegular, kDirectory, kSymlink };

// Entry.path is normalized: no leading '/', no "." or empty components, no
// trailing '/'. The root directory is "" and is always entry 0.
struct Entry {
  char path[kMaxPath];
  char link[kMaxLink];  // symlink target, as stored
  Type type;
  uint32_t mode;        // permission bits (07777)
  uint64_t size;        // regular file: bytes; others 0
  uint64_t offset;      // regular file: where its bytes start in the archive
  uint64_t mtime;
};

enum class Error : uint8_t {
  kOk,
  kTruncated,    // a header or a file's data runs past the end, or no end marker
  kBadChecksum,  // a header's checksum does not match
  kBadHeader,    // no ustar magic, or a numeric field that is not octal
  kBadPath,      // an empty path, ".." in it, or a directory path that is not
  kTooMany,      // more entries than the table holds
  kBadLink,      // a hard link to a file not earlier in the archive
  kNotFound,     // resolution: no such path
  kNotDirectory, // resolution: a component before the last is no directory
  kLoop,         // resolution: more than kMaxSymlinks symbolic links
  kNameTooLong,  // resolution: a path beyond kMaxPath
};
const char* error_name(Error e);

struct Result {
  Error error;
  uint64_t at;   // parse: the offset of the header in error
  size_t count;  // parse: entries (an upper bound when counting)
};

// Parses `size` bytes of archive. With entries == nullptr it only checks
// the archive and returns in count how many entries the table needs at
// most; otherwise it fills up to `max` entries: entry 0 is the root, then
// the archive's entries (a later one of the same path replaces the
// earlier), then the directories implied by paths but not in the archive.
// Regular files, directories, symbolic links and hard links (a copy of the
// earlier file's entry) are kept; other types (devices, FIFOs) skipped.
Result parse(const uint8_t* data, uint64_t size, Entry* entries, size_t max);

// Path resolution from the root (a leading '/' changes nothing): ".",
// ".." (the root's parent is the root) and symbolic links in every
// component, and in the last one only when follow_last. *index: the entry.
Error resolve(const Entry* entries, size_t count, const char* path, bool follow_last, size_t* index);

// The names of directory `dir`'s entries, each as one type byte (Linux's
// d_type: 4 directory, 8 regular, 10 symbolic link) followed by the name
// and a NUL, written to out as far as out_size goes. Returns the bytes the
// whole list takes (more than out_size: it did not fit); *n: the entries.
size_t list_directory(const Entry* entries, size_t count, size_t dir, char* out, size_t out_size, size_t* n);

constexpr uint8_t kDtDir = 4, kDtReg = 8, kDtLnk = 10;

}  // namespace ustar
