// Process groups, sessions, controlling terminals, and what a parent hears of its children (SIGCHLD and the
// stop and continue reports of wait4). See kernel/signal/job_control.h.
#include <cstring>

#include "arch/riscv/usercopy.h"
#include "kernel/log.h"
#include "kernel/signal/job_control.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall_raw.h"

using namespace linux;

namespace {

ProcessGroup* g_groups[PID_MAX];  // by pgid; guarded by g_process_lock
Session* g_sessions[PID_MAX];     // by sid; guarded by g_process_lock

Session* session_of_locked(const Process* p) { return p->m_group ? p->m_group->m_session : nullptr; }
bool is_session_leader_locked(const Process* p) {
  Session* s = session_of_locked(p);
  return s && s->m_sid == p->m_pid;
}

void free_session_locked(Session* s) {
  if (s->m_terminal) {
    s->m_terminal->m_session = nullptr;
    s->m_terminal->m_foreground = 0;
  }
  g_sessions[s->m_sid] = nullptr;
  delete s;
}

void leave_group_locked(Process* p) {
  ProcessGroup* g = p->m_group;
  if (!g) return;
  g->m_members.remove(*p);
  p->m_group = nullptr;
  if (!g->m_members.is_empty()) return;
  g_groups[g->m_pgid] = nullptr;
  Session* s = g->m_session;
  delete g;
  if (--s->m_groups == 0) free_session_locked(s);
}

void join_group_locked(Process* p, ProcessGroup* g) {
  p->m_group = g;
  g->m_members.push_back(*p);
}

// A new, empty group in session s (NOMEM without memory); it is freed again if nobody joins it.
Result<ProcessGroup*> new_group_locked(i32 pgid, Session* s) {
  auto* g = new ProcessGroup();
  if (!g) return Error::NOMEM;
  g->m_pgid = pgid;
  g->m_session = s;
  s->m_groups++;
  g_groups[pgid] = g;
  return g;
}

// Would group g have no member whose parent is in another group of the same session, once `leaving` is gone?
// (Linux's will_become_orphaned_pgrp. Parents that are init, or that are exiting, do not count: nobody there
// will continue a stopped job.)
bool will_be_orphaned_locked(ProcessGroup* g, Process* leaving) {
  for (Process& p : g->m_members) {
    if (&p == leaving || p.m_state == ProcessState::Zombie) continue;
    Process* parent = p.m_parent;
    if (!parent || parent == leaving || parent->m_pid == 1 || parent->m_state == ProcessState::Zombie) continue;
    if (parent->m_group != g && session_of_locked(parent) == g->m_session) return false;
  }
  return true;
}

bool has_stopped_members_locked(ProcessGroup* g) {
  for (Process& p : g->m_members) {
    SpinlockGuard guard(p.m_signals.lock());
    if (p.m_signals.m_job.m_is_stopped) return true;
  }
  return false;
}

// POSIX: a group that becomes orphaned while some of its members are stopped gets SIGHUP, then SIGCONT.
void hang_up_group_locked(ProcessGroup* g) {
  (void)signal_send_group_locked(g, siginfo_from_kernel(SIGHUP));
  (void)signal_send_group_locked(g, siginfo_from_kernel(SIGCONT));
}

// Is the calling process's controlling terminal `terminal`?
bool is_controlling_locked(const Terminal& terminal) {
  Session* s = session_of_locked(current_process());
  return s && s->m_terminal == &terminal && terminal.m_session == s;
}

// A signal the caller neither blocks nor ignores? (Linux's is_ignored in the tty code, the other way round.)
bool caller_takes(unsigned sig) {
  Thread* t = current_thread();
  SpinlockGuard guard(t->m_process->m_signals.lock());
  return !t->m_signals.m_blocked.has(sig) && t->m_process->m_signals.action(sig).handler != SIG_IGN;
}

// The tty's job-control check (Linux's __tty_check_change): 0 if the caller may go on, else RESTARTSYS after
// sending sig to its group (it stops, and tries again when continued), or EIO.
Result<void> check_background(Terminal& terminal, unsigned sig) {
  Process* self = current_process();
  ProcessGroup* group;
  {
    SpinlockGuard guard(g_process_lock);
    if (!is_controlling_locked(terminal) || !terminal.m_foreground) return {};
    group = self->m_group;
    if (group->m_pgid == terminal.m_foreground) return {};
  }
  if (!caller_takes(sig)) return sig == SIGTTIN ? Result<void>(Error::IO) : Result<void>();
  if (process_group_is_orphaned(self)) return Error::IO;
  SpinlockGuard guard(g_process_lock);
  if (self->m_group) (void)signal_send_group_locked(self->m_group, siginfo_from_kernel(sig));
  current_thread()->add_work(WORK_SIGNAL);  // through the delivery code on the way out, whatever happens
  return Error::RESTARTSYS;
}

// The session leader gives up its controlling terminal (exit, TIOCNOTTY): the foreground group gets SIGHUP and
// SIGCONT, and the terminal belongs to no session.
void hang_up_terminal_locked(Session* s) {
  Terminal* terminal = s->m_terminal;
  if (!terminal) return;
  ProcessGroup* fg = g_groups[terminal->m_foreground];
  terminal->m_session = nullptr;
  terminal->m_foreground = 0;
  s->m_terminal = nullptr;
  if (fg) hang_up_group_locked(fg);
}

}  // namespace

