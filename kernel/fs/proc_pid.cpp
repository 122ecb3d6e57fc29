// The per-process text of /proc/PID (Linux's fs/proc/array.c and base.c formats): stat, statm, status, cmdline,
// comm, limits, syscall, fdinfo, and what the links exe, cwd, fd/N and map_files/A-B lead to.
#include <cstring>

#include "kernel/credentials.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/proc_internal.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/vfs.h"
#include "kernel/signal/job_control.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "lib/format.h"
#include "mm/address_space.h"
#include "mm/heap.h"

namespace {

char state_letter_locked(Process& p) {
  if (p.m_state == ProcessState::Zombie) return 'Z';
  if (!p.m_thread) return 'R';
  if (signal_is_stopped(&p)) return 'T';
  // Read without the scheduler's lock: a snapshot is all /proc promises.
  ThreadState s = __atomic_load_n(&p.m_thread->m_state, __ATOMIC_RELAXED);
  return s == ThreadState::Sleeping ? 'S' : 'R';
}

const char* state_name(char letter) {
  switch (letter) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'Z': return "Z (zombie)";
    case 'T': return "T (stopped)";
  }
  return "R (running)";
}

// The process's name as /proc prints it (comm: at most 15 characters).
void copy_name_locked(const Process& p, char (&name)[PROCESS_NAME_MAX]) {
  memcpy(name, p.m_name, PROCESS_NAME_MAX);
  name[PROCESS_NAME_MAX - 1] = '\0';
}

// The descriptor table and fs context /proc shows for a process: its leader's, or (once the leader has exited)
// another live thread's; nullptr for a zombie. g_process_lock held.
FdTable* files_locked(Process* p) {
  Thread* t = p ? (p->m_thread ? p->m_thread : p->m_threads.front()) : nullptr;
  return t ? t->m_files.get() : nullptr;
}
FsContext* fs_locked(Process* p) {
  Thread* t = p ? (p->m_thread ? p->m_thread : p->m_threads.front()) : nullptr;
  return t ? t->m_fs.get() : nullptr;
}

// The open file behind a descriptor (EBADF if it is closed, ESRCH if the process has gone).
Result<RefPtr<File>> file_of(i32 pid, i32 fd) {
  SpinlockGuard guard(g_process_lock);
  FdTable* files = files_locked(proc_find_locked(pid));
  if (!files) return Error::SRCH;
  return files->get(fd);
}

u64 load(const Atomic<u64>& a) { return a.load(MemoryOrder::Relaxed); }

}  // namespace

