// Fixtures for the ext2 tests: real images made by mke2fs, a volume mounted over them in memory, and the
// standard tools to check the result.
//
//   Ext2Env     the kernel heap and frames over a host arena (vmtest::VmEnv: every byte the volume allocated
//               must come back), plus a scratch directory that goes away with it
//   Ext2Image   an image made with `mke2fs -t ext2 -b SIZE -d TREE` from files the test lays out, loaded
//               into a MemoryBlockDevice (which can fail chosen sectors); mount() mounts it as Ext2Volume;
//               save() writes the disk back to the image file; fsck() runs `e2fsck -fn` and returns its output
//               and status; debugfs(cmd) runs `debugfs -R cmd` (cat, stat, ls) on the saved image
//   Buffer      kernel heap memory (the disk reads into it: the host arena, as the kernel's direct map)
//
// Tools are found where tools/setup installs them (e2fsprogs); the paths come from CMake.
#pragma once

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "drivers/memory_block_device.h"
#include "kernel/fs/ext2/ext2_volume.h"
#include "mm/vm_test_env.h"

namespace ext2test {

// Runs a shell command; returns its status and fills `output` with stdout and stderr.
inline int run(const std::string& command, std::string* output = nullptr) {
  std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string text;
  char chunk[4096];
  usize n;
  while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0) text.append(chunk, n);
  int status = pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

class Ext2Env {
 public:
  explicit Ext2Env(u64 ram = 96 * MiB) : m_vm(ram) {
    char pattern[] = "/tmp/ext2-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    m_dir = pattern;
    host_ext2_log_clear();
  }
  ~Ext2Env() {
    run("rm -rf " + quote(m_dir));
    heap_trim();  // the heap keeps empty slabs for reuse: give them back before VmEnv counts the frames
  }
  Ext2Env(const Ext2Env&) = delete;
  Ext2Env& operator=(const Ext2Env&) = delete;

  const std::string& dir() const { return m_dir; }
  std::string path(const std::string& name) const { return m_dir + "/" + name; }
  // A file in the tree an image is made from.
  void put_file(const std::string& name, const std::string& data) {
    std::string full = path("tree/" + name);
    run("mkdir -p " + quote(full.substr(0, full.rfind('/'))));
    std::ofstream out(full, std::ios::binary);
    out << data;
  }
  void put_dir(const std::string& name) { run("mkdir -p " + quote(path("tree/" + name))); }
  void put_symlink(const std::string& name, const std::string& target) {
    REQUIRE(symlink(target.c_str(), path("tree/" + name).c_str()) == 0);
  }

 private:
  vmtest::VmEnv m_vm;
  std::string m_dir;
};

// Kernel heap memory (the disk can read into it).
class Buffer {
 public:
  explicit Buffer(usize size) : m_size(size), m_data(static_cast<u8*>(kmalloc(size ? size : 1))) { REQUIRE(m_data); }
  ~Buffer() { kfree(m_data); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  u8* data() const { return m_data; }
  usize size() const { return m_size; }
  std::string str(usize n) const { return std::string(reinterpret_cast<char*>(m_data), n); }
  void fill(const std::string& s) {
    REQUIRE(s.size() <= m_size);
    memcpy(m_data, s.data(), s.size());
  }

 private:
  usize m_size;
  u8* m_data;
};

class Ext2Image {
 public:
  // An image of `kib` KiB with `block_size`-byte blocks made from env's tree (empty unless the test put files
  // there); extra: more mke2fs options ("-N 64", "-I 128", "-O ^filetype").
  Ext2Image(Ext2Env& env, u32 block_size, u64 kib, const std::string& extra = "") : m_env(env) {
    m_file = env.path("image");
    run("mkdir -p " + quote(env.path("tree")));
    std::string output;
    std::string command = std::string(HOST_MKE2FS) + " -q -F -t ext2 -b " + std::to_string(block_size) + " " + extra +
                          " -d " + quote(env.path("tree")) + " " + quote(m_file) + " " + std::to_string(kib) + "k";
    int status = run(command, &output);
    INFO(command, "\n", output);
    REQUIRE(status == 0);
    load();
  }
  ~Ext2Image() { unmount(); }
  Ext2Image(const Ext2Image&) = delete;
  Ext2Image& operator=(const Ext2Image&) = delete;

  MemoryBlockDevice& disk() { return *m_disk; }
  RefPtr<MemoryBlockDevice> disk_ref() { return m_disk; }

