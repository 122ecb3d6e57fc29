// System calls about the machine and time: uname, clock_gettime and friends, nanosleep, getrandom, sysinfo,
// reboot, times, getrusage. (prctl is in kernel/sys_prctl.cpp.)
#include "kernel/sys_misc.h"

#include <cstring>

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/kernel_map.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/smp.h"
#include "arch/riscv/usercopy.h"
#include "mm/heap.h"
#include "mm/shrinker.h"
#include "mm/swap.h"
#include "kernel/fs/vfs.h"
#include "kernel/clocks.h"
#include "kernel/cpu_time.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/process.h"
#include "kernel/random.h"
#include "kernel/sched.h"
#include "kernel/syscall_raw.h"
#include "kernel/time.h"
#include "kernel/wait_queue.h"
#include "mm/frame.h"

using namespace linux;

namespace {

timespec to_timespec(u64 ns) { return {static_cast<i64>(ns / 1'000'000'000ull), static_cast<i64>(ns % 1'000'000'000ull)}; }

Result<u64> timespec_from_user(u64 address) {
  timespec ts = TRY(copy_value_from_user<timespec>(address));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return Error::INVAL;
  return static_cast<u64>(ts.tv_sec) * 1'000'000'000ull + static_cast<u64>(ts.tv_nsec);
}

}  // namespace

u64 memory_reclaimable_frames() {
  // New pages freed before their CPU handed them to the pageable set are freed now (mm/pageable.h), and the
  // kernel's caches (empty heap slabs, idle kernel stacks: their shrinkers, mm/shrinker.h, give them back to an
  // allocation that finds no free frame) and the file systems' clean buffers count as free.
  g_phys.hand_over_fresh_pages();
  return kernel_caches_reclaimable() + vfs_reclaimable_frames();
}

Result<u64> sys_uname(const SyscallArgs& a) {
  utsname u{};
  strncpy(u.sysname, UNAME_SYSNAME, sizeof(u.sysname) - 1);
  strncpy(u.nodename, UNAME_NODENAME, sizeof(u.nodename) - 1);
  strncpy(u.release, UNAME_RELEASE, sizeof(u.release) - 1);
  strncpy(u.version, UNAME_VERSION, sizeof(u.version) - 1);
  strncpy(u.machine, "riscv64", sizeof(u.machine) - 1);
  strncpy(u.domainname, "(none)", sizeof(u.domainname) - 1);
  return syscall_result(copy_value_to_user(a.a0, u));
}

Result<u64> sys_clock_gettime(const SyscallArgs& a) {
  Clock clock = TRY(clock_decode(static_cast<u32>(a.a0)));
  u64 now = TRY(clock_read_ns(clock));
  return syscall_result(copy_value_to_user(a.a1, to_timespec(now)));
}

Result<u64> sys_clock_getres(const SyscallArgs& a) {
  Clock clock = TRY(clock_decode(static_cast<u32>(a.a0)));
  TRY(clock_read_ns(clock));  // a CPU clock of a process or thread that is gone: EINVAL
  if (a.a1) TRY(copy_value_to_user(a.a1, to_timespec(clock_resolution_ns(clock))));
  return 0;
}