// ---- Joining and leaving ----

void job_control_fork_locked(Process* parent, Process* child) {
  if (parent->m_group) join_group_locked(child, parent->m_group);
}

Result<void> job_control_init_locked(Process* init) {
  auto* s = new Session();
  if (!s) return Error::NOMEM;
  s->m_sid = init->m_pid;
  g_sessions[s->m_sid] = s;
  ProcessGroup* g = TRY(new_group_locked(init->m_pid, s));
  join_group_locked(init, g);
  return {};
}

void job_control_release_locked(Process* p) { leave_group_locked(p); }

bool job_control_pid_in_use_locked(i32 pid) { return g_groups[pid] || g_sessions[pid]; }

void job_control_exit_locked(Process* p) {
  ProcessGroup* g = p->m_group;
  if (!g) return;
  if (is_session_leader_locked(p)) hang_up_terminal_locked(g->m_session);
  // Our own group, if we were its link to the rest of the session...
  Process* parent = p->m_parent;
  if (parent && parent->m_group != g && session_of_locked(parent) == g->m_session &&
      will_be_orphaned_locked(g, p) && has_stopped_members_locked(g))
    hang_up_group_locked(g);
  // ...and our children's groups, which lose their parent in the session.
  for (Process& child : p->m_children) {
    ProcessGroup* cg = child.m_group;
    if (cg && cg != g && cg->m_session == g->m_session && will_be_orphaned_locked(cg, p) &&
        has_stopped_members_locked(cg))
      hang_up_group_locked(cg);
  }
}

i32 process_pgid_locked(const Process* p) { return p->m_group ? p->m_group->m_pgid : 0; }
i32 process_sid_locked(const Process* p) {
  Session* s = session_of_locked(p);
  return s ? s->m_sid : 0;
}

bool process_group_is_orphaned(Process* p) {
  SpinlockGuard guard(g_process_lock);
  return p->m_group && will_be_orphaned_locked(p->m_group, nullptr);
}

// ---- Signals to groups ----

ProcessGroup* process_group_find_locked(i32 pgid) { return pgid > 0 && pgid < PID_MAX ? g_groups[pgid] : nullptr; }

Result<void> signal_send_group_locked(ProcessGroup* group, const siginfo& info) {
  if (!group || group->m_members.is_empty()) return Error::SRCH;
  Result<void> result = Error::SRCH;
  for (Process& p : group->m_members) {
    if (info.si_signo == 0) return {};
    Result<void> sent = signal_send(&p, info);
    if (sent.has_value() || result.is_error()) result = sent;  // success if any process got it
  }
  return result;
}

Result<void> signal_send_group(i32 pgid, const siginfo& info) {
  SpinlockGuard guard(g_process_lock);
  return signal_send_group_locked(process_group_find_locked(pgid), info);
}

// ---- What the parent hears ----

