#!/usr/bin/env python3
"""Writes the benchmark initramfs: an uncompressed newc cpio archive with
/init (the benchmark), /true (the helper fork+exec runs), /data (the file the
page-fault benchmark maps, DATA_PAGES pages) and /dev/console (so init has a
console for its output). Timestamps and owners are fixed, so the archive is
the same byte for byte on every run.

Usage: mkinitramfs.py OUT INIT TRUE DATA_PAGES
"""
import stat
import sys

PAGE = 4096


def entry(ino, name, mode, data=b"", rdev=(0, 0)):
    name_b = name.encode() + b"\0"
    fields = [
        ino, mode, 0, 0,  # ino, mode, uid, gid
        1, 0, len(data),  # nlink, mtime, filesize
        0, 0,  # devmajor, devminor
        rdev[0], rdev[1],  # rdevmajor, rdevminor
        len(name_b), 0,  # namesize, check
    ]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    out, init, true, pages = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with open(init, "rb") as f:
        init_b = f.read()
    with open(true, "rb") as f:
        true_b = f.read()
    # Non-zero contents, one distinct byte pattern per page.
    data = b"".join(bytes([i % 251 + 1]) * PAGE for i in range(pages))
    parts = [
        entry(1, "dev", stat.S_IFDIR | 0o755),
        entry(2, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)),
        entry(3, "init", stat.S_IFREG | 0o755, init_b),
        entry(4, "true", stat.S_IFREG | 0o755, true_b),
        entry(5, "data", stat.S_IFREG | 0o644, data),
        entry(0, "TRAILER!!!", 0),
    ]
    blob = b"".join(parts)
    blob += b"\0" * (-len(blob) % 512)
    with open(out, "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
