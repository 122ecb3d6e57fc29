// ext2 in the VFS (kernel/fs/ext2/ext2_vfs.h): Ext2FileSystem and Ext2Inode over an Ext2Volume.
#include "kernel/fs/ext2/ext2_vfs.h"

#include <cstring>
#include <new>

#include "kernel/fs/ext2/ext2_volume.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/sleep_lock.h"
#include "kernel/fs/mount.h"
#include "kernel/log.h"
#include "kernel/sched.h"
#include "kernel/thread.h"
#include "kernel/wait_queue.h"
#include "lib/list.h"
#include "mm/heap.h"
#include "mm/region.h"
#include "mm/vm_object.h"
#include "mm/vm_stats.h"

namespace {

constexpr u64 NS_PER_SECOND = 1000000000ull;
constexpr usize BOUNCE_SIZE = 64 * KiB;  // file data moves through this much kernel memory at a time
constexpr u32 INODE_BUCKETS = 256;
constexpr u64 FLUSH_INTERVAL_NS = 5 * NS_PER_SECOND;  // the flusher's period: the most a dirty page waits
constexpr unsigned WRITE_BACK_BATCH = 16;             // dirty pages taken from an object at a time

class Ext2FileSystem;

InodeType type_of(u16 mode) { return inode_type_of_mode(mode); }

u8 dirent_type_of(u8 file_type) {
  switch (file_type) {
    case ext2::FT_REGULAR: return linux::DT_REG;
    case ext2::FT_DIR: return linux::DT_DIR;
    case ext2::FT_CHAR: return linux::DT_CHR;
    case ext2::FT_BLOCK: return linux::DT_BLK;
    case ext2::FT_FIFO: return linux::DT_FIFO;
    case ext2::FT_SOCKET: return linux::DT_SOCK;
    case ext2::FT_SYMLINK: return linux::DT_LNK;
    default: return linux::DT_UNKNOWN;
  }
}

// Kernel memory for file data on its way between the disk and user memory: up to BOUNCE_SIZE, at least a page.
class Bounce {
 public:
  explicit Bounce(usize wanted) {
    m_size = wanted < BOUNCE_SIZE ? (wanted < PAGE_SIZE ? PAGE_SIZE : wanted) : BOUNCE_SIZE;
    m_data = static_cast<u8*>(kmalloc(m_size));
    if (!m_data && m_size > PAGE_SIZE) {
      m_size = PAGE_SIZE;
      m_data = static_cast<u8*>(kmalloc(m_size));
    }
  }
  ~Bounce() { kfree(m_data); }
  AS_NONCOPYABLE(Bounce);
  u8* data() const { return m_data; }
  usize size() const { return m_size; }

 private:
  u8* m_data;
  usize m_size;
};

class Ext2Inode final : public Inode, private ObjectWriter {
 public:
  Ext2Inode(Ext2FileSystem& fs, const Ext2Attributes& a);
  ~Ext2Inode() override;

  u32 ino() const { return static_cast<u32>(number()); }
  // A newer copy of the disk inode's attributes (older ones, by sequence, are ignored).
  void update(const Ext2Attributes& a);

  u64 size() const override {
    SpinlockGuard guard(m_lock);
    return m_size;
  }
  u64 blocks() const override {
    SpinlockGuard guard(m_lock);
    return m_blocks;
  }
  u32 block_size() const override;
  Result<void> set_attributes(const AttributeChange& change) override;
  Result<RefPtr<File>> open(u32 flags) override;

  Result<usize> read(const IoBuffer& buffer, usize len, u64 offset) override {
    return read_cached(buffer, len, offset, nullptr);
  }
  Result<usize> read_ahead_of(const IoBuffer& buffer, usize len, u64 offset, FileReadAhead& ahead) override {
    return read_cached(buffer, len, offset, &ahead);
  }
  Result<usize> write(const IoBuffer& buffer, usize len, u64& offset, WriteMode mode) override;
  Result<void> truncate(u64 size) override;
  Result<RefPtr<VmObject>> mmap_object() override;
  u64 max_file_size() const override;
  Result<void> sync() override;

  Result<RefPtr<Inode>> lookup(const char* name, usize len) override;
  Result<RefPtr<Inode>> parent() override;
  Result<void> list(u64 cookie, DirSink& sink) override;
  Result<usize> name_of(const Inode& child, char* buffer, usize size) override;
  Result<RefPtr<Inode>> create(const char* name, usize len, const NewInode& what, CreateMode mode) override;
  Result<void> link(const char* name, usize len, Inode& inode) override;
  Result<void> unlink(const char* name, usize len, UnlinkKind kind) override;
  Result<void> rename(const char* name, usize len, Inode& new_dir, const char* new_name, usize new_len,
                      u32 flags) override;
  Result<usize> readlink(char* buffer, usize size) override;

