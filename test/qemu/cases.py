"""QEMU test cases for the machina microkernel.

Each entry in CASES boots the kernel once in QEMU (see runner.py and
docs/testing.md). To add a test, append a Case to CASES:

    Case(name='pagefault',                  # unique; [A-Za-z0-9_.-] only
         cmdline='selftest=pagefault',      # kernel command line, used as is
         expect=(r'page fault at 0x[0-9a-f]+', r'selftest: ok'),
         forbid=(r'^panic',),
         result='pass'),

Fields:
  name       unique case name; also names WORKDIR/<name>.iso, .serial, ...
  cmdline    kernel command line, passed to the kernel unchanged.
  modules    sequence of (path, module_cmdline) pairs loaded as multiboot2
             modules in order; relative paths are resolved against the build
             root (runner.py --build-root, default: the directory above the
             kernel's directory, e.g. build/ for build/microkernel/kernel.elf).
  expect     regexes (Python re, MULTILINE) that must all match the serial
             output IN ORDER: each is searched from the end of the previous
             match. '\\r' is stripped from the output before matching.
  forbid     regexes that must not match anywhere in the serial output.
  result     how the guest must end, via the isa-debug-exit device:
             'pass' (kernel writes 0), 'fail' (1) or 'panic' (2).
  timeout    seconds QEMU may run before the case is reported as a HANG.
  memory     guest RAM (qemu -m).
  cpu        qemu -cpu model.
  qemu_args  extra arguments appended to the qemu command line.

Keep command lines free of '"', "'" and '\\': GRUB backslash-escapes them.
"""

from dataclasses import dataclass
from typing import Sequence, Tuple


@dataclass(frozen=True)
class Case:
    name: str
    cmdline: str = ''
    modules: Sequence[Tuple[str, str]] = ()
    expect: Sequence[str] = ()
    forbid: Sequence[str] = ()
    result: str = 'pass'        # 'pass' | 'fail' | 'panic'
    timeout: float = 30
    memory: str = '128M'
    cpu: str = 'max'
    qemu_args: Sequence[str] = ()


CASES = [
    # Boots to the scheduler: banner, memory map, and a timer interrupt.
    Case(name='boot',
         cmdline='selftest=boot',
         expect=(r'machina', r'memory map', r'timer: tick'),
         result='pass',
         timeout=30),
]
