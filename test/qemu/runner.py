#!/usr/bin/env python3
"""Run the machina QEMU test cases (test/qemu/cases.py).

For every case: build WORKDIR/<name>.iso with scripts/mkiso, boot it in
qemu-system-x86_64 with the serial port logged to WORKDIR/<name>.serial and an
isa-debug-exit device, then check the exit status and the serial output
against the case's expectations. See docs/testing.md.

Exit-code protocol: the kernel writes v to I/O port 0xf4 (isa-debug-exit),
QEMU exits with status (v << 1) | 1. v=0 pass (1), v=1 fail (3), v=2 panic (5).
"""

import argparse
import concurrent.futures
import importlib.util
import os
import re
import shlex
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True  # don't leave __pycache__ in the source tree

HERE = Path(__file__).resolve().parent
MKISO = HERE.parent.parent / 'scripts' / 'mkiso'

RESULT_VALUES = {'pass': 0, 'fail': 1, 'panic': 2}
VALUE_NAMES = {v: k for k, v in RESULT_VALUES.items()}
TAIL_LINES = 15
NAME_RE = re.compile(r'[A-Za-z0-9_.-]+')
QEMU_ERROR_RE = re.compile(r'[^\s:]+: (?!warning: )\S')

_print_lock = threading.Lock()


def emit(text):
    """Print a block of lines atomically with respect to other workers."""
    if not text.endswith('\n'):
        text += '\n'
    with _print_lock:
        sys.stdout.write(text)
        sys.stdout.flush()


def indent(lines, prefix='    '):
    return ''.join(prefix + line + '\n' for line in lines)


def tail(text, n=TAIL_LINES):
    lines = text.splitlines()
    return lines[-n:] if lines else ['<no output>']


def read_serial(path):
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ''
    return data.decode('utf-8', errors='replace').replace('\r', '')


def describe_status(status):
    """Human-readable meaning of a QEMU exit status."""
    if status < 0:
        return f'QEMU killed by signal {-status}'
    if status == 0:
        return ('QEMU exited 0: guest reset or shut down without using '
                'isa-debug-exit (triple fault?)')
    if status & 1:
        v = status >> 1
        name = VALUE_NAMES.get(v)
        if name:
            return f'exit status {status} (guest wrote {v}: {name})'
        return f'exit status {status} (guest wrote unknown value {v})'
    return f'exit status {status} (QEMU error)'


# --------------------------------------------------------------------------
# Loading cases


def load_cases(path):
    """Import a cases file by path and return its CASES list."""
    # Let a custom cases file do `from cases import Case`.
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    modname = 'machina_qemu_cases_' + re.sub(r'\W', '_', str(path))
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f'runner: cannot load cases from {path}')
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module   # dataclasses need the module registered
    spec.loader.exec_module(module)
    cases = getattr(module, 'CASES', None)
    if cases is None:
        raise SystemExit(f'runner: {path} defines no CASES list')
    return list(cases)


def as_tuple(value):
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def check_cases(cases, path):
    """Validate cases up front so typos fail loudly, not as odd test results."""
    errors = []
    seen = set()
    for i, case in enumerate(cases):
        name = getattr(case, 'name', None)
        where = f'case {name!r}' if name else f'case #{i}'
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            errors.append(f'{where}: name must match [A-Za-z0-9_.-]+')
        elif name in seen:
            errors.append(f'{where}: duplicate name')
        seen.add(name)
        if case.result not in RESULT_VALUES:
            errors.append(f'{where}: result must be one of '
                          f'{", ".join(RESULT_VALUES)}, not {case.result!r}')
        for kind in ('expect', 'forbid'):
            for rx in as_tuple(getattr(case, kind)):
                try:
                    re.compile(rx, re.MULTILINE)
                except re.error as e:
                    errors.append(f'{where}: bad {kind} regex {rx!r}: {e}')
        for mod in as_tuple(case.modules):
            if not isinstance(mod, str) and len(tuple(mod)) != 2:
                errors.append(f'{where}: module {mod!r} is not a '
                              '(path, cmdline) pair')
        if not (isinstance(case.timeout, (int, float)) and case.timeout > 0):
            errors.append(f'{where}: timeout must be a positive number')
        for pair in getattr(case, 'serial_input', ()):
            if (not isinstance(pair, (tuple, list)) or len(pair) not in (2, 3)
                    or not isinstance(pair[1], bytes)
                    or (len(pair) == 3 and not isinstance(pair[2], (int, float)))):
                errors.append(f'{where}: serial_input {pair!r} is not a '
                              '(regex, bytes[, seconds]) tuple')
                continue
            try:
                re.compile(pair[0], re.MULTILINE)
            except re.error as e:
                errors.append(f'{where}: bad serial_input regex {pair[0]!r}: {e}')
        disk = getattr(case, 'disk', '')
        if disk and not NAME_RE.fullmatch(disk):
            errors.append(f'{where}: disk must be a file name in the workdir '
                          '([A-Za-z0-9_.-]+)')
        after = getattr(case, 'after', '')
        if after and after not in {c.name for c in cases[:i]}:
            errors.append(f'{where}: after={after!r} names no earlier case')
    if errors:
        raise SystemExit(f'runner: invalid cases in {path}:\n'
                         + indent(errors).rstrip('\n'))