  // Writes the pages that mappings changed back to the volume; then, if nothing but the inode uses the object
  // any more and it is clean, drops the pin (the flusher, sync, unmount): the object then lives as long as the
  // inode. The caller holds a reference.
  Result<void> write_back_object(bool release_unused);
  bool has_object() const { return m_object.get() != nullptr; }
  // The frames of a clean object nothing maps (page-out may drop them; the inode's last user drops them all),
  // else 0. A snapshot: the caller holds g_cached_lock, which keeps the object while the inode is on g_cached.
  u64 unused_cache_frames() const {
    MemoryObject* o = m_object.get();
    return o && o->ref_count() == 1 && o->dirty_pages() == 0 ? o->resident_pages() : 0;
  }
  // All the frames of its object, and the dirty ones (same snapshot rule).
  u64 cache_frames() const { return m_object ? m_object->resident_pages() : 0; }
  u64 dirty_frames() const { return m_object ? m_object->dirty_pages() : 0; }

  ListNode m_link;         // in the file system's table, guarded by its m_inodes_lock
  ListNode m_cached_link;  // in g_cached while the inode has an object, guarded by g_cached_lock

 private:
  Ext2FileSystem& ext2_fs() const;
  Ext2Volume& volume() const;
  Result<void> object_locked();
  // The object's last user is gone: it leaves the inode and g_cached, detached (its pager is gone).
  void drop_object();
  // ObjectWriter (the pager): page `index` of the file into `page`.
  Result<void> read_page(u64 index, Frame* page) override;
  Result<void> read_pages(u64 first, Frame* const* pages, unsigned count) override;
  u64 read_ahead_pages() const override { return volume().disk().read_ahead_sectors() / SECTORS_PER_PAGE; }
  Result<usize> read_cached(const IoBuffer& buffer, usize len, u64 offset, FileReadAhead* ahead);
  bool read_around_bad_page(const IoBuffer& buffer, usize done, u64 at, usize n);
  Result<void> write_back_pages_locked(u64 first, u64 end);
  // ObjectWriter (msync): MS_SYNC writes the range and syncs the volume; MS_ASYNC leaves it to the flusher.
  Result<void> write_back(u64 first, u64 end, bool wait) override;

  SleepLock m_io_lock{"ext2-file"};  // serializes a file's reads, writes, truncation and its object
  RefPtr<MemoryObject> m_object;     // the file's page cache (nullptr until the first read or mmap); m_io_lock
  bool m_pinned = false;             // the inode holds a reference to itself for its mappings; m_io_lock
  u64 m_size = 0;                    // guarded by m_lock, as m_blocks and m_sequence
  u64 m_blocks = 0;
  u64 m_sequence = 0;
};

// Inodes with a page cache object (no reference: an inode leaves the list in its destructor). An object belongs
// to its inode and goes with it when the inode's last user does (close, unlink: the blocks of an unlinked file
// are freed then, as Linux's iput frees them). A mapping holds only the object, and its stores must still reach
// the disk after the file is closed: mmap pins the inode (a reference to itself, m_pinned) until the flusher or
// sync finds the object unmapped and clean.
Spinlock g_cached_lock{"ext2-cached"};
IntrusiveList<Ext2Inode, &Ext2Inode::m_cached_link> g_cached;  // guarded by g_cached_lock

// Calls fn(Ext2Inode&) for each inode of the list `bucket` (under `lock`) that `wanted` accepts, one at a time
// with a reference, outside the lock.
template <typename List, typename Wanted, typename Fn>
void for_each_inode_in(Spinlock& lock, List& bucket, Wanted wanted, Fn fn) {
  for (u32 skip = 0;;) {
    RefPtr<Ext2Inode> next;
    {
      SpinlockGuard guard(lock);
      u32 index = 0;
      for (Ext2Inode& i : bucket) {
        if (index++ < skip) continue;
        skip++;
        if (wanted(i) && i.try_ref()) {
          next = RefPtr<Ext2Inode>::adopt(&i);
          break;
        }
      }
    }
    if (!next) return;
    fn(*next);
  }
}

class Ext2FileSystem final : public FileSystem, private Ext2Observer {
 public:
  Ext2FileSystem(Ext2Volume* volume, u64 device) : FileSystem(device), m_volume(volume) {
    if (volume->is_read_only()) mark_read_only();
    volume->set_observer(this);
  }
  ~Ext2FileSystem() override {
    if (m_unmount_pending) {
      auto done = m_volume->unmount();
      if (done.is_error())
        LOG_WARN("ext2 (%s): lazy unmount: could not write everything back (%s)", m_volume->name(),
                 error_name(done.error()));
    }
    delete m_volume;
  }