  // Mounts the image (REQUIREs success); the volume lives until unmount() or the end of the test.
  Ext2Volume& mount(Ext2MountOptions options = {}) {
    auto mounted = Ext2Volume::mount(RefPtr<BlockDevice>(m_disk.get()), options);
    INFO("mount: ", mounted.is_error() ? error_name(mounted.error()) : "ok", " log: ", log());
    REQUIRE(mounted.has_value());
    m_volume = mounted.value();
    return *m_volume;
  }
  Result<Ext2Volume*> try_mount(Ext2MountOptions options = {}) {
    return Ext2Volume::mount(RefPtr<BlockDevice>(m_disk.get()), options);
  }
  // Unmounts cleanly (if mounted) and writes the disk back to the image file.
  void unmount() {
    if (m_volume) {
      CHECK(m_volume->unmount().has_value());
      delete m_volume;
      m_volume = nullptr;
    }
    save();
  }
  // The volume without a clean unmount (a crash): destroyed, the disk as it is.
  void crash() {
    delete m_volume;
    m_volume = nullptr;
    save();
  }
  void save() {
    std::ofstream out(m_file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(m_disk->bytes()), static_cast<std::streamsize>(m_disk->sector_count() * SECTOR_SIZE));
  }
  // Replaces the disk by the image file (after a tool changed it).
  void load() {
    std::ifstream in(m_file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() % SECTOR_SIZE == 0);
    m_disk = RefPtr<MemoryBlockDevice>::adopt(new MemoryBlockDevice("vdz", bytes.size() / SECTOR_SIZE));
    memcpy(m_disk->bytes(), bytes.data(), bytes.size());
  }
  // `e2fsck -fn`: 0 when the file system is clean.
  int fsck(std::string* output = nullptr) {
    return run(std::string(HOST_E2FSCK) + " -fn " + quote(m_file), output);
  }
  // Requires e2fsck to find the saved image clean, showing its report if not.
  void require_clean() {
    std::string output;
    int status = fsck(&output);
    INFO("e2fsck -fn:\n", output);
    REQUIRE(status == 0);
  }
  std::string debugfs(const std::string& request) {
    std::string output;
    run(std::string(HOST_DEBUGFS) + " -R " + quote(request) + " " + quote(m_file) + " 2>/dev/null", &output);
    // debugfs prints its banner on stderr; the command's output is the rest.
    std::string banner = "debugfs ";
    if (output.rfind(banner, 0) == 0) output = output.substr(output.find('\n') + 1);
    return output;
  }
  const std::string& file() const { return m_file; }
  // Patches bytes of the image file at `offset` (damaging it on purpose), then reloads the disk.
  void patch(u64 offset, const void* bytes, usize len) {
    save();
    std::fstream f(m_file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(len));
    f.close();
    load();
  }
  static std::string log() {
    std::string all;
    for (const std::string& line : host_ext2_log_lines()) all += line + "\n";
    return all;
  }
  static bool log_has(const std::string& text) {
    for (const std::string& line : host_ext2_log_lines())
      if (line.find(text) != std::string::npos) return true;
    return false;
  }

 private:
  Ext2Env& m_env;
  std::string m_file;
  RefPtr<MemoryBlockDevice> m_disk;
  Ext2Volume* m_volume = nullptr;
};

// Helpers over a mounted volume, REQUIRE-ing success.
inline u32 lookup_path(Ext2Volume& v, const std::string& path) {
  u32 ino = ext2::ROOT_INODE;
  std::stringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty()) continue;
    auto found = v.lookup(ino, part.data(), part.size());
    INFO("looking up ", part, " in ", path);
    REQUIRE(found.has_value());
    ino = found.value();
  }
  return ino;
}

inline std::string read_all(Ext2Volume& v, u32 ino) {
  auto st = v.stat(ino);
  REQUIRE(st.has_value());
  Buffer buffer(st.value().size);
  auto n = v.read_data(ino, 0, buffer.data(), buffer.size());
  REQUIRE(n.has_value());
  return buffer.str(n.value());
}

inline u32 create_file(Ext2Volume& v, u32 dir, const std::string& name, u16 permissions = 0644) {
  Ext2NewNode what;
  what.mode = static_cast<u16>(ext2::MODE_REGULAR | permissions);
  auto made = v.create(dir, name.data(), name.size(), what);
  INFO("creating ", name, ": ", made.is_error() ? error_name(made.error()) : "ok");
  REQUIRE(made.has_value());
  return made.value();
}

inline u32 make_dir(Ext2Volume& v, u32 dir, const std::string& name) {
  Ext2NewNode what;
  what.mode = ext2::MODE_DIR | 0755;
  auto made = v.create(dir, name.data(), name.size(), what);
  INFO("mkdir ", name, ": ", made.is_error() ? error_name(made.error()) : "ok");
  REQUIRE(made.has_value());
  return made.value();
}

inline void write_string(Ext2Volume& v, u32 ino, u64 offset, const std::string& data) {
  Buffer buffer(data.size());
  buffer.fill(data);
  auto n = v.write_data(ino, offset, buffer.data(), data.size());
  INFO("write: ", n.is_error() ? error_name(n.error()) : "ok");
  REQUIRE(n.has_value());
  REQUIRE(n.value() == data.size());
}

// Every entry of a directory as "name:ino" lines, in order.
inline std::vector<std::string> list_names(Ext2Volume& v, u32 dir) {
  struct Collect final : Ext2DirVisitor {
    std::vector<std::string> names;
    bool emit(u64, u32, u8, const char* name, usize len) override {
      names.emplace_back(name, len);
      return true;
    }
  } collect;
  REQUIRE(v.list(dir, 0, collect).has_value());
  return collect.names;
}

// A pattern that differs at every byte position and between seeds (so misplaced data shows).
inline std::string pattern(usize size, u32 seed) {
  std::string s(size, '\0');
  for (usize i = 0; i < size; i++) s[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 10)) & 0xff);
  return s;
}

}  // namespace ext2test