Result<void> proc_pid_stat(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  char name[PROCESS_NAME_MAX];
  copy_name_locked(*p, name);
  char state = state_letter_locked(*p);
  i32 ppid = p->m_parent ? p->m_parent->m_pid : 0;
  ProcMemoryUse use = proc_memory_use_locked(*p);
  u64 start_ticks = p->m_start_time_ns / CPU_TICK_NS;
  i32 nice = p->m_nice.load(MemoryOrder::Relaxed);
  const ProcessCpuTime& t = p->m_cpu_time;
  // Fields 1-52 of proc(5); what is not kept is 0.
  // Field 18, priority, is 20 + nice for a normal process; field 20 the number of threads.
  out.appendf("%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 %llu %llu %llu %llu %d %d 1 0 %llu %llu %llu %llu", p->m_pid, name,
              state, ppid, process_pgid_locked(p), process_sid_locked(p), static_cast<unsigned long long>(load(t.user)),
              static_cast<unsigned long long>(load(t.system)), static_cast<unsigned long long>(load(t.children_user)),
              static_cast<unsigned long long>(load(t.children_system)), 20 + nice, nice,
              static_cast<unsigned long long>(start_ticks), static_cast<unsigned long long>(use.size_pages * PAGE_SIZE),
              static_cast<unsigned long long>(use.resident_pages), static_cast<unsigned long long>(~0ull));
  // Fields 26-52: startcode .. cnswap (12), exit_signal (SIGCHLD), processor .. exit_code (14).
  out.append(" 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  return {};
}

// statm: size resident shared text lib data dt, in pages (lib and dt are always 0 since Linux 2.6).
Result<void> proc_pid_statm(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  ProcMemoryUse use = proc_memory_use_locked(*p);
  out.appendf("%llu %llu %llu %llu 0 %llu 0\n", static_cast<unsigned long long>(use.size_pages),
              static_cast<unsigned long long>(use.resident_pages), static_cast<unsigned long long>(use.shared_pages),
              static_cast<unsigned long long>(use.text_pages), static_cast<unsigned long long>(use.data_pages));
  return {};
}

Result<void> proc_pid_status(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  char name[PROCESS_NAME_MAX];
  copy_name_locked(*p, name);
  i32 ppid = p->m_parent ? p->m_parent->m_pid : 0;
  ProcMemoryUse use = proc_memory_use_locked(*p);
  out.appendf("Name:\t%s\n", name);
  // The umask of its fs context; a zombie has none, and Linux leaves the line out then.
  if (FsContext* fs = fs_locked(p)) out.appendf("Umask:\t%04o\n", fs->umask());
  out.appendf("State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
              state_name(state_letter_locked(*p)), p->m_pid, p->m_pid, ppid);
  out.append("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t");
  if (const GroupList* groups = p->m_groups.get())
    for (u32 i = 0; i < groups->count; i++) out.appendf(i ? " %u" : "%u", groups->gids[i]);
  out.append(" \n");
  if (p->m_state != ProcessState::Zombie) {
    out.appendf("VmSize:\t%8llu kB\nVmRSS:\t%8llu kB\n", static_cast<unsigned long long>(use.size_pages * KB_PER_PAGE),
                static_cast<unsigned long long>(use.resident_pages * KB_PER_PAGE));
    // VmPTE: its page tables, as Linux's (meminfo's PageTables adds them up).
    out.appendf("VmPTE:\t%8llu kB\nVmSwap:\t%8llu kB\n",
                static_cast<unsigned long long>(p->m_space->pmap().table_pages() * KB_PER_PAGE),
                static_cast<unsigned long long>(p->m_space->swapped_pages() * KB_PER_PAGE));
  }
  SignalSummary sig = signal_summary(p);
  // Threads: the live ones (a zombie counts as its one thread until it is reaped, as Linux's nr_threads).
  u32 threads = 0;
  for (Thread& t : p->m_threads) {
    (void)t;
    threads++;
  }
  out.appendf("Threads:\t%u\n", threads ? threads : 1);
  out.appendf("SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
              "SigCgt:\t%016llx\nNoNewPrivs:\t%d\n",
              static_cast<unsigned long long>(sig.pending), static_cast<unsigned long long>(sig.shared_pending),
              static_cast<unsigned long long>(sig.blocked), static_cast<unsigned long long>(sig.ignored),
              static_cast<unsigned long long>(sig.caught), p->m_prctl.no_new_privs ? 1 : 0);
  return {};
}

Result<void> proc_pid_cmdline(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  if (p->m_state == ProcessState::Zombie) return {};  // Linux: empty once the memory is gone
  usize length = p->m_cmdline_length < PROCESS_PATH_MAX ? p->m_cmdline_length : PROCESS_PATH_MAX;
  out.append(p->m_cmdline, length);
  return {};
}

Result<void> proc_pid_comm(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  char name[PROCESS_NAME_MAX];
  copy_name_locked(*p, name);
  out.appendf("%s\n", name);
  return {};
}

// comm_write: the new name is what was written, cut to 15 bytes (a newline included, as on Linux).
Result<usize> proc_pid_set_comm(i32 pid, const IoBuffer& buffer, usize len) {
  char name[PROCESS_NAME_MAX] = {};
  usize n = len < PROCESS_NAME_MAX - 1 ? len : PROCESS_NAME_MAX - 1;
  TRY(buffer.read(0, name, n));
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  memcpy(p->m_name, name, sizeof(name));
  return len;
}

// proc_pid_limits: the resource limits in Linux's table.
Result<void> proc_pid_limits(TextBuilder& out, i32 pid) {
  static const struct {
    const char* name;
    const char* unit;
  } rows[linux::RLIM_NLIMITS] = {
      {"Max cpu time", "seconds"},       {"Max file size", "bytes"},        {"Max data size", "bytes"},
      {"Max stack size", "bytes"},       {"Max core file size", "bytes"},   {"Max resident set", "bytes"},
      {"Max processes", "processes"},    {"Max open files", "files"},       {"Max locked memory", "bytes"},
      {"Max address space", "bytes"},    {"Max file locks", "locks"},       {"Max pending signals", "signals"},
      {"Max msgqueue size", "bytes"},    {"Max nice priority", ""},         {"Max realtime priority", ""},
      {"Max realtime timeout", "us"},
  };
  linux::rlimit limits[linux::RLIM_NLIMITS];
  {
    SpinlockGuard guard(g_process_lock);
    Process* p = proc_find_locked(pid);
    if (!p) return Error::SRCH;
    SpinlockGuard limits_guard(p->m_limits_lock);
    memcpy(limits, p->m_limits, sizeof(limits));
  }
  out.appendf("%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
  for (u32 i = 0; i < linux::RLIM_NLIMITS; i++) {
    out.appendf("%-25s ", rows[i].name);
    for (u64 value : {limits[i].rlim_cur, limits[i].rlim_max}) {
      if (value == linux::RLIM_INFINITY)
        out.appendf("%-20s ", "unlimited");
      else
        out.appendf("%-20llu ", static_cast<unsigned long long>(value));
    }
    out.appendf("%-10s\n", rows[i].unit);
  }
  return {};
}

// proc_pid_syscall: the system call the process is in ("number arg1..arg6 sp pc"), "-1 sp pc" when it is in
// the kernel for something else (a page fault), "running" when it runs in user mode on another hart.
Result<void> proc_pid_syscall(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  Thread* t = p->m_thread;
  if (!t || p->m_state == ProcessState::Zombie) return Error::SRCH;
  bool is_self = t == current_thread();
  ThreadState s = __atomic_load_n(&t->m_state, __ATOMIC_RELAXED);
  if (!is_self && s != ThreadState::Sleeping) {
    out.append("running\n");
    return {};
  }
  const TrapFrame& tf = *t->m_trap_frame;
  constexpr u64 SCAUSE_ECALL_FROM_U = 8;
  if (tf.scause != SCAUSE_ECALL_FROM_U) {
    out.appendf("-1 0x%llx 0x%llx\n", static_cast<unsigned long long>(tf.sp), static_cast<unsigned long long>(tf.sepc));
    return {};
  }
  out.appendf("%lld 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx\n", static_cast<long long>(tf.a7),
              static_cast<unsigned long long>(tf.orig_a0), static_cast<unsigned long long>(tf.a1),
              static_cast<unsigned long long>(tf.a2), static_cast<unsigned long long>(tf.a3),
              static_cast<unsigned long long>(tf.a4), static_cast<unsigned long long>(tf.a5),
              static_cast<unsigned long long>(tf.sp), static_cast<unsigned long long>(tf.sepc));
  return {};
}

// seq_show for fdinfo: the position, the flags (O_CLOEXEC from the descriptor), the mount and the inode.
Result<void> proc_pid_fdinfo(TextBuilder& out, i32 pid, i32 fd) {
  RefPtr<File> file;
  bool cloexec;
  {
    SpinlockGuard guard(g_process_lock);
    FdTable* files = files_locked(proc_find_locked(pid));
    if (!files) return Error::SRCH;
    file = TRY(files->get(fd));
    cloexec = TRY(files->cloexec(fd));
  }
  u32 flags = file->flags() | (cloexec ? linux::O_CLOEXEC : 0);
  Inode* inode = file->inode();
  out.appendf("pos:\t%llu\nflags:\t0%o\nmnt_id:\t%llu\nino:\t%llu\n", static_cast<unsigned long long>(file->position()),
              flags, static_cast<unsigned long long>(inode ? inode->device() : 0),
              static_cast<unsigned long long>(inode ? inode->number() : 0));
  file->append_fdinfo(out);
  return {};
}

Result<usize> proc_pid_fd_link(i32 pid, i32 fd, char* buffer, usize size) {
  RefPtr<File> file = TRY(file_of(pid, fd));
  Inode* inode = file->inode();
  if (inode && inode->is_directory()) {
    char* path = static_cast<char*>(kmalloc(fs_limits::MAX_PATH));
    if (!path) return Error::NOMEM;
    auto length = vfs_path_of(inode, path, fs_limits::MAX_PATH);
    if (!length.is_error()) length = proc_copy_link(buffer, size, path, length.value());
    kfree(path);
    if (!length.is_error()) return length;
  }
  // A regular file: the name its memory object was given (its path when it was created).
  if (inode && inode->is_regular()) {
    if (auto object = inode->mmap_object(); !object.is_error() && object.value()->path()) {
      const char* path = object.value()->path();
      char text[PROCESS_PATH_MAX];
      usize n = format(text, sizeof(text), "%s%s", path, inode->nlink() == 0 ? " (deleted)" : "");
      return proc_copy_link(buffer, size, text, n);
    }
  }
  const char* description = file->describe();
  return proc_copy_link(buffer, size, description, strlen(description));
}

Result<RefPtr<Inode>> proc_pid_fd_inode(i32 pid, i32 fd) {
  RefPtr<File> file = TRY(file_of(pid, fd));
  if (Inode* inode = file->inode()) return RefPtr<Inode>(inode);
  return RefPtr<Inode>();  // a pipe or the console: only the link's text ("pipe:[3]") is there
}

Result<void> proc_pid_for_each_fd(i32 pid, void (*fn)(void* context, i32 fd), void* context) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  if (FdTable* files = files_locked(p)) files->for_each([&](int fd, File&) { fn(context, fd); });
  return {};
}

Result<void> proc_pid_for_each_file_region(i32 pid, void (*fn)(void* context, u64 start, u64 end), void* context) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  if (p->m_space && p->m_state != ProcessState::Zombie) {
    p->m_space->for_each_region([&](const Region& r) {
      if (r.m_object && !r.m_object->is_special_mapping()) fn(context, r.m_start.get(), r.m_end.get());
    });
  }
  return {};
}