  const char* type_name() const override { return "ext2"; }
  Result<RefPtr<Inode>> root() override { return inode(ext2::ROOT_INODE); }

  Result<void> statfs(linux::statfs& out) override {
    TRY(FileSystem::statfs(out));
    Ext2Statfs st = m_volume->statfs();
    out.f_type = linux::EXT2_SUPER_MAGIC;
    out.f_bsize = out.f_frsize = st.block_size;
    out.f_blocks = st.blocks;
    out.f_bfree = st.free_blocks;
    out.f_bavail = st.available_blocks;
    out.f_files = st.inodes;
    out.f_ffree = st.free_inodes;
    out.f_fsid[0] = static_cast<i32>(st.fsid);
    out.f_fsid[1] = static_cast<i32>(st.fsid >> 32);
    out.f_namelen = ext2::MAX_NAME;
    return {};
  }

  Result<void> sync() override {
    Result<void> result = write_back_mapped_files();
    auto synced = m_volume->sync();
    return result.is_error() ? result : synced;
  }

  // The flusher: metadata and data in the buffer cache, if any is dirty (file pages went first).
  Result<void> write_back() override {
    if (!m_volume->has_dirty_blocks()) return {};
    return m_volume->sync();
  }

  // A file whose pages nobody maps any more is not a user: its pin goes first.
  bool is_busy(Inode& root, u32 caller_references) override {
    (void)write_back_mapped_files();
    return FileSystem::is_busy(root, caller_references);
  }

  Result<void> set_read_only(bool read_only) override {
    if (read_only) TRY(write_back_mapped_files());
    TRY(m_volume->set_read_only(read_only));
    return FileSystem::set_read_only(read_only);
  }

  Result<void> unmount(Unmount kind) override {
    Result<void> written = write_back_mapped_files();
    if (kind == Unmount::WhenUnused) {
      m_unmount_pending = true;
      auto synced = m_volume->sync();
      return written.is_error() ? written : synced;
    }
    auto done = m_volume->unmount();
    mark_read_only();
    return written.is_error() ? written : done;
  }

  Ext2Volume& volume() const { return *m_volume; }

  // The one object for inode `ino`: the live one, or a new one.
  Result<RefPtr<Inode>> inode(u32 ino) {
    if (RefPtr<Inode> found = find(ino)) return found;
    Ext2Attributes attributes = TRY(m_volume->stat(ino));
    auto* fresh = new Ext2Inode(*this, attributes);
    if (!fresh) return Error::NOMEM;
    RefPtr<Ext2Inode> ref = RefPtr<Ext2Inode>::adopt(fresh);
    {
      SpinlockGuard guard(m_inodes_lock);
      if (Ext2Inode* other = find_locked(ino); other && other->try_ref()) {
        guard.unlock();
        return RefPtr<Inode>(RefPtr<Ext2Inode>::adopt(other));  // `ref` goes: someone was quicker
      }
      m_buckets[ino % INODE_BUCKETS].push_back(*fresh);
    }
    // The inode may have changed between the stat and the insertion (nobody could tell this object then):
    // a second look, ordered against later changes by their sequence numbers.
    if (auto again = m_volume->stat(ino); !again.is_error()) fresh->update(again.value());
    return RefPtr<Inode>(static_cast<RefPtr<Ext2Inode>&&>(ref));
  }

  // Ext2Inode's destructor: the object leaves the table.
  void forget(Ext2Inode& inode) {
    SpinlockGuard guard(m_inodes_lock);
    if (inode.m_link.is_linked()) m_buckets[inode.ino() % INODE_BUCKETS].remove(inode);
  }

 private:
  RefPtr<Inode> find(u32 ino) {
    SpinlockGuard guard(m_inodes_lock);
    Ext2Inode* found = find_locked(ino);
    if (found && found->try_ref()) return RefPtr<Inode>(RefPtr<Ext2Inode>::adopt(found));
    return nullptr;
  }

