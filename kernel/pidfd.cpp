// pidfd_open(2) and pidfd_send_signal(2), as Linux 6.1 has them (kernel/pid.c, kernel/signal.c).
#include "kernel/pidfd.h"

#include "arch/riscv/usercopy.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/fs/text_builder.h"
#include "kernel/process.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall_raw.h"

using namespace linux;

namespace {

constexpr const char* PIDFD_NAME = "anon_inode:[pidfd]";  // describe() of every pidfd: how one is recognized

// What a pidfd is: a reference to the process (which keeps its Process, not its pid, while it is a zombie or
// gone). Reading or writing it is EINVAL, as for Linux's anonymous inode.
class PidFile final : public File {
 public:
  PidFile(RefPtr<Process> process, u32 flags) : File(flags), m_process(static_cast<RefPtr<Process>&&>(process)) {}

  Result<usize> read(const IoBuffer&, usize) override { return Error::INVAL; }
  Result<usize> write(const IoBuffer&, usize) override { return Error::INVAL; }
  const char* describe() const override { return PIDFD_NAME; }
  // pidfd_show_fdinfo: the pid, and in the pid namespaces (there is one) the same; -1 once reaped.
  void append_fdinfo(TextBuilder& out) const override {
    i32 pid = m_process->m_pid;
    {
      SpinlockGuard guard(g_process_lock);
      if (process_table_at_locked(pid) != m_process.get()) pid = -1;
    }
    out.appendf("Pid:\t%d\nNSpid:\t%d\n", pid, pid);
  }

  Process& process() const { return *m_process; }

 private:
  RefPtr<Process> m_process;
};

}  // namespace

Result<u64> sys_pidfd_open(const SyscallArgs& a) {
  i32 pid = static_cast<i32>(a.a0);
  u32 flags = static_cast<u32>(a.a1);
  if (flags & ~O_NONBLOCK) return Error::INVAL;  // PIDFD_NONBLOCK is O_NONBLOCK
  if (pid <= 0) return Error::INVAL;
  RefPtr<Process> target = process_find(pid);
  if (!target) return Error::SRCH;
  auto* file = new PidFile(target, O_RDWR | flags);
  if (!file) return Error::NOMEM;
  return TRY(current_thread()->m_files->allocate(RefPtr<File>::adopt(file), true, descriptor_limit()));
}

// pidfd_send_signal(pidfd, sig, info, flags): kill(2) through a pidfd, or rt_sigqueueinfo(2) with info. A siginfo
// must name the same signal, and may claim to come from the kernel (si_code >= 0, or SI_TKILL) only when a
// process signals itself. A zombie still takes the signal (and ignores it); a reaped process is ESRCH.
Result<u64> sys_pidfd_send_signal(const SyscallArgs& a) {
  u32 sig = static_cast<u32>(a.a1);
  if (a.a3 != 0) return Error::INVAL;
  if (sig > NSIG) return Error::INVAL;
  RefPtr<File> file = TRY(current_thread()->m_files->get(static_cast<i32>(a.a0)));
  if (file->describe() != PIDFD_NAME) return Error::BADF;
  Process& target = static_cast<PidFile&>(*file).process();
  siginfo info = siginfo_from_current(sig, SI_USER);
  if (a.a2) {
    TRY(copy_from_user(&info, a.a2, sizeof(info)));
    if (static_cast<u32>(info.si_signo) != sig) return Error::INVAL;
    if (&target != current_process() && (info.si_code >= 0 || info.si_code == SI_TKILL)) return Error::PERM;
  }
  {
    SpinlockGuard guard(g_process_lock);
    if (process_table_at_locked(target.m_pid) != &target) return Error::SRCH;
  }
  if (sig) TRY(signal_send(&target, info));
  return 0;
}

RAW_SYSCALL(sys_pidfd_open);
RAW_SYSCALL(sys_pidfd_send_signal);
