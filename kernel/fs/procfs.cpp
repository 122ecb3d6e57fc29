// The inodes of /proc (kernel/fs/procfs.h). Nothing is stored: lookup() makes a fresh inode for a name that
// exists right now (a fixed entry, a live pid, an open descriptor, a file mapping), with an inode number
// computed from what it names, so that stat() agrees from one lookup to the next.
//
// Inode numbers:
//   1                          the root
//   2 + i                      the root's i-th fixed entry
//   0x100 + i                  the i-th node of the /proc/sys tree
//   pid << 32 | tid << 16 | c  a process's (tid 0) or a thread's own entries: c = 0 its directory, 1 + i its
//                              i-th fixed entry, 0x1000 + fd for fd/N, 0x2000 + fd for fdinfo/N, 0x4000 + k
//                              for the k-th entry of map_files (fds are below 4096)
// Directory cookies (getdents64's d_off): 0 ".", 1 "..", then 2 + i for fixed entries; a listing of pids, fds,
// threads or mappings uses 1000 + the number it lists.
#include <cstring>

#include "kernel/fs/open_file.h"
#include "kernel/fs/proc_internal.h"
#include "kernel/fs/procfs.h"
#include "kernel/process.h"
#include "lib/format.h"

namespace {

constexpr u64 LIST_COOKIE_BASE = 1000;
constexpr u64 CODE_FD = 0x1000, CODE_FDINFO = 0x2000, CODE_MAP_FILE = 0x4000;

enum class ProcKind : u8 {
  // /proc
  Cpuinfo, Diskstats, KernelStats, Loadavg, Meminfo, Mounts, Partitions, Self, Stat, Swaps, Sys, ThreadSelf, Uptime,
  Version, Vmstat,
  // /proc/PID and /proc/PID/task/TID
  PidCmdline, PidComm, PidCwd, PidExe, PidFdDir, PidFdinfoDir, PidLimits, PidMapFilesDir, PidMaps, PidMounts, PidPagemap,
  PidRoot, PidSmaps, PidSmapsRollup, PidStat, PidStatm, PidStatus, PidSyscall, PidTaskDir,
};

enum class EntryType : u8 { File, Link, Directory };

struct EntrySpec {
  const char* name;
  ProcKind kind;
  EntryType type;
  u16 permissions;
  bool is_process_only = false;  // not in /proc/PID/task/TID (the thread's own directory)
};

// In the order listings show them.
const EntrySpec ROOT_ENTRIES[] = {
    {"cpuinfo", ProcKind::Cpuinfo, EntryType::File, 0444},
    {"diskstats", ProcKind::Diskstats, EntryType::File, 0444},
    {"kernel-stats", ProcKind::KernelStats, EntryType::File, 0444},  // ours: the leak check's counters
    {"loadavg", ProcKind::Loadavg, EntryType::File, 0444},
    {"meminfo", ProcKind::Meminfo, EntryType::File, 0444},
    {"mounts", ProcKind::Mounts, EntryType::File, 0444},
    {"partitions", ProcKind::Partitions, EntryType::File, 0444},
    {"self", ProcKind::Self, EntryType::Link, 0777},
    {"stat", ProcKind::Stat, EntryType::File, 0444},
    {"swaps", ProcKind::Swaps, EntryType::File, 0444},
    {"sys", ProcKind::Sys, EntryType::Directory, 0555},
    {"thread-self", ProcKind::ThreadSelf, EntryType::Link, 0777},
    {"uptime", ProcKind::Uptime, EntryType::File, 0444},
    {"version", ProcKind::Version, EntryType::File, 0444},
    {"vmstat", ProcKind::Vmstat, EntryType::File, 0444},
};
// Modes as Linux 6.1 gives them.
const EntrySpec PID_ENTRIES[] = {
    {"cmdline", ProcKind::PidCmdline, EntryType::File, 0444},
    {"comm", ProcKind::PidComm, EntryType::File, 0644},
    {"cwd", ProcKind::PidCwd, EntryType::Link, 0777},
    {"exe", ProcKind::PidExe, EntryType::Link, 0777},
    {"fd", ProcKind::PidFdDir, EntryType::Directory, 0500},
    {"fdinfo", ProcKind::PidFdinfoDir, EntryType::Directory, 0555},
    {"limits", ProcKind::PidLimits, EntryType::File, 0444},
    {"map_files", ProcKind::PidMapFilesDir, EntryType::Directory, 0500, true},
    {"maps", ProcKind::PidMaps, EntryType::File, 0444},
    {"mounts", ProcKind::PidMounts, EntryType::File, 0444},
    {"pagemap", ProcKind::PidPagemap, EntryType::File, 0400},
    {"root", ProcKind::PidRoot, EntryType::Link, 0777},
    {"smaps", ProcKind::PidSmaps, EntryType::File, 0444},
    {"smaps_rollup", ProcKind::PidSmapsRollup, EntryType::File, 0444},
    {"stat", ProcKind::PidStat, EntryType::File, 0444},
    {"statm", ProcKind::PidStatm, EntryType::File, 0444},
    {"status", ProcKind::PidStatus, EntryType::File, 0444},
    {"syscall", ProcKind::PidSyscall, EntryType::File, 0400},
    {"task", ProcKind::PidTaskDir, EntryType::Directory, 0555, true},
};

// /proc/sys: a small fixed tree. Settings are read-only here (mode 0444): what they show is what this kernel
// does, and none of them can be changed yet.
struct SysNode {
  const char* name;
  i16 parent;      // index of the directory holding it; -1: /proc/sys itself
  bool is_directory;
  const char* key;  // the setting's name for proc_sys_value ("vm/max_map_count")
};
const SysNode SYS_NODES[] = {
    {"fs", -1, true, nullptr},
    {"kernel", -1, true, nullptr},
    {"vm", -1, true, nullptr},
    {"file-max", 0, false, "fs/file-max"},
    {"file-nr", 0, false, "fs/file-nr"},
    {"pipe-max-size", 0, false, "fs/pipe-max-size"},
    {"pipe-user-pages-hard", 0, false, "fs/pipe-user-pages-hard"},
    {"pipe-user-pages-soft", 0, false, "fs/pipe-user-pages-soft"},
    {"cap_last_cap", 1, false, "kernel/cap_last_cap"},
    {"hostname", 1, false, "kernel/hostname"},
    {"ngroups_max", 1, false, "kernel/ngroups_max"},
    {"osrelease", 1, false, "kernel/osrelease"},
    {"ostype", 1, false, "kernel/ostype"},
    {"pid_max", 1, false, "kernel/pid_max"},
    {"version", 1, false, "kernel/version"},
    {"max_map_count", 2, false, "vm/max_map_count"},
    {"mmap_min_addr", 2, false, "vm/mmap_min_addr"},
    {"overcommit_memory", 2, false, "vm/overcommit_memory"},
    {"page-cluster", 2, false, "vm/page-cluster"},
};
constexpr u64 SYS_NUMBER_BASE = 0x100;
constexpr i16 SYS_ROOT = -1;

u64 sys_number(i16 node) { return node == SYS_ROOT ? SYS_NUMBER_BASE - 1 : SYS_NUMBER_BASE + static_cast<u64>(node); }

u64 task_number(i32 pid, i32 tid, u64 code) {
  return (static_cast<u64>(pid) << 32) | (static_cast<u64>(tid) << 16) | code;
}

bool process_exists(i32 pid) { return static_cast<bool>(process_find(pid)); }

// The threads of a process, by tid (one each today: its tid is its pid).
bool thread_exists(i32 pid, i32 tid) { return tid == pid && process_exists(pid); }

// A decimal number written as Linux accepts it in /proc names: digits only, no leading zero.
bool parse_decimal(const char* name, usize len, u64 limit, u64& value) {
  if (len == 0 || len > 10 || (len > 1 && name[0] == '0')) return false;
  value = 0;
  for (usize i = 0; i < len; i++) {
    if (name[i] < '0' || name[i] > '9') return false;
    value = value * 10 + static_cast<u64>(name[i] - '0');
  }
  return value < limit;
}

i32 parse_pid(const char* name, usize len) {
  u64 value;
  return parse_decimal(name, len, PID_MAX, value) && value > 0 ? static_cast<i32>(value) : -1;
}

// "start-end" in lower-case hex without leading zeros, as map_files names mappings.
bool parse_range(const char* name, usize len, u64& start, u64& end) {
  const char* dash = static_cast<const char*>(memchr(name, '-', len));
  if (!dash) return false;
  auto hex = [](const char* s, usize n, u64& out) {
    if (n == 0 || n > 16 || (n > 1 && s[0] == '0')) return false;
    out = 0;
    for (usize i = 0; i < n; i++) {
      char c = s[i];
      u64 digit = c >= '0' && c <= '9' ? static_cast<u64>(c - '0') : c >= 'a' && c <= 'f' ? static_cast<u64>(c - 'a' + 10) : 16;
      if (digit == 16) return false;
      out = out << 4 | digit;
    }
    return true;
  };
  usize first = static_cast<usize>(dash - name);
  return hex(name, first, start) && hex(dash + 1, len - first - 1, end) && start < end;
}

template <usize N>
const EntrySpec* find_entry(const EntrySpec (&entries)[N], const char* name, usize len, usize& index) {
  for (index = 0; index < N; index++)
    if (strlen(entries[index].name) == len && memcmp(entries[index].name, name, len) == 0) return &entries[index];
  return nullptr;
}

u8 dirent_type_of(EntryType t) {
  return t == EntryType::Directory ? linux::DT_DIR : t == EntryType::Link ? linux::DT_LNK : linux::DT_REG;
}

template <typename T, typename... Args>
Result<RefPtr<Inode>> make_inode(Args&&... args) {
  auto* inode = new T(static_cast<Args&&>(args)...);
  if (!inode) return Error::NOMEM;
  return RefPtr<Inode>(RefPtr<T>::adopt(inode));
}

// What every /proc inode shares: its attributes are fixed (chmod and the like are EPERM).
class ProcInode : public Inode {
 public:
  ProcInode(InodeType type, u32 permissions, FileSystem& fs, u64 number) : Inode(type, permissions, fs, number, 0) {}
  Result<void> set_attributes(const AttributeChange&) override { return Error::PERM; }
};

// A directory of /proc: "." and ".." and what list_entries gives.
class ProcDirectory : public ProcInode {
 public:
  ProcDirectory(u32 permissions, FileSystem& fs, u64 number, RefPtr<Inode> parent)
      : ProcInode(InodeType::Directory, permissions, fs, number), m_parent(static_cast<RefPtr<Inode>&&>(parent)) {
    m_nlink.store(2, MemoryOrder::Relaxed);
  }
  Result<RefPtr<File>> open(u32 flags) override { return directory_file_open(*this, flags); }
  Result<RefPtr<Inode>> parent() override { return m_parent ? m_parent : RefPtr<Inode>(this); }