  // A live object for ino (one being destroyed may share the bucket with its successor: skip it).
  Ext2Inode* find_locked(u32 ino) {
    for (Ext2Inode& i : m_buckets[ino % INODE_BUCKETS])
      if (i.ino() == ino && i.ref_count() > 0) return &i;
    return nullptr;
  }

  // Called by the volume, with its lock held, for every inode it writes.
  void inode_changed(const Ext2Attributes& attributes) override {
    SpinlockGuard guard(m_inodes_lock);
    for (Ext2Inode& i : m_buckets[attributes.ino % INODE_BUCKETS])
      if (i.ino() == attributes.ino) i.update(attributes);
  }

  void remounted_read_only() override { mark_read_only(); }

  // The dirty pages of this file system's cached files go to the volume; objects nobody maps any more are
  // dropped (sync, unmount, the busy check).
  Result<void> write_back_mapped_files() {
    Result<void> result;
    for (u32 b = 0; b < INODE_BUCKETS; b++)
      for_each_inode_in(m_inodes_lock, m_buckets[b], [](Ext2Inode& i) { return i.has_object(); },
                        [&](Ext2Inode& i) {
                          auto written = i.write_back_object(true);
                          if (written.is_error() && !result.is_error()) result = written.error();
                        });
    return result;
  }

