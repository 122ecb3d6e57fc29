// The kernel command line (QEMU -append, tools/run --append): space-separated words "key=value" or "flag".
//   loglevel=debug|info|warn|error   which kernel log lines are printed (default info)
//   console=mux                      tag console output by channel for tools/run (kernel/console.h)
//   init=PATH                        the first program (default /sbin/init)
//   test=NAME                        run a kernel self-test instead of init (kernel/selftest.cpp)
//   mount=DEV:PATH[:ro][,...]        mount the ext2 volume on /dev/DEV at PATH at boot (tools/run --disk adds
//                                    mount=vda:/mnt for an ext2 image)
//   swap=vdX[,vdY...]                swap on these disks at boot (tools/run --swap adds it; kernel/swap.cpp)
//   replacement=clock|fifo|lru2      the page-replacement policy (default clock; mm/replacement.h)
//   sysctl.vm.page-cluster=N         swap read-ahead: 2^N slots per read, 0 turns it off (default 3, at most 5);
//                                    Linux's form for a sysctl set at boot, shown in /proc/sys/vm/page-cluster
//   smp_entry=boot                   start the other harts at the boot entry with the device tree as argument,
//                                    as OpenSBI 1.1's start race can (arch/riscv/boot.S); for the tests
//   --                               everything after it is passed to init as its arguments
#pragma once

#include "lib/types.h"

void cmdline_init(const char* bootargs);
// The value of key=value, or nullptr. For a bare flag, returns "".
const char* cmdline_get(const char* key);
// Arguments after "--" (up to max), returns the count.
usize cmdline_init_args(const char** out, usize max);
