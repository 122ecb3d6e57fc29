// The ext2 volume (kernel/fs/ext2/) on images made by mke2fs: reading what mke2fs put there, then creating,
// writing, truncating, linking, renaming and removing, with 1 KiB and 4 KiB blocks. After every test that
// changes a volume, e2fsck -fn must find the image clean, and debugfs must read back what was written.
#include <doctest/doctest.h>

#include "fs/ext2_test_env.h"

using namespace ext2test;

namespace {

constexpr u32 ROOT = ext2::ROOT_INODE;

Ext2NewNode regular_node() {
  Ext2NewNode what;
  what.mode = ext2::MODE_REGULAR | 0644;
  return what;
}

u16 superblock_state(Ext2Image& image) {
  u16 state;
  memcpy(&state, image.disk().bytes() + 1024 + 0x3a, sizeof state);
  return state;
}

std::string dump(Ext2Image& image, Ext2Env& env, const std::string& path) {
  std::string out = env.path("dumped");
  unlink(out.c_str());
  image.debugfs("dump " + path + " " + out);
  std::ifstream in(out, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Bytes [offset, offset + len) of a file as debugfs maps them (bmap), read from the saved image: the
// volume's block tree checked by another implementation.
std::string read_through_debugfs(Ext2Image& image, const std::string& path, u64 offset, usize len, u32 block_size) {
  std::ifstream in(image.file(), std::ios::binary);
  std::string out;
  while (out.size() < len) {
    u64 at = offset + out.size();
    u64 index = at / block_size;
    usize in_block = at % block_size;
    usize n = std::min<usize>(block_size - in_block, len - out.size());
    std::string mapped = image.debugfs("bmap " + path + " " + std::to_string(index));
    u64 block = std::stoull(mapped);
    if (block == 0) {
      out.append(n, '\0');
      continue;
    }
    std::string bytes(n, '\0');
    in.seekg(static_cast<std::streamoff>(block * block_size + in_block));
    in.read(bytes.data(), static_cast<std::streamsize>(n));
    out += bytes;
  }
  return out;
}

}  // namespace

TEST_SUITE("fs/ext2: mounting and reading") {
  TEST_CASE("files, directories and links that mke2fs made read back, with 1 KiB and 4 KiB blocks") {
    for (u32 block_size : {1024u, 4096u}) {
      CAPTURE(block_size);
      Ext2Env env;
      env.put_file("hello.txt", "hello, world\n");
      std::string big = pattern(300 * 1024 + 123, 5);  // past the 12 direct blocks and the indirect block of 1 KiB
      env.put_file("dir/sub/big.bin", big);
      env.put_symlink("short", "hello.txt");
      std::string long_target = "dir/sub/" + std::string(80, 'x');
      env.put_symlink("long", long_target);
      Ext2Image image(env, block_size, 8 * 1024);
      Ext2Volume& v = image.mount();
      CHECK(v.block_size() == block_size);
      CHECK(read_all(v, lookup_path(v, "hello.txt")) == "hello, world\n");
      u32 big_ino = lookup_path(v, "dir/sub/big.bin");
      CHECK(read_all(v, big_ino) == big);
      // Reads at odd offsets and lengths, across block boundaries.
      Buffer buffer(5000);
      auto n = v.read_data(big_ino, 1000, buffer.data(), 5000);
      REQUIRE(n.has_value());
      CHECK(n.value() == 5000);
      CHECK(buffer.str(5000) == big.substr(1000, 5000));
      n = v.read_data(big_ino, big.size() - 10, buffer.data(), 5000);
      CHECK(n.value() == 10);
      n = v.read_data(big_ino, big.size() + 10, buffer.data(), 5000);
      CHECK(n.value() == 0);
      char target[256];
      auto len = v.readlink(lookup_path(v, "short"), target, sizeof target);
      REQUIRE(len.has_value());
      CHECK(std::string(target, len.value()) == "hello.txt");
      len = v.readlink(lookup_path(v, "long"), target, sizeof target);
      REQUIRE(len.has_value());
      CHECK(std::string(target, len.value()) == long_target);
      auto st = v.stat(lookup_path(v, "dir"));
      REQUIRE(st.has_value());
      CHECK((st.value().mode & ext2::MODE_TYPE_MASK) == ext2::MODE_DIR);
      CHECK(st.value().links == 3);
      CHECK(v.parent(lookup_path(v, "dir/sub")).value() == lookup_path(v, "dir"));
      std::vector<std::string> names = list_names(v, ROOT);
      CHECK(std::find(names.begin(), names.end(), "lost+found") != names.end());
      CHECK(std::find(names.begin(), names.end(), ".") != names.end());
      CHECK(v.lookup(ROOT, "missing", 7).error() == Error::NOENT);
      CHECK(v.lookup(lookup_path(v, "hello.txt"), "x", 1).error() == Error::NOTDIR);
      image.unmount();
      image.require_clean();
    }
  }

  TEST_CASE("a read-write mount marks the volume not clean until unmount; a crash leaves it so") {
    Ext2Env env;
    Ext2Image image(env, 1024, 2048);
    CHECK(superblock_state(image) == ext2::STATE_VALID);
    Ext2Volume& v = image.mount();
    CHECK(superblock_state(image) == 0);  // written at mount
    create_file(v, ROOT, "f");
    image.unmount();
    CHECK(superblock_state(image) == ext2::STATE_VALID);
    image.require_clean();
    // A crash: mounted, changed, never unmounted.
    Ext2Volume& again = image.mount();
    create_file(again, ROOT, "g");
    CHECK(again.sync().has_value());
    image.crash();
    CHECK(superblock_state(image) == 0);
    std::string output;
    CHECK(image.fsck(&output) == 0);  // synced: consistent, only not marked clean
    // A read-only mount changes nothing on the disk.
    Ext2MountOptions ro;
    ro.read_only = true;
    Ext2Volume& readonly = image.mount(ro);
    CHECK(readonly.is_read_only());
    Ext2NewNode what;
    what.mode = ext2::MODE_REGULAR | 0644;
    CHECK(readonly.create(ROOT, "h", 1, what).error() == Error::ROFS);
    image.unmount();
    CHECK(superblock_state(image) == 0);
  }

  TEST_CASE("a directory indexed by e2fsck -D (dir_index) reads, and stays valid when changed") {
    Ext2Env env;
    for (int i = 0; i < 600; i++) env.put_file("many/file-" + std::to_string(i), std::to_string(i));
    Ext2Image image(env, 1024, 8 * 1024);
    image.save();
    std::string output;
    run(std::string(HOST_E2FSCK) + " -fyD " + quote(image.file()), &output);
    image.load();
    CHECK(image.debugfs("htree many").find("Root node dump") != std::string::npos);
    Ext2Volume& v = image.mount();
    u32 many = lookup_path(v, "many");
    CHECK(list_names(v, many).size() == 602);
    for (int i = 0; i < 600; i += 37) CHECK(read_all(v, lookup_path(v, "many/file-" + std::to_string(i))) == std::to_string(i));
    create_file(v, many, "new-one");
    CHECK(v.unlink(many, "file-5", 6, Ext2Unlink::NonDirectory).has_value());
    CHECK(list_names(v, many).size() == 602);
    image.unmount();
    image.require_clean();
  }
}

TEST_SUITE("fs/ext2: files") {
  TEST_CASE("create, write, overwrite, append and read back; debugfs agrees") {
    for (u32 block_size : {1024u, 4096u}) {
      CAPTURE(block_size);
      Ext2Env env;
      Ext2Image image(env, block_size, 4096);
      Ext2Volume& v = image.mount();
      u32 ino = create_file(v, ROOT, "notes.txt", 0640);
      write_string(v, ino, 0, "first line\n");
      write_string(v, ino, 11, "second line\n");
      write_string(v, ino, 0, "FIRST");
      CHECK(read_all(v, ino) == "FIRST line\nsecond line\n");
      std::string data = pattern(3 * block_size + 17, 9);
      u32 data_ino = create_file(v, ROOT, "data.bin");
      write_string(v, data_ino, 0, data.substr(0, 100));
      write_string(v, data_ino, 100, data.substr(100));  // unaligned, then whole blocks
      CHECK(read_all(v, data_ino) == data);
      auto st = v.stat(data_ino);
      CHECK(st.value().size == data.size());
      CHECK(st.value().blocks == 4 * (block_size / 512));
      CHECK(v.create(ROOT, "notes.txt", 9, regular_node()).error() == Error::EXIST);
      image.unmount();
      image.require_clean();
      CHECK(image.debugfs("cat notes.txt") == "FIRST line\nsecond line\n");
      CHECK(dump(image, env, "data.bin") == data);
      CHECK(image.debugfs("stat notes.txt").find("Mode:  0640") != std::string::npos);
    }
  }

  TEST_CASE("sparse files: holes read as zeros and cost nothing, past the indirect and doubly indirect limits") {
    for (u32 block_size : {1024u, 4096u}) {
      CAPTURE(block_size);
      Ext2Env env;
      Ext2Image image(env, block_size, 8 * 1024);
      Ext2Volume& v = image.mount();
      u64 pointers = block_size / 4;
      u64 indirect_end = (12 + pointers) * block_size;
      u64 doubly_end = (12 + pointers + pointers * pointers) * block_size;
      struct Piece {
        u64 offset;
        std::string data;
      };
      std::vector<Piece> pieces = {
          {0, "start"},
          {12ull * block_size - 3, pattern(10, 1)},       // across the last direct block into the indirect tree
          {indirect_end - 5, pattern(block_size, 2)},     // into the doubly indirect tree
          {doubly_end + 12345, pattern(3000, 3)},         // into the triply indirect tree
      };
      u32 ino = create_file(v, ROOT, "sparse");
      for (const Piece& p : pieces) write_string(v, ino, p.offset, p.data);
      u64 size = pieces.back().offset + pieces.back().data.size();
      auto st = v.stat(ino);
      REQUIRE(st.has_value());
      CHECK(st.value().size == size);
      CHECK(st.value().blocks < 64 * (block_size / 512));  // a handful of data and indirect blocks
      for (const Piece& p : pieces) {
        u64 before = p.offset < 100 ? p.offset : 100;
        Buffer buffer(p.data.size() + 200);
        auto n = v.read_data(ino, p.offset - before, buffer.data(), buffer.size());
        REQUIRE(n.has_value());
        std::string got = buffer.str(n.value());
        REQUIRE(got.size() >= before + p.data.size());
        CHECK(got.substr(before, p.data.size()) == p.data);
        CHECK(got.substr(0, before) == std::string(before, p.offset == 0 ? 's' : '\0').substr(0, p.offset == 0 ? 0 : before));
      }
      // A hole in the middle reads as zeros.
      Buffer hole(block_size * 2);
      memset(hole.data(), 0x55, hole.size());
      REQUIRE(v.read_data(ino, indirect_end + 100ull * block_size, hole.data(), hole.size()).has_value());
      CHECK(hole.str(hole.size()) == std::string(hole.size(), '\0'));
      CHECK(!v.is_block_mapped(ino, 20).value());
      CHECK(v.is_block_mapped(ino, 0).value());
      image.unmount();
      image.require_clean();
      // Read back through debugfs's own block map (dumping a file of gigabytes would take too long).
      for (const Piece& p : pieces) CHECK(read_through_debugfs(image, "sparse", p.offset, p.data.size(), block_size) == p.data);
      CHECK(read_through_debugfs(image, "sparse", doubly_end, 100, block_size) == std::string(100, '\0'));
      CHECK(image.debugfs("stat sparse").find("Size: " + std::to_string(size)) != std::string::npos);
    }
  }

  TEST_CASE("read_pages: whole pages in few requests; holes and the tail past the end read as zeros") {
    for (u32 block_size : {1024u, 4096u}) {
      CAPTURE(block_size);
      Ext2Env env;
      std::string data = pattern(200 * 1024 + 100, 9);  // 51 pages, the last one 100 bytes
      env.put_file("seq", data);
      Ext2Image image(env, block_size, 4 * 1024);
      Ext2Volume& v = image.mount();
      u32 ino = lookup_path(v, "seq");
      constexpr u32 COUNT = 32;
      std::vector<Buffer*> pages;
      u8* buffers[COUNT];
      for (u32 i = 0; i < COUNT; i++) {
        pages.push_back(new Buffer(PAGE_SIZE));
        buffers[i] = pages.back()->data();
        memset(buffers[i], 0x55, PAGE_SIZE);
      }
      u64 reads_before = image.disk().stats().reads.load(MemoryOrder::Relaxed);
      REQUIRE(v.read_pages(ino, 0, buffers, COUNT).has_value());
      u64 requests = image.disk().stats().reads.load(MemoryOrder::Relaxed) - reads_before;
      // 128 KiB: two requests of the fake disk's 64 KiB at least; the indirect block lies between file blocks 11
      // and 12 (one more run) and is read itself (the buffer cache's request): at most 5, where a request per page
      // would be 32.
      CHECK(requests >= 2);
      CHECK(requests <= 5);
      for (u32 i = 0; i < COUNT; i++) CHECK(pages[i]->str(PAGE_SIZE) == data.substr(i * PAGE_SIZE, PAGE_SIZE));
      // From page 40 on: the last page's tail and the pages past the end are zeros.
      for (u32 i = 0; i < COUNT; i++) memset(buffers[i], 0x55, PAGE_SIZE);
      REQUIRE(v.read_pages(ino, 40, buffers, 16).has_value());
      for (u32 i = 0; i < 10; i++) CHECK(pages[i]->str(PAGE_SIZE) == data.substr((40 + i) * PAGE_SIZE, PAGE_SIZE));
      CHECK(pages[10]->str(PAGE_SIZE) == data.substr(50 * PAGE_SIZE) + std::string(PAGE_SIZE - 100, '\0'));
      for (u32 i = 11; i < 16; i++) CHECK(pages[i]->str(PAGE_SIZE) == std::string(PAGE_SIZE, '\0'));
      // A sparse file: the holes are zeros, and cost no request (the two blocks may lie side by side: one request).
      u32 sparse = create_file(v, ROOT, "sparse");
      write_string(v, sparse, 0, "abc");
      write_string(v, sparse, 10 * PAGE_SIZE + 5, "xyz");
      for (u32 i = 0; i < COUNT; i++) memset(buffers[i], 0x55, PAGE_SIZE);
      reads_before = image.disk().stats().reads.load(MemoryOrder::Relaxed);
      REQUIRE(v.read_pages(sparse, 0, buffers, 11).has_value());
      CHECK(image.disk().stats().reads.load(MemoryOrder::Relaxed) - reads_before <= 2);
      CHECK(pages[0]->str(4) == std::string("abc\0", 4));
      for (u32 i = 1; i < 10; i++) CHECK(pages[i]->str(PAGE_SIZE) == std::string(PAGE_SIZE, '\0'));
      CHECK(pages[10]->str(9) == std::string("\0\0\0\0\0xyz\0", 9));
      // A bad block fails the whole call (the page cache then reads page by page).
      std::stringstream parse(image.debugfs("blocks seq"));
      u64 first_block;
      parse >> first_block;
      u64 sectors_per_block = block_size / 512;
      image.disk().fail(BlockOp::Read, (first_block + 3) * sectors_per_block, sectors_per_block);
      CHECK(v.read_pages(ino, 0, buffers, 4).error() == Error::IO);
      image.disk().clear_failures();
      for (Buffer* b : pages) delete b;
      image.unmount();
      image.require_clean();
    }
  }

  TEST_CASE("truncate: shrinking frees blocks and indirect blocks, growing shows zeros, not old bytes") {
    for (u32 block_size : {1024u, 4096u}) {
      CAPTURE(block_size);
      Ext2Env env;
      Ext2Image image(env, block_size, 8 * 1024);
      Ext2Volume& v = image.mount();
      u64 free_at_start = v.statfs().free_blocks;
      u32 ino = create_file(v, ROOT, "t");
      std::string data = pattern(300 * block_size + 77, 4);  // into the doubly indirect tree for 1 KiB blocks
      write_string(v, ino, 0, data);
      CHECK(v.statfs().free_blocks < free_at_start - 300);
      REQUIRE(v.truncate(ino, 5 * block_size + 10).has_value());
      CHECK(v.stat(ino).value().size == 5 * block_size + 10);
      CHECK(v.stat(ino).value().blocks == 6 * (block_size / 512));
      CHECK(v.statfs().free_blocks == free_at_start - 6);
      REQUIRE(v.truncate(ino, 8 * block_size).has_value());
      std::string now = read_all(v, ino);
      CHECK(now.substr(0, 5 * block_size + 10) == data.substr(0, 5 * block_size + 10));
      CHECK(now.substr(5 * block_size + 10) == std::string(3 * block_size - 10, '\0'));
      // Writing past the end after a shrink: the gap is zeros too.
      REQUIRE(v.truncate(ino, 100).has_value());
      write_string(v, ino, 200, "tail");
      now = read_all(v, ino);
      CHECK(now == data.substr(0, 100) + std::string(100, '\0') + "tail");
      REQUIRE(v.truncate(ino, 0).has_value());
      CHECK(v.stat(ino).value().blocks == 0);
      CHECK(v.statfs().free_blocks == free_at_start);
      image.unmount();
      image.require_clean();
    }
  }

  TEST_CASE("attributes: mode, owner and times persist; symbolic links fast and slow; device nodes and FIFOs") {
    Ext2Env env;
    Ext2Image image(env, 1024, 2048);
    Ext2Volume& v = image.mount();
    host_ext2_set_time(1600000000);
    u32 ino = create_file(v, ROOT, "owned");
    Ext2AttributeChange change;
    change.what = Ext2AttributeChange::Mode | Ext2AttributeChange::Uid | Ext2AttributeChange::Gid |
                  Ext2AttributeChange::AccessTime | Ext2AttributeChange::ModifyTime;
    change.permissions = 04751;
    change.uid = 100000;  // needs the high 16 bits
    change.gid = 1234;
    change.atime = 1000000000;
    change.mtime = 1100000000;
    REQUIRE(v.set_attributes(ino, change).has_value());
    auto st = v.stat(ino).value();
    CHECK(st.mode == (ext2::MODE_REGULAR | 04751));
    CHECK(st.uid == 100000);
    CHECK(st.gid == 1234);
    CHECK(st.atime == 1000000000);
    CHECK(st.mtime == 1100000000);
    CHECK(st.ctime == 1600000000);
    Ext2NewNode link;
    link.mode = ext2::MODE_SYMLINK | 0777;
    link.target = "a/short/target";
    link.target_length = strlen(link.target);
    u32 fast = v.create(ROOT, "fast", 4, link).value();
    std::string long_target(200, 'y');
    link.target = long_target.c_str();
    link.target_length = long_target.size();
    u32 slow = v.create(ROOT, "slow", 4, link).value();
    char buffer[300];
    CHECK(std::string(buffer, v.readlink(fast, buffer, sizeof buffer).value()) == "a/short/target");
    CHECK(std::string(buffer, v.readlink(slow, buffer, sizeof buffer).value()) == long_target);
    CHECK(v.stat(fast).value().blocks == 0);
    CHECK(v.stat(slow).value().blocks == 2);
    CHECK(v.readlink(ino, buffer, sizeof buffer).error() == Error::INVAL);
    Ext2NewNode node;
    node.mode = ext2::MODE_CHAR | 0600;
    node.rdev = (1 << 8) | 3;  // 1:3
    u32 null_ino = v.create(ROOT, "null", 4, node).value();
    CHECK(v.stat(null_ino).value().rdev == ((1 << 8) | 3));
    node.rdev = (4095u << 8) | 0xff | (0x12345ull << 12 & ~0xffull);  // a number the old encoding cannot hold
    u32 big_ino = v.create(ROOT, "bigdev", 6, node).value();
    CHECK(v.stat(big_ino).value().rdev == node.rdev);
    node.mode = ext2::MODE_FIFO | 0644;
    node.rdev = 0;
    v.create(ROOT, "fifo", 4, node).value();
    image.unmount();
    image.require_clean();
    std::string stat = image.debugfs("stat owned");
    CHECK(stat.find("Mode:  04751") != std::string::npos);
    CHECK(stat.find("User: 100000") != std::string::npos);
    CHECK(stat.find("Group:  1234") != std::string::npos);
    CHECK(image.debugfs("stat fast").find("Fast link dest: \"a/short/target\"") != std::string::npos);
    CHECK(image.debugfs("stat null").find("Device major/minor number: 01:03") != std::string::npos);
    CHECK(image.debugfs("stat fifo").find("Type: FIFO") != std::string::npos);
  }

  TEST_CASE("a volume without the filetype feature and with 128-byte inodes") {
    Ext2Env env;
    env.put_file("a", "alpha");
    Ext2Image image(env, 1024, 2048, "-O ^filetype -I 128");
    Ext2Volume& v = image.mount();
    CHECK(read_all(v, lookup_path(v, "a")) == "alpha");
    u32 d = make_dir(v, ROOT, "d");
    write_string(v, create_file(v, d, "b"), 0, "beta");
    CHECK(v.rename(d, "b", 1, ROOT, "c", 1, 0).has_value());
    image.unmount();
    image.require_clean();
    CHECK(image.debugfs("cat c") == "beta");
  }
}

TEST_SUITE("fs/ext2: directories and names") {
  TEST_CASE("thousands of entries: create, look up, list, remove; blocks are added and reused") {
    for (u32 block_size : {1024u, 4096u}) {
      CAPTURE(block_size);
      Ext2Env env;
      Ext2Image image(env, block_size, 16 * 1024, "-N 4096");
      Ext2Volume& v = image.mount(Ext2MountOptions{false, 0, 128});
      u32 dir = make_dir(v, ROOT, "big");
      constexpr int COUNT = 3000;
      for (int i = 0; i < COUNT; i++) create_file(v, dir, "entry-number-" + std::to_string(i));
      auto st = v.stat(dir).value();
      CHECK(st.size >= (block_size == 1024 ? 60 : 15) * block_size);
      CHECK(list_names(v, dir).size() == COUNT + 2);
      for (int i = 0; i < COUNT; i += 97) CHECK(v.lookup(dir, ("entry-number-" + std::to_string(i)).c_str(), 13 + std::to_string(i).size()).has_value());
      for (int i = 0; i < COUNT; i += 2) {
        std::string name = "entry-number-" + std::to_string(i);
        REQUIRE(v.unlink(dir, name.data(), name.size(), Ext2Unlink::NonDirectory).has_value());
      }
      CHECK(list_names(v, dir).size() == COUNT / 2 + 2);
      // New names take the freed records: the directory does not grow.
      for (int i = 0; i < 500; i++) create_file(v, dir, "n" + std::to_string(i));
      CHECK(v.stat(dir).value().size == st.size);
      CHECK(v.unlink(ROOT, "big", 3, Ext2Unlink::Directory).error() == Error::NOTEMPTY);
      image.unmount();
      image.require_clean();
      std::string listing = image.debugfs("ls -l big");
      CHECK(std::count(listing.begin(), listing.end(), '\n') >= COUNT / 2 + 500);
    }
  }

  TEST_CASE("listing resumes at a cookie, also one that is not on an entry") {
    Ext2Env env;
    Ext2Image image(env, 1024, 2048);
    Ext2Volume& v = image.mount();
    for (int i = 0; i < 100; i++) create_file(v, ROOT, "f" + std::to_string(i));
    struct Collect final : Ext2DirVisitor {
      std::vector<std::pair<u64, std::string>> seen;
      usize limit = 10;
      bool emit(u64 next, u32, u8, const char* name, usize len) override {
        if (seen.size() == limit) return false;
        seen.emplace_back(next, std::string(name, len));
        return true;
      }
    };
    std::vector<std::string> all;
    u64 cookie = 0;
    for (;;) {
      Collect c;
      REQUIRE(v.list(ROOT, cookie, c).has_value());
      if (c.seen.empty()) break;
      for (auto& [next, name] : c.seen) all.push_back(name);
      cookie = c.seen.back().first;
    }
    CHECK(all == list_names(v, ROOT));
    Collect odd;
    // Inside ".."'s record (12..23): Linux resumes at the next record (ext2_validate_entry).
    REQUIRE(v.list(ROOT, 13, odd).has_value());
    REQUIRE(!odd.seen.empty());
    CHECK(odd.seen[0].second == "lost+found");
  }

  TEST_CASE("mkdir and rmdir keep link counts and the groups' directory counts") {
    Ext2Env env;
    Ext2Image image(env, 1024, 4096);
    Ext2Volume& v = image.mount();
    u16 root_links = v.stat(ROOT).value().links;
    u32 a = make_dir(v, ROOT, "a");
    u32 b = make_dir(v, a, "b");
    make_dir(v, a, "c");
    CHECK(v.stat(ROOT).value().links == root_links + 1);
    CHECK(v.stat(a).value().links == 4);
    CHECK(v.stat(b).value().links == 2);
    CHECK(v.parent(b).value() == a);
    CHECK(v.unlink(a, "b", 1, Ext2Unlink::NonDirectory).error() == Error::ISDIR);
    CHECK(v.unlink(ROOT, "a", 1, Ext2Unlink::Directory).error() == Error::NOTEMPTY);
    CHECK(v.unlink(a, "b", 1, Ext2Unlink::Directory).has_value());
    CHECK(v.stat(a).value().links == 3);
    u32 f = create_file(v, a, "file");
    CHECK(v.unlink(a, "file", 4, Ext2Unlink::Directory).error() == Error::NOTDIR);
    (void)f;
    image.unmount();
    image.require_clean();
  }

  TEST_CASE("hard links: counts, EPERM for directories, the inode lives until its last name goes") {
    Ext2Env env;
    Ext2Image image(env, 1024, 2048);
    Ext2Volume& v = image.mount();
    u32 ino = create_file(v, ROOT, "one");
    write_string(v, ino, 0, "shared");
    u32 d = make_dir(v, ROOT, "d");
    REQUIRE(v.link(d, "two", 3, ino).has_value());
    CHECK(v.stat(ino).value().links == 2);
    CHECK(v.link(ROOT, "dlink", 5, d).error() == Error::PERM);
    CHECK(v.link(ROOT, "one", 3, ino).error() == Error::EXIST);
    u64 free_blocks = v.statfs().free_blocks;
    REQUIRE(v.unlink(ROOT, "one", 3, Ext2Unlink::NonDirectory).has_value());
    CHECK(read_all(v, lookup_path(v, "d/two")) == "shared");
    CHECK(v.statfs().free_blocks == free_blocks);
    REQUIRE(v.unlink(d, "two", 3, Ext2Unlink::NonDirectory).has_value());
    CHECK(v.statfs().free_blocks == free_blocks + 1);
    image.unmount();
    image.require_clean();
  }

  TEST_CASE("an unlinked file that is still held keeps its blocks until it is released") {
    Ext2Env env;
    Ext2Image image(env, 1024, 2048);
    Ext2Volume& v = image.mount();
    u64 free_inodes = v.statfs().free_inodes;
    u32 ino = create_file(v, ROOT, "open");
    write_string(v, ino, 0, pattern(10000, 1));
    u64 free_blocks = v.statfs().free_blocks;
    v.hold(ino);
    REQUIRE(v.unlink(ROOT, "open", 4, Ext2Unlink::NonDirectory).has_value());
    CHECK(v.stat(ino).value().links == 0);
    CHECK(read_all(v, ino) == pattern(10000, 1));  // still readable, and writable
    write_string(v, ino, 10000, "more");
    CHECK(v.statfs().free_blocks == free_blocks);
    CHECK(v.link(ROOT, "again", 5, ino).error() == Error::NOENT);
    v.release(ino);
    CHECK(v.statfs().free_inodes == free_inodes);
    CHECK(v.held_inodes() == 0);
    image.unmount();
    image.require_clean();
  }

  TEST_CASE("rename: replace, move directories, and every error Linux gives") {
    for (u32 block_size : {1024u, 4096u}) {
      CAPTURE(block_size);
      Ext2Env env;
      Ext2Image image(env, block_size, 4096);
      Ext2Volume& v = image.mount();
      u32 x = create_file(v, ROOT, "x");
      write_string(v, x, 0, "x data");
      u32 y = create_file(v, ROOT, "y");
      write_string(v, y, 0, pattern(3000, 2));
      u64 free_blocks = v.statfs().free_blocks;
      // Over an existing file: the old one is freed.
      REQUIRE(v.rename(ROOT, "x", 1, ROOT, "y", 1, 0).has_value());
      CHECK(lookup_path(v, "y") == x);
      CHECK(v.lookup(ROOT, "x", 1).error() == Error::NOENT);
      CHECK(v.statfs().free_blocks > free_blocks);
      // Directories between parents: link counts follow.
      u32 a = make_dir(v, ROOT, "a");
      u32 b = make_dir(v, ROOT, "b");
      u32 sub = make_dir(v, a, "sub");
      make_dir(v, sub, "deeper");
      REQUIRE(v.rename(a, "sub", 3, b, "moved", 5, 0).has_value());
      CHECK(v.stat(a).value().links == 2);
      CHECK(v.stat(b).value().links == 3);
      CHECK(v.parent(sub).value() == b);
      // Into itself or below: EINVAL.
      CHECK(v.rename(b, "moved", 5, sub, "self", 4, 0).error() == Error::INVAL);
      CHECK(v.rename(ROOT, "b", 1, lookup_path(v, "b/moved/deeper"), "loop", 4, 0).error() == Error::INVAL);
      // Over a non-empty directory, a directory over a file, a file over a directory, NOREPLACE.
      make_dir(v, ROOT, "full");
      create_file(v, lookup_path(v, "full"), "inside");
      CHECK(v.rename(ROOT, "a", 1, ROOT, "full", 4, 0).error() == Error::NOTEMPTY);
      CHECK(v.rename(ROOT, "a", 1, ROOT, "y", 1, 0).error() == Error::NOTDIR);
      CHECK(v.rename(ROOT, "y", 1, ROOT, "a", 1, 0).error() == Error::ISDIR);
      CHECK(v.rename(ROOT, "y", 1, ROOT, "full", 4, 1).error() == Error::EXIST);
      CHECK(v.rename(ROOT, "nothing", 7, ROOT, "z", 1, 0).error() == Error::NOENT);
      // Over an empty directory: it goes, and its parent's count with it.
      u16 root_links = v.stat(ROOT).value().links;
      make_dir(v, ROOT, "empty");
      REQUIRE(v.rename(ROOT, "a", 1, ROOT, "empty", 5, 0).has_value());
      CHECK(v.stat(ROOT).value().links == root_links);
      // Two names of one inode: nothing happens.
      REQUIRE(v.link(ROOT, "y2", 2, x).has_value());
      REQUIRE(v.rename(ROOT, "y", 1, ROOT, "y2", 2, 0).has_value());
      CHECK(v.lookup(ROOT, "y", 1).has_value());
      CHECK(v.stat(x).value().links == 2);
      // Within one directory, to a longer name (the record cannot stay in place).
      REQUIRE(v.rename(ROOT, "y2", 2, ROOT, std::string(200, 'L').c_str(), 200, 0).has_value());
      image.unmount();
      image.require_clean();
      CHECK(image.debugfs("cat " + std::string(200, 'L')) == "x data");
    }
  }
}

TEST_SUITE("fs/ext2: space and errors") {
  TEST_CASE("a full volume: a short write, then ENOSPC; inodes run out too; freeing gives the space back") {
    Ext2Env env;
    Ext2Image image(env, 1024, 512, "-N 32 -m 0");
    Ext2Volume& v = image.mount();
    u64 free_blocks = v.statfs().free_blocks;
    u32 ino = create_file(v, ROOT, "filler");
    Buffer chunk(64 * 1024);
    memset(chunk.data(), 'f', chunk.size());
    u64 written = 0;
    Result<usize> n = 0;
    for (int i = 0; i < 100; i++) {
      n = v.write_data(ino, written, chunk.data(), chunk.size());
      if (n.is_error()) break;
      written += n.value();
      if (n.value() < chunk.size()) {
        n = v.write_data(ino, written, chunk.data(), chunk.size());
        break;
      }
    }
    REQUIRE(n.is_error());
    CHECK(n.error() == Error::NOSPC);
    CHECK(v.statfs().free_blocks == 0);
    CHECK(written > 400 * 1024);
    CHECK(v.stat(ino).value().size == written);
    Ext2NewNode dir;
    dir.mode = ext2::MODE_DIR | 0755;
    CHECK(v.create(ROOT, "nodir", 5, dir).error() == Error::NOSPC);
    image.unmount();
    image.require_clean();
    Ext2Volume& again = image.mount();
    CHECK(read_all(again, lookup_path(again, "filler")) == std::string(written, 'f'));
    REQUIRE(again.unlink(ROOT, "filler", 6, Ext2Unlink::NonDirectory).has_value());
    CHECK(again.statfs().free_blocks == free_blocks);
    // Inodes: -N 32 leaves about 20 for us.
    int made = 0;
    for (; made < 100; made++) {
      std::string name = "i" + std::to_string(made);
      auto r = again.create(ROOT, name.data(), name.size(), regular_node());
      if (r.is_error()) {
        CHECK(r.error() == Error::NOSPC);
        break;
      }
    }
    CHECK(made > 10);
    CHECK(made < 32);
    CHECK(again.statfs().free_inodes == 0);
    image.unmount();
    image.require_clean();
  }

  TEST_CASE("a disk read error fails the call with EIO; a write error too; the volume stays consistent") {
    Ext2Env env;
    env.put_file("data", pattern(20000, 6));
    Ext2Image image(env, 1024, 2048);
    Ext2Volume& v = image.mount();
    u32 ino = lookup_path(v, "data");
    // Which block holds file block 3? Fail its sectors.
    std::string blocks = image.debugfs("blocks data");
    std::stringstream parse(blocks);
    u64 first;
    parse >> first;
    image.disk().fail(BlockOp::Read, (first + 3) * 2, 2);
    Buffer buffer(20000);
    auto n = v.read_data(ino, 0, buffer.data(), buffer.size());
    REQUIRE(n.has_value());
    CHECK(n.value() == 3 * 1024);  // a short read up to the bad block
    n = v.read_data(ino, 3 * 1024, buffer.data(), 100);
    REQUIRE(n.is_error());
    CHECK(n.error() == Error::IO);
    CHECK(Ext2Image::log_has("error reading block"));
    image.disk().clear_failures();
    CHECK(v.read_data(ino, 3 * 1024, buffer.data(), 100).has_value());
    image.disk().fail_next(BlockOp::Write, 1);
    n = v.write_data(ino, 0, buffer.data(), 10);
    REQUIRE(n.is_error());
    CHECK(n.error() == Error::IO);
    CHECK(!v.is_read_only());
    image.unmount();
    image.require_clean();
  }

  TEST_CASE("damaged superblocks and group descriptors are refused at mount, with a reason") {
    Ext2Env env;
    Ext2Image image(env, 1024, 2048);
    struct Damage {
      const char* what;
      u64 offset;
      u32 value;
      usize size;
      const char* message;
      Error error;
    };
    const Damage damages[] = {
        {"magic", 1024 + 0x38, 0x1234, 2, "bad magic number", Error::INVAL},
        {"block count past the device", 1024 + 0x4, 100000, 4, "exceeds size of device", Error::INVAL},
        {"block size", 1024 + 0x18, 9, 4, "block size not supported", Error::INVAL},
        {"blocks per group", 1024 + 0x20, 0, 4, "bad blocks per group", Error::INVAL},
        {"inode size", 1024 + 0x58, 100, 2, "bad inode size", Error::INVAL},
        {"incompatible feature", 1024 + 0x60, 0x2 | 0x40, 4, "unsupported incompatible features", Error::INVAL},
        {"journal needs recovery", 1024 + 0x60, 0x2 | 0x4, 4, "needs recovery", Error::INVAL},
        {"block bitmap outside its group", 2048 + 0, 999999, 4, "block bitmap not in the group", Error::INVAL},
        {"inode table outside the volume", 2048 + 8, 2047, 4, "inode table not in the group", Error::INVAL},
    };
    for (const Damage& d : damages) {
      CAPTURE(d.what);
      Ext2Image damaged(env, 1024, 2048);
      damaged.patch(d.offset, &d.value, d.size);
      host_ext2_log_clear();
      auto mounted = damaged.try_mount();
      REQUIRE(mounted.is_error());
      CHECK(mounted.error() == d.error);
      INFO(Ext2Image::log());
      CHECK(Ext2Image::log_has(d.message));
    }
    // An optional feature we cannot write: read-only only.
    Ext2Image ro_only(env, 1024, 2048);
    u32 ro_features = 0x1 | 0x2 | 0x400;  // + metadata_csum
    ro_only.patch(1024 + 0x64, &ro_features, 4);
    auto rw = ro_only.try_mount();
    REQUIRE(rw.is_error());
    CHECK(rw.error() == Error::INVAL);
    Ext2MountOptions ro;
    ro.read_only = true;
    Ext2Volume& readonly = ro_only.mount(ro);
    CHECK(readonly.set_read_only(false).error() == Error::ROFS);
    // A read-only disk cannot be mounted read-write.
    Ext2Image locked(env, 1024, 2048);
    locked.disk().set_read_only(true);
    auto denied = locked.try_mount();
    REQUIRE(denied.is_error());
    CHECK(denied.error() == Error::ACCESS);
  }

  TEST_CASE("corruption found while mounted: EIO, a clear message, read-only from then on, never a crash") {
    SUBCASE("a block number outside the volume") {
      Ext2Env env;
      env.put_file("victim", pattern(5000, 1));
      Ext2Image image(env, 1024, 2048);
      Ext2Volume& probe = image.mount();
      u32 ino = lookup_path(probe, "victim");
      image.unmount();
      // Inode `ino`'s i_block[2] (group 0's inode table, 256-byte inodes) := a block past the end.
      std::string stat = image.debugfs("stat victim");
      std::string imap = image.debugfs("imap victim");
      u64 block = 0, offset = 0;
      REQUIRE(imap.find("located at block ") != std::string::npos);
      sscanf(imap.c_str() + imap.find("located at block ") + 17, "%llu, offset 0x%llx", reinterpret_cast<unsigned long long*>(&block),
             reinterpret_cast<unsigned long long*>(&offset));
      u32 bad = 900000;
      image.patch(block * 1024 + offset + 0x28 + 2 * 4, &bad, 4);
      Ext2Volume& v = image.mount();
      host_ext2_log_clear();
      Buffer buffer(5000);
      auto n = v.read_data(ino, 0, buffer.data(), 5000);
      REQUIRE(n.has_value());
      CHECK(n.value() == 2048);  // up to the bad pointer
      CHECK(v.read_data(ino, 2048, buffer.data(), 100).error() == Error::IO);
      CHECK(Ext2Image::log_has("block 900000 (file block 2) is not a data block"));
      CHECK(Ext2Image::log_has("remounting read-only"));
      CHECK(v.is_read_only());
      CHECK(v.create(ROOT, "new", 3, regular_node()).error() == Error::ROFS);
      image.unmount();
      CHECK((superblock_state(image) & ext2::STATE_ERROR) != 0);
    }
    SUBCASE("a bad rec_len in a directory block") {
      Ext2Env env;
      env.put_file("d/a", "a");
      Ext2Image image(env, 1024, 2048);
      std::string blocks = image.debugfs("blocks d");
      u64 block = std::stoull(blocks);
      u16 bad = 7;  // unaligned, and too small
      image.patch(block * 1024 + 12 + 4, &bad, 2);  // the ".." record's rec_len
      Ext2Volume& v = image.mount();
      u32 d = lookup_path(v, "d");
      CHECK(v.lookup(d, "a", 1).error() == Error::IO);
      CHECK(Ext2Image::log_has("rec_len is smaller than minimal"));
      CHECK(v.is_read_only());
    }
    SUBCASE("a directory loop") {
      Ext2Env env;
      env.put_dir("p/c");
      env.put_dir("other");
      Ext2Image image(env, 1024, 2048);
      Ext2Volume& probe = image.mount();
      u32 p = lookup_path(probe, "p");
      u32 c = lookup_path(probe, "p/c");
      u32 other = lookup_path(probe, "other");
      image.unmount();
      // p's ".." := c: walking up from c never reaches the root.
      u64 block = std::stoull(image.debugfs("blocks p"));
      image.patch(block * 1024 + 12, &c, 4);
      Ext2Volume& v = image.mount();
      auto moved = v.rename(ROOT, "other", 5, c, "x", 1, 0);
      REQUIRE(moved.is_error());
      CHECK(moved.error() == Error::IO);
      CHECK(Ext2Image::log_has("directory loop"));
      (void)p;
      (void)other;
    }
    SUBCASE("a directory entry naming a free inode") {
      Ext2Env env;
      env.put_file("f", "x");
      Ext2Image image(env, 1024, 2048);
      u64 block = std::stoull(image.debugfs("blocks /"));
      // The root's third record ("lost+found") := inode 20, which is free.
      u32 free_ino = 20;
      image.patch(block * 1024 + 24, &free_ino, 4);
      Ext2Volume& v = image.mount();
      CHECK(v.lookup(ROOT, "lost+found", 10).error() == Error::IO);
      CHECK(Ext2Image::log_has("is used but free"));
    }
  }
}
