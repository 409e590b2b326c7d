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
  disk       a raw disk image WORKDIR/<disk> attached as a legacy (virtio
             0.9.5) virtio-blk PCI device (1af4:1001); made afresh, zero
             filled, of disk_size bytes (qemu-img sizes: 8M) before the boot,
             unless the case runs after another:
  after      the name of an earlier case that must pass first; this case
             boots with the disk image that one left (a second boot of the
             same disk). --filter brings the earlier case along.
  serial_input  (regex, bytes) pairs: typed on the serial line, each once
             its regex matches the output (searched in order, like expect).
             The serial port is then a pair of named pipes (-serial pipe:)
             between QEMU and the runner, which still logs the output to
             WORKDIR/<name>.serial.

Keep command lines free of '"', "'" and '\\': GRUB backslash-escapes them.
"""

import os
import sys
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
    disk: str = ''
    disk_size: str = '8M'
    disk_format: str = ''       # 'ext2': mkfs.ext2 on the fresh image
    disk_check: Sequence[str] = ()  # a host command run on the image after the boot (e.g. fsck.ext2 -fn)
    after: str = ''
    serial_input: Sequence[Tuple[str, bytes]] = ()
    # A system whose servers never end (the default pager, held by the
    # kernel): once this matches the serial output, QEMU is stopped and the
    # run counts as ended with `result`.
    end_when: str = ''


# The block-device cases: the name server (which also hands the I/O master
# port to the virtio-blk driver), a driver, the client of test/user/blk_client.cpp.
BLK_EXPECT = (r'blk-client: \S+ has \d+ sectors of 512 bytes',
              r'blk-client: wrote and read back sectors 1-8, \d+ and 64-319',
              r'blk-client: bad requests refused \(D_INVALID_SIZE, D_INVALID_RECNUM\)',
              r'blk-client: malformed requests refused \(MIG_BAD_ID, MIG_BAD_ARGUMENTS\)',
              r'blk-client: flushed')
BLK_FORBID = (r'FAILED', r'panic', r'terminated', r'polling')

# Lines every healthy boot prints before a self-test starts.
BRING_UP = (r'machina microkernel', r'memory map \(\d+ regions\)', r'symbols: \d+ kernel symbols',
            r'memory: \d+ MiB usable')

CASES = [
    # Banner, memory map summary, and the clock ticking (local APIC timer).
    Case(name='boot',
         cmdline='selftest=boot',
         expect=BRING_UP + (r'timer: local APIC', r'timer: tick \d+ \(local APIC, 100 Hz\)',
                            r'timer: tick', r'selftest boot: passed'),
         forbid=(r'panic', r'FAILED')),
    # The PIT fallback path, forced from the command line.
    Case(name='boot-pit',
         cmdline='selftest=boot timer=pit',
         expect=BRING_UP + (r'timer: PIT channel 0', r'timer: tick \d+ \(PIT, 100 Hz\)',
                            r'selftest boot: passed'),
         forbid=(r'panic', r'FAILED')),
    # A CPU without an APIC, NX or PGE still boots on the PIT.
    Case(name='boot-old-cpu',
         cmdline='selftest=boot',
         cpu='qemu64,-apic,-nx,-pge',
         expect=BRING_UP + (r'timer: PIT channel 0', r'selftest boot: passed'),
         forbid=(r'panic', r'FAILED')),
    # A deliberate kernel page fault: the dump names the exception, the
    # faulting address and the functions on the way there.
    Case(name='exception-pagefault',
         cmdline='selftest=pagefault',
         expect=(r'CPU exception in kernel: #PF Page fault \(vector 14',
                 r'faulting address: 0x00000000dead0000 \(write, page not present, kernel mode\)',
                 r'rip [0-9a-f]{16} <mk::\(anonymous namespace\)::provoke_page_fault\+0x',
                 r'rax [0-9a-f]{16}', r'cr2 00000000dead0000',
                 r'backtrace:',
                 r'#0 0x[0-9a-f]{16} mk::\(anonymous namespace\)::provoke_page_fault\+0x',
                 r'#\d 0x[0-9a-f]{16} mk::run_selftest\+0x',
                 r'#\d 0x[0-9a-f]{16} mk::kernel_run\+0x',
                 r'#\d 0x[0-9a-f]{16} kernel_main\+0x',
                 r'panic: unhandled #PF Page fault in kernel mode'),
         result='panic'),
    Case(name='exception-divide',
         cmdline='selftest=divide',
         expect=(r'CPU exception in kernel: #DE Divide error \(vector 0',
                 r'rip [0-9a-f]{16} <mk::\(anonymous namespace\)::provoke_divide_error\+0x',
                 r'backtrace:',
                 r'#0 0x[0-9a-f]{16} mk::\(anonymous namespace\)::provoke_divide_error\+0x',
                 r'#\d 0x[0-9a-f]{16} mk::run_selftest\+0x',
                 r'#\d 0x[0-9a-f]{16} kernel_main\+0x',
                 r'panic: unhandled #DE Divide error in kernel mode'),
         result='panic'),
    # panic() itself: message, then a symbolized backtrace.
    Case(name='panic-backtrace',
         cmdline='selftest=panic',
         expect=(r'panic: selftest: deliberate panic with value 42',
                 r'backtrace:',
                 r'#\d 0x[0-9a-f]{16} mk::panic\+0x',
                 r'#\d 0x[0-9a-f]{16} mk::\(anonymous namespace\)::provoke_panic\+0x',
                 r'#\d 0x[0-9a-f]{16} mk::run_selftest\+0x'),
         result='panic'),
    # Every free page through the page pool, a zone and the heap, and back.
    Case(name='memory-exhaust',
         cmdline='selftest=memory',
         expect=(r'memory: (\d+) pages free at start', r'grabbed \d+ pages until exhaustion',
                 r'zone held \d+ objects', r'kalloc served \d+ requests',
                 r'memory: \d+ pages free at end', r'selftest memory: passed'),
         forbid=(r'FAILED', r'panic')),
    # The same with more RAM than the 1 GiB boot window.
    Case(name='memory-exhaust-2g',
         cmdline='selftest=memory',
         memory='2G',
         timeout=60,
         expect=(r'memory: \d+ MiB usable', r'selftest memory: passed'),
         forbid=(r'FAILED', r'panic')),
    # An unknown self-test name is reported, not ignored.
    Case(name='selftest-unknown',
         cmdline='selftest=nonesuch',
         expect=(r'selftest: unknown test "nonesuch"',),
         result='fail'),
    # Modules are listed with their command lines.
    Case(name='boot-modules',
         cmdline='selftest=boot',
         modules=(('microkernel/kernel.elf', 'first --flag'), ('microkernel/kernel.elf', 'second')),
         expect=(r'2 module\(s\)', r'module 0: 0x[0-9a-f]+-0x[0-9a-f]+ "first --flag"',
                 r'module 1: .* "second"', r'selftest boot: passed'),
         forbid=(r'panic',)),

    # --- user mode (test/user programs as boot modules) ---------------------
    # argv from the module command line, the bootstrap's environment.
    Case(name='user-hello',
         cmdline='halt_when_idle',
         modules=(('test/user/hello.elf', 'hello.elf x y'), ('test/user/hello.elf', 'hello.elf second')),
         expect=(r'boot: task 1 \(hello.elf\) started from module 0', r'hello from user mode: argc=3',
                 r'hello: argv\[2\]=y', r'hello: envp\[0\]=KERNEL_CMDLINE=halt_when_idle',
                 r'hello: envp\[1\]=BOOT_MODULES=2', r'hello: envp\[2\]=BOOT_MODULE_1=hello.elf second',
                 r'task \d+ \(hello.elf\) exited with status 0', r'kernel: all tasks have ended'),
         forbid=(r'panic', r'terminated')),
    # Two tasks that never yield still alternate: the clock preempts them.
    Case(name='user-preemption',
         cmdline='halt_when_idle',
         modules=(('test/user/spinner.elf', 'spinner.elf A 12'), ('test/user/spinner.elf', 'spinner.elf B 12')),
         expect=(r'^A \d+$', r'^B \d+$', r'^A \d+$', r'^B \d+$', r'^A \d+$',
                 r'kernel: all tasks have ended'),
         forbid=(r'panic', r'terminated'),
         timeout=60),
    # A bad pointer passed to a trap is an error code; a bad dereference ends
    # only that task, with a line naming it, the address and rip.
    Case(name='user-bad-pointers',
         cmdline='halt_when_idle',
         modules=(('test/user/badptr.elf', 'badptr.elf trap'), ('test/user/badptr.elf', 'badptr.elf deref'),
                  ('test/user/hello.elf', 'hello.elf after')),
         expect=(r'badptr: trap checks passed', r'task 1 \(badptr.elf\) exited with status 0',
                 r'badptr: about to dereference 0xdeadbeef',
                 r'task 2 \(badptr.elf\) terminated: #PF Page fault, write at 0x00000000deadbeef '
                 r'\(not mapped\), rip 0x0000000000[0-9a-f]{6}',
                 r'kernel: all tasks have ended'),
         forbid=(r'panic', r'survived', r'FAILED')),
    # A module without ELF magic is data (not started, kept for
    # io_module_map); a malformed ELF module is refused with a reason; the
    # good one still runs.
    Case(name='boot-bad-elf',
         cmdline='halt_when_idle',
         modules=(('meson-info/meson-info.json', 'notelf.json'), ('microkernel/kernel.elf', 'kernel-as-module'),
                  ('test/user/hello.elf', 'hello.elf')),
         expect=(r'boot: module 0 \(notelf.json\): data, \d+ bytes',
                 r'boot: module 1 \(kernel-as-module\) refused: elf: ',
                 r'hello from user mode: argc=1', r'kernel: all tasks have ended'),
         forbid=(r'panic',)),
    # The trampoline: Linux system calls redirected to the task's own entry,
    # which answers them and returns without entering the kernel again;
    # callee-saved registers, argument registers and the red zone survive.
    Case(name='user-trampoline',
         cmdline='halt_when_idle',
         modules=(('test/user/trampoline.elf', 'trampoline.elf'),),
         expect=(r'trampoline: emulation set ok', r'trampoline: hello via write', r'trampoline: write ok',
                 r'trampoline: getpid ok', r'trampoline: unknown syscall ok', r'trampoline: registers ok',
                 r'trampoline: registers with DF=1 ok', r'trampoline: emulation off ok',
                 r'trampoline: all checks passed', r'task 1 \(trampoline.elf\) exited with status 0'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # FPU/SSE state (and MXCSR rounding modes) survive preemption between two
    # tasks computing at once.
    Case(name='user-fpu',
         cmdline='halt_when_idle',
         modules=(('test/user/fpu.elf', 'fpu.elf A'), ('test/user/fpu.elf', 'fpu.elf B')),
         expect=(r'fpu [AB]: ok', r'fpu [AB]: ok', r'kernel: all tasks have ended'),
         forbid=(r'MISMATCH', r'panic', r'terminated'),
         timeout=90),
    # libmach's malloc in a real task.
    Case(name='user-heap',
         cmdline='halt_when_idle',
         modules=(('test/user/heap.elf', 'heap.elf'),),
         expect=(r'heap: all checks passed', r'task 1 \(heap.elf\) exited with status 0'),
         forbid=(r'panic', r'terminated')),
    # A Linux system call from a task without an emulation entry ends that
    # task with a clear line; others go on.
    Case(name='user-no-emulation',
         cmdline='halt_when_idle',
         modules=(('test/user/nosys.elf', 'nosys.elf'), ('test/user/hello.elf', 'hello.elf')),
         expect=(r'nosys: issuing Linux exit_group',
                 r'task \d+ \(nosys.elf\) terminated: system call 231 with no emulation entry, rip 0x',
                 r'kernel: all tasks have ended'),
         forbid=(r'nosys: survived', r'panic')),
    # libmach's malloc catches a double free and ends the task itself.
    Case(name='user-heap-double-free',
         cmdline='halt_when_idle',
         modules=(('test/user/heap.elf', 'heap.elf doublefree'),),
         expect=(r'libmach: free\(0x[0-9a-f]+\): double free',
                 r'task 1 \(heap.elf\) exited with status 134'),
         forbid=(r'panic',)),
    # Handoff runs the target thread at once; sleep honours its deadline.
    Case(name='scheduler-handoff-sleep',
         cmdline='selftest=scheduler',
         expect=(r'sched: handoff switched, order ABC', r'sched: sleeper slept from tick \d+ to \d+',
                 r'selftest scheduler: passed'),
         forbid=(r'FAILED', r'panic')),
    # IPC: an RPC client/server pair, with the send right passed through a
    # third task (relay) on the way; reply-and-receive on the server side.
    Case(name='ipc-rpc',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 4'),
                  ('test/user/ipc.elf', 'ipc.elf echo-server echo 200'),
                  ('test/user/ipc.elf', 'ipc.elf relay echo echo-relayed'),
                  ('test/user/ipc.elf', 'ipc.elf echo-client echo-relayed 200')),
         expect=(r'relay: passed echo on as echo-relayed',
                 r'echo-client: 200 round trips through echo-relayed ok', r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # A receive right moved into another task and used there.
    Case(name='ipc-move-receive',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/ipc.elf', 'ipc.elf catcher'),
                  ('test/user/ipc.elf', 'ipc.elf mover')),
         expect=(r'catcher: received on the moved receive right', r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # A server that dies leaves its clients dead names and dead-name
    # notifications.
    Case(name='ipc-dead-name',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/ipc.elf', 'ipc.elf dying-server'),
                  ('test/user/ipc.elf', 'ipc.elf dn-client')),
         expect=(r'dn-client: dead-name notification for name 0x[0-9a-f]+', r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # The last client leaving sends no-senders to the server.
    Case(name='ipc-no-senders',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/ipc.elf', 'ipc.elf nosenders-server'),
                  ('test/user/ipc.elf', 'ipc.elf nosenders-client')),
         expect=(r'nosenders-server: no more senders \(mscount 1\)', r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # One thread serves three ports through a port set.
    Case(name='ipc-port-set',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 6'),
                  ('test/user/ipc.elf', 'ipc.elf pset-server 20'),
                  ('test/user/ipc.elf', 'ipc.elf pset-client 20')),
         expect=(r'pset-server: 20 messages from each of 3 ports through one set', r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # A battery of malformed messages and bad port calls: each gets its
    # error code, the kernel goes on, and the port and message counts are
    # back where they started.
    Case(name='ipc-malformed',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf malformed'),),
         expect=(r'malformed: unknown header bits -> 0x10000010 ok',
                 r'malformed: all \d+ checks passed, counts back at baseline', r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # Exceptions become messages to the task's exception port: a system call
    # without emulation is resumed by the handler, a page fault refused (the
    # task then ends as before).
    Case(name='ipc-exceptions',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/ipc.elf', 'ipc.elf exc-handler'),
                  ('test/user/ipc.elf', 'ipc.elf exc-victim')),
         expect=(r'exc-handler: EXC_SYSCALL for system call 39, resuming',
                 r'exc-victim: system call resumed by the handler with -38',
                 r'exc-handler: EXC_BAD_ACCESS at 0, refusing',
                 r'task 3 \(ipc.elf\) terminated: #PF Page fault, write at 0x0000000000000000',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic')),
    # The kernel interface by message (MIG stubs from mach_port.defs,
    # task.defs, thread.defs): every routine called on the task's and
    # thread's kernel ports agrees with the trap versions; malformed
    # requests get MIG_BAD_ID / MIG_BAD_ARGUMENTS; nothing leaks; the task
    # then ends itself with task_terminate by message.
    Case(name='rpc-kernel-calls',
         cmdline='halt_when_idle',
         modules=(('test/user/rpc.elf', 'rpc.elf calls'),),
         expect=(r'rpc: mach_port calls by message agree with the traps',
                 r'rpc: task and thread calls by message agree with the traps',
                 r'rpc: host_info: 1 cpu, \d+ MiB; version "machina',
                 r'rpc: vm_deallocate by message freed a received out-of-line region',
                 r'rpc: malformed requests refused with MIG_BAD_ID / MIG_BAD_ARGUMENTS',
                 r'rpc: all \d+ calls by message passed, counts back at baseline',
                 r'task 1 \(rpc.elf\) terminated by task_terminate',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic')),
    # task_suspend / task_resume (test/user/suspend.cpp): a spinning child
    # stops and goes on, two suspends need two resumes, a suspended task is
    # terminated; a child suspended in mach_msg receive gets the message sent
    # meanwhile once resumed, one in clock_sleep holds still.
    Case(name='rpc-task-suspend',
         cmdline='halt_when_idle',
         modules=(('test/user/suspend.elf', 'suspend.elf'),),
         expect=(r'suspend: PASS: a suspended spinner.s counter stays at \d+ across clock_sleep\(50\)',
                 r'suspend: PASS: resumed, the counter moves again',
                 r'suspend: PASS: suspended twice and resumed once, it is still stopped',
                 r'task 2 \(suspend.elf\) terminated by task_terminate',
                 r'suspend: PASS: terminated while suspended, its port is a dead name',
                 r'suspend: PASS: a receiver suspended in mach_msg got the message sent meanwhile once resumed',
                 r'suspend: PASS: a thread suspended in clock_sleep holds still and goes on once resumed',
                 r'task 3 \(suspend.elf\) terminated by task_terminate',
                 r'suspend: PASS: all checks passed',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic')),
    # task_info and task_terminate by message on another task's port.
    Case(name='rpc-task-terminate',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/rpc.elf', 'rpc.elf victim'),
                  ('test/user/rpc.elf', 'rpc.elf killer')),
         expect=(r'victim: waiting',
                 r'killer: victim is task 2 with 1 thread\(s\)',
                 r'task 2 \(rpc.elf\) terminated by task_terminate',
                 r'killer: victim ended by task_terminate message; its port is a dead name',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic')),
    # The worked example of docs/idl-example.md: a key/value service defined
    # in test/user/example/kvstore.defs, its server and client built from
    # the stubs mig generates, finding each other through the name server.
    Case(name='idl-example',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/example/kv_server.elf', 'kv_server.elf'),
                  ('test/user/example/kv_client.elf', 'kv_client.elf')),
         expect=(r'kv-server: serving kvstore',
                 r'kv-client: get beta = 41, get gamma -> KERN_INVALID_NAME',
                 r'kv-client: sum 1..10 = 55 over 2 keys',
                 r'kv-client: a send right stored and fetched back under name 0x[0-9a-f]+',
                 r'kv-server: shut down after 9 requests',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # One-way sends to a waiting receiver, plain and carrying a port right
    # (the benchmark's roles, run briefly).
    Case(name='ipc-oneway-sends',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/ipc.elf', 'ipc.elf sink 80'),
                  ('test/user/ipc.elf', 'ipc.elf bench-send 40')),
         expect=(r'BENCH name=send_oneway system=this instructions=\d+ iterations=30',
                 r'BENCH name=send_port_right system=this instructions=\d+ iterations=30',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),

    # --- virtual memory (test/user/vm.cpp) -----------------------------------
    # Fork by inheritance: task_create(inherit) + thread_create_running start
    # a child of the same image on a stack of its own copy; writes to
    # VM_INHERIT_COPY memory stay private both ways, VM_INHERIT_SHARE memory
    # is one memory, VM_INHERIT_NONE a hole in the child.
    Case(name='vm-inherit',
         cmdline='halt_when_idle',
         modules=(('test/user/vm.elf', 'vm.elf inherit'),),
         expect=(r'inherit: PASS: the child.s writes to VM_INHERIT_COPY memory \(pages and .data\) are not seen',
                 r'inherit: PASS: the child.s writes to VM_INHERIT_SHARE memory are seen by the parent',
                 r'inherit-child: PASS: the parent.s later writes reach shared memory only',
                 r'inherit: PASS: the child saw the parent.s shared writes and not its copied ones, and ended',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # 1 MiB out of line between two tasks: intact, and later writes on either
    # side stay private; physical copy, deallocate-on-send, a small region.
    Case(name='vm-ool-1mib',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/vm.elf', 'vm.elf ool-recv'),
                  ('test/user/vm.elf', 'vm.elf ool-send')),
         expect=(r'ool-recv: PASS: 1 MiB out of line arrived intact',
                 r'ool-send: PASS: the receiver.s writes to its copy are not seen by the sender',
                 r'ool-recv: PASS: the sender.s later writes are not seen in the received copy',
                 r'ool-recv: PASS: 1 MiB physical copy arrived intact',
                 r'ool-recv: PASS: a region sent with deallocate arrived intact',
                 r'ool-recv: PASS: a 300-byte region arrived intact',
                 r'ool-send: PASS: virtual, physical, deallocating and small out-of-line sends done',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # vm_protect(read-only), then a write: EXC_BAD_ACCESS with
    # KERN_PROTECTION_FAILURE and the address reaches the handler, which
    # restores write access on the victim's task port and resumes it.
    Case(name='vm-protect-exception',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/vm.elf', 'vm.elf prot-handler'),
                  ('test/user/vm.elf', 'vm.elf prot-victim')),
         expect=(r'prot-handler: PASS: EXC_BAD_ACCESS, KERN_PROTECTION_FAILURE at 0x[0-9a-f]+ \(the address written\)',
                 r'prot-victim: PASS: the write to read-only memory faulted and went through',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # 1,000 create/fork/destroy cycles: the free page count comes back to
    # its baseline (taken after a warm-up).
    Case(name='vm-fork-loop',
         cmdline='halt_when_idle',
         modules=(('test/user/vm.elf', 'vm.elf fork-loop 1000'),),
         expect=(r'fork-loop: 1000 cycles .*free pages (\d+) before, \1 after',
                 r'fork-loop: PASS: free page count back at its baseline after 1000 cycles',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated'),
         timeout=300),
    # Every vm.defs call with bad arguments (each its code) and good ones;
    # task_create and thread_create_running refusals.
    Case(name='vm-calls',
         cmdline='halt_when_idle',
         modules=(('test/user/vm.elf', 'vm.elf calls'),),
         expect=(r'calls: PASS: vm_allocate / vm_deallocate',
                 r'calls: PASS: vm_protect / vm_inherit',
                 r'calls: PASS: vm_read / vm_write / vm_copy',
                 r'calls: PASS: vm_region / vm_wire / vm_statistics',
                 r'calls: PASS: bad task ports refused; task_create',
                 r'calls: PASS: all \d+ vm calls gave the expected results',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic')),
    # The out-of-line benchmark's roles, run briefly.
    Case(name='vm-ool-bench',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('test/user/vm.elf', 'vm.elf bench-ool-sink'),
                  ('test/user/vm.elf', 'vm.elf bench-ool 8 sweep')),
         expect=(r'BENCH name=msg_ool_1mib system=this instructions=\d+ iterations=6',
                 r'BENCH name=msg_ool_physical_1mib system=this instructions=\d+ iterations=6',
                 r'BENCH name=msg_inline_1mib system=this instructions=\d+ iterations=6',
                 r'BENCH name=ool_sweep_physical_64k system=this instructions=\d+ iterations=6',
                 r'bench-ool-sink: received \d+ messages',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated'),
         timeout=120),
    # Block devices (docs/drivers.md): the RAM disk's block.defs battery
    # (write, read back, bad requests, flush) in one boot.
    Case(name='blk-ramdisk',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                  ('drivers/ramdisk/ramdisk.elf', 'ramdisk.elf 2048'),
                  ('test/user/blk_client.elf', 'blk_client.elf ramdisk all')),
         expect=(r'ramdisk: 2048 sectors of 512 bytes',) + BLK_EXPECT
                + (r'blk-client: the pattern is on the device', r'blk-client: done',
                   r'ramdisk: no clients left after \d+ requests', r'kernel: all tasks have ended'),
         forbid=BLK_FORBID),
    # Two clients of the RAM disk at once.
    Case(name='blk-ramdisk-clients',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 4'),
                  ('drivers/ramdisk/ramdisk.elf', 'ramdisk.elf 1024 2'),
                  ('test/user/blk_client.elf', 'blk_client.elf ramdisk stress 0 20'),
                  ('test/user/blk_client.elf', 'blk_client.elf ramdisk stress 1 20')),
         expect=(r'ramdisk: no clients left after 82 requests', r'kernel: all tasks have ended'),
         forbid=BLK_FORBID),
    # The supervisor (docs/drivers.md): the name server keeps "ramdisk",
    # the client kills the driver on purpose (a null dereference on a test
    # request), sees the dead name, and the restarted module serves its next
    # request.
    Case(name='blk-ramdisk-restart',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 4 supervise=ramdisk:1'),
                  ('drivers/ramdisk/ramdisk.elf', 'ramdisk.elf 1024 1 crashable'),
                  ('test/user/blk_client.elf', 'blk_client.elf ramdisk restart')),
         expect=(r'ns: "ramdisk" registered, supervised \(module 1\)',
                 r'ramdisk: crashing on purpose after \d+ requests',
                 # the client's line and the supervisor's come in either order
                 r'(?s)task \d+ \(ramdisk\.elf\) terminated: #PF'
                 r'(?=.*blk-client: ramdisk died; a request to it: MACH_SEND_INVALID_DEST)',
                 r'ns: ramdisk died, restarting module 1',
                 r'boot: task \d+ \(ramdisk\.elf\) started from module 1',
                 r'ns: module 1 started again',
                 r'ns: "ramdisk" registered, supervised \(module 1\)',
                 r'supervise: PASS: ramdisk restarted, the next request after reconnecting succeeded',
                 r'ramdisk: no clients left after \d+ requests', r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'polling', r'terminated: (?!#PF)')),
    # Device mechanisms (io.defs, docs/drivers.md). io.elf holder N is
    # module 0: the only task the kernel gives the I/O master port; it hands
    # copies to N lookups of "io-master".
    Case(name='io-ports',
         cmdline='halt_when_idle',
         modules=(('test/user/io.elf', 'io.elf holder 1'),
                  ('test/user/io.elf', 'io.elf ports')),
         expect=(r'holder: the kernel gave module 0 the I/O master port as name 0x[0-9a-f]+',
                 r'ports: granted 0x70-0x71 and 0x80; CMOS register A 0x[0-9a-f]+, D 0x[89a-f][0-9a-f]',
                 r'ports: PASS: in/out on granted ports',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # Without the capability: error codes, and inb without a grant is #GP.
    Case(name='io-refused',
         cmdline='halt_when_idle',
         modules=(('test/user/io.elf', 'io.elf holder 0'),
                  ('test/user/io.elf', 'io.elf refused')),
         expect=(r'refused: without the capability \(KERN_INVALID_CAPABILITY is 0x14\): grant 0x14, attach 0x14, ack 0x14, detach 0x14, map 0x14, dma 0x14',
                 r'refused: PASS: io calls without the capability refused',
                 r'task \d+ \(io.elf\) terminated: #GP General protection fault',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic')),
    # The RTC's periodic interrupt (line 8) as messages, acked between.
    Case(name='io-irq',
         cmdline='halt_when_idle',
         modules=(('test/user/io.elf', 'io.elf holder 1'),
                  ('test/user/io.elf', 'io.elf irq 8')),
         expect=(r'irq: 8 RTC interrupts on line 8 arrived as messages',
                 r'irq: interrupts while a notification was queued were counted, not sent',
                 r'irq: PASS: attach, ack, detach, refusals, dead port taken over',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # Device memory mapped (VGA text buffer), RAM refused; DMA buffers.
    Case(name='io-mem',
         cmdline='halt_when_idle',
         modules=(('test/user/io.elf', 'io.elf holder 1'),
                  ('test/user/io.elf', 'io.elf mem')),
         expect=(r'mem: PASS: VGA text memory mapped and read back; RAM and kernel registers refused',
                 r'mem: PASS: DMA buffers contiguous, zeroed, distinct, pages back after deallocation',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # virtio-blk over a fresh disk image: the same battery through the PCI
    # driver, interrupts and DMA...
    Case(name='blk-virtio-write',
         cmdline='halt_when_idle',
         disk='blk-virtio.img', disk_size='8M',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 3'),
                  ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk write')),
         expect=(r'virtio-blk: device at 00:[0-9a-f]{2}\.0, I/O ports 0x[0-9a-f]+\+0x[0-9a-f]+, IRQ \d+',
                 r'virtio-blk: 16384 sectors, queue of \d+, \d+ slots',) + BLK_EXPECT
                + (r'blk-client: done', r'virtio-blk: no clients left; \d+ requests completed, [1-9]\d* interrupts',
                   r'kernel: all tasks have ended'),
         forbid=BLK_FORBID),
    # Three clients at once: requests wait in the driver's queue and run
    # side by side in the device.
    Case(name='blk-virtio-clients',
         cmdline='halt_when_idle',
         disk='blk-clients.img', disk_size='1M',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 7'),
                  ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf 3'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk stress 0 30'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk stress 1 30'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk stress 2 30')),
         expect=(r'virtio-blk: 2048 sectors',
                 r'virtio-blk: no clients left; 180 requests completed, \d+ interrupts, at most [2-8] in flight, \d+ waiting',
                 r'kernel: all tasks have ended'),
         forbid=BLK_FORBID + (r'blk-client: FAILED',)),
    # Four clients, one slot: requests wait in the queue for the device.
    Case(name='blk-virtio-queued',
         cmdline='halt_when_idle',
         disk='blk-queued.img', disk_size='1M',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 9'),
                  ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf 4 1'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk stress 0 15'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk stress 1 15'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk stress 2 15'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk stress 3 15')),
         expect=(r'virtio-blk: 2048 sectors, queue of \d+, 1 slots',
                 r'virtio-blk: no clients left; 120 requests completed, \d+ interrupts, at most 1 in flight, [1-3] waiting',
                 r'kernel: all tasks have ended'),
         forbid=BLK_FORBID),
    # A device that fails some requests (QEMU's blkdebug under a raw
    # format layer, whose reads and writes fire its events, over a null disk):
    # the virtio status becomes D_IO_ERROR for those requests only.
    Case(name='blk-virtio-ioerror',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 3'),
                  ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk ioerror')),
         qemu_args=('-blockdev',
                    '{"driver":"raw","node-name":"bad0","file":{"driver":"blkdebug","inject-error":['
                    '{"event":"read_aio","errno":5,"sector":100},'
                    '{"event":"write_aio","errno":5,"sector":200}],'
                    '"image":{"driver":"null-co","size":1048576,"read-zeroes":true}}}',
                    '-device', 'virtio-blk-pci,drive=bad0,disable-modern=on,werror=report,rerror=report'),
         expect=(r'virtio-blk: 2048 sectors',
                 r'virtio-blk: request at sector 100: device status 1',
                 r'blk-client: device errors reported as D_IO_ERROR, other sectors still served',
                 r'blk-client: done', r'virtio-blk: no clients left', r'kernel: all tasks have ended'),
         forbid=BLK_FORBID),
    # A client that leaves with its read in flight: the driver drops the
    # answer and serves the next client.
    Case(name='blk-virtio-abandon',
         cmdline='halt_when_idle',
         disk='blk-abandon.img', disk_size='1M',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 5'),
                  ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf 2'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk abandon'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk stress 0 5')),
         expect=(r'virtio-blk: the reader of sector 0 is gone \(0x[0-9a-f]+\): answer dropped',
                 r'blk-client 0: 5 rounds of 16 sectors written and read back',
                 r'virtio-blk: no clients left; 11 requests completed',
                 r'kernel: all tasks have ended'),
         forbid=BLK_FORBID),
    # ...and a second boot of the same image finds the data there.
    Case(name='blk-virtio-reboot',
         cmdline='halt_when_idle',
         disk='blk-virtio.img', after='blk-virtio-write',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 3'),
                  ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf'),
                  ('test/user/blk_client.elf', 'blk_client.elf blk verify')),
         expect=(r'blk-client: blk has 16384 sectors of 512 bytes',
                 r'blk-client: the pattern is on the device', r'blk-client: done',
                 r'virtio-blk: no clients left', r'kernel: all tasks have ended'),
         forbid=BLK_FORBID),
    # The serial console driver (drivers/console, docs/drivers.md): a client
    # writes through it (inline, out of line, more than its buffer), then two
    # lines typed on the serial input come back through it; 1,500 bytes typed
    # while the client does not read overrun the 1 KiB input buffer.
    Case(name='console-echo',
         cmdline='halt_when_idle',
         modules=(('test/user/ipc.elf', 'ipc.elf ns 3'),
                  ('drivers/console/console.elf', 'console.elf'),
                  ('test/user/console_client.elf', 'console_client.elf 2 1500')),
         serial_input=((r'console-client: ready for input', b'hello machina\rsecond line\r'),
                       (r'console-client: not reading now', b'0123456789' * 150)),
         expect=(r'console: 16550 at 0x3f8, irq 4, serving chardev as "console"',
                 r'console-client: hello through the console driver',
                 r'console-client: out-of-line write through the driver',
                 r'console-fill 59 h{83}\n',
                 r'console-client: ready for input',
                 r'console: got hello machina\n',
                 r'console-client: line 1, 13 bytes, written back',
                 r'console: got second line\n',
                 r'console-client: line 2, 11 bytes, written back',
                 r'console-client: status: 26 bytes in, \d+ out, [1-9]\d* interrupts, 0 waiting',
                 r'console-client: 1500 bytes typed while not reading: 1024 kept \(the oldest\), 476 dropped',
                 r'console: no more clients; 1050 bytes in',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic', r'terminated')),
    # --- robustness (issue 12; docs/robustness.md) ----------------------------
    # The kernel fuzzer (test/user/fuzz*.cpp): 20,000 iterations with a fixed
    # seed (about 5 s under TCG); every epoch back at the baseline (level 1),
    # every kernel counter back after the fuzz task ended (level 2), no
    # panic. A failure names the seed and epoch: replay with --from, shrink
    # with scripts/fuzz-shrink.
    Case(name='fuzz',
         cmdline='halt_when_idle',
         modules=(('test/user/fuzz.elf', 'fuzz.elf --seed 0x5eed --iters 20000'),),
         expect=(r'fuzz: seed 0x5eed, iterations 0\.\.19999, epoch 32',
                 r'fuzz: seed 0x5eed: 20000 iterations in \d+ ms',
                 r'fuzz: level 1: 0 epochs off the baseline',
                 r'fuzz: PASS: seed 0x5eed, 20000 iterations',
                 r'kernel: all tasks have ended'),
         forbid=(r'panic', r'FAILED', r'fuzz: LEAK'),
         timeout=120),
    # One check per kernel bug the fuzzer found (test/user/fuzz_regress.cpp).
    Case(name='fuzz-regress',
         cmdline='halt_when_idle',
         modules=(('test/user/fuzz_regress.elf', 'fuzz_regress.elf'),),
         expect=(r'fuzz-regress: PASS: reply-to-kernel-port',
                 r'fuzz-regress: PASS: terminate-in-exception',
                 r'fuzz-regress: PASS: terminate-blocked-sender',
                 r'fuzz-regress: 3 checks passed',
                 r'kernel: all tasks have ended'),
         forbid=(r'FAILED', r'panic')),
]

# The pagers' cases (issue 9) and the Unix personality's (issue 10) are in
# their own files.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases_pager import pager_cases  # noqa: E402
from cases_unix import unix_cases  # noqa: E402

CASES += pager_cases(Case)
CASES += unix_cases(Case)
