// The Linux x86-64 ABI as the Unix server and the emulation library see it:
// errno values, flags, and structures with their kernel layouts (not a
// libc's). Only what the implemented system calls need.
#pragma once

#include <stdint.h>

namespace linux_abi {

// errno
enum : int {
  kEPERM = 1, kENOENT = 2, kESRCH = 3, kEINTR = 4, kEIO = 5, kENXIO = 6, kE2BIG = 7, kENOEXEC = 8,
  kEBADF = 9, kECHILD = 10, kEAGAIN = 11, kENOMEM = 12, kEACCES = 13, kEFAULT = 14, kEBUSY = 16,
  kEEXIST = 17, kEXDEV = 18, kENODEV = 19, kENOTDIR = 20, kEISDIR = 21, kEINVAL = 22, kENFILE = 23,
  kEMFILE = 24, kENOTTY = 25, kEFBIG = 27, kENOSPC = 28, kESPIPE = 29, kEROFS = 30, kEMLINK = 31,
  kEPIPE = 32, kERANGE = 34, kENAMETOOLONG = 36, kENOSYS = 38, kENOTEMPTY = 39, kELOOP = 40,
  kEOVERFLOW = 75,
};

// open flags
enum : int {
  kO_ACCMODE = 3, kO_RDONLY = 0, kO_WRONLY = 1, kO_RDWR = 2, kO_CREAT = 0100, kO_EXCL = 0200,
  kO_NOCTTY = 0400, kO_TRUNC = 01000, kO_APPEND = 02000, kO_NONBLOCK = 04000, kO_DIRECTORY = 0200000,
  kO_NOFOLLOW = 0400000, kO_CLOEXEC = 02000000, kO_PATH = 010000000,
};
constexpr int kAT_FDCWD = -100;
constexpr int kAT_SYMLINK_NOFOLLOW = 0x100;
constexpr int kAT_EACCESS = 0x200;
constexpr int kAT_EMPTY_PATH = 0x1000;
constexpr int kSEEK_SET = 0, kSEEK_CUR = 1, kSEEK_END = 2;
constexpr int kF_OK = 0, kX_OK = 1, kW_OK = 2, kR_OK = 4;

// st_mode
constexpr uint32_t kS_IFMT = 0170000, kS_IFDIR = 0040000, kS_IFREG = 0100000, kS_IFLNK = 0120000,
                   kS_IFCHR = 0020000;
// getdents64's d_type
constexpr uint8_t kDT_CHR = 2, kDT_DIR = 4, kDT_REG = 8, kDT_LNK = 10;

struct Stat {  // struct stat (asm/stat.h, x86-64)
  uint64_t st_dev, st_ino, st_nlink;
  uint32_t st_mode, st_uid, st_gid, pad0;
  uint64_t st_rdev;
  int64_t st_size, st_blksize, st_blocks;
  uint64_t st_atime_sec, st_atime_nsec, st_mtime_sec, st_mtime_nsec, st_ctime_sec, st_ctime_nsec;
  int64_t unused[3];
};
static_assert(sizeof(Stat) == 144, "struct stat is 144 bytes on x86-64");

struct Dirent64 {  // struct linux_dirent64, then the name and its NUL
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
};

// mmap
enum : int {
  kPROT_READ = 1, kPROT_WRITE = 2, kPROT_EXEC = 4, kMAP_SHARED = 1, kMAP_PRIVATE = 2, kMAP_TYPE = 0xf,
  kMAP_FIXED = 0x10, kMAP_ANONYMOUS = 0x20, kMAP_FIXED_NOREPLACE = 0x100000,
};

// terminals
constexpr uint64_t kTCGETS = 0x5401, kTCSETS = 0x5402, kTCSETSW = 0x5403, kTCSETSF = 0x5404,
                   kTIOCGPGRP = 0x540f, kTIOCSPGRP = 0x5410, kTIOCGWINSZ = 0x5413, kTIOCSWINSZ = 0x5414;
struct Termios {  // struct termios (asm-generic/termbits.h): what TCGETS copies
  uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
  uint8_t c_line;
  uint8_t c_cc[19];
};
static_assert(sizeof(Termios) == 36, "kernel termios is 36 bytes");
struct Winsize {
  uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

struct Timespec {
  int64_t tv_sec, tv_nsec;
};

}  // namespace linux_abi