  // The name `child` has here (the path of a directory in /proc, for getcwd and /proc/PID/fd/N): found by
  // listing this directory.
  Result<usize> name_of(const Inode& child, char* buffer, usize size) override {
    if (&child.file_system() != &file_system()) return Error::NOENT;
    struct Finder final : DirSink {
      u64 wanted;
      char* buffer;
      usize size;
      Result<usize> found = Error::NOENT;
      bool emit(u64, u64 ino, u8, const char* name, usize len) override {
        if (ino != wanted || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) return true;
        found = len > size ? Result<usize>(Error::NAMETOOLONG) : proc_copy_link(buffer, size, name, len);
        return false;
      }
    } finder;
    finder.wanted = child.number();
    finder.buffer = buffer;
    finder.size = size;
    TRY(list(2, finder));
    return finder.found;
  }

  Result<void> list(u64 cookie, DirSink& sink) override {
    if (cookie == 0 && !sink.emit(1, number(), linux::DT_DIR, ".", 1)) return {};
    Inode* up = m_parent ? m_parent.get() : this;
    if (cookie <= 1 && !sink.emit(2, up->number(), linux::DT_DIR, "..", 2)) return {};
    return list_entries(cookie < 2 ? 2 : cookie, sink);
  }

 protected:
  // Entries from `cookie` (>= 2) on.
  virtual Result<void> list_entries(u64 cookie, DirSink& sink) = 0;

