// The system-call table: every call this kernel implements, by its Linux riscv64 number (linux::Sys), with
// whether it needs the whole user register set. trap.S dispatches through syscall_table, built from this list
// at compile time; the calls it cannot dispatch itself (numbers without a handler, calls that need the whole
// frame) come to syscall_entry.
#include "kernel/syscall.h"

#include "arch/riscv/cpu.h"
#include "kernel/exec.h"
#include "kernel/fs/fs_syscalls.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/poll.h"
#include "kernel/futex.h"
#include "kernel/log.h"
#include "kernel/membarrier.h"
#include "kernel/pidfd.h"
#include "kernel/process.h"
#include "kernel/signal/job_control.h"
#include "kernel/signal/signal.h"
#include "kernel/sys_cred.h"
#include "kernel/sys_misc.h"
#include "kernel/sys_mm.h"
#include "kernel/swap.h"
#include "kernel/sys_proc.h"
#include "kernel/sys_sched.h"
#include "kernel/syscall_raw.h"
#include "kernel/syslog.h"
#include "kernel/timers.h"

namespace {

// Calls that exist so that glibc's start-up and common programs work, but have nothing to do yet.
Result<u64> sys_ignored(const SyscallArgs&) { return 0; }
// A call glibc tries first and falls back from without a word: answered ENOSYS, and not logged.
Result<u64> sys_enosys(const SyscallArgs&) { return Error::NOSYS; }

}  // namespace

RAW_SYSCALL(sys_ignored);
RAW_SYSCALL(sys_enosys);

