// The system-call table: Linux's asm-generic numbers (include/uapi/asm-generic/unistd.h), which riscv64 uses.
#include "kernel/syscall.h"

#include "arch/riscv/cpu.h"
#include "kernel/exec.h"
#include "kernel/fs/fs_syscalls.h"
#include "kernel/log.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/sys_misc.h"
#include "kernel/sys_mm.h"
#include "kernel/sys_proc.h"
#include "kernel/user_trap.h"

namespace {

constexpr usize TABLE_SIZE = 512;

struct Entry {
  const char* name;
  SyscallHandler handler;  // nullptr: known to Linux, not implemented here (-ENOSYS, logged once)
};

// Calls that exist so that glibc's start-up and common programs work, but have nothing to do yet.
i64 sys_ignored(const SyscallArgs&) { return 0; }
i64 sys_enosys(const SyscallArgs&) { return syscall_error(Error::NOSYS); }

constexpr Entry make(const char* name, SyscallHandler h = nullptr) { return {name, h}; }

struct Table {
  Entry e[TABLE_SIZE] = {};
  constexpr Table() {
    e[17] = make("getcwd", sys_getcwd);
    e[23] = make("dup", sys_dup);
    e[24] = make("dup3", sys_dup3);
    e[25] = make("fcntl", sys_fcntl);
    e[29] = make("ioctl", sys_ioctl);
    e[34] = make("mkdirat", sys_mkdirat);
    e[35] = make("unlinkat", sys_unlinkat);
    e[36] = make("symlinkat", sys_symlinkat);
    e[37] = make("linkat", sys_linkat);
    e[46] = make("ftruncate", sys_ftruncate);
    e[48] = make("faccessat", sys_faccessat);
    e[49] = make("chdir", sys_chdir);
    e[50] = make("fchdir", sys_fchdir);
    e[53] = make("fchmodat", sys_fchmodat);
    e[55] = make("fchown", sys_ignored);
    e[56] = make("openat", sys_openat);
    e[57] = make("close", sys_close);
    e[59] = make("pipe2", sys_pipe2);
    e[61] = make("getdents64", sys_getdents64);
    e[62] = make("lseek", sys_lseek);
    e[63] = make("read", sys_read);
    e[64] = make("write", sys_write);
    e[65] = make("readv", sys_readv);
    e[66] = make("writev", sys_writev);
    e[67] = make("pread64", sys_pread64);
    e[68] = make("pwrite64", sys_pwrite64);
    e[78] = make("readlinkat", sys_readlinkat);
    e[79] = make("newfstatat", sys_newfstatat);
    e[80] = make("fstat", sys_fstat);
    e[81] = make("sync", sys_ignored);  // the in-memory file system has nothing to write back
    e[82] = make("fsync", sys_ignored);
    e[83] = make("fdatasync", sys_ignored);
    e[93] = make("exit", sys_exit);
    e[94] = make("exit_group", sys_exit);
    e[96] = make("set_tid_address", sys_set_tid_address);
    e[98] = make("futex");
    e[99] = make("set_robust_list", sys_set_robust_list);
    e[101] = make("nanosleep", sys_nanosleep);
    e[113] = make("clock_gettime", sys_clock_gettime);
    e[114] = make("clock_getres", sys_clock_getres);
    e[115] = make("clock_nanosleep", sys_clock_nanosleep);
    e[122] = make("sched_setaffinity", sys_sched_setaffinity);
    e[123] = make("sched_getaffinity", sys_sched_getaffinity);
    e[124] = make("sched_yield", sys_sched_yield);
    e[129] = make("kill", sys_kill);
    e[130] = make("tkill", sys_tkill);
    e[131] = make("tgkill", sys_tgkill);
    e[132] = make("sigaltstack");
    e[134] = make("rt_sigaction", sys_rt_sigaction);
    e[135] = make("rt_sigprocmask", sys_rt_sigprocmask);
    e[139] = make("rt_sigreturn");
    e[142] = make("reboot", sys_reboot);
    e[153] = make("times", sys_times);
    e[154] = make("setpgid", sys_setpgid);
    e[155] = make("getpgid", sys_getpgid);
    e[156] = make("getsid", sys_getpgid);
    e[157] = make("setsid", sys_setsid);
    e[160] = make("uname", sys_uname);
    e[165] = make("getrusage", sys_getrusage);
    e[166] = make("umask", sys_umask);
    e[167] = make("prctl", sys_prctl);
    e[169] = make("gettimeofday", sys_gettimeofday);
    e[172] = make("getpid", sys_getpid);
    e[173] = make("getppid", sys_getppid);
    e[174] = make("getuid", sys_getuid);
    e[175] = make("geteuid", sys_getuid);
    e[176] = make("getgid", sys_getuid);
    e[177] = make("getegid", sys_getuid);
    e[178] = make("gettid", sys_gettid);
    e[179] = make("sysinfo", sys_sysinfo);
    e[214] = make("brk", sys_brk);
    e[215] = make("munmap", sys_munmap);
    e[216] = make("mremap");
    e[220] = make("clone", sys_clone);
    e[221] = make("execve", sys_execve);
    e[222] = make("mmap", sys_mmap);
    e[226] = make("mprotect", sys_mprotect);
    e[227] = make("msync", sys_ignored);
    e[228] = make("mlock", sys_ignored);
    e[229] = make("munlock", sys_ignored);
    e[233] = make("madvise", sys_madvise);
    e[259] = make("riscv_flush_icache", sys_riscv_flush_icache);
    e[260] = make("wait4", sys_wait4);
    e[261] = make("prlimit64", sys_prlimit64);
    e[276] = make("renameat2", sys_renameat2);
    e[278] = make("getrandom", sys_getrandom);
    e[291] = make("statx", sys_enosys);
    e[293] = make("rseq");
    e[435] = make("clone3");
    e[439] = make("faccessat2", sys_faccessat);
  }
};

constexpr Table g_table;

// For the dispatch in trap.S: the handlers by number (nullptr: not implemented), and which calls need the whole
// user register set in the frame (see .Lsyscall in arch/riscv/trap.S).
}  // namespace