  Ext2Volume* m_volume;  // owned
  Spinlock m_inodes_lock{"ext2-inodes"};
  IntrusiveList<Ext2Inode, &Ext2Inode::m_link> m_buckets[INODE_BUCKETS];  // live objects, by inode number
  bool m_unmount_pending = false;  // a lazy unmount: finished in the destructor
};

// The flusher: every FLUSH_INTERVAL_NS, the dirty pages of every file and then the dirty metadata of every
// mounted file system go to the disks (Linux's writeback threads, with dirty_expire and the writeback
// interval both this period).
void flusher(void*) {
  for (;;) {
    (void)sleep_ns(FLUSH_INTERVAL_NS);
    for_each_inode_in(g_cached_lock, g_cached, [](Ext2Inode&) { return true; }, [](Ext2Inode& i) {
      (void)i.write_back_object(true);
    });
    (void)mount_write_back_all();
  }
}

void start_flusher_once() {
  static Atomic<u32> started{0};
  if (started.exchange(1, MemoryOrder::AcqRel)) return;
  if (!thread_create_kernel("ext2-flush", flusher, nullptr)) {
    LOG_WARN("ext2: no flusher thread: dirty pages wait for sync");
    started.store(0, MemoryOrder::Release);
  }
}

// ---- Ext2Inode ----

Ext2Inode::Ext2Inode(Ext2FileSystem& fs, const Ext2Attributes& a)
    : Inode(type_of(a.mode), a.mode & 07777, fs, a.ino, a.rdev) {
  update(a);
  fs.volume().hold(a.ino);
}

Ext2Inode::~Ext2Inode() {
  ASSERT(!m_pinned);  // a pin is a reference
  drop_object();
  volume().release(ino());
  ext2_fs().forget(*this);
}

Ext2FileSystem& Ext2Inode::ext2_fs() const { return static_cast<Ext2FileSystem&>(file_system()); }
Ext2Volume& Ext2Inode::volume() const { return ext2_fs().volume(); }
u32 Ext2Inode::block_size() const { return volume().block_size(); }
u64 Ext2Inode::max_file_size() const { return volume().max_file_size(); }

void Ext2Inode::update(const Ext2Attributes& a) {
  {
    SpinlockGuard guard(m_lock);
    if (a.sequence < m_sequence) return;
    m_sequence = a.sequence;
    m_size = a.size;
    m_blocks = a.blocks;
  }
  Attributes attributes;
  attributes.permissions = a.mode & 07777;
  attributes.uid = a.uid;
  attributes.gid = a.gid;
  attributes.nlink = a.links;
  attributes.access_time_ns = a.atime * NS_PER_SECOND;
  attributes.modify_time_ns = a.mtime * NS_PER_SECOND;
  attributes.change_time_ns = a.ctime * NS_PER_SECOND;
  set_all_attributes(attributes);
}

Result<void> Ext2Inode::set_attributes(const AttributeChange& change) {
  Ext2AttributeChange c;
  if (change.what & AttributeChange::Mode) c.what |= Ext2AttributeChange::Mode;
  if (change.what & AttributeChange::Uid) c.what |= Ext2AttributeChange::Uid;
  if (change.what & AttributeChange::Gid) c.what |= Ext2AttributeChange::Gid;
  if (change.what & AttributeChange::AccessTime) c.what |= Ext2AttributeChange::AccessTime;
  if (change.what & AttributeChange::ModifyTime) c.what |= Ext2AttributeChange::ModifyTime;
  c.permissions = static_cast<u16>(change.permissions & 07777);
  c.uid = change.uid;
  c.gid = change.gid;
  c.atime = static_cast<u32>(change.access_time_ns / NS_PER_SECOND);
  c.mtime = static_cast<u32>(change.modify_time_ns / NS_PER_SECOND);
  return volume().set_attributes(ino(), c);
}

Result<RefPtr<File>> Ext2Inode::open(u32 flags) {
  switch (type()) {
    case InodeType::Regular: return regular_file_open(*this, flags);
    case InodeType::Directory: return directory_file_open(*this, flags);
    default: return special_file_open(*this, flags);
  }
}

// ---- data ----

// read() copies from the page cache: pages read from the disk as needed, each held while it is copied. A page
// missing from the cache is read with the window of pages the file's read-ahead state chooses (mm/read_ahead.h:
// more and more pages ahead of a sequential reader, only the wanted ones for a random read or without a file).
// No lock of the file is held meanwhile: the copy may fault on a mapping of this very file, and that fault reads
// its page through the pager.
Result<usize> Ext2Inode::read_cached(const IoBuffer& buffer, usize len, u64 offset, FileReadAhead* ahead) {
  RefPtr<MemoryObject> object;
  {
    SleepLockGuard io(m_io_lock);
    TRY(object_locked());
    object = m_object;
  }
  u64 file_size = size();
  if (offset >= file_size) return 0;
  if (len > file_size - offset) len = static_cast<usize>(file_size - offset);
  usize done = 0;
  while (done < len) {
    if (done && preemption_point(StopOn::Kill)) break;  // a long read: others run, SIGKILL ends it
    u64 at = offset + done;
    usize in_page = at % PAGE_SIZE;
    usize n = PAGE_SIZE - in_page < len - done ? PAGE_SIZE - in_page : len - done;
    u64 index = at / PAGE_SIZE;
    Frame* cached = object->find_page(index);
    if (cached && (__atomic_load_n(&cached->page_flags, __ATOMIC_ACQUIRE) & FrameFlag::Busy)) {
      g_phys.unref(cached);  // not read yet
      cached = nullptr;
    }
    if (!cached) {
      u64 wanted = (offset + len - 1) / PAGE_SIZE - index + 1;
      ReadAhead::Window window =
          ahead ? ahead->on_miss(index, wanted, read_ahead_pages()) : ReadAhead::Window{index, wanted};
      object->read_ahead(window.first, window.pages);
    }
    // (get_filled_page reads the page if read-ahead could not: memory was short, or its read failed)
    Result<Frame*> page = cached ? Result<Frame*>(cached) : object->get_filled_page(index);
    if (page.is_error()) {
      if (page.error() == Error::BUSERR) break;  // truncated meanwhile: the file ends here
      // A block of the page could not be read (blocks smaller than a page): the bytes asked for may still lie
      // in good blocks, and Linux gives them (block_is_partially_uptodate). Else the read ends before this page.
      if (page.error() == Error::IO && read_around_bad_page(buffer, done, at, n)) {
        done += n;
        continue;
      }
      if (ahead) ahead->note_read_end(offset + done);
      return done ? Result<usize>(done) : Result<usize>(page.error());
    }
    auto copied = buffer.write(done, g_phys.kernel_pointer(page.value()) + in_page, n);
    g_phys.unref(page.value());
    if (copied.is_error()) {
      if (ahead) ahead->note_read_end(offset + done);
      return done ? Result<usize>(done) : Result<usize>(copied.error());
    }
    done += n;
  }
  if (ahead) ahead->note_read_end(offset + done);
  return done;
}

// Bytes [at, at + n) of a page that could not be read whole, straight from the volume into the buffer at `done`
// (n <= a page). False if a block they lie in cannot be read either.
bool Ext2Inode::read_around_bad_page(const IoBuffer& buffer, usize done, u64 at, usize n) {
  if (volume().block_size() >= PAGE_SIZE) return false;  // the page is one block: the bad one
  Bounce bounce(n);
  if (!bounce.data()) return false;
  auto got = volume().read_data(ino(), at, bounce.data(), n);
  return !got.is_error() && got.value() == n && !buffer.write(done, bounce.data(), n).is_error();
}

Result<usize> Ext2Inode::write(const IoBuffer& buffer, usize len, u64& offset, WriteMode mode) {
  SleepLockGuard io(m_io_lock);
  u64 position = mode == WriteMode::Append ? size() : offset;
  offset = position;
  if (len == 0) return 0;
  TRY(object_locked());
  Bounce bounce(len);
  if (!bounce.data()) return Error::NOMEM;
  usize done = 0;
  Error failure = Error::FAULT;
  while (done < len) {
    if (done && preemption_point(StopOn::Kill)) break;  // a long write: others run, SIGKILL ends it
    usize chunk = len - done < bounce.size() ? len - done : bounce.size();
    auto copied = buffer.read(done, bounce.data(), chunk);
    if (copied.is_error()) {
      failure = Error::FAULT;
      break;
    }
    auto n = volume().write_data(ino(), position + done, bounce.data(), chunk);
    if (n.is_error()) {
      failure = n.error();
      break;
    }
    {
      // The cache's pages take the new bytes too (read() and mappings see them; the written pages are in memory,
      // as on Linux: mincore). A page written whole takes them without being read; a part of a page not in the
      // cache is read first (the disk has the new bytes already); a page being read now is waited for (its read
      // may have started before write_data) and then changed.
      u64 end = position + done + n.value();
      if (end > m_object->size_bytes() && m_object->set_size(end).is_error()) {
        failure = Error::NOMEM;
        break;
      }
      for (usize copied_bytes = 0; copied_bytes < n.value();) {
        u64 at = position + done + copied_bytes;
        usize in_page = at % PAGE_SIZE;
        usize piece = PAGE_SIZE - in_page < n.value() - copied_bytes ? PAGE_SIZE - in_page : n.value() - copied_bytes;
        copied_bytes += piece;
        if (piece == PAGE_SIZE) {
          (void)m_object->overwrite_page(at / PAGE_SIZE, bounce.data() + copied_bytes - piece);  // (as below)
          continue;
        }
        auto frame = m_object->get_filled_page(at / PAGE_SIZE);
        if (frame.is_error()) continue;  // (the disk has the bytes: a later read tries again)
        memcpy(g_phys.kernel_pointer(frame.value()) + in_page, bounce.data() + copied_bytes - piece, piece);
        g_phys.unref(frame.value());
      }
    }
    done += n.value();
    if (n.value() < chunk) {
      failure = Error::NOSPC;
      break;
    }
  }
  if (done == 0) return failure;
  return done;
}

Result<void> Ext2Inode::truncate(u64 new_size) {
  SleepLockGuard io(m_io_lock);
  TRY(volume().truncate(ino(), new_size));
  // Pages past the new end leave every mapping (an access there gets SIGBUS) and the cache.
  if (m_object) TRY(m_object->set_size(new_size));
  return {};
}

// The file's page cache, made at the first read(), write() or mmap: empty, filled page by page (read_page).
Result<void> Ext2Inode::object_locked() {
  ASSERT(m_io_lock.is_locked());
  if (m_object) return {};
  RefPtr<MemoryObject> object = MemoryObject::create(size(), nullptr, ino());
  if (!object) return Error::NOMEM;
  object->set_writer(this);
  SpinlockGuard guard(g_cached_lock);
  m_object = static_cast<RefPtr<MemoryObject>&&>(object);
  g_cached.push_back(*this);
  return {};
}

void Ext2Inode::drop_object() {
  RefPtr<MemoryObject> dropped;
  {
    SpinlockGuard guard(g_cached_lock);
    if (!m_object) return;
    g_cached.remove(*this);
    dropped = static_cast<RefPtr<MemoryObject>&&>(m_object);
  }
  dropped->set_writer(nullptr);  // a user still holding it (page-out's passing reference) finds no pager
}

// The pager: one page of the file from the disk (holes and the part past the end read as zeros). Called without
// the file's lock, by read() (which holds the inode) or a fault (its mapping pinned the inode).
Result<void> Ext2Inode::read_page(u64 index, Frame* page) {
  u8* data = g_phys.kernel_pointer(page);
  u64 at = index * PAGE_SIZE, file_size = size();
  usize want = at >= file_size ? 0 : (file_size - at < PAGE_SIZE ? static_cast<usize>(file_size - at) : PAGE_SIZE);
  auto n = volume().read_data(ino(), at, data, PAGE_SIZE);
  if (n.is_error()) return n.error();
  if (n.value() < want) return Error::IO;  // a block of the page could not be read (read_data stops short)
  if (n.value() < PAGE_SIZE) memset(data + n.value(), 0, PAGE_SIZE - n.value());
  return {};
}

// Read-ahead's pager call: whole pages, in as few requests as the blocks' places on the disk allow.
Result<void> Ext2Inode::read_pages(u64 first, Frame* const* pages, unsigned count) {
  u8* buffers[ReadAhead::MAX_PAGES];
  if (count > ReadAhead::MAX_PAGES) return Error::INVAL;
  for (unsigned i = 0; i < count; i++) buffers[i] = g_phys.kernel_pointer(pages[i]);
  return volume().read_pages(ino(), first, buffers, count);
}

Result<RefPtr<VmObject>> Ext2Inode::mmap_object() {
  if (!is_regular()) return Error::NODEV;
  SleepLockGuard io(m_io_lock);
  TRY(object_locked());
  if (!m_pinned) {
    ref();  // the pin: dropped by write_back_object once the object is unmapped and clean
    m_pinned = true;
  }
  return RefPtr<VmObject>(m_object);
}

// The dirty pages of [first, end) go to the volume (its buffer cache; a volume sync puts them on the disk). A
// page that cannot be written stays dirty.
Result<void> Ext2Inode::write_back_pages_locked(u64 first, u64 end) {
  ASSERT(m_io_lock.is_locked());
  if (!m_object) return {};
  u64 file_size = size();
  Result<void> result;
  Frame* batch[WRITE_BACK_BATCH];
  while (unsigned n = m_object->take_dirty(&first, end, batch, WRITE_BACK_BATCH)) {
    for (unsigned i = 0; i < n; i++) {
      u64 page = batch[i]->object_page();
      if (page * PAGE_SIZE < file_size && !result.is_error()) {
        usize bytes = file_size - page * PAGE_SIZE < PAGE_SIZE ? static_cast<usize>(file_size - page * PAGE_SIZE)
                                                                 : PAGE_SIZE;
        auto written = volume().write_data(ino(), page * PAGE_SIZE, g_phys.kernel_pointer(batch[i]), bytes);
        if (written.is_error()) result = written.error();
        else if (written.value() < bytes) result = Error::NOSPC;
      }
      if (result.is_error() && page * PAGE_SIZE < file_size) m_object->mark_dirty(page);
      g_phys.unref(batch[i]);
    }
  }
  return result;
}

Result<void> Ext2Inode::write_back(u64 first, u64 end, bool wait) {
  if (!wait) return {};
  {
    SleepLockGuard io(m_io_lock);
    TRY(write_back_pages_locked(first, end));
  }
  return volume().sync();
}

Result<void> Ext2Inode::write_back_object(bool release_unused) {
  SleepLockGuard io(m_io_lock);
  if (!m_object) return {};
  Result<void> result;
  if (!file_system().is_read_only()) {
    m_object->gather_modified(0, MemoryObject::MAX_PAGES);
    result = write_back_pages_locked(0, MemoryObject::MAX_PAGES);
  }
  // Only the inode holds the object (no mapping, no mmap on its way) and nothing is dirty: the pin goes (the
  // object goes with the inode's last user, perhaps the caller's reference).
  if (release_unused && m_pinned && m_object->ref_count() == 1 && m_object->dirty_pages() == 0) {
    m_pinned = false;
    bool was_last = unref();  // never: the caller's reference keeps the inode alive until it returns
    ASSERT(!was_last);
  }
  return result;
}

Result<void> Ext2Inode::sync() {
  if (!m_object) return {};
  return write_back_object(false);
}

// ---- directories ----

Result<RefPtr<Inode>> Ext2Inode::lookup(const char* name, usize len) {
  u32 child = TRY(volume().lookup(ino(), name, len));
  return ext2_fs().inode(child);
}

Result<RefPtr<Inode>> Ext2Inode::parent() {
  if (!is_directory()) return Error::NOTDIR;
  if (nlink() == 0) return Error::NOENT;
  u32 up = TRY(volume().parent(ino()));
  return ext2_fs().inode(up);
}

Result<void> Ext2Inode::list(u64 cookie, DirSink& sink) {
  struct Adapter final : Ext2DirVisitor {
    explicit Adapter(DirSink& sink) : m_sink(sink) {}
    bool emit(u64 next, u32 ino, u8 file_type, const char* name, usize len) override {
      return m_sink.emit(next, ino, dirent_type_of(file_type), name, len);
    }
    DirSink& m_sink;
  } adapter(sink);
  return volume().list(ino(), cookie, adapter);
}

Result<usize> Ext2Inode::name_of(const Inode& child, char* buffer, usize size) {
  return volume().name_of(ino(), static_cast<u32>(child.number()), buffer, size);
}

Result<RefPtr<Inode>> Ext2Inode::create(const char* name, usize len, const NewInode& what, CreateMode mode) {
  Ext2NewNode node;
  node.mode = static_cast<u16>(mode_type_bits(what.type) | (what.permissions & 07777));
  node.uid = what.uid;
  node.gid = what.gid;
  node.rdev = what.rdev;
  node.target = what.target;
  node.target_length = what.target_length;
  auto made = volume().create(ino(), name, len, node);
  if (made.is_error()) {
    if (made.error() == Error::EXIST && what.type == InodeType::Regular && mode == CreateMode::OpenExisting)
      return lookup(name, len);  // someone created it since namei looked
    return made.error();
  }
  return ext2_fs().inode(made.value());
}

Result<void> Ext2Inode::link(const char* name, usize len, Inode& inode) {
  return volume().link(ino(), name, len, static_cast<u32>(inode.number()));
}

Result<void> Ext2Inode::unlink(const char* name, usize len, UnlinkKind kind) {
  return volume().unlink(ino(), name, len, kind == UnlinkKind::Directory ? Ext2Unlink::Directory : Ext2Unlink::NonDirectory);
}

Result<void> Ext2Inode::rename(const char* name, usize len, Inode& new_dir, const char* new_name, usize new_len,
                               u32 flags) {
  return volume().rename(ino(), name, len, static_cast<u32>(new_dir.number()), new_name, new_len,
                         flags & RenameFlag::NoReplace);
}

Result<usize> Ext2Inode::readlink(char* buffer, usize size) { return volume().readlink(ino(), buffer, size); }

// mount(2)'s data for ext2: Linux's options that mean something here; the harmless ones are accepted.
Result<u16> parse_options(const char* options) {
  u16 errors = 0;
  const char* p = options ? options : "";
  while (*p) {
    const char* end = p;
    while (*end && *end != ',') end++;
    usize len = static_cast<usize>(end - p);
    auto is = [&](const char* word) { return strlen(word) == len && memcmp(p, word, len) == 0; };
    if (is("errors=continue"))
      errors = ext2::ERRORS_CONTINUE;
    else if (is("errors=remount-ro"))
      errors = ext2::ERRORS_RO;
    else if (is("errors=panic"))
      errors = ext2::ERRORS_PANIC;
    else if (len && !is("user_xattr") && !is("nouser_xattr") && !is("noacl") && !is("acl") && !is("nouid32") &&
             !is("grpid") && !is("bsdgroups") && !is("nogrpid") && !is("sysvgroups") && !is("bsddf") &&
             !is("minixdf") && !is("orlov") && !is("oldalloc")) {
      LOG_WARN("ext2: unrecognized mount option \"%.*s\"", static_cast<int>(len), p);
      return Error::INVAL;
    }
    p = *end ? end + 1 : end;
  }
  return errors;
}

}  // namespace