namespace {

// A call this kernel implements.
struct Implemented {
  linux::Sys number;
  RawSyscall handler;
  SyscallFrame frame = SyscallFrame::Partial;
};

using enum linux::Sys;

constexpr Implemented g_implemented[] = {
    {getcwd, raw_syscall<sys_getcwd>},
    {dup, raw_syscall<sys_dup>},
    {dup3, raw_syscall<sys_dup3>},
    {fcntl, raw_syscall<sys_fcntl>},
    {ioctl, raw_syscall<sys_ioctl>},
    {flock, raw_syscall<sys_flock>},
    {mkdirat, raw_syscall<sys_mkdirat>},
    {unlinkat, raw_syscall<sys_unlinkat>},
    {symlinkat, raw_syscall<sys_symlinkat>},
    {linkat, raw_syscall<sys_linkat>},
    {truncate, raw_syscall<sys_truncate>},
    {ftruncate, raw_syscall<sys_ftruncate>},
    {fallocate, raw_syscall<sys_fallocate>},
    {faccessat, raw_syscall<sys_faccessat>},
    {chdir, raw_syscall<sys_chdir>},
    {fchdir, raw_syscall<sys_fchdir>},
    {fchmodat, raw_syscall<sys_fchmodat>},
    {fchown, raw_syscall<sys_fchown>},
    {fchmod, raw_syscall<sys_fchmod>},
    {fchownat, raw_syscall<sys_fchownat>},
    {utimensat, raw_syscall<sys_utimensat>},
    {mknodat, raw_syscall<sys_mknodat>},
    {openat, raw_syscall<sys_openat>},
    {close, raw_syscall<sys_close>},
    {pipe2, raw_syscall<sys_pipe2>},
    {getdents64, raw_syscall<sys_getdents64>},
    {lseek, raw_syscall<sys_lseek>},
    {read, raw_syscall<sys_read>},
    {write, raw_syscall<sys_write>},
    {readv, raw_syscall<sys_readv>},
    {writev, raw_syscall<sys_writev>},
    {pread64, raw_syscall<sys_pread64>},
    {pwrite64, raw_syscall<sys_pwrite64>},
    {sendfile, raw_syscall<sys_sendfile>},
    {copy_file_range, raw_syscall<sys_copy_file_range>},
    {readlinkat, raw_syscall<sys_readlinkat>},
    {newfstatat, raw_syscall<sys_newfstatat>},
    {fstat, raw_syscall<sys_fstat>},
    {sync, raw_syscall<sys_sync>},
    {fsync, raw_syscall<sys_fsync>},
    {fdatasync, raw_syscall<sys_fsync>},
    {syncfs, raw_syscall<sys_syncfs>},
    {mount, raw_syscall<sys_mount>},
    {umount2, raw_syscall<sys_umount2>},
    {statfs, raw_syscall<sys_statfs>},
    {fstatfs, raw_syscall<sys_fstatfs>},
    {exit, raw_syscall<sys_exit>},
    {exit_group, raw_syscall<sys_exit_group>},
    {set_tid_address, raw_syscall<sys_set_tid_address>},
    {set_robust_list, raw_syscall<sys_set_robust_list>},
    {get_robust_list, raw_syscall<sys_get_robust_list>},
    {futex, raw_syscall<sys_futex>},
    {ppoll, raw_syscall<sys_ppoll>},
    {pselect6, raw_syscall<sys_pselect6>},
    {nanosleep, raw_syscall<sys_nanosleep>},
    {clock_gettime, raw_syscall<sys_clock_gettime>},
    {clock_getres, raw_syscall<sys_clock_getres>},
    {clock_nanosleep, raw_syscall<sys_clock_nanosleep>},
    {sched_setparam, raw_syscall<sys_sched_setparam>},
    {sched_setscheduler, raw_syscall<sys_sched_setscheduler>},
    {sched_getscheduler, raw_syscall<sys_sched_getscheduler>},
    {sched_getparam, raw_syscall<sys_sched_getparam>},
    {sched_get_priority_max, raw_syscall<sys_sched_get_priority_max>},
    {sched_get_priority_min, raw_syscall<sys_sched_get_priority_min>},
    {sched_rr_get_interval, raw_syscall<sys_sched_rr_get_interval>},
    {sched_setaffinity, raw_syscall<sys_sched_setaffinity>},
    {sched_getaffinity, raw_syscall<sys_sched_getaffinity>},
    {sched_yield, raw_syscall<sys_sched_yield>},
    {getitimer, raw_syscall<sys_getitimer>},
    {setitimer, raw_syscall<sys_setitimer>},
    {timer_create, raw_syscall<sys_timer_create>},
    {timer_settime, raw_syscall<sys_timer_settime>},
    {timer_gettime, raw_syscall<sys_timer_gettime>},
    {timer_getoverrun, raw_syscall<sys_timer_getoverrun>},
    {timer_delete, raw_syscall<sys_timer_delete>},
    {restart_syscall, raw_syscall<sys_restart_syscall>},
    {kill, raw_syscall<sys_kill>},
    {tkill, raw_syscall<sys_tkill>},
    {tgkill, raw_syscall<sys_tgkill>},
    {sigaltstack, raw_syscall<sys_sigaltstack>},
    {rt_sigsuspend, raw_syscall<sys_rt_sigsuspend>},
    {rt_sigaction, raw_syscall<sys_rt_sigaction>},
    {rt_sigprocmask, raw_syscall<sys_rt_sigprocmask>},
    {rt_sigpending, raw_syscall<sys_rt_sigpending>},
    {rt_sigtimedwait, raw_syscall<sys_rt_sigtimedwait>},
    {rt_sigqueueinfo, raw_syscall<sys_rt_sigqueueinfo>},
    {rt_sigreturn, raw_syscall<sys_rt_sigreturn>, SyscallFrame::Full},  // restores every register
    {rt_tgsigqueueinfo, raw_syscall<sys_rt_tgsigqueueinfo>},
    {reboot, raw_syscall<sys_reboot>},
    {times, raw_syscall<sys_times>},
    {setpgid, raw_syscall<sys_setpgid>},
    {getpgid, raw_syscall<sys_getpgid>},
    {getsid, raw_syscall<sys_getsid>},
    {setsid, raw_syscall<sys_setsid>},
    {uname, raw_syscall<sys_uname>},
    {getrusage, raw_syscall<sys_getrusage>},
    {umask, raw_syscall<sys_umask>},
    {prctl, raw_syscall<sys_prctl>},
    {getcpu, raw_syscall<sys_getcpu>},
    {getgroups, raw_syscall<sys_getgroups>},
    {setgroups, raw_syscall<sys_setgroups>},
    {getpriority, raw_syscall<sys_getpriority>},
    {setpriority, raw_syscall<sys_setpriority>},
    {ioprio_set, raw_syscall<sys_ioprio_set>},
    {syslog, raw_syscall<sys_syslog>},
    {ioprio_get, raw_syscall<sys_ioprio_get>},
    {unshare, raw_syscall<sys_unshare>},
    {pidfd_open, raw_syscall<sys_pidfd_open>},
    {openat2, raw_syscall<sys_openat2>},
    {memfd_create, raw_syscall<sys_memfd_create>},
    {pidfd_send_signal, raw_syscall<sys_pidfd_send_signal>},
    {gettimeofday, raw_syscall<sys_gettimeofday>},
    {getpid, raw_syscall<sys_getpid>},
    {getppid, raw_syscall<sys_getppid>},
    {getuid, raw_syscall<sys_getuid>},
    {geteuid, raw_syscall<sys_getuid>},
    {getgid, raw_syscall<sys_getuid>},
    {getegid, raw_syscall<sys_getuid>},
    {gettid, raw_syscall<sys_gettid>},
    {sysinfo, raw_syscall<sys_sysinfo>},
    {brk, raw_syscall<sys_brk>},
    {munmap, raw_syscall<sys_munmap>},
    {clone, raw_syscall<sys_clone>, SyscallFrame::Full},  // the child starts from a copy of the frame
    {clone3, raw_syscall<sys_clone3>, SyscallFrame::Full},
    {execve, raw_syscall<sys_execve>, SyscallFrame::Full},  // writes a new frame
    {mmap, raw_syscall<sys_mmap>},
    {mprotect, raw_syscall<sys_mprotect>},
    {msync, raw_syscall<sys_msync>},
    {mlock, raw_syscall<sys_mlock>},
    {mlock2, raw_syscall<sys_mlock2>},
    {munlock, raw_syscall<sys_munlock>},
    {mlockall, raw_syscall<sys_mlockall>},
    {munlockall, raw_syscall<sys_munlockall>},
    {mincore, raw_syscall<sys_mincore>},
    {mremap, raw_syscall<sys_mremap>},
    {membarrier, raw_syscall<sys_membarrier>},
    {swapon, raw_syscall<sys_swapon>},
    {swapoff, raw_syscall<sys_swapoff>},
    {madvise, raw_syscall<sys_madvise>},
    {riscv_flush_icache, raw_syscall<sys_riscv_flush_icache>},
    {wait4, raw_syscall<sys_wait4>},
    {prlimit64, raw_syscall<sys_prlimit64>},
    {renameat2, raw_syscall<sys_renameat2>},
    {getrandom, raw_syscall<sys_getrandom>},
    {statx, raw_syscall<sys_enosys>},  // glibc falls back to newfstatat
    {faccessat2, raw_syscall<sys_faccessat>},
};

struct SyscallTable {
  SyscallEntry entries[SYSCALL_TABLE_SIZE] = {};
  constexpr SyscallTable() {
    for (const Implemented& call : g_implemented)
      entries[static_cast<u16>(call.number)] = {call.handler, call.frame};
  }
};

// Every number listed once: a second line for a number would silently replace the first.
consteval bool each_number_once() {
  bool seen[SYSCALL_TABLE_SIZE] = {};
  for (const Implemented& call : g_implemented) {
    if (seen[static_cast<u16>(call.number)]) return false;
    seen[static_cast<u16>(call.number)] = true;
  }
  return true;
}
static_assert(each_number_once(), "a system-call number is listed twice");

struct SyscallNames {
  const char* names[SYSCALL_TABLE_SIZE] = {};
  constexpr SyscallNames() {
#define SYSCALL_NAME(name, number) names[number] = #name;
    LINUX_RISCV64_SYSCALLS(SYSCALL_NAME)
#undef SYSCALL_NAME
  }
};
constexpr SyscallNames g_names;

}  // namespace

