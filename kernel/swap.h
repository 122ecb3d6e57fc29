// The kernel's side of swap and page-out; the machinery itself is portable, in mm/ (swap.h, swap_area.h,
// pageout.h, pageable.h, replacement.h). Here:
//   swap_init        at boot, after the disks: the replacement policy (replacement=NAME: clock, fifo, lru2),
//                    the watermarks, the page-out thread, the out-of-memory killer, the shrinkers of the
//                    kernel's caches, and swap on the disks the command line names (swap=vdb, or
//                    swap=vdb,vdc for several)
//   swapon(2)/swapoff(2)   on a block device node (/dev/vdb); swap files are not supported (EINVAL)
//   the OOM killer   when RAM and swap are both full: the process with the most pages in memory and on swap
//                    gets SIGKILL, and one log line says which and why
#pragma once

#include "kernel/syscall.h"

void swap_init();

Result<u64> sys_swapon(const SyscallArgs&);
Result<u64> sys_swapoff(const SyscallArgs&);