u64 ext2_cache_frames() {
  u64 frames = 0;
  SpinlockGuard guard(g_cached_lock);
  for (Ext2Inode& i : g_cached) frames += i.cache_frames();
  return frames;
}

u64 ext2_dirty_frames() {
  u64 frames = 0;
  SpinlockGuard guard(g_cached_lock);
  for (Ext2Inode& i : g_cached) frames += i.dirty_frames();
  return frames;
}

u64 ext2_unused_cache_frames() {
  u64 frames = 0;
  SpinlockGuard guard(g_cached_lock);
  for (Ext2Inode& i : g_cached) frames += i.unused_cache_frames();
  return frames;
}

Result<RefPtr<Inode>> ext2_mount(RefPtr<BlockDevice> disk, bool read_only, const char* options) {
  Ext2MountOptions mount_options;
  mount_options.read_only = read_only;
  mount_options.errors = TRY(parse_options(options));
  u64 device = disk->device_number();
  Ext2Volume* volume = TRY(Ext2Volume::mount(static_cast<RefPtr<BlockDevice>&&>(disk), mount_options));
  auto* fs = new Ext2FileSystem(volume, device);
  if (!fs) {
    (void)volume->unmount();
    delete volume;
    return Error::NOMEM;
  }
  RefPtr<Ext2FileSystem> ref = RefPtr<Ext2FileSystem>::adopt(fs);
  auto root = fs->root();
  if (root.is_error()) (void)fs->unmount(FileSystem::Unmount::Now);
  else if (!read_only) start_flusher_once();
  return root;
}