struct Dispatch {
  u8 full_frame[TABLE_SIZE] = {};
  SyscallHandler handlers[TABLE_SIZE] = {};
  constexpr Dispatch() {
    for (usize i = 0; i < TABLE_SIZE; i++) handlers[i] = g_table.e[i].handler;
    full_frame[139] = 1;  // rt_sigreturn restores a whole frame
    full_frame[220] = 1;  // clone: the child starts from a copy of the frame
    full_frame[221] = 1;  // execve writes a new one
    full_frame[435] = 1;  // clone3
  }
};

namespace {

__attribute__((noinline, cold)) void log_missing(u64 number) {
  Process* p = current_process();
  if (number < 512) {
    u64& word = p->m_missing_syscalls_logged[number / 64];
    if (word & (1ull << (number % 64))) return;
    word |= 1ull << (number % 64);
  }
  LOG_WARN("pid %d (%s): system call %llu (%s) is not implemented: returning -ENOSYS", p->m_pid, p->m_name,
           static_cast<unsigned long long>(number), syscall_name(number));
}

}  // namespace

const char* syscall_name(u64 number) {
  if (number < TABLE_SIZE && g_table.e[number].name) return g_table.e[number].name;
  return "unknown";
}

__attribute__((always_inline)) inline void run_syscall(TrapFrame* tf) {
  tf->sepc += 4;  // return past the ecall
  enable_interrupts();
  u64 number = tf->a7;
  SyscallHandler h = number < TABLE_SIZE ? g_table.e[number].handler : nullptr;
  if (LIKELY(h != nullptr)) {
    tf->a0 = static_cast<u64>(h(*reinterpret_cast<const SyscallArgs*>(&tf->a0)));
  } else {
    log_missing(number);
    tf->a0 = static_cast<u64>(syscall_error(Error::NOSYS));
  }
}

void handle_syscall(TrapFrame* tf) { run_syscall(tf); }

// Read by trap.S: the full_frame flags at offset 0, the handlers at offset TABLE_SIZE.
extern "C" {
extern const Dispatch syscall_dispatch;
}
constinit const Dispatch syscall_dispatch{};
static_assert(sizeof(SyscallHandler) == 8 && TABLE_SIZE == 512 && offsetof(Dispatch, handlers) == 512,
              "trap.S assumes this layout");

// The system-call path's check on the way back to user mode, when trap.S dispatched the call itself.
extern "C" bool syscall_work_pending() {
  Cpu* c = this_cpu();
  return c->need_resched || thread_has_interrupting_signal(c->current);
}

// trap.S calls this for the system calls it does not dispatch itself (see .Lsyscall): run the call, then say
// whether there is work to do before returning to user mode (trap.S then saves the rest of the registers and
// calls prepare_return_to_user).
extern "C" bool syscall_entry(TrapFrame* tf) {
  run_syscall(tf);
  disable_interrupts();
  Cpu* c = this_cpu();
  return c->need_resched || thread_has_interrupting_signal(c->current);
}