void notify_parent_job_change(Process* child, i32 code, unsigned sig) {
  SpinlockGuard guard(g_process_lock);
  Process* parent = child->m_parent;
  if (!parent) return;
  bool wants_signal;
  {
    SpinlockGuard parent_guard(parent->m_signals.lock());
    const sigaction& action = parent->m_signals.action(SIGCHLD);
    wants_signal = action.handler != SIG_IGN && !(action.flags & SA_NOCLDSTOP);
  }
  if (wants_signal) {
    siginfo info{};
    info.si_signo = static_cast<i32>(SIGCHLD);
    info.si_code = code;
    info.chld.pid = child->m_pid;
    info.chld.status = static_cast<i32>(sig);
    (void)signal_send(parent, info);
  }
  parent->m_child_exited.wake_all();
}

bool signal_notify_parent_exit_locked(Process* child, u32 wait_status) {
  Process* parent = child->m_parent;
  if (!parent) return false;
  unsigned sig = child->m_signals.m_exit_signal;
  bool autoreap = false;
  {
    SpinlockGuard parent_guard(parent->m_signals.lock());
    if (sig == SIGCHLD) {
      const sigaction& action = parent->m_signals.action(SIGCHLD);
      // A parent that ignores SIGCHLD or asked for SA_NOCLDWAIT never sees its children as zombies.
      autoreap = action.handler == SIG_IGN || (action.flags & SA_NOCLDWAIT);
      if (action.handler == SIG_IGN) sig = 0;
    }
    if (is_valid_signal(sig) && !signal_is_ignored_locked(parent, sig)) {
      siginfo info{};
      info.si_signo = static_cast<i32>(sig);
      bool killed = wait_status & 0x7f;
      info.si_code = killed ? CLD_KILLED : CLD_EXITED;
      info.chld.pid = child->m_pid;
      info.chld.status = static_cast<i32>(killed ? wait_status & 0x7f : (wait_status >> 8) & 0xff);
      (void)signal_send_locked(parent, info);
    }
  }
  return autoreap;
}

u32 signal_take_stop_report_locked(Process* child, u32 options) {
  SpinlockGuard guard(child->m_signals.lock());
  JobControlState& job = child->m_signals.m_job;
  if ((options & WUNTRACED) && job.m_report_stop && job.m_is_stopped) {
    job.m_report_stop = false;
    return (job.m_stop_signal << 8) | 0x7f;
  }
  if ((options & WCONTINUED) && job.m_report_continue) {
    job.m_report_continue = false;
    return 0xffff;
  }
  return 0;
}

// ---- The terminal's side ----

Result<void> terminal_check_read(Terminal& terminal) { return check_background(terminal, SIGTTIN); }
Result<void> terminal_check_change(Terminal& terminal) { return check_background(terminal, SIGTTOU); }

void terminal_signal_foreground(Terminal& terminal, unsigned sig) {
  SpinlockGuard guard(g_process_lock);
  if (!terminal.m_session || !terminal.m_foreground) return;
  (void)signal_send_group_locked(process_group_find_locked(terminal.m_foreground), siginfo_from_kernel(sig));
}

Result<i64> terminal_job_ioctl(Terminal& terminal, u64 request, u64 argument) {
  Process* self = current_process();
  switch (request) {
    case TIOCSCTTY: {
      SpinlockGuard guard(g_process_lock);
      Session* s = session_of_locked(self);
      if (s && s == terminal.m_session) return 0;  // already ours
      if (!is_session_leader_locked(self) || s->m_terminal) return Error::PERM;
      if (terminal.m_session) {
        // The controlling terminal of another session: only taken by force (argument 1; everyone is root).
        if (argument != 1) return Error::PERM;
        terminal.m_session->m_terminal = nullptr;
      }
      terminal.m_session = s;
      terminal.m_foreground = self->m_group->m_pgid;
      s->m_terminal = &terminal;
      return 0;
    }
    case TIOCNOTTY: {
      SpinlockGuard guard(g_process_lock);
      if (!is_controlling_locked(terminal)) return Error::NOTTY;
      // Only the session leader gives it up (for everyone in the session); another process's TIOCNOTTY has
      // nothing to detach here, since the controlling terminal is the session's.
      if (is_session_leader_locked(self)) hang_up_terminal_locked(session_of_locked(self));
      return 0;
    }
    case TIOCGPGRP: {
      i32 pgid;
      {
        SpinlockGuard guard(g_process_lock);
        if (!is_controlling_locked(terminal)) return Error::NOTTY;
        pgid = terminal.m_foreground;
      }
      TRY(copy_value_to_user(argument, pgid));
      return 0;
    }
    case TIOCSPGRP: {
      auto allowed = terminal_check_change(terminal);
      if (allowed.is_error()) return allowed.error() == Error::IO ? Error::NOTTY : allowed.error();
      {
        SpinlockGuard guard(g_process_lock);
        if (!is_controlling_locked(terminal)) return Error::NOTTY;
      }
      i32 pgid = TRY(copy_value_from_user<i32>(argument));
      if (pgid < 0) return Error::INVAL;
      SpinlockGuard guard(g_process_lock);
      ProcessGroup* g = process_group_find_locked(pgid);
      if (!g) return Error::SRCH;
      if (g->m_session != session_of_locked(self)) return Error::PERM;
      terminal.m_foreground = pgid;
      return 0;
    }
    case TIOCGSID: {
      i32 sid;
      {
        SpinlockGuard guard(g_process_lock);
        if (!is_controlling_locked(terminal)) return Error::NOTTY;
        sid = terminal.m_session->m_sid;
      }
      TRY(copy_value_to_user(argument, sid));
      return 0;
    }
    default:
      return Error::NOTTY;
  }
}