Result<u64> sys_gettimeofday(const SyscallArgs& a) {
  if (a.a0) {
    u64 ns = time_realtime_ns();
    i64 tv[2] = {static_cast<i64>(ns / 1'000'000'000ull), static_cast<i64>((ns / 1000) % 1'000'000)};
    if (copy_to_user(a.a0, tv, sizeof(tv)).is_error()) return Error::FAULT;
  }
  if (a.a1) {
    u32 tz[2] = {0, 0};
    if (copy_to_user(a.a1, tz, sizeof(tz)).is_error()) return Error::FAULT;
  }
  return 0;
}

// Sleep until `clock` passes `deadline`. A relative sleep (remaining_address given, or 0 for none) that a
// signal interrupts stores the time left there and returns ERESTART_RESTARTBLOCK: EINTR if a handler runs,
// otherwise restart_syscall sleeps on to the same deadline (kernel/signal/syscalls.cpp). An absolute sleep
// returns ERESTARTNOHAND: it is simply made again.
static Result<u64> sleep_until(u32 clock_id, u64 deadline, bool absolute, u64 remaining_address) {
  Clock clock = TRY(clock_decode(clock_id));
  for (;;) {
    u64 now = clock_read_ns(clock).value_or(0);
    if (now >= deadline) return 0;
    auto r = sleep_ns(deadline - now);
    if (r.is_error()) {
      if (absolute) return Error::RESTARTNOHAND;
      if (remaining_address) {
        u64 after = clock_read_ns(clock).value_or(0);
        (void)copy_value_to_user(remaining_address, to_timespec(after < deadline ? deadline - after : 0));
      }
      RestartBlock& restart = current_thread()->m_signals.m_restart;
      restart = RestartBlock{RestartKind::Nanosleep, clock_id, deadline, remaining_address};
      return Error::RESTART_RESTARTBLOCK;
    }
  }
}

Result<u64> nanosleep_restart(u32 clock, u64 deadline, u64 remaining_address) {
  return sleep_until(clock, deadline, false, remaining_address);
}

Result<u64> sys_nanosleep(const SyscallArgs& a) {
  u64 ns = TRY(timespec_from_user(a.a0));
  return sleep_until(CLOCK_MONOTONIC, time_monotonic_ns() + ns, false, a.a1);
}

Result<u64> sys_clock_nanosleep(const SyscallArgs& a) {
  u32 clock_id = static_cast<u32>(a.a0);
  u32 flags = static_cast<u32>(a.a1);
  Clock clock = TRY(clock_decode(clock_id));
  TRY(clock_check_sleep(clock));
  u64 ns = TRY(timespec_from_user(a.a2));
  u64 now = TRY(clock_read_ns(clock));
  bool absolute = flags & TIMER_ABSTIME;
  u64 deadline = absolute ? ns : now + ns;
  return sleep_until(clock_id, deadline, absolute, absolute ? 0 : a.a3);
}

Result<u64> sys_getrandom(const SyscallArgs& a) {
  u64 address = a.a0, length = a.a1;
  u32 flags = static_cast<u32>(a.a2);
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return Error::INVAL;
  if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE)) return Error::INVAL;
  if (length > 32 * MiB - 1) length = 32 * MiB - 1;  // getrandom(2): at most 33554431 bytes per call
  if (!is_user_range(address, length)) return Error::FAULT;
  u8 chunk[256];
  u64 done = 0;
  while (done < length) {
    // Any length: give up the hart when asked, and stop for a signal with what was made (Linux's
    // get_random_bytes_user looks every page).
    if (done % PAGE_SIZE == 0 && done && preemption_point(StopOn::AnySignal)) break;
    u64 n = length - done < sizeof(chunk) ? length - done : sizeof(chunk);
    random_bytes(chunk, n);
    if (copy_to_user(address + done, chunk, n).is_error()) {
      if (done) return done;  // what was copied counts
      return Error::FAULT;
    }
    done += n;
  }
  return done;
}

