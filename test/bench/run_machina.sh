#!/usr/bin/env bash
# This system's half of scripts/bench: boots the kernel with the benchmark
# tasks under $BENCH_QEMU_FLAGS (-icount shift=0, the same flags as the
# Linux half) and prints the serial console, whose BENCH lines
# scripts/bench collects. Usage: run_machina.sh OUT_DIR
# (MACHINA_BUILD=DIR boots the kernel and programs of another build tree.)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: run_machina.sh OUT_DIR}
build=${MACHINA_BUILD:-$root/build}
mkdir -p "$out"
iters=2000
vm_iters=200

# Null RPC round trip between two tasks: mach_msg send+receive on both sides.
"$root/scripts/mkiso" "$out/rpc.iso" "$build/microkernel/kernel.elf" "halt_when_idle" \
  "$build/test/user/ipc.elf" "ipc.elf ns 2" \
  "$build/test/user/ipc.elf" "ipc.elf echo-server echo $iters" \
  "$build/test/user/ipc.elf" "ipc.elf echo-client echo $iters bench" >&2
# The same between two threads of one task.
"$root/scripts/mkiso" "$out/threads.iso" "$build/microkernel/kernel.elf" "halt_when_idle" \
  "$build/test/user/vm.elf" "vm.elf bench-rpc-threads $iters" >&2
# One-way send to a waiting receiver, plain and carrying a port right.
"$root/scripts/mkiso" "$out/send.iso" "$build/microkernel/kernel.elf" "halt_when_idle" \
  "$build/test/user/ipc.elf" "ipc.elf ns 2" \
  "$build/test/user/ipc.elf" "ipc.elf sink $((2 * iters))" \
  "$build/test/user/ipc.elf" "ipc.elf bench-send $iters" >&2
# 1 MiB delivered out of line (virtual and physical copy) and as 16 inline
# messages, then regions of 1-16 pages virtual and physical; the receiver
# deallocates every region (vm.elf, test/user/vm_bench.cpp).
"$root/scripts/mkiso" "$out/vm.iso" "$build/microkernel/kernel.elf" "halt_when_idle" \
  "$build/test/user/ipc.elf" "ipc.elf ns 2" \
  "$build/test/user/vm.elf" "vm.elf bench-ool-sink" \
  "$build/test/user/vm.elf" "vm.elf bench-ool $vm_iters sweep" >&2

# First touches of a memory object's pages, each served by a user-level
# pager (test/user/pager.cpp: data_request, data_supply, the wakeup).
"$root/scripts/mkiso" "$out/pager.iso" "$build/microkernel/kernel.elf" "halt_when_idle" \
  "$build/test/user/ipc.elf" "ipc.elf ns 2" \
  "$build/test/user/pager.elf" "pager.elf serve" \
  "$build/test/user/pager.elf" "pager.elf bench 512" >&2

# The Unix personality, measured by the same benchmark program as Linux's
# (test/bench/linux/bench.c) as the first Unix process: a redirected
# getppid (syscall, the kernel's redirection, the emulation library, the RPC
# to the Unix server and back), pipe ping-pong between two processes, and
# fork+exec+wait of /true (1,000 of them rather than Linux's 3,000: each is
# longer here).
"$root/scripts/mkiso" "$out/unix.iso" "$build/microkernel/kernel.elf" "" \
  "$build/unix-server/unix_server.elf" "unix_server.elf /bin/bench getppid pipe fork bench_fork=1000 bench_fork_warmup=100" \
  "$build/drivers/console/console.elf" "console.elf console raw" \
  "$build/pagers/file_pager/file_pager.elf" "file_pager.elf 3" \
  "$build/test/data/unixfs.tar" "unixfs.tar" >&2

for iso in rpc threads send vm pager unix; do
  # shellcheck disable=SC2086 # BENCH_QEMU_FLAGS is a list of words
  timeout 600 qemu-system-x86_64 ${BENCH_QEMU_FLAGS:--machine pc -cpu max -m 256M -smp 1 -icount shift=0} \
    -display none -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -cdrom "$out/$iso.iso" -boot d || [[ $? -eq 1 ]]  # isa-debug-exit 0 makes QEMU exit with 1
done
