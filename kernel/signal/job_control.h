// Process groups, sessions and controlling terminals: what a shell needs for job control (credentials(7),
// setpgid(2), setsid(2), the "job control" part of termios(3)).
//
// Every process is in a process group, and every group in a session. A shell puts each job (a pipeline) in a
// group of its own, so that one signal reaches all of its processes: kill(-pgid, sig), and the terminal's ^C
// (SIGINT), ^\ (SIGQUIT) and ^Z (SIGTSTP), which go to the terminal's foreground group. A session may have a
// controlling terminal; only its foreground group may read from it: a background group that tries gets SIGTTIN,
// which stops it until the shell continues it in the foreground.
//
// A group and a session are named by the pid of the process that made them, and that pid is not given to a
// new process while the group or session exists. A group exists while it has members (zombies included: a
// process leaves its group when it is reaped); a session while it has groups.
//
// Lock: g_process_lock guards all of it: groups, sessions, Process::m_group, and the terminals' job fields.
#pragma once

#include "kernel/process.h"
#include "kernel/signal/sigset.h"

struct Terminal;

struct Session {
  i32 m_sid = 0;
  u32 m_groups = 0;             // groups in the session; freed with the last
  Terminal* m_terminal = nullptr;  // the controlling terminal, if any
};

struct ProcessGroup {
  i32 m_pgid = 0;
  Session* m_session = nullptr;
  IntrusiveList<Process, &Process::m_group_link> m_members;
};

// The job-control side of a terminal (Linux's tty->session and tty->pgrp). The console's line discipline
// (kernel/fs/tty.cpp) has one.
struct Terminal {
  Session* m_session = nullptr;  // the session it is the controlling terminal of
  i32 m_foreground = 0;          // that session's foreground process group (a pgid)
};

// ---- Processes joining and leaving (kernel/process.cpp) ----
// A new process (fork) joins its parent's group; init starts a group and session of its own.
void job_control_fork_locked(Process* parent, Process* child);
Result<void> job_control_init_locked(Process* init);
// A reaped process leaves its group (which may then go, with its session).
void job_control_release_locked(Process* p);
// Is pid in use as the id of a group or a session? Such pids are not given to new processes.
bool job_control_pid_in_use_locked(i32 pid);
// An exiting process: a session leader gives up its terminal (its foreground group gets SIGHUP and SIGCONT);
// process groups that its exit orphans and that have stopped members get SIGHUP and SIGCONT (POSIX: a stopped
// group nobody can continue is woken up to die or go on). Called before its children go to init.
void job_control_exit_locked(Process* p);

// Ids, for getpgid, getsid, /proc.
i32 process_pgid_locked(const Process* p);
i32 process_sid_locked(const Process* p);
// Would a terminal's stop signal be discarded for p, because its group is orphaned (no member has a parent in
// another group of the same session)? Takes g_process_lock.
bool process_group_is_orphaned(Process* p);

// A child stopped (CLD_STOPPED) or was continued (CLD_CONTINUED) by sig: its parent gets SIGCHLD (unless it
// ignores it or asked for SA_NOCLDSTOP), and wait4 wakes.
void notify_parent_job_change(Process* child, i32 code, unsigned sig);

// ---- Signals to a group ----
// Send info's signal to every live process of group pgid. SRCH if there is none.
Result<void> signal_send_group(i32 pgid, const linux::siginfo& info);
Result<void> signal_send_group_locked(ProcessGroup* group, const linux::siginfo& info);
ProcessGroup* process_group_find_locked(i32 pgid);

// ---- The terminal's side (kernel/fs/tty.cpp) ----
// The terminal ioctls of job control: TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID. NOTTY for others.
Result<i64> terminal_job_ioctl(Terminal& terminal, u64 request, u64 argument);
// Is the calling process allowed to read from the terminal now? A process of a background group gets SIGTTIN
// sent to its group and RESTARTSYS (it stops, and reads again when continued), or EIO if SIGTTIN is ignored or
// blocked or its group is orphaned. Processes for which it is not the controlling terminal may read.
Result<void> terminal_check_read(Terminal& terminal);
// The same for changing the terminal's settings (and writing, with TOSTOP): SIGTTOU; allowed if SIGTTOU is
// ignored or blocked.
Result<void> terminal_check_change(Terminal& terminal);
// A typed ^C, ^\ or ^Z: sig to the foreground group. Called from the console's interrupt.
void terminal_signal_foreground(Terminal& terminal, unsigned sig);

// ---- System calls ----
struct SyscallArgs;
Result<u64> sys_setpgid(const SyscallArgs&);
Result<u64> sys_getpgid(const SyscallArgs&);
Result<u64> sys_setsid(const SyscallArgs&);
Result<u64> sys_getsid(const SyscallArgs&);
