// Kernel self-tests, chosen with test=NAME on the kernel command line (tools/run --append "test=NAME").
// Each returns the exit status QEMU should report (0 = passed). The deliberate faults never return: they
// end in a panic report, which is what their tests check.
//   fault     dereference a bad pointer in selftest_deliberate_fault()
//   overflow  recurse until the kernel stack overflows into its guard page
//   alloc     allocate every frame (mixed orders), free them all, check the counters
//   lockwait  another hart waits 1.5 s for a lock this one holds: the wait is reported (needs 2 harts)
//   heap      fill memory with kernel-heap objects of every size class, free them, check the counters
//   lockcheck call a *_locked function without its lock: the debug kernel (kernel-debug.elf) panics, the
//             release kernel, which compiles the check out, carries on and passes
//   lockorder, ubsan, heapcheck (debug kernel only): make the lock-order checker, UBSan and the heap's redzone
//             check fire once
#pragma once

int run_selftest(const char* name);