  // Emit a table's entries from cookie on (cookies 2 + i); false when the sink is full.
  template <usize N, typename Keep, typename Number>
  bool list_table(const EntrySpec (&entries)[N], u64 cookie, DirSink& sink, Keep keep, Number number_of) {
    for (usize i = cookie - 2; i < N; i++) {
      if (!keep(entries[i])) continue;
      const EntrySpec& e = entries[i];
      if (!sink.emit(i + 3, number_of(i), dirent_type_of(e.type), e.name, strlen(e.name))) return false;
    }
    return true;
  }

 private:
  RefPtr<Inode> m_parent;  // nullptr for the root (its ".." is itself; the walk crosses the mount)
};

// A generated text file. Its kind and target (pid, tid, fd) say what it shows.
class ProcEntry final : public ProcTextSource {
 public:
  ProcEntry(FileSystem& fs, const EntrySpec& spec, i32 pid, u64 number, i32 fd = -1, const char* sys_key = nullptr)
      : ProcTextSource(spec.permissions, fs, number), m_kind(spec.kind), m_pid(pid), m_fd(fd), m_sys_key(sys_key) {}

  Result<RefPtr<File>> open(u32 flags) override {
    if (m_kind == ProcKind::PidPagemap) {
      if (!process_exists(m_pid)) return Error::SRCH;
      return proc_pagemap_open(*this, m_pid, flags);
    }
    return ProcTextSource::open(flags);
  }

