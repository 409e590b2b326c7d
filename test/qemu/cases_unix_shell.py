"""QEMU cases of the Unix personality, part 2 (docs/unix.md): busybox command
lines run by `sh -c` (pipelines, redirections, scripts, the text tools,
files in tmpfs), a file on the ext2 disk kept from one boot to the next and
checked with fsck.ext2 on the host, and an interactive session typed on the
serial console. cases_unix.py adds these.
"""
import dataclasses


def sh(script):
    """The words of `/bin/sh -c SCRIPT`."""
    return ['/bin/sh', '-c', script]


def shell_cases(Case, case, unix_modules):
    cases = [
        case('sh-pipeline', sh('echo hello | wc -c'), (r'(?m)^6\r?$',)),
        case('sh-redirect', sh('echo one > /tmp/f; echo two >> /tmp/f; cat < /tmp/f; wc -l < /tmp/f; '
                               'ls /nope 2> /tmp/err; cat /tmp/err'),
             (r'(?m)^one\r?$', r'(?m)^two\r?$', r'(?m)^2\r?$', r'ls: /nope: No such file or directory')),
        case('sh-script', sh('f() { echo "f:$1"; }; for i in a b c; do f $i; done; i=0; '
                             'while [ $i -lt 3 ]; do i=$((i+1)); done; echo i=$i; '
                             'case x in x) echo matched;; esac; echo $(echo nested)'),
             (r'(?m)^f:a\r?$', r'(?m)^f:b\r?$', r'(?m)^f:c\r?$', r'(?m)^i=3\r?$', r'(?m)^matched\r?$',
              r'(?m)^nested\r?$')),
        case('sh-exit-codes', sh('false; echo "false=$?"; (exit 7); echo "sub=$?"; sh -c "exit 5"; echo "sh=$?"; '
                                 'nope 2>/dev/null; echo "missing=$?"; exit 42'),
             (r'false=1', r'sub=7', r'sh=5', r'missing=127'), status=42),
        case('ls-l', sh('ls -l /etc'),
             (r'(?m)^-rw-r--r-- +1 0 +0 +59 .* motd\r?$', r'(?m)^lrwxrwxrwx +1 0 +0 +4 .* motd.link -> motd\r?$')),
        case('text-tools', sh("printf 'b\\na\\nb\\nc\\n' | sort | uniq -c | sed 's/^ *//'; "
                              "seq 1 10 | grep -v 5 | head -3; seq 1 10 | tail -2; "
                              "echo 'x y z' | awk '{print $3, NF}'; echo hello | sed 's/l/L/g'"),
             (r'(?m)^1 a\r?$', r'(?m)^2 b\r?$', r'(?m)^1 c\r?$', r'(?m)^1\r?\n2\r?\n3\r?$', r'(?m)^9\r?\n10\r?$',
              r'(?m)^z 3\r?$', r'(?m)^heLLo\r?$')),
        case('find-xargs', sh("find /etc -name 'motd*' | sort | xargs echo found"),
             (r'(?m)^found /etc/motd /etc/motd.link\r?$',)),
        case('files', sh('mkdir -p /tmp/a/b/c && cp /etc/motd /tmp/a/b/c/m && mv /tmp/a/b/c/m /tmp/a/m2 && '
                         'cat /tmp/a/m2 && ls -R /tmp/a && rm -r /tmp/a && ls -a /tmp && echo done'),
             (r'Welcome to machina', r'(?m)^/tmp/a/b/c:\r?$', r'(?m)^done\r?$')),
        case('date-sleep', sh('date +%Y; sleep 1; echo slept'), (r'(?m)^20[2-9][0-9]\r?$', r'(?m)^slept\r?$')),
        case('kill-job', sh('sleep 100 & pid=$!; kill $pid; wait $pid; echo "status=$?"'), (r'(?m)^status=143\r?$',)),
        case('fork-loop', sh('for i in 1 2 3 4 5 6 7 8; do /bin/true; done; echo done'), (r'(?m)^done\r?$',)),
        # A file written to the ext2 disk in one boot is there in the next;
        # fsck.ext2 finds the image clean after each.
        case('ext2-write', sh('mkdir -p /disk/d && echo kept > /disk/d/f && ls -l /disk/d'),
             (r'unix: ext2 mounted at /disk', r'(?m)^-rw-r--r-- +1 0 +0 +5 .* f\r?$'),
             disk='unix-ext2.img', disk_size='16M', disk_format='ext2', disk_check=('fsck.ext2', '-fn')),
        case('ext2-read', sh('cat /disk/d/f; rm /disk/d/f; rmdir /disk/d; ls /disk'),
             (r'(?m)^kept\r?$', r'(?m)^lost\+found\r?$'),
             disk='unix-ext2.img', after='unix-ext2-write', disk_check=('fsck.ext2', '-fn')),
    ]
    # Fault injection: the console driver faults in the middle of a write
    # (crash-after=12); the Unix server, its supervisor, starts it again; the
    # writes meanwhile fail with EIO, the ones after reach the new driver.
    restart = case('console-restart', sh('i=0; while [ $i -lt 30 ]; do echo line-$i; i=$((i+1)); done; '
                                         'sleep 1; echo after-restart'),
                   (r'console: crashing on purpose in write request 12',
                    r'unix: console died; starting module 1 again',
                    r'boot: task \d+ \(console\.elf\) started from module 1',
                    r'unix: "console" registered, supervised',
                    r'(?m)^after-restart\r?$'),
                   forbid=(r'unknown system call', r'terminated: (?!#PF)'))
    modules = tuple((path, line.replace('unix_server.elf ', 'unix_server.elf --supervise=console:1 ', 1)
                     if path.startswith('unix-server') else
                     line + ' crash-after=12' if path.startswith('drivers/console') else line)
                    for path, line in restart.modules)
    cases.append(dataclasses.replace(restart, modules=modules))
    # Fault injection: the file pager crashes in the data request for
    # /bin/t_exit's text; the supervisor starts it again, the Unix server
    # reconnects and finds the emulation library again, and /true runs.
    killed = case('file-pager-restart', '/bin/t_pagerkill',
                  (r'file-pager: crashing on purpose in the data request for bin/t_exit at 0x1000',
                   r'unix: file-pager died; starting module 2 again',
                   r'unix: "file-pager" registered, supervised',
                   r't_pagerkill: /true ran from the restarted file pager', r't_pagerkill: PASS'),
                  forbid=(r'unknown system call', r'terminated: (?!#PF|.*memory error)'))
    modules = tuple((path, line.replace('unix_server.elf ', 'unix_server.elf --supervise=file-pager:2 ', 1)
                     if path.startswith('unix-server') else
                     line + ' 1 crash-on=bin/t_exit:0x1000' if path.startswith('pagers/file_pager') else line)
                    for path, line in killed.modules)
    cases.append(dataclasses.replace(killed, modules=modules))
    # The interactive shell (plain scripts/run): a prompt, commands typed on
    # the serial line, ^C ending a foreground `sleep 100`.
    cases.append(Case(
        name='unix-interactive',
        modules=unix_modules(''),
        serial_input=((r'/ # ', b'echo typed-$((6*7))\r'),
                      (r'typed-42', b'sleep 100\r'),
                      (r'sleep 100\r?\n', b'\x03', 3),
                      (r'\^C', b'echo after-interrupt\r'),
                      (r'(?m)^after-interrupt$', b'exit 3\r')),
        expect=(r'(?m)^typed-42\r?$', r'\^C', r'(?m)^after-interrupt\r?$',
                r'unix: init \(pid 1\) exited with status 3$'),
        forbid=(r'panic', r'FAILED', r'-> EIO', r'terminated:', r'unknown system call'),
        result='fail', timeout=60))
    # Job control: ^Z stops a foreground `sleep 100` (SIGTSTP to its process
    # group; the Unix server suspends its task), ash reports it stopped
    # (wait4 with WUNTRACED), `fg` continues it (SIGCONT) and ^C then ends it.
    cases.append(Case(
        name='unix-job-control',
        modules=unix_modules(''),
        serial_input=((r'/ # ', b'sleep 100\r'),
                      (r'sleep 100\r?\n', b'\x1a', 3),
                      (r'\[1\]\+ +Stopped', b'fg\r'),
                      (r'(?m)^sleep 100\r?\n', b'\x03', 3),
                      (r'\^C', b'echo after-fg\r'),
                      (r'(?m)^after-fg\r?\n', b'exit 4\r')),
        expect=(r'\^Z', r'\[1\]\+ +Stopped +sleep 100', r'(?m)^after-fg\r?$',
                r'unix: init \(pid 1\) exited with status 4$'),
        forbid=(r'panic', r'FAILED', r'-> EIO', r'terminated:', r'unknown system call', r'job control turned off'),
        result='fail', timeout=60))
    return cases
