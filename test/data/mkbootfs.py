#!/usr/bin/env python3
"""Builds the boot archive (docs/pagers.md, "File pager"): the tree under
SRC, the generated test files and the programs given with --add, as a ustar
archive made by the host's tar. Every member gets owner 0, mode 0755 or
0644 (whatever the checkout's umask), mtime 0, and names are sorted, so the
archive is the same on every build.

  mkbootfs.py SRC OUT [--add PATH_IN_ARCHIVE=FILE]... [--applets DIR=BUSYBOX]

--applets links DIR/NAME to busybox (DIR/busybox) for every applet that
BUSYBOX --list names, as Debian's busybox installs them: a shell finds
`ls` and `cat` on its PATH.
"""
import os
import shutil
import subprocess
import sys
import tempfile

PATTERN_SIZE = 40 * 1024
ODD_SIZE = 10000
LONG_DIR = 'data/' + '/'.join(['a-rather-long-directory-name-%d' % i for i in range(3)])


def pattern(i):
    # test/user/fp_client.cpp checks every byte against the same formula.
    return (i * 131 + (i >> 12) * 7 + 17) & 0xff


def main():
    src, out = sys.argv[1], sys.argv[2]
    adds = []
    applets = []
    args = sys.argv[3:]
    while args:
        if args[0] not in ('--add', '--applets') or len(args) < 2 or '=' not in args[1]:
            sys.exit('usage: mkbootfs.py SRC OUT [--add PATH=FILE]... [--applets DIR=BUSYBOX]')
        (adds if args[0] == '--add' else applets).append(args[1].split('=', 1))
        args = args[2:]
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, 'root')
        shutil.copytree(src, root, symlinks=True)
        os.makedirs(os.path.join(root, 'data'), exist_ok=True)
        os.makedirs(os.path.join(root, 'bin'), exist_ok=True)  # programs (issue 10: busybox) go here
        with open(os.path.join(root, 'data/pattern'), 'wb') as f:
            f.write(bytes(pattern(i) for i in range(PATTERN_SIZE)))
        with open(os.path.join(root, 'data/odd'), 'wb') as f:
            f.write(bytes(pattern(i) for i in range(ODD_SIZE)))
        # A path beyond ustar's 100-byte name field: tar puts the directories in the prefix field.
        os.makedirs(os.path.join(root, LONG_DIR))
        with open(os.path.join(root, LONG_DIR, 'long-name.txt'), 'w') as f:
            f.write('found through the prefix field\n')
        os.symlink('motd', os.path.join(root, 'etc/motd.link'))
        os.symlink('/usr/share/doc', os.path.join(root, 'doc'))
        for dest, path in adds:
            target = os.path.join(root, dest.lstrip('/'))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
            os.chmod(target, 0o755)
        for directory, busybox in applets:
            names = subprocess.run([busybox, '--list'], check=True, capture_output=True, text=True).stdout.split()
            os.makedirs(os.path.join(root, directory.lstrip('/')), exist_ok=True)
            for name in names:
                link = os.path.join(root, directory.lstrip('/'), name)
                if name != 'busybox' and not os.path.lexists(link):
                    os.symlink('busybox', link)
        subprocess.run(['tar', '--format=ustar', '--owner=0', '--group=0', '--numeric-owner',
                        '--mode=u=rwX,go=rX', '--mtime=@0', '--sort=name', '-C', root, '-cf', out, '.'], check=True)


if __name__ == '__main__':
    main()