  Result<void> generate(TextBuilder& out) override {
    if (m_sys_key) return proc_sys_value(out, m_sys_key);
    if (m_fd >= 0) return proc_pid_fdinfo(out, m_pid, m_fd);
    switch (m_kind) {
      case ProcKind::Cpuinfo: return proc_cpuinfo(out);
      case ProcKind::Diskstats: return proc_diskstats(out);
      case ProcKind::Loadavg: return proc_loadavg(out);
      case ProcKind::Meminfo: return proc_meminfo(out);
      case ProcKind::Mounts:
      case ProcKind::PidMounts: return proc_mounts(out);
      case ProcKind::Partitions: return proc_partitions(out);
      case ProcKind::Stat: return proc_stat(out);
      case ProcKind::Uptime: return proc_uptime(out);
      case ProcKind::Swaps: return proc_swaps(out);
      case ProcKind::Vmstat: return proc_vmstat(out);
      case ProcKind::Version: return proc_version(out);
      case ProcKind::KernelStats: return proc_kernel_stats(out);
      case ProcKind::PidCmdline: return proc_pid_cmdline(out, m_pid);
      case ProcKind::PidComm: return proc_pid_comm(out, m_pid);
      case ProcKind::PidLimits: return proc_pid_limits(out, m_pid);
      case ProcKind::PidMaps: return proc_pid_maps(out, m_pid);
      case ProcKind::PidSmaps: return proc_pid_smaps(out, m_pid);
      case ProcKind::PidSmapsRollup: return proc_pid_smaps_rollup(out, m_pid);
      case ProcKind::PidStat: return proc_pid_stat(out, m_pid);
      case ProcKind::PidStatm: return proc_pid_statm(out, m_pid);
      case ProcKind::PidStatus: return proc_pid_status(out, m_pid);
      case ProcKind::PidSyscall: return proc_pid_syscall(out, m_pid);
      default: return Error::INVAL;
    }
  }

