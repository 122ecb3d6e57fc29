// The device trees of the QEMU virt machine that the build dumped with qemu-system-riscv64
// (tests/host/CMakeLists.txt, HOST_TEST_DTB_DIR), and what each configuration was asked for.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "lib/types.h"

struct QemuConfig {
  const char* name;  // <name>.dtb in HOST_TEST_DTB_DIR
  u32 harts;
  u64 memory;
  bool has_chosen_args;  // started with -kernel, -initrd and -append "console=mux loglevel=debug"
};

inline constexpr QemuConfig QEMU_CONFIGS[] = {
    {"virt-smp1-64M", 1, 64 * MiB, false},      {"virt-smp4-64M", 4, 64 * MiB, false},
    {"virt-smp8-64M", 8, 64 * MiB, false},      {"virt-smp1-2G", 1, 2 * GiB, false},
    {"virt-smp8-2G", 8, 2 * GiB, false},        {"virt-smp9-64M", 9, 64 * MiB, false},
    {"virt-smp4-2G-chosen", 4, 2 * GiB, true},
};
inline constexpr const char* QEMU_BOOTARGS = "console=mux loglevel=debug";

inline std::string dtb_path(const std::string& file) { return std::string(HOST_TEST_DTB_DIR) + "/" + file; }

// The first max_size bytes of a file (all of it by default).
inline std::vector<u8> read_file(const std::string& path, usize max_size = ~usize(0)) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  usize size = std::min<usize>(static_cast<usize>(in.tellg()), max_size);
  std::vector<u8> data(size);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(size));
  REQUIRE(in.good());
  return data;
}

inline u64 file_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return static_cast<u64>(in.tellg());
}

// The blob, cut to its header's totalsize (QEMU pads the file to 1 MiB), in a buffer of exactly that size so
// that AddressSanitizer catches any read past its end.
inline std::vector<u8> load_qemu_dtb(const std::string& name) {
  std::string path = dtb_path(name + ".dtb");
  std::vector<u8> header = read_file(path, 8);
  REQUIRE(header.size() == 8);
  u32 total = (u32(header[4]) << 24) | (u32(header[5]) << 16) | (u32(header[6]) << 8) | header[7];
  std::vector<u8> blob = read_file(path, total);
  REQUIRE(blob.size() == total);
  return blob;
}
