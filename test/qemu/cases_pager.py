"""QEMU cases of the external pagers (issue 9; docs/pagers.md): the file
pager, the default pager, the memory-object protocol, page-out to swap and
programs started from the file pager. cases.py adds these to CASES.
"""

# The name server (4 requests: the pager's io-master lookup and registration,
# the client's two lookups), then the file pager of module 3's archive.
FILE_PAGER_MODULES = (('test/user/ipc.elf', 'ipc.elf ns 4'),
                      ('pagers/file_pager/file_pager.elf', 'file_pager.elf 3'))

# The default pager's case: a line that must come before the client's
# summary of its bad requests.
DP_BAD_BEFORE = r'(?s)(?=(?:(?!dp-client: bad requests refused).)*'


def pager_cases(Case):
    return [
        # --- pagers (issue 9; docs/pagers.md) ------------------------------------
        # The file pager over the boot archive (a data module, io_module_map):
        # its fs.defs interface and refusals, and io_module_map's.
        Case(name='file-pager-fs',
             cmdline='halt_when_idle',
             modules=FILE_PAGER_MODULES + (('test/user/fp_client.elf', 'fp_client.elf 3 fs'),
                                           ('test/data/bootfs.tar', 'bootfs.tar')),
             expect=(r'boot: module 3 \(bootfs\.tar\): data, \d+ bytes',
                     r'file-pager: archive of \d+ bytes at 0x[0-9a-f]+: 17 entries, 5 files',
                     r'fp-client: io_module_map: module 3, \d+ bytes, read-only; programs and bad indexes refused',
                     r'fp-client: lookups, stat, readdir, readlink and read agree with the archive',
                     r'fp-client: missing paths, directories read as files and bad requests refused',
                     r'fp-client: done', r'file-pager: no clients left', r'kernel: all tasks have ended'),
             forbid=(r'FAILED', r'panic', r'terminated')),
        # The files mapped (vm_map of each file's memory object) and read back
        # byte for byte: faults served by the pager's data_supply. Needs the
        # kernel's vm_map and fault path for memory objects (vm/vm_pager.cpp).
        Case(name='file-pager-read',
             cmdline='halt_when_idle',
             modules=FILE_PAGER_MODULES + (('test/user/fp_client.elf', 'fp_client.elf 3 map'),
                                           ('test/data/bootfs.tar', 'bootfs.tar')),
             expect=(r'boot: module 3 \(bootfs\.tar\): data, \d+ bytes',
                     r'fp-client: lookups, stat, readdir, readlink and read agree with the archive',
                     r'fp-client: mapped files read back byte for byte',
                     r'fp-client: done', r'file-pager: no clients left; [1-9]\d* data requests, [1-9]\d* supplied',
                     r'kernel: all tasks have ended'),
             forbid=(r'FAILED', r'panic', r'terminated', r'file-pager: answer to')),
        # The default pager (pagers/default_pager, docs/pagers.md) on a 4 MiB
        # swap disk through virtio-blk, with dp_client playing the kernel:
        # memory_object_create, data_return / data_request, overwrites, pages
        # never returned, bad requests, 512 pages, the disk exhausted and its
        # slots reused, terminate freeing every slot and every control right.
        # ns 6: the driver's and the pager's lookups and registrations, the
        # client's lookup.
        Case(name='default-pager-protocol',
             cmdline='halt_when_idle',
             disk='dp-swap.img', disk_size='4M',
             modules=(('test/user/ipc.elf', 'ipc.elf ns 6'),
                      ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf'),
                      ('pagers/default_pager/default_pager.elf', 'default_pager.elf blk 1 standalone'),
                      ('test/user/dp_client.elf', 'dp_client.elf 1024')),
             expect=(r'default-pager: standalone, not registered with the kernel',
                     r'default-pager: 1024 slots of 4 KiB on "blk", serving as "default-pager"',
                     r'dp-client: 10 pages returned and read back',
                     r'dp-client: page 2 overwritten and read back',
                     r'dp-client: pages never returned are unavailable',
                     # Messages on the default port and on the object port
                     # may be taken in either order: each comes before the
                     # client's summary.
                     DP_BAD_BEFORE + r'default-pager: data_request refused \(beyond the object\))',
                     DP_BAD_BEFORE + r'default-pager: data_request refused \(not whole pages\))',
                     DP_BAD_BEFORE + r'default-pager: data_return refused \(not whole pages\))',
                     DP_BAD_BEFORE + r'default-pager: data_return refused \(beyond the object\))',
                     DP_BAD_BEFORE + r'default-pager: memory_object_init for object \d+ ignored)',
                     DP_BAD_BEFORE + r'default-pager: data_unlock of object \d+ at 0 ignored)',
                     DP_BAD_BEFORE + r'default-pager: malformed message id 2203 )',
                     DP_BAD_BEFORE + r'default-pager: receive: 0x10004004 \(dropped\))',
                     r'dp-client: bad requests refused, the pager still serves',
                     r'default-pager: object \d+ terminated, 10 slots freed, 0 of 1024 in use',
                     r'dp-client: 512 pages returned and read back',
                     r'default-pager: backing store full',
                     r'dp-client: backing store exhausted after 512 more pages',
                     r'default-pager: object \d+ terminated, 512 slots freed, 512 of 1024 in use',
                     r'dp-client: the slots of C reused by D \(512 pages\)',
                     r'default-pager: object \d+ terminated, 512 slots freed, 0 of 1024 in use',
                     r'dp-client: the pager holds no control rights any more',
                     r'dp-client: PASS',
                     r'default-pager: no senders and no objects left; 0 slots in use',
                     r'virtio-blk: no clients left',
                     r'kernel: all tasks have ended'),
             forbid=(r'FAILED', r'panic', r'terminated:', r'polling', r'default-pager: (reading|writing) slots'),
             timeout=90),
        # External pagers (issue 9, docs/pagers.md): a test pager serves pattern
        # pages; vm_map of its port, one data_request per first touch, the
        # client's writes come back with data_return when it unmaps, then
        # terminate; bad calls on the control port get errors.
        Case(name='pager-protocol',
             cmdline='halt_when_idle',
             modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                      ('test/user/pager.elf', 'pager.elf serve'),
                      ('test/user/pager.elf', 'pager.elf client')),
             expect=(r'pager: init, page size 4096',
                     r'client: PASS: 16 pages read through the pager, one request each',
                     r'pager: data_return offset 0x2000 dirty 1: the client.s write',
                     r'pager: data_return offset 0x5000 dirty 1: the client.s write',
                     r'pager: lock_completed for \[0, 0x10000\), 2 kernel copies returned',
                     r'client: PASS: the pager cleaned the object; the mapping reads the same',
                     r'pager: PASS: dirty pages came back by lock_request, then terminate',
                     r'kernel: all tasks have ended'),
             forbid=(r'FAILED', r'panic', r'terminated', r'WRONG')),
        # A pager that dies with a request pending: the faulting task ends with a
        # memory error, the kernel goes on.
        Case(name='pager-died',
             cmdline='halt_when_idle',
             modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                      ('test/user/pager.elf', 'pager.elf serve die'),
                      ('test/user/pager.elf', 'pager.elf victim'),
                      ('test/user/hello.elf', 'hello.elf')),
             expect=(r'pager: dying with a request pending',
                     r'vm: the pager of a memory object died',
                     r'\(pager.elf\) terminated: #PF Page fault, read at 0x[0-9a-f]+ \(memory error: its pager failed\)',
                     r'kernel: all tasks have ended'),
             forbid=(r'FAILED', r'panic', r'victim: page 0 read')),
        # data_error for one page: that fault fails, the others are served.
        Case(name='pager-error',
             cmdline='halt_when_idle',
             modules=(('test/user/ipc.elf', 'ipc.elf ns 2'),
                      ('test/user/pager.elf', 'pager.elf serve error'),
                      ('test/user/pager.elf', 'pager.elf victim')),
             expect=(r'victim: page 0 read; touching page 7',
                     r'vm: pager error 5 at offset 0x7000',
                     r'\(pager.elf\) terminated: #PF Page fault, read at 0x[0-9a-f]+ \(memory error: its pager failed\)'),
             forbid=(r'FAILED', r'panic')),
        # Page-out: 96 MiB of anonymous memory written and read back on a
        # 64 MiB machine; the default pager (on the virtio-blk swap disk)
        # carries the difference.
        Case(name='pager-swap-96mib',
             cmdline='halt_when_idle',
             memory='64M',
             disk='swap.img', disk_size='160M',
             modules=(('test/user/ipc.elf', 'ipc.elf ns 5'),
                      ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf'),
                      ('pagers/default_pager/default_pager.elf', 'default_pager.elf blk'),
                      ('test/user/pager.elf', 'pager.elf fill 96')),
             expect=(r'default-pager: registered with the kernel as the default memory manager',
                     r'fill: 96 MiB written',
                     r'fill: PASS: 96 MiB read back intact'),
             end_when=r'task \d+ \(pager.elf\) exited with status',
             forbid=(r'FAILED', r'panic', r'terminated:', r'was lost'),
             timeout=240),
        # Fault injection (issue 12): a client of the default pager is
        # killed in the middle of its paging (churn keeps 80 MiB moving on a
        # 64 MiB machine; killer ends it 1 s into its second pass); the default pager goes
        # on, and the next client's 72 MiB round trip through swap is intact.
        Case(name='default-pager-client-killed',
             cmdline='halt_when_idle',
             memory='64M',
             disk='swap-killed.img', disk_size='160M',
             modules=(('test/user/ipc.elf', 'ipc.elf ns 9'),
                      ('drivers/virtio_blk/virtio_blk.elf', 'virtio_blk.elf'),
                      ('pagers/default_pager/default_pager.elf', 'default_pager.elf blk'),
                      ('test/user/pager.elf', 'pager.elf churn 80'),
                      ('test/user/pager.elf', 'pager.elf killer 1000'),
                      ('test/user/pager.elf', 'pager.elf fill-after 72')),
             expect=(r'churn: 80 MiB written once; paging on',
                     r'task \d+ \(pager.elf\) terminated by task_terminate',
                     r'killer: churn ended in the middle of its paging \(\d+ page-outs, \d+ page-ins so far\)',
                     r'fill: 72 MiB written',
                     r'fill: PASS: 72 MiB read back intact'),
             end_when=r'fill: PASS|FAILED',
             forbid=(r'FAILED', r'panic', r'terminated:', r'was lost', r'default-pager: .*(?:refused|error)'),
             timeout=300),
        # Issue 9: a program demand paged from the file pager: exec_client
        # starts bin/hello.elf of bootfs_exec.tar with libmach::elf_exec (its
        # segments mapped copy-on-write from the file's memory object) and
        # reports the pages the pager was asked for. ns 3: the file pager's
        # io-master lookup and registration, the client's lookup.
        Case(name='exec-from-file-pager',
             cmdline='halt_when_idle',
             modules=(('test/user/ipc.elf', 'ipc.elf ns 3'),
                      ('pagers/file_pager/file_pager.elf', 'file_pager.elf 3'),
                      ('test/user/exec_client.elf', 'exec_client.elf'),
                      ('test/data/bootfs_exec.tar', 'bootfs_exec.tar')),
             expect=(r'exec-client: a file that is not ELF refused',
                     r'hello from user mode: argc=2',
                     r'hello: argv\[0\]=hello\.elf',
                     r'hello: argv\[1\]=from-file-pager',
                     r'hello: envp\[0\]=LOADED_BY=exec_client',
                     r'exec-client: hello\.elf \(\d+ bytes, \d+ pages\) ran and ended; [1-9]\d* pages paged in',
                     r'exec-client: PASS',
                     r'kernel: all tasks have ended'),
             forbid=(r'FAILED', r'panic', r'terminated:', r'file-pager: answer to')),
    ]