Result<usize> proc_pid_map_file_link(i32 pid, u64 start, u64 end, char* buffer, usize size) {
  char text[PROCESS_PATH_MAX];
  usize n = 0;
  bool found = false;
  {
    SpinlockGuard guard(g_process_lock);
    Process* p = proc_find_locked(pid);
    if (!p) return Error::SRCH;
    if (p->m_space && p->m_state != ProcessState::Zombie) {
      p->m_space->for_each_region([&](const Region& r) {
        if (found || !r.m_object || r.m_object->is_special_mapping() || r.m_start.get() != start ||
            r.m_end.get() != end)
          return;
        found = true;
        const char* path = r.m_object->path();
        n = format(text, sizeof(text), "%s", path ? path : "/dev/zero (deleted)");
      });
    }
  }
  if (!found) return Error::NOENT;
  return proc_copy_link(buffer, size, text, n);
}

Result<usize> proc_pid_exe(i32 pid, char* buffer, usize size) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::NOENT;
  usize length = strnlen(p->m_exe_path, PROCESS_PATH_MAX);
  if (length == 0 || p->m_state == ProcessState::Zombie) return Error::NOENT;
  return proc_copy_link(buffer, size, p->m_exe_path, length);
}

Result<RefPtr<Inode>> proc_pid_exe_inode(i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p || !p->m_executable) return Error::NOENT;
  return RefPtr<Inode>(p->m_executable.inode());
}

Result<RefPtr<Inode>> proc_pid_cwd_inode(i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  FsContext* fs = files_locked(p) && p->m_state != ProcessState::Zombie ? fs_locked(p) : nullptr;
  RefPtr<Inode> cwd = fs ? fs->working_directory() : nullptr;
  if (!cwd) return Error::NOENT;
  return cwd;
}

Result<usize> proc_pid_cwd(i32 pid, char* buffer, usize size) {
  RefPtr<Inode> cwd = TRY(proc_pid_cwd_inode(pid));
  // The path is found without g_process_lock: the walk up takes the name-space lock.
  char* path = static_cast<char*>(kmalloc(fs_limits::MAX_PATH));
  if (!path) return Error::NOMEM;
  auto length = vfs_path_of(cwd.get(), path, fs_limits::MAX_PATH);
  if (!length.is_error()) length = proc_copy_link(buffer, size, path, length.value());
  kfree(path);
  return length;
}