# --------------------------------------------------------------------------
# Typing on the serial line


class SerialFeeder:
    """A case's serial_input: QEMU's serial port becomes a pair of named
    pipes (-serial pipe:), the runner copies what the guest writes to the
    .serial file and writes each (regex, bytes) pair's bytes to the line once
    its regex matches that output, in order, each search starting where the
    previous match ended. A third element, seconds, waits that long after
    the match before typing (for a program to get going: ^C for a running
    sleep). (Not a socket chardev with logfile=: QEMU 7.2 logs a byte again
    each time a full socket makes it retry.)"""

    def __init__(self, pairs, log):
        self.pairs = [(p[0], p[1], p[2] if len(p) > 2 else 0) for p in pairs]
        self.sent = 0
        self.dir = tempfile.mkdtemp(prefix='machina-serial-')
        self.base = os.path.join(self.dir, 'serial')
        os.mkfifo(self.base + '.in')
        os.mkfifo(self.base + '.out')
        # O_RDWR: neither our opens nor QEMU's wait for the other side.
        self.fd_in = os.open(self.base + '.in', os.O_RDWR)
        self.fd_out = os.open(self.base + '.out', os.O_RDWR | os.O_NONBLOCK)
        self.log = open(log, 'wb')
        self.output = bytearray()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def qemu_args(self):
        return ['-serial', f'pipe:{self.base}']

    def start(self):
        self.thread.start()

    def drain(self):
        """Copies what the guest wrote so far; True if there was something."""
        got = False
        while True:
            try:
                data = os.read(self.fd_out, 65536)
            except BlockingIOError:
                return got
            if not data:
                return got
            got = True
            self.log.write(data)
            self.log.flush()
            self.output += data

    def run(self):
        pos = 0
        while not self.stop.is_set():
            select.select([self.fd_out], [], [], 0.05)
            if not self.drain():
                continue
            text = self.output.decode('utf-8', errors='replace').replace('\r', '')
            while self.sent < len(self.pairs):
                rx, data, delay = self.pairs[self.sent]
                m = re.compile(rx, re.MULTILINE).search(text, pos)
                if not m:
                    break
                pos = m.end()
                if delay:
                    time.sleep(delay)
                os.write(self.fd_in, data)
                self.sent += 1
        self.drain()   # QEMU has exited: the rest of its output

    def unsent(self):
        """What was never typed, for the report (or '')."""
        if self.sent == len(self.pairs):
            return ''
        rx, data, _ = self.pairs[self.sent]
        return f'serial input {data!r} never typed: /{rx}/ did not appear'

    def close(self):
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        self.log.close()
        os.close(self.fd_in)
        os.close(self.fd_out)
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# Running one case