  Result<usize> write_text(const IoBuffer& buffer, usize len) override {
    if (m_kind == ProcKind::PidComm && m_fd < 0) return proc_pid_set_comm(m_pid, buffer, len);
    return Error::INVAL;
  }

 private:
  ProcKind m_kind;
  i32 m_pid;              // 0 for the entries of /proc itself
  i32 m_fd;               // fdinfo/N: N; else -1
  const char* m_sys_key;  // /proc/sys settings
};

// A symbolic link: self, thread-self, and the "magic" links of a process (exe, cwd, root, fd/N, map_files/A-B),
// which a path walk follows to the inode they stand for, not through their text.
class ProcLink final : public ProcInode {
 public:
  enum class What : u8 { Self, ThreadSelf, Exe, Cwd, Root, Fd, MapFile };
  ProcLink(FileSystem& fs, What what, u32 permissions, u64 number, i32 pid, i32 fd = -1, u64 start = 0, u64 end = 0)
      : ProcInode(InodeType::Symlink, permissions, fs, number), m_what(what), m_pid(pid), m_fd(fd), m_start(start),
        m_end(end) {}

  Result<usize> readlink(char* buffer, usize size) override {
    char text[40];
    switch (m_what) {
      case What::Self:
      case What::ThreadSelf: {
        Process* self = current_process();
        if (!self) return Error::NOENT;
        i32 pid = self->m_pid, tid = static_cast<i32>(current_thread()->m_tid);
        usize n = m_what == What::Self ? format(text, sizeof(text), "%d", pid)
                                       : format(text, sizeof(text), "%d/task/%d", pid, tid);
        return proc_copy_link(buffer, size, text, n);
      }
      case What::Exe: return proc_pid_exe(m_pid, buffer, size);
      case What::Cwd: return proc_pid_cwd(m_pid, buffer, size);
      case What::Root: return proc_copy_link(buffer, size, "/", 1);
      case What::Fd: return proc_pid_fd_link(m_pid, m_fd, buffer, size);
      case What::MapFile: return proc_pid_map_file_link(m_pid, m_start, m_end, buffer, size);
    }
    return Error::INVAL;
  }

  Result<RefPtr<Inode>> follow_link() override {
    switch (m_what) {
      case What::Exe: return proc_pid_exe_inode(m_pid);
      case What::Cwd: return proc_pid_cwd_inode(m_pid);
      case What::Fd: return proc_pid_fd_inode(m_pid, m_fd);
      default: return RefPtr<Inode>();  // followed through the text
    }
  }

 private:
  What m_what;
  i32 m_pid;
  i32 m_fd;
  u64 m_start, m_end;
};

Result<RefPtr<Inode>> make_pid_link(FileSystem& fs, ProcKind kind, u64 number, i32 pid) {
  ProcLink::What what = kind == ProcKind::PidExe   ? ProcLink::What::Exe
                        : kind == ProcKind::PidCwd ? ProcLink::What::Cwd
                                                   : ProcLink::What::Root;
  return make_inode<ProcLink>(fs, what, 0777u, number, pid);
}

// /proc/PID/fd and /proc/PID/fdinfo: one entry per open descriptor.
class ProcFdDir final : public ProcDirectory {
 public:
  ProcFdDir(FileSystem& fs, u64 number, RefPtr<Inode> parent, i32 pid, i32 tid, bool is_info)
      : ProcDirectory(is_info ? 0555 : 0500, fs, number, static_cast<RefPtr<Inode>&&>(parent)), m_pid(pid), m_tid(tid),
        m_is_info(is_info) {}

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override {
    u64 fd;
    if (!parse_decimal(name, len, 1u << 31, fd)) return Error::NOENT;
    char probe[1];
    if (proc_pid_fd_link(m_pid, static_cast<i32>(fd), probe, 0).is_error()) return Error::NOENT;  // not open
    u64 number = task_number(m_pid, m_tid, (m_is_info ? CODE_FDINFO : CODE_FD) + fd);
    if (m_is_info) {
      static const EntrySpec spec{"", ProcKind::PidStatus, EntryType::File, 0444};
      return make_inode<ProcEntry>(file_system(), spec, m_pid, number, static_cast<i32>(fd));
    }
    return make_inode<ProcLink>(file_system(), ProcLink::What::Fd, link_permissions(static_cast<i32>(fd)), number,
                                m_pid, static_cast<i32>(fd));
  }

