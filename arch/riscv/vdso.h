// The vDSO: a small shared library of the kernel's own (sources in arch/riscv/vdso/) mapped into every process
// at exec, as Linux does on riscv64, with a read-only data page below it:
//
//   [vvar]  one page, read-only: the clock parameters (vdso::ClockData, arch/riscv/vdso/vdso_data.h)
//   [vdso]  the image, read+execute: __vdso_clock_gettime, __vdso_gettimeofday, __vdso_clock_getres,
//           __vdso_getcpu, __vdso_flush_icache, and __vdso_rt_sigreturn, the signal trampoline
//
// exec announces the image's address to the program in the auxiliary vector (AT_SYSINFO_EHDR); glibc finds the
// functions there by name and version and calls them instead of making system calls. fork keeps both mappings
// (they are ordinary regions); exec makes new ones in the new address space.
//
// Both mappings show the kernel's own pages (the image embedded in the kernel's read-only data, the clock data
// in its data): nothing is copied per process. A program may mprotect the [vdso] writable and get private
// copies, as on Linux; the [vvar] page can never be made writable or executable (EACCES).
#pragma once

#include "arch/riscv/vdso/vdso_data.h"
#include "lib/result.h"
#include "mm/types.h"

class AddressSpace;

constexpr u64 VVAR_PAGES = 1;  // kernel/CMakeLists.txt's VDSO_VVAR_SIZE and vdso.lds say the same

// Boot: check the embedded image and make the VM objects that map it. Before the first exec.
void vdso_init();

// The clock data every process sees in its [vvar] page (written by kernel/time.cpp).
vdso::ClockData& vdso_clock_data();

// exec: map [vvar] and [vdso] into a new address space, where mmap would put them (below the mmap base, like
// Linux's get_unmapped_area). Returns the image's address, which is also recorded as space.vdso_base().
Result<VirtAddr> vdso_map(AddressSpace& space);

// The user address of __vdso_rt_sigreturn in `space`, for the return address (ra) of a signal handler; 0 when
// exec mapped no vDSO there. (If the program has unmapped it, returning from a handler faults: SIGSEGV, as on
// Linux.)
u64 vdso_sigreturn_address(const AddressSpace& space);