class Runner:
    def __init__(self, args):
        self.args = args
        self.kernel = Path(args.kernel).resolve()
        self.workdir = Path(args.workdir).resolve()
        self.build_root = (Path(args.build_root).resolve() if args.build_root
                           else self.kernel.parent.parent)
        self.cancelled = threading.Event()
        self.procs = set()
        self.procs_lock = threading.Lock()
        # Case name -> (finished event, [passed]) for cases others run after.
        self.done = {}

    def module_args(self, case):
        out = []
        for mod in as_tuple(case.modules):
            path, cmdline = (mod, '') if isinstance(mod, str) else tuple(mod)
            p = Path(path)
            if not p.is_absolute():
                p = self.build_root / p
            out += [str(p), cmdline]
        return out

    def qemu_command(self, case, iso, serial, feeder=None):
        cmd = [self.args.qemu,
               '-machine', 'pc',
               '-cpu', case.cpu,
               '-m', str(case.memory),
               '-smp', '1',
               '-display', 'none',
               '-no-reboot',
               *(feeder.qemu_args() if feeder else ['-serial', f'file:{serial}']),
               '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
               '-cdrom', str(iso),
               '-boot', 'd']
        if self.args.qemu_log:
            cmd += ['-d', 'int,cpu_reset',
                    '-D', str(self.workdir / f'{case.name}.qemu.log')]
        disk = getattr(case, 'disk', '')
        if disk:
            # A legacy (virtio 0.9.5) virtio-blk PCI device over a raw image.
            cmd += ['-drive', f'file={self.workdir / disk},if=none,id=disk0,format=raw',
                    '-device', 'virtio-blk-pci,drive=disk0,disable-modern=on']
        extra = case.qemu_args
        cmd += shlex.split(extra) if isinstance(extra, str) else list(extra)
        return cmd

    def spawn(self, cmd):
        """Start a process, tracked so Ctrl-C can kill it."""
        with self.procs_lock:
            if self.cancelled.is_set():
                return None
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            self.procs.add(proc)
        return proc

    def reap(self, proc):
        with self.procs_lock:
            self.procs.discard(proc)

    def kill_all(self):
        self.cancelled.set()
        with self.procs_lock:
            for proc in self.procs:
                try:
                    proc.kill()
                except OSError:
                    pass

    def run_case(self, case):
        """Run one case. Returns (passed, report_text)."""
        entry = self.done.setdefault(case.name, (threading.Event(), [False]))
        passed = False
        try:
            passed, report = self.run_case_inner(case)
            return passed, report
        finally:
            entry[1][0] = passed    # cases waiting for this one go on
            entry[0].set()

    def prepare_disk(self, case):
        """The case's disk image: a fresh zero-filled one, or (after=) the
        image the earlier case left, once that case has passed. Returns an
        error text or None."""
        disk = getattr(case, 'disk', '')
        after = getattr(case, 'after', '')
        if after:
            event, result = self.done.setdefault(after, (threading.Event(), [False]))
            event.wait()
            if not result[0]:
                return f'needs case {after} to pass first'
            return None
        if disk:
            size = getattr(case, 'disk_size', '8M')
            r = subprocess.run(['qemu-img', 'create', '-q', '-f', 'raw',
                                str(self.workdir / disk), size],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if r.returncode != 0:
                return 'qemu-img create failed: ' + r.stdout.decode(errors='replace')
            fmt = getattr(case, 'disk_format', '')
            if fmt:
                # A file system made on the host (Debian's e2fsprogs).
                r = subprocess.run([f'mkfs.{fmt}', '-q', '-F', str(self.workdir / disk)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
                if r.returncode != 0:
                    return f'mkfs.{fmt} failed: ' + r.stdout.decode(errors='replace')
        return None

    def check_disk(self, case):
        """Runs the case's disk_check command on its disk image (after the
        boot); returns an error text or None."""
        check = tuple(getattr(case, 'disk_check', ()))
        disk = getattr(case, 'disk', '')
        if not check or not disk:
            return None
        r = subprocess.run(list(check) + [str(self.workdir / disk)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            return (f'{shlex.join(check)} on {disk} exited with status {r.returncode}:\n'
                    + indent(r.stdout.decode(errors='replace').splitlines()))
        return None

    def run_case_inner(self, case):
        name = case.name
        if self.cancelled.is_set():
            return False, f'FAIL {name}: cancelled'
        iso = self.workdir / f'{name}.iso'
        serial = self.workdir / f'{name}.serial'

        # Build the ISO.
        mk = [str(MKISO), str(iso), str(self.kernel), case.cmdline]
        mk += self.module_args(case)
        try:
            r = subprocess.run(mk, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        except OSError as e:
            return False, f'FAIL {name}: cannot run {MKISO}: {e}'
        if r.returncode != 0:
            out = r.stdout.decode(errors='replace').splitlines()
            return False, (f'FAIL {name}: mkiso failed (status '
                           f'{r.returncode})\n' + indent(out))

        problem = self.prepare_disk(case)
        if problem:
            return False, f'FAIL {name}: {problem}'

        # Boot it.
        for stale in (serial, self.workdir / f'{name}.qemu.log'):
            try:
                stale.unlink()
            except FileNotFoundError:
                pass
        feeder = None
        if getattr(case, 'serial_input', ()):
            try:
                feeder = SerialFeeder(case.serial_input, serial)
            except OSError as e:
                return False, f'FAIL {name}: cannot make the serial pipes: {e}'
        cmd = self.qemu_command(case, iso, serial, feeder)
        verbose_head = ''
        if self.args.verbose:
            verbose_head = '    $ ' + shlex.join(cmd) + '\n'
        start = time.monotonic()
        try:
            proc = self.spawn(cmd)
        except OSError as e:
            proc = e
        if not isinstance(proc, subprocess.Popen):
            if feeder:
                feeder.close()
            if proc is None:
                return False, f'FAIL {name}: cancelled'
            return False, f'FAIL {name}: cannot run {cmd[0]}: {proc}'
        if feeder:
            feeder.start()
        hung = False
        ended_by_match = False
        try:
            end_when = getattr(case, 'end_when', '')
            if end_when:
                ended_by_match = self.wait_for_output(proc, serial, end_when, case.timeout)
                if ended_by_match:
                    proc.kill()
                qemu_out, _ = proc.communicate(timeout=5 if ended_by_match else case.timeout)
            else:
                qemu_out, _ = proc.communicate(timeout=case.timeout)
        except subprocess.TimeoutExpired:
            hung = True
            proc.kill()
            qemu_out, _ = proc.communicate()
        finally:
            self.reap(proc)
            if feeder:
                feeder.close()
        elapsed = time.monotonic() - start
        status = proc.returncode
        if ended_by_match:
            status = (RESULT_VALUES[case.result] << 1) | 1
        output = read_serial(serial)
        qemu_msgs = qemu_out.decode(errors='replace').replace('\r', '')

        passed, report = self.judge(case, hung, status, output, qemu_msgs,
                                    elapsed)
        if passed:
            problem = self.check_disk(case)
            if problem:
                passed, report = False, f'FAIL {name}: {problem}'
        if feeder and not passed and feeder.unsent():
            report = report.rstrip('\n') + '\n' + indent([feeder.unsent()])
        if self.cancelled.is_set() and not passed:
            report = f'FAIL {name}: cancelled'
        report = report.rstrip('\n') + '\n' + verbose_head
        if self.args.verbose:
            report += (f'    ---- serial output of {name} ({serial}) ----\n'
                       + indent(output.splitlines(), '    | ')
                       + f'    ---- end of {name} ----\n')
        return passed, report

    def wait_for_output(self, proc, serial, regex, timeout):
        """Poll the serial log until `regex` matches (True), QEMU exits or
        the timeout passes (False)."""
        rx = re.compile(regex, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if rx.search(read_serial(serial)):
                time.sleep(0.3)  # let the lines after it arrive
                return True
            time.sleep(0.2)
        return False

    def judge(self, case, hung, status, output, qemu_msgs, elapsed):
        name = case.name
        if hung:
            text = (f'HANG {name}: no exit after {case.timeout}s; '
                    'last output lines:\n' + indent(tail(output)))
            if self.args.qemu_log:
                text += f'    qemu log: {self.workdir / (name + ".qemu.log")}\n'
            return False, text

        reasons = []
        details = []
        show_tail = False

        want = RESULT_VALUES[case.result]
        want_status = (want << 1) | 1
        # QEMU's own errors also exit with status 1, the same as a guest
        # "pass": tell them apart by QEMU's error messages ("prog: msg").
        qemu_errors = [l for l in qemu_msgs.splitlines()
                       if QEMU_ERROR_RE.match(l)]
        if status == 1 and qemu_errors:
            reasons.append('QEMU failed (exit status 1)')
            details.append('qemu said:')
            details += ['  ' + l for l in qemu_msgs.splitlines()[-TAIL_LINES:]]
        elif status != want_status:
            reasons.append(f'{describe_status(status)}, expected '
                           f'{want_status} ({case.result})')
            show_tail = True
            if qemu_msgs.strip():
                details.append('qemu said:')
                details += ['  ' + l for l in tail(qemu_msgs)]

        pos = 0
        prev = None
        for rx in as_tuple(case.expect):
            m = re.compile(rx, re.MULTILINE).search(output, pos)
            if m is None:
                where = ('' if prev is None else
                         f' after /{prev}/ (matched at line '
                         f'{output.count(chr(10), 0, pos) + 1})')
                reasons.append(f'expected /{rx}/ not found{where}')
                show_tail = True
                break
            pos = m.end()
            prev = rx

        for rx in as_tuple(case.forbid):
            m = re.compile(rx, re.MULTILINE).search(output)
            if m is not None:
                lineno = output.count('\n', 0, m.start()) + 1
                start = output.rfind('\n', 0, m.start()) + 1
                end = output.find('\n', m.start())
                line = output[start:] if end < 0 else output[start:end]
                reasons.append(f'forbidden /{rx}/ matched at line {lineno}')
                details.append(f'line {lineno}: {line}')

        if not reasons:
            return True, f'PASS {name} ({elapsed:.1f}s)'
        text = f'FAIL {name}: ' + '; '.join(reasons) + '\n' + indent(details)
        if show_tail:
            text += ('    last output lines:\n'
                     + indent(tail(output), '        '))
        if self.args.qemu_log:
            text += f'    qemu log: {self.workdir / (name + ".qemu.log")}\n'
        return False, text


# --------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        description='Boot the machina kernel in QEMU once per test case and '
                    'check its serial output and exit status.')
    p.add_argument('--kernel', help='path to kernel.elf (multiboot2)')
    p.add_argument('--workdir', help='directory for ISOs, serial logs, ...')
    p.add_argument('--build-root',
                   help='directory relative module paths resolve against '
                        '(default: parent of the kernel\'s directory)')
    p.add_argument('--filter', action='append', default=[], metavar='SUBSTR',
                   help='only run cases whose name contains SUBSTR '
                        '(repeatable; any match selects)')
    p.add_argument('--jobs', '-j', type=int, default=os.cpu_count() or 1,
                   help='cases to run in parallel (default: CPU count)')
    p.add_argument('--verbose', '-v', action='store_true',
                   help='print the QEMU command and full serial output of '
                        'every case')
    p.add_argument('--list', action='store_true',
                   help='list the (filtered) case names and exit')
    p.add_argument('--summary-file', metavar='FILE',
                   help='write "PASSED FAILED" to FILE at the end')
    p.add_argument('--qemu-log', action='store_true',
                   help='log interrupts and CPU resets to '
                        'WORKDIR/<name>.qemu.log (-d int,cpu_reset)')
    p.add_argument('--cases', default=str(HERE / 'cases.py'), metavar='FILE',
                   help='cases file to load (default: cases.py next to '
                        'runner.py)')
    p.add_argument('--qemu', default='qemu-system-x86_64', metavar='BIN',
                   help='QEMU binary (default: %(default)s)')
    args = p.parse_args(argv)
    if not args.list:
        if not args.kernel or not args.workdir:
            p.error('--kernel and --workdir are required (except with --list)')
    if args.jobs < 1:
        p.error('--jobs must be at least 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    cases_path = Path(args.cases).resolve()
    cases = load_cases(cases_path)
    check_cases(cases, cases_path)
    if args.filter:
        chosen = {c.name for c in cases if any(f in c.name for f in args.filter)}
        # A case that runs after another (a second boot of its disk) brings
        # that one along.
        for c in reversed(cases):
            if c.name in chosen and getattr(c, 'after', ''):
                chosen.add(c.after)
        cases = [c for c in cases if c.name in chosen]

    if args.list:
        for c in cases:
            print(c.name)
        return 0

    if not cases:
        print('qemu: no cases selected (check --filter)', file=sys.stderr)
        return 1
    if not Path(args.kernel).is_file():
        print(f'runner: kernel {args.kernel} not found', file=sys.stderr)
        return 2
    if not os.access(MKISO, os.X_OK):
        print(f'runner: {MKISO} missing or not executable', file=sys.stderr)
        return 2
    Path(args.workdir).mkdir(parents=True, exist_ok=True)

    runner = Runner(args)
    passed = failed = 0
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=min(args.jobs, len(cases)))
    try:
        futures = {pool.submit(runner.run_case, c): c for c in cases}
        for fut in concurrent.futures.as_completed(futures):
            try:
                ok, report = fut.result()
            except Exception as e:     # a runner bug must not hide results
                ok, report = False, (f'FAIL {futures[fut].name}: runner '
                                     f'internal error: {e!r}')
            if ok:
                passed += 1
            else:
                failed += 1
            emit(report)
    except KeyboardInterrupt:
        runner.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        emit('qemu: interrupted')
        return 130
    pool.shutdown(wait=True)

    emit(f'qemu: {passed} passed, {failed} failed')
    if args.summary_file:
        Path(args.summary_file).write_text(f'{passed} {failed}\n')
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