 protected:
  Result<void> list_entries(u64 cookie, DirSink& sink) override {
    struct Context {
      ProcFdDir* dir;
      u64 cookie;
      DirSink* sink;
      bool is_full;
    } context{this, cookie, &sink, false};
    return proc_pid_for_each_fd(m_pid, [](void* c, i32 fd) {
      auto* ctx = static_cast<Context*>(c);
      u64 entry_cookie = LIST_COOKIE_BASE + static_cast<u64>(fd);
      if (ctx->is_full || entry_cookie < ctx->cookie) return;
      char name[16];
      usize len = format(name, sizeof(name), "%d", fd);
      ProcFdDir* d = ctx->dir;
      u64 number = task_number(d->m_pid, d->m_tid, (d->m_is_info ? CODE_FDINFO : CODE_FD) + static_cast<u64>(fd));
      ctx->is_full = !ctx->sink->emit(entry_cookie + 1, number, d->m_is_info ? linux::DT_REG : linux::DT_LNK, name, len);
    }, &context);
  }

 private:
  // Linux gives the link the access mode of the descriptor: r-x for reading, -wx for writing (owner only).
  u32 link_permissions(i32) const { return 0700; }

  i32 m_pid, m_tid;
  bool m_is_info;
};

// /proc/PID/map_files: one link per region mapping an object (a file, shared memory), named "start-end".
class ProcMapFilesDir final : public ProcDirectory {
 public:
  ProcMapFilesDir(FileSystem& fs, u64 number, RefPtr<Inode> parent, i32 pid)
      : ProcDirectory(0500, fs, number, static_cast<RefPtr<Inode>&&>(parent)), m_pid(pid) {}

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override {
    u64 start, end;
    if (!parse_range(name, len, start, end)) return Error::NOENT;
    char probe[1];
    if (proc_pid_map_file_link(m_pid, start, end, probe, 0).is_error()) return Error::NOENT;
    return make_inode<ProcLink>(file_system(), ProcLink::What::MapFile, 0400u,
                                task_number(m_pid, 0, CODE_MAP_FILE + ((start >> 12) & 0xbfff)), m_pid, -1, start, end);
  }

 protected:
  Result<void> list_entries(u64 cookie, DirSink& sink) override {
    struct Context {
      ProcMapFilesDir* dir;
      u64 cookie;
      DirSink* sink;
      u64 index;
      bool is_full;
    } context{this, cookie, &sink, 0, false};
    return proc_pid_for_each_file_region(m_pid, [](void* c, u64 start, u64 end) {
      auto* ctx = static_cast<Context*>(c);
      u64 entry_cookie = LIST_COOKIE_BASE + ctx->index++;
      if (ctx->is_full || entry_cookie < ctx->cookie) return;
      char name[40];
      usize len = format(name, sizeof(name), "%llx-%llx", static_cast<unsigned long long>(start),
                         static_cast<unsigned long long>(end));
      u64 number = task_number(ctx->dir->m_pid, 0, CODE_MAP_FILE + ((start >> 12) & 0xbfff));
      ctx->is_full = !ctx->sink->emit(entry_cookie + 1, number, linux::DT_LNK, name, len);
    }, &context);
  }

