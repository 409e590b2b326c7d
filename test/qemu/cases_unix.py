"""QEMU cases of the Unix personality (docs/unix.md): the system scripts/run
boots (the Unix server as the first boot task, the console driver, the file
pager and build/test/data/unixfs.tar, with a disk the virtio-blk driver and
an ext2 file system at /disk) running one program as the first Unix
process. The Unix server reports its end and powers off: status 0 passes
(isa-debug-exit 0), anything else fails (1). cases.py adds these to CASES.
"""
import urllib.parse

from cases_unix_shell import shell_cases


def encode(words):
    """The command line's words, percent-encoded as scripts/run does."""
    if isinstance(words, str):
        words = words.split()
    return ' '.join(urllib.parse.quote(w, safe='/._-,:=+@') for w in words)


def unix_modules(command, disk=False):
    modules = (('unix-server/unix_server.elf', 'unix_server.elf ' + ('--ext2=/disk ' if disk else '') + command),
               ('drivers/console/console.elf', 'console.elf console raw'),
               ('pagers/file_pager/file_pager.elf', 'file_pager.elf 3'),
               ('test/data/unixfs.tar', 'unixfs.tar'))
    if disk:
        modules += (('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf'),)
    return modules


def unix_cases(Case):
    def case(name, command, expect=(), status=0, forbid=(r'unknown system call', r'terminated:', r'unix: refused'),
             end=None, **extra):
        if end is None:
            end = rf'unix: init \(pid 1\) exited with status {status}$'
        return Case(name='unix-' + name,
                    modules=unix_modules(encode(command), bool(extra.get('disk'))),
                    expect=tuple(expect) + (end,),
                    forbid=(r'panic', r'FAILED', r'-> EIO') + tuple(forbid),
                    result='pass' if status == 0 else 'fail',
                    timeout=extra.pop('timeout', 60), **extra)

    cases = [
        # Debian's unmodified busybox-static (glibc, static, non-PIE).
        case('busybox-echo', '/bin/busybox echo hello', (r'(?m)^hello\r?$',)),
        case('busybox-cat', '/bin/busybox cat /etc/motd',
             (r'(?m)^Welcome to machina: this line comes from the boot archive\.\r?$',)),
        case('busybox-ls', '/bin/busybox ls /', (r'(?m)^bin\s+data\s+dev\s+doc\s+etc\s+lib\s+tmp\s+true\s+usr\s*$',)),
        case('busybox-uname', '/bin/busybox uname -a',
             (r'(?m)^Linux machina 6\.1\.0-machina #1 machina \(Mach-style multiserver\) x86_64 GNU/Linux\r?$',)),
        case('busybox-true', '/bin/busybox true'),
        case('busybox-false', '/bin/busybox false', status=1),
        case('busybox-cat-missing', '/bin/busybox cat /etc/nope',
             (r'cat: can.t open .?/etc/nope.?: No such file or directory',), status=1),
        # Programs that are not there or not programs: the server says why.
        case('exec-missing', '/bin/nope', (r'unix: cannot run /bin/nope: error 2\b',), status=127),
        case('exec-not-elf', '/bin/not-elf',
             (r'unix: exec: elf: file too small for an ELF header', r'unix: cannot run /bin/not-elf: error 8\b'),
             status=127),
        case('exec-not-executable', '/data/pattern', (r'unix: cannot run /data/pattern: error 13\b',), status=127),
        # A program the kernel kills (a fault it has no handler for): its
        # status is as a SIGSEGV's, and the system goes on to report it.
        case('t-crash', '/bin/t_crash', (r't_crash: about to fault', r'terminated: #PF Page fault, write at 0x0+ '), status=139,
             forbid=(r't_crash: still alive',),
             end=r'unix: init \(pid 1\) was killed by signal 11: status 139'),
        # Malformed requests to the Unix server (raw Mach traps from a Linux
        # program): refused with MIG's errors, and the server goes on.
        case('t-forge', '/bin/t_forge',
             (r'unix: refused a request \(id 6999\): -303', r'unix: refused a request \(id 7002\): -304',
              r't_forge: still served', r't_forge: PASS'), forbid=(r'terminated:', r'unknown system call')),
        # musl test programs (test/unix), one per system-call family.
        case('t-exit', '/bin/t_exit 7', status=7),
        case('t-enosys', '/bin/t_enosys',
             (r'emulation: pid 1: unknown system call 999 \(\?\) -> ENOSYS', r't_enosys: still alive',
              r't_enosys: PASS'), forbid=(r'terminated:',)),
        # Robustness (docs/robustness.md): random system calls with random
        # arguments (seed 1, 5,000 calls; unknown numbers log one line each,
        # so those lines are allowed), then the server must still answer
        # (about 6 s).
        case('t-sysfuzz', '/bin/t_sysfuzz 1 5000', (r't_sysfuzz: done: ', r't_sysfuzz: PASS'),
             forbid=(r'terminated:', r'unix: refused', r't_sysfuzz: FAIL'), timeout=180),
        # Kernel counters (ports, messages, spaces, pages) back at their
        # baseline after 100,000 getppid RPCs, 1,000 fork/exit/wait cycles,
        # and children that execve or kill themselves (about 15 s).
        case('t-leak', '/bin/t_leak', (r't_leak: baseline: ', r't_leak: PASS'), timeout=180),
    ]
    for name in ('io', 'open', 'stat', 'dir', 'mem', 'misc', 'auxv', 'ioctl', 'sendfile', 'pie', 'path', 'poll', 'signal', 'proc'):
        cases.append(case('t-' + name, '/bin/t_' + name, (rf't_{name}: PASS',)))
    return cases + shell_cases(Case, case, unix_modules)
