// The inodes of /proc (kernel/fs/procfs.h). Nothing is stored: lookup() makes a fresh inode for a name that
// exists right now (a static entry, or a live pid), with an inode number computed from the pid and the
// entry so that stat() agrees from one lookup to the next. Opening a file prints its text (proc_text.cpp)
// into a buffer the open file then serves.
//
// Inode numbers: the root is 1, its static entries 2..255, the directory of pid P is P << 8 and its entries
// (P << 8) + 1 + index. Directory cookies: 0 ".", 1 "..", 2.. the static entries, PID_COOKIE_BASE + pid.
#include <cstring>

#include "kernel/fs/open_file.h"
#include "kernel/fs/procfs.h"
#include "kernel/process.h"
#include "lib/format.h"

namespace {

constexpr u64 PID_COOKIE_BASE = 1000;

enum class ProcKind : u8 {
  Cpuinfo, Diskstats, Meminfo, Mounts, Partitions, Self, Uptime,  // /proc
  PidCmdline, PidCwd, PidExe, PidMaps, PidStat, PidStatus,      // /proc/PID
};

struct EntrySpec {
  const char* name;
  ProcKind kind;
  bool is_link;
};

// In the order listings show them.
const EntrySpec ROOT_ENTRIES[] = {
    {"cpuinfo", ProcKind::Cpuinfo, false},       {"diskstats", ProcKind::Diskstats, false},
    {"meminfo", ProcKind::Meminfo, false},       {"mounts", ProcKind::Mounts, false},
    {"partitions", ProcKind::Partitions, false}, {"self", ProcKind::Self, true},
    {"uptime", ProcKind::Uptime, false},
};
const EntrySpec PID_ENTRIES[] = {
    {"cmdline", ProcKind::PidCmdline, false}, {"cwd", ProcKind::PidCwd, true},   {"exe", ProcKind::PidExe, true},
    {"maps", ProcKind::PidMaps, false},       {"stat", ProcKind::PidStat, false}, {"status", ProcKind::PidStatus, false},
};

u64 pid_dir_number(i32 pid) { return static_cast<u64>(pid) << 8; }

bool process_exists(i32 pid) { return static_cast<bool>(process_find(pid)); }

// A pid written as Linux accepts it in /proc: decimal digits, no leading zero.
i32 parse_pid(const char* name, usize len) {
  if (len == 0 || len > 6 || (len > 1 && name[0] == '0')) return -1;
  i32 pid = 0;
  for (usize i = 0; i < len; i++) {
    if (name[i] < '0' || name[i] > '9') return -1;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid > 0 && pid < PID_MAX ? pid : -1;
}

const EntrySpec* find_entry(const EntrySpec* entries, usize count, const char* name, usize len, usize& index) {
  for (index = 0; index < count; index++)
    if (strlen(entries[index].name) == len && memcmp(entries[index].name, name, len) == 0) return &entries[index];
  return nullptr;
}

// What every /proc inode shares: its attributes are fixed (chmod and the like are EPERM).
class ProcInode : public Inode {
 public:
  ProcInode(InodeType type, u32 permissions, FileSystem& fs, u64 number) : Inode(type, permissions, fs, number, 0) {}
  Result<void> set_attributes(const AttributeChange&) override { return Error::PERM; }
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

class ProcEntry final : public ProcInode {
 public:
  ProcEntry(FileSystem& fs, const EntrySpec& spec, i32 pid, u64 number)
      : ProcInode(spec.is_link ? InodeType::Symlink : InodeType::Regular, spec.is_link ? 0777 : 0444, fs, number),
        m_kind(spec.kind),
        m_pid(pid) {}

  // Root may open these for writing too (Linux lets it); with no write operation, write() is EINVAL.
  Result<RefPtr<File>> open(u32 flags) override {
    TextBuilder out;
    TRY(generate(out));
    if (out.has_failed()) return Error::NOMEM;
    usize length;
    char* text = out.take(length);
    return text_file_open(*this, flags, text, length);
  }

  Result<usize> readlink(char* buffer, usize size) override {
    switch (m_kind) {
      case ProcKind::Self: {
        Process* self = current_process();
        if (!self) return Error::NOENT;
        char text[16];
        usize n = format(text, sizeof(text), "%d", self->m_pid);
        n = n < size ? n : size;
        memcpy(buffer, text, n);
        return n;
      }
      case ProcKind::PidExe: return proc_pid_exe(m_pid, buffer, size);
      case ProcKind::PidCwd: return proc_pid_cwd(m_pid, buffer, size);
      default: return Error::INVAL;
    }
  }

 private:
  Result<void> generate(TextBuilder& out) {
    switch (m_kind) {
      case ProcKind::Cpuinfo: return proc_cpuinfo(out);
      case ProcKind::Meminfo: return proc_meminfo(out);
      case ProcKind::Mounts: return proc_mounts(out);
      case ProcKind::Partitions: return proc_partitions(out);
      case ProcKind::Diskstats: return proc_diskstats(out);
      case ProcKind::Uptime: return proc_uptime(out);
      case ProcKind::PidCmdline: return proc_pid_cmdline(out, m_pid);
      case ProcKind::PidMaps: return proc_pid_maps(out, m_pid);
      case ProcKind::PidStat: return proc_pid_stat(out, m_pid);
      case ProcKind::PidStatus: return proc_pid_status(out, m_pid);
      default: return Error::INVAL;
    }
  }

  ProcKind m_kind;
  i32 m_pid;  // 0 for the entries of /proc itself
};

Result<RefPtr<Inode>> make_entry(FileSystem& fs, const EntrySpec& spec, i32 pid, u64 number) {
  auto* inode = new ProcEntry(fs, spec, pid, number);
  if (!inode) return Error::NOMEM;
  return RefPtr<Inode>(RefPtr<ProcEntry>::adopt(inode));
}

class ProcPidDir final : public ProcInode {
 public:
  ProcPidDir(i32 pid, Inode& root)
      : ProcInode(InodeType::Directory, 0555, root.file_system(), pid_dir_number(pid)), m_pid(pid), m_root(&root) {
    m_nlink.store(2, MemoryOrder::Relaxed);
  }

  Result<RefPtr<File>> open(u32 flags) override { return directory_file_open(*this, flags); }

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override {
    usize index;
    const EntrySpec* spec = find_entry(PID_ENTRIES, array_size(PID_ENTRIES), name, len, index);
    if (!spec || !process_exists(m_pid)) return Error::NOENT;
    return make_entry(file_system(), *spec, m_pid, pid_dir_number(m_pid) + 1 + index);
  }

  Result<RefPtr<Inode>> parent() override { return m_root; }

  Result<void> list(u64 cookie, DirSink& sink) override {
    if (!process_exists(m_pid)) return {};
    if (cookie == 0 && !sink.emit(1, number(), linux::DT_DIR, ".", 1)) return {};
    if (cookie <= 1 && !sink.emit(2, m_root->number(), linux::DT_DIR, "..", 2)) return {};
    for (usize i = cookie > 2 ? cookie - 2 : 0; i < array_size(PID_ENTRIES); i++) {
      const EntrySpec& e = PID_ENTRIES[i];
      u8 type = e.is_link ? linux::DT_LNK : linux::DT_REG;
      if (!sink.emit(i + 3, pid_dir_number(m_pid) + 1 + i, type, e.name, strlen(e.name))) return {};
    }
    return {};
  }

 private:
  i32 m_pid;
  RefPtr<Inode> m_root;
};

class ProcRoot final : public ProcInode {
 public:
  explicit ProcRoot(FileSystem& fs) : ProcInode(InodeType::Directory, 0555, fs, 1) {
    m_nlink.store(2, MemoryOrder::Relaxed);
  }

  Result<RefPtr<File>> open(u32 flags) override { return directory_file_open(*this, flags); }

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override {
    usize index;
    if (const EntrySpec* spec = find_entry(ROOT_ENTRIES, array_size(ROOT_ENTRIES), name, len, index))
      return make_entry(file_system(), *spec, 0, 2 + index);
    i32 pid = parse_pid(name, len);
    if (pid < 0 || !process_exists(pid)) return Error::NOENT;
    auto* dir = new ProcPidDir(pid, *this);
    if (!dir) return Error::NOMEM;
    return RefPtr<Inode>(RefPtr<ProcPidDir>::adopt(dir));
  }

  Result<RefPtr<Inode>> parent() override { return RefPtr<Inode>(this); }  // the walk crosses the mount

  Result<void> list(u64 cookie, DirSink& sink) override {
    if (cookie == 0 && !sink.emit(1, number(), linux::DT_DIR, ".", 1)) return {};
    if (cookie <= 1 && !sink.emit(2, number(), linux::DT_DIR, "..", 2)) return {};
    for (usize i = cookie > 2 ? cookie - 2 : 0; i < array_size(ROOT_ENTRIES); i++) {
      const EntrySpec& e = ROOT_ENTRIES[i];
      if (!sink.emit(i + 3, 2 + i, e.is_link ? linux::DT_LNK : linux::DT_REG, e.name, strlen(e.name))) return {};
    }
    // The pids, in order, under g_process_lock: the sink only copies into a kernel buffer.
    bool is_full = false;
    process_for_each([&](Process& p) {
      u64 entry_cookie = PID_COOKIE_BASE + static_cast<u64>(p.m_pid);
      if (is_full || entry_cookie < cookie) return;
      char name[16];
      usize len = format(name, sizeof(name), "%d", p.m_pid);
      is_full = !sink.emit(entry_cookie + 1, pid_dir_number(p.m_pid), linux::DT_DIR, name, len);
    });
    return {};
  }

  Result<usize> name_of(const Inode& child, char* buffer, usize size) override {
    if (!child.is_directory() || &child.file_system() != &file_system()) return Error::NOENT;
    char name[16];
    usize len = format(name, sizeof(name), "%llu", static_cast<unsigned long long>(child.number() >> 8));
    if (len > size) return Error::NAMETOOLONG;
    memcpy(buffer, name, len);
    return len;
  }
};

// Each call makes a new root inode: only mounting asks, and the mount keeps what it got.
Result<RefPtr<Inode>> ProcFs::root() {
  auto* root = new ProcRoot(*this);
  if (!root) return Error::NOMEM;
  return RefPtr<Inode>(RefPtr<ProcRoot>::adopt(root));
}

}  // namespace

Result<RefPtr<FileSystem>> procfs_create(u64 device) {
  auto* fs = new ProcFs(device);
  if (!fs) return Error::NOMEM;
  return RefPtr<FileSystem>(RefPtr<ProcFs>::adopt(fs));
}