 private:
  i32 m_pid;
};

// /proc/PID (tid 0) or /proc/PID/task/TID.
class ProcPidDir final : public ProcDirectory {
 public:
  ProcPidDir(FileSystem& fs, RefPtr<Inode> parent, i32 pid, i32 tid)
      : ProcDirectory(0555, fs, task_number(pid, tid, 0), static_cast<RefPtr<Inode>&&>(parent)), m_pid(pid),
        m_tid(tid) {}

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override {
    usize index;
    const EntrySpec* spec = find_entry(PID_ENTRIES, name, len, index);
    if (!spec || !is_here(*spec) || !process_exists(m_pid)) return Error::NOENT;
    u64 number = task_number(m_pid, m_tid, 1 + index);
    RefPtr<Inode> self(this);
    switch (spec->kind) {
      case ProcKind::PidCwd:
      case ProcKind::PidExe:
      case ProcKind::PidRoot: return make_pid_link(file_system(), spec->kind, number, m_pid);
      case ProcKind::PidFdDir:
      case ProcKind::PidFdinfoDir:
        return make_inode<ProcFdDir>(file_system(), number, self, m_pid, m_tid, spec->kind == ProcKind::PidFdinfoDir);
      case ProcKind::PidMapFilesDir: return make_inode<ProcMapFilesDir>(file_system(), number, self, m_pid);
      case ProcKind::PidTaskDir: return make_task_dir(number, self);
      default: return make_inode<ProcEntry>(file_system(), *spec, m_pid, number);
    }
  }

  Result<void> list_entries(u64 cookie, DirSink& sink) override {
    if (!process_exists(m_pid)) return {};
    list_table(PID_ENTRIES, cookie, sink, [&](const EntrySpec& e) { return is_here(e); },
               [&](usize i) { return task_number(m_pid, m_tid, 1 + i); });
    return {};
  }

 private:
  bool is_here(const EntrySpec& e) const { return m_tid == 0 || !e.is_process_only; }
  Result<RefPtr<Inode>> make_task_dir(u64 number, RefPtr<Inode> self);

  i32 m_pid, m_tid;
};

// /proc/PID/task: one directory per thread.
class ProcTaskDir final : public ProcDirectory {
 public:
  ProcTaskDir(FileSystem& fs, u64 number, RefPtr<Inode> parent, i32 pid)
      : ProcDirectory(0555, fs, number, static_cast<RefPtr<Inode>&&>(parent)), m_pid(pid) {}

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override {
    i32 tid = parse_pid(name, len);
    if (tid < 0 || !thread_exists(m_pid, tid)) return Error::NOENT;
    return make_inode<ProcPidDir>(file_system(), RefPtr<Inode>(this), m_pid, tid);
  }

 protected:
  Result<void> list_entries(u64 cookie, DirSink& sink) override {
    if (!process_exists(m_pid)) return {};
    i32 tid = m_pid;  // the process's one thread
    u64 entry_cookie = LIST_COOKIE_BASE + static_cast<u64>(tid);
    if (entry_cookie < cookie) return {};
    char name[16];
    usize len = format(name, sizeof(name), "%d", tid);
    sink.emit(entry_cookie + 1, task_number(m_pid, tid, 0), linux::DT_DIR, name, len);
    return {};
  }

 private:
  i32 m_pid;
};

Result<RefPtr<Inode>> ProcPidDir::make_task_dir(u64 number, RefPtr<Inode> self) {
  return make_inode<ProcTaskDir>(file_system(), number, self, m_pid);
}

// /proc/sys and its directories.
class ProcSysDir final : public ProcDirectory {
 public:
  ProcSysDir(FileSystem& fs, RefPtr<Inode> parent, i16 node)
      : ProcDirectory(0555, fs, sys_number(node), static_cast<RefPtr<Inode>&&>(parent)), m_node(node) {}

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override {
    for (usize i = 0; i < array_size(SYS_NODES); i++) {
      const SysNode& n = SYS_NODES[i];
      if (n.parent != m_node || strlen(n.name) != len || memcmp(n.name, name, len) != 0) continue;
      if (n.is_directory) return make_inode<ProcSysDir>(file_system(), RefPtr<Inode>(this), static_cast<i16>(i));
      static const EntrySpec spec{"", ProcKind::Stat, EntryType::File, 0444};
      return make_inode<ProcEntry>(file_system(), spec, 0, sys_number(static_cast<i16>(i)), -1, n.key);
    }
    return Error::NOENT;
  }

