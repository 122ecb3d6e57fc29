// prctl(2): the options glibc, busybox and the Linux selftests use, with Linux 6.1's answers (checked on the
// reference Linux). Options for features this kernel does not have give what Linux gives when they are
// configured out: PR_GET_SECCOMP and PR_GET_TID_ADDRESS are EINVAL, as without CONFIG_SECCOMP and
// CONFIG_CHECKPOINT_RESTORE.
#include <cstring>

#include "arch/riscv/usercopy.h"
#include "kernel/process.h"
#include "kernel/sys_misc.h"
#include "kernel/syscall_raw.h"

namespace {

// include/uapi/linux/prctl.h
constexpr u64 PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4,
              PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8, PR_GET_TIMING = 13, PR_SET_TIMING = 14, PR_SET_NAME = 15,
              PR_GET_NAME = 16, PR_CAPBSET_READ = 23, PR_GET_TIMERSLACK = 30, PR_SET_TIMERSLACK = 29,
              PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37, PR_SET_NO_NEW_PRIVS = 38,
              PR_GET_NO_NEW_PRIVS = 39, PR_SET_THP_DISABLE = 41, PR_GET_THP_DISABLE = 42;
constexpr u64 CAP_LAST_CAP = 40;  // CAP_CHECKPOINT_RESTORE, the last in Linux 6.1
constexpr u64 PR_TIMING_STATISTICAL = 0;

Result<u64> set_name(Process* p, u64 address) {
  char name[PROCESS_NAME_MAX];
  // Linux copies at most 15 bytes and terminates them; a longer name is cut, a bad pointer is EFAULT.
  usize n = 0;
  for (; n < PROCESS_NAME_MAX - 1; n++) {
    name[n] = TRY(copy_value_from_user<char>(address + n));
    if (!name[n]) break;
  }
  name[n] = '\0';
  SpinlockGuard guard(g_process_lock);
  memcpy(p->m_name, name, sizeof(name));
  return 0;
}

}  // namespace

Result<u64> sys_prctl(const SyscallArgs& a) {
  Process* p = current_process();
  ProcessFlags& flags = p->m_prctl;
  switch (a.a0) {
    case PR_SET_PDEATHSIG:
      if (a.a1 > linux::NSIG) return Error::INVAL;
      p->m_pdeath_signal.store(static_cast<u32>(a.a1), MemoryOrder::Relaxed);
      return 0;
    case PR_GET_PDEATHSIG:
      TRY(copy_value_to_user<i32>(a.a1, static_cast<i32>(p->m_pdeath_signal.load(MemoryOrder::Relaxed))));
      return 0;
    case PR_GET_DUMPABLE: return flags.dumpable;
    case PR_SET_DUMPABLE:
      if (a.a1 > 1) return Error::INVAL;  // SUID_DUMP_DISABLE or SUID_DUMP_USER
      flags.dumpable = static_cast<u8>(a.a1);
      return 0;
    case PR_GET_KEEPCAPS: return flags.keep_capabilities;
    case PR_SET_KEEPCAPS:
      if (a.a1 > 1) return Error::INVAL;
      flags.keep_capabilities = a.a1;
      return 0;
    case PR_GET_TIMING: return PR_TIMING_STATISTICAL;
    case PR_SET_TIMING: return a.a1 == PR_TIMING_STATISTICAL ? Result<u64>(0) : Result<u64>(Error::INVAL);
    case PR_SET_NAME: return set_name(p, a.a1);
    case PR_GET_NAME: {
      char name[PROCESS_NAME_MAX];
      {
        SpinlockGuard guard(g_process_lock);
        memcpy(name, p->m_name, sizeof(name));
      }
      TRY(copy_to_user(a.a1, name, sizeof(name)));
      return 0;
    }
    case PR_CAPBSET_READ:
      // Root's bounding set holds every capability.
      if (a.a1 > CAP_LAST_CAP) return Error::INVAL;
      return 1;
    case PR_GET_TIMERSLACK: return flags.timer_slack_ns;
    case PR_SET_TIMERSLACK:
      flags.timer_slack_ns = a.a1 ? a.a1 : 50'000;  // 0 restores the default
      return 0;
    case PR_SET_CHILD_SUBREAPER: {
      SpinlockGuard guard(g_process_lock);
      p->m_is_child_subreaper = a.a1 != 0;
      return 0;
    }
    case PR_GET_CHILD_SUBREAPER: {
      bool is_subreaper;
      {
        SpinlockGuard guard(g_process_lock);
        is_subreaper = p->m_is_child_subreaper;
      }
      TRY(copy_value_to_user<i32>(a.a1, is_subreaper));
      return 0;
    }
    case PR_SET_NO_NEW_PRIVS:
      if (a.a1 != 1 || a.a2 || a.a3 || a.a4) return Error::INVAL;
      flags.no_new_privs = true;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (a.a1 || a.a2 || a.a3 || a.a4) return Error::INVAL;
      return flags.no_new_privs;
    case PR_SET_THP_DISABLE:
      if (a.a2 || a.a3 || a.a4) return Error::INVAL;
      flags.thp_disabled = a.a1 != 0;
      return 0;
    case PR_GET_THP_DISABLE:
      if (a.a1 || a.a2 || a.a3 || a.a4) return Error::INVAL;
      return flags.thp_disabled;
    default:
      return Error::INVAL;
  }
}

RAW_SYSCALL(sys_prctl);  // the raw entry point trap.S calls (kernel/syscall.h)