// As Linux's do_sysinfo: the figures /proc/meminfo shows.
Result<u64> sys_sysinfo(const SyscallArgs& a) {
  linux::sysinfo si{};
  si.uptime = static_cast<i64>((time_monotonic_ns() + 999'999'999ull) / 1'000'000'000ull);  // a second begun counts
  si.totalram = g_phys.total_frames() * PAGE_SIZE;
  si.sharedram = memory_shared_frames() * PAGE_SIZE;
  si.bufferram = vfs_buffer_frames() * PAGE_SIZE;
  // Free memory counts the caches the kernel can give back at once (empty heap slabs, idle kernel stacks),
  // so that "free after == free before" holds once a program's memory is all returned.
  si.freeram = (g_phys.free_frames() + memory_reclaimable_frames()) * PAGE_SIZE;
  SwapTotals swap = g_swap.totals();
  si.totalswap = swap.total_pages * PAGE_SIZE;
  si.freeswap = swap.free_pages * PAGE_SIZE;
  si.procs = static_cast<u16>(process_task_count());  // Linux's nr_threads, also cut to 16 bits
  u64 loads[3];
  cpu_time_load_averages(loads);
  for (int i = 0; i < 3; i++) si.loads[i] = loads[i] << (16 - LOAD_FSHIFT);  // SI_LOAD_SHIFT
  si.mem_unit = 1;
  return syscall_result(copy_value_to_user(a.a0, si));
}

Result<u64> sys_reboot(const SyscallArgs& a) {
  if (static_cast<u32>(a.a0) != REBOOT_MAGIC1 || static_cast<u32>(a.a1) != REBOOT_MAGIC2) return Error::INVAL;
  u32 cmd = static_cast<u32>(a.a2);
  if (cmd == REBOOT_CMD_POWER_OFF || cmd == REBOOT_CMD_HALT || cmd == REBOOT_CMD_RESTART) {
    LOG_INFO("reboot(2) from pid %d: powering off", current_process()->m_pid);
    vfs_shutdown();
    machine_power_off(0);
  }
  return Error::INVAL;
}

// getcpu(2): the hart the caller runs on (it may have moved by the time it looks, as on Linux) and NUMA node 0;
// the third argument has been unused since Linux 2.6.24. glibc's sched_getcpu gets here through __vdso_getcpu.
Result<u64> sys_getcpu(const SyscallArgs& a) {
  u32 cpu = this_cpu()->index;
  if (a.a0) TRY(copy_value_to_user(a.a0, cpu));
  if (a.a1) TRY(copy_value_to_user(a.a1, u32{0}));
  return 0;
}

// times(2): CPU time in clock ticks (USER_HZ, 100 a second) and, as the result, the ticks since boot.
Result<u64> sys_times(const SyscallArgs& a) {
  const ProcessCpuTime& t = current_process()->m_cpu_time;
  if (a.a0) {
    u64 tms[4] = {t.user.load(MemoryOrder::Relaxed), t.system.load(MemoryOrder::Relaxed),
                  t.children_user.load(MemoryOrder::Relaxed), t.children_system.load(MemoryOrder::Relaxed)};
    TRY(copy_to_user(a.a0, tms, sizeof(tms)));
  }
  return time_monotonic_ns() / CPU_TICK_NS;
}

// getrusage(2): the user and system times (of the process, of its reaped children, or of the calling thread).
Result<u64> sys_getrusage(const SyscallArgs& a) {
  constexpr i32 RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;
  i32 who = static_cast<i32>(a.a0);
  if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD) return Error::INVAL;
  const ProcessCpuTime& t = current_process()->m_cpu_time;
  u64 user = who == RUSAGE_CHILDREN ? t.children_user.load(MemoryOrder::Relaxed) : t.user.load(MemoryOrder::Relaxed);
  u64 system = who == RUSAGE_CHILDREN ? t.children_system.load(MemoryOrder::Relaxed) : t.system.load(MemoryOrder::Relaxed);
  rusage usage{};
  usage.ru_utime[0] = static_cast<i64>(user / 100);
  usage.ru_utime[1] = static_cast<i64>(user % 100 * 10'000);
  usage.ru_stime[0] = static_cast<i64>(system / 100);
  usage.ru_stime[1] = static_cast<i64>(system % 100 * 10'000);
  return syscall_result(copy_value_to_user(a.a1, usage));
}

Result<u64> sys_riscv_flush_icache(const SyscallArgs& a) {
  // Make instruction fetches see stores to code (a program that writes code, then runs it). fence.i covers
  // this hart; other harts get a remote fence.i through the SBI. (A thread moving to another hart also executes
  // fence.i there: kernel/sched.cpp.)
  if (a.a2 & ~1ull) return Error::INVAL;
  fence_i();
  u64 others = smp_other_harts_mask();
  if (others) sbi::remote_fence_i(others, 0);
  return 0;
}

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_uname);
RAW_SYSCALL(sys_clock_gettime);
RAW_SYSCALL(sys_clock_getres);
RAW_SYSCALL(sys_gettimeofday);
RAW_SYSCALL(sys_nanosleep);
RAW_SYSCALL(sys_clock_nanosleep);
RAW_SYSCALL(sys_getrandom);
RAW_SYSCALL(sys_sysinfo);
RAW_SYSCALL(sys_reboot);
RAW_SYSCALL(sys_getcpu);
RAW_SYSCALL(sys_times);
RAW_SYSCALL(sys_getrusage);
RAW_SYSCALL(sys_riscv_flush_icache);