 protected:
  Result<void> list_entries(u64 cookie, DirSink& sink) override {
    for (usize i = cookie - 2; i < array_size(SYS_NODES); i++) {
      const SysNode& n = SYS_NODES[i];
      if (n.parent != m_node) continue;
      if (!sink.emit(i + 3, sys_number(static_cast<i16>(i)), n.is_directory ? linux::DT_DIR : linux::DT_REG, n.name,
                     strlen(n.name)))
        return {};
    }
    return {};
  }

 private:
  i16 m_node;
};

class ProcFs final : public FileSystem {
 public:
  explicit ProcFs(u64 device) : FileSystem(device) {}
  const char* type_name() const override { return "proc"; }
  Result<RefPtr<Inode>> root() override;
  Result<void> statfs(linux::statfs& out) override {
    TRY(FileSystem::statfs(out));
    out.f_type = linux::PROC_SUPER_MAGIC;
    out.f_namelen = 255;
    return {};
  }
};

class ProcRoot final : public ProcDirectory {
 public:
  explicit ProcRoot(FileSystem& fs) : ProcDirectory(0555, fs, 1, nullptr) {}

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override {
    usize index;
    if (const EntrySpec* spec = find_entry(ROOT_ENTRIES, name, len, index)) {
      u64 number = 2 + index;
      switch (spec->kind) {
        case ProcKind::Self: return make_inode<ProcLink>(file_system(), ProcLink::What::Self, 0777u, number, 0);
        case ProcKind::ThreadSelf:
          return make_inode<ProcLink>(file_system(), ProcLink::What::ThreadSelf, 0777u, number, 0);
        case ProcKind::Sys: return make_inode<ProcSysDir>(file_system(), RefPtr<Inode>(this), SYS_ROOT);
        default: return make_inode<ProcEntry>(file_system(), *spec, 0, number);
      }
    }
    i32 pid = parse_pid(name, len);
    if (pid < 0 || !process_exists(pid)) return Error::NOENT;
    return make_inode<ProcPidDir>(file_system(), RefPtr<Inode>(this), pid, 0);
  }


 protected:
  Result<void> list_entries(u64 cookie, DirSink& sink) override {
    if (!list_table(ROOT_ENTRIES, cookie, sink, [](const EntrySpec&) { return true; },
                    [](usize i) { return ROOT_ENTRIES[i].kind == ProcKind::Sys ? sys_number(SYS_ROOT) : 2 + i; }))
      return {};
    // The pids, in order, under g_process_lock: the sink only copies into a kernel buffer.
    bool is_full = false;
    process_for_each([&](Process& p) {
      u64 entry_cookie = LIST_COOKIE_BASE + static_cast<u64>(p.m_pid);
      if (is_full || entry_cookie < cookie) return;
      char name[16];
      usize len = format(name, sizeof(name), "%d", p.m_pid);
      is_full = !sink.emit(entry_cookie + 1, task_number(p.m_pid, 0, 0), linux::DT_DIR, name, len);
    });
    return {};
  }
};

// Each call makes a new root inode: only mounting asks, and the mount keeps what it got.
Result<RefPtr<Inode>> ProcFs::root() { return make_inode<ProcRoot>(*this); }

}  // namespace

Result<RefPtr<FileSystem>> procfs_create(u64 device) {
  auto* fs = new ProcFs(device);
  if (!fs) return Error::NOMEM;
  return RefPtr<FileSystem>(RefPtr<ProcFs>::adopt(fs));
}