// Read by trap.S (.Lsyscall): SYSCALL_TABLE_SIZE entries, one per number (nullptr: not implemented).
extern "C" {
extern const SyscallTable syscall_table;
}
constinit const SyscallTable syscall_table{};

namespace {

__attribute__((noinline, cold)) void log_missing(u64 number) {
  Process* p = current_process();
  if (number < SYSCALL_TABLE_SIZE) {
    u64& word = p->m_missing_syscalls_logged[number / 64];
    if (word & (1ull << (number % 64))) return;
    word |= 1ull << (number % 64);
  }
  klog_from_user(LogLevel::Warn, "pid %d (%s): system call %llu (%s) is not implemented: returning -ENOSYS",
                 p->m_pid, p->m_name, static_cast<unsigned long long>(number), syscall_name(number));
}

}  // namespace

const char* syscall_name(u64 number) {
  if (number < SYSCALL_TABLE_SIZE && g_names.names[number]) return g_names.names[number];
  return "unknown";
}

// trap.S calls this for the system calls it does not dispatch itself (see .Lsyscall): numbers without a handler
// and the calls that need the whole user register set. It runs the call, then says whether there is work to do
// before returning to user mode (trap.S then calls prepare_return_to_user).
extern "C" bool syscall_entry(TrapFrame* tf) {
  tf->sepc += 4;  // return past the ecall
  enable_interrupts();
  u64 number = tf->a7;
  RawSyscall handler = number < SYSCALL_TABLE_SIZE ? syscall_table.entries[number].handler : nullptr;
  if (handler) {
    tf->a0 = static_cast<u64>(handler(*reinterpret_cast<const SyscallArgs*>(&tf->a0)));
  } else {
    log_missing(number);
    tf->a0 = static_cast<u64>(-errno_value(Error::NOSYS));
  }
  disable_interrupts();
  return current_thread()->m_work.load(MemoryOrder::Relaxed) != 0;
}