// ---- System calls ----

Result<u64> sys_setpgid(const SyscallArgs& a) {
  Process* self = current_process();
  i32 pid = static_cast<i32>(a.a0), pgid = static_cast<i32>(a.a1);
  if (pid == 0) pid = self->m_pid;
  if (pgid == 0) pgid = pid;
  if (pgid < 0) return Error::INVAL;
  SpinlockGuard guard(g_process_lock);
  Process* p = pid > 0 && pid < PID_MAX ? process_table_at_locked(pid) : nullptr;
  if (!p) return Error::SRCH;
  if (p->m_parent == self) {
    if (session_of_locked(p) != session_of_locked(self)) return Error::PERM;
    if (p->m_did_exec) return Error::ACCESS;
  } else if (p != self) {
    return Error::SRCH;
  }
  if (is_session_leader_locked(p)) return Error::PERM;
  ProcessGroup* g = process_group_find_locked(pgid);
  if (pgid != pid) {
    if (!g || g->m_session != session_of_locked(self)) return Error::PERM;
  } else if (!g) {
    g = TRY(new_group_locked(pgid, session_of_locked(p)));
  }
  if (p->m_group != g) {
    leave_group_locked(p);
    join_group_locked(p, g);
  }
  return 0;
}

// getpgid(2), getsid(2): an id of the process pid (0: the caller). SRCH if there is no such process.
Result<u64> id_of(u64 pid_argument, i32 (*id_locked)(const Process*)) {
  i32 pid = static_cast<i32>(pid_argument);
  SpinlockGuard guard(g_process_lock);
  Process* p = pid == 0 ? current_process() : pid > 0 && pid < PID_MAX ? process_table_at_locked(pid) : nullptr;
  if (!p) return Error::SRCH;
  return static_cast<u64>(id_locked(p));
}

Result<u64> sys_getpgid(const SyscallArgs& a) { return id_of(a.a0, process_pgid_locked); }
Result<u64> sys_getsid(const SyscallArgs& a) { return id_of(a.a0, process_sid_locked); }

Result<u64> sys_setsid(const SyscallArgs&) {
  Process* self = current_process();
  i32 id = self->m_pid;
  auto* s = new Session();
  if (!s) return Error::NOMEM;
  SpinlockGuard guard(g_process_lock);
  if (g_groups[id] || g_sessions[id]) {  // we lead a group already (or one named by our pid lives on)
    delete s;
    return Error::PERM;
  }
  s->m_sid = id;
  g_sessions[id] = s;
  auto g = new_group_locked(id, s);
  if (g.is_error()) {
    free_session_locked(s);
    return g.error();
  }
  leave_group_locked(self);
  join_group_locked(self, g.value());
  return static_cast<u64>(id);
}

RAW_SYSCALL(sys_setpgid);
RAW_SYSCALL(sys_getpgid);
RAW_SYSCALL(sys_getsid);
RAW_SYSCALL(sys_setsid);
