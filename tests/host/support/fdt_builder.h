// A tiny flattened-device-tree writer for tests (Devicetree Specification v0.4, chapter 5): builds blobs with
// exactly the nodes, properties and reservations a test needs, including ones QEMU never produces.
//
//   std::vector<u8> blob = FdtBuilder()
//       .begin_node("").prop_u32("#address-cells", {2}).prop_u32("#size-cells", {2})
//         .begin_node("memory@80000000").prop_string("device_type", "memory")
//           .prop_u32("reg", {0, 0x80000000, 0, 0x4000000}).end_node()
//       .end_node()
//       .finish();
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "lib/types.h"

class FdtBuilder {
 public:
  FdtBuilder& reserve(u64 address, u64 size) {
    m_reservations.push_back({address, size});
    return *this;
  }
  FdtBuilder& begin_node(const std::string& name) {
    put32(m_struct, 1);  // FDT_BEGIN_NODE
    m_struct.insert(m_struct.end(), name.begin(), name.end());
    m_struct.push_back(0);
    pad4(m_struct);
    return *this;
  }
  FdtBuilder& end_node() {
    put32(m_struct, 2);  // FDT_END_NODE
    return *this;
  }
  FdtBuilder& nop() {
    put32(m_struct, 4);  // FDT_NOP
    return *this;
  }
  FdtBuilder& prop(const std::string& name, const std::vector<u8>& value) {
    put32(m_struct, 3);  // FDT_PROP
    put32(m_struct, static_cast<u32>(value.size()));
    put32(m_struct, string_offset(name));
    m_struct.insert(m_struct.end(), value.begin(), value.end());
    pad4(m_struct);
    return *this;
  }
  FdtBuilder& prop_empty(const std::string& name) { return prop(name, {}); }
  FdtBuilder& prop_u32(const std::string& name, std::initializer_list<u32> cells) {
    std::vector<u8> value;
    for (u32 c : cells) put32(value, c);
    return prop(name, value);
  }
  // A NUL-terminated string.
  FdtBuilder& prop_string(const std::string& name, const std::string& s) {
    std::vector<u8> value(s.begin(), s.end());
    value.push_back(0);
    return prop(name, value);
  }
  // A string list: each string NUL-terminated.
  FdtBuilder& prop_strings(const std::string& name, std::initializer_list<std::string> list) {
    std::vector<u8> value;
    for (const std::string& s : list) {
      value.insert(value.end(), s.begin(), s.end());
      value.push_back(0);
    }
    return prop(name, value);
  }

  // The blob: header, memory reservation block, structure block (ended by FDT_END), strings block.
  std::vector<u8> finish() const {
    std::vector<u8> structure = m_struct;
    put32(structure, 9);  // FDT_END
    const u32 rsv_offset = 48;  // after the 40-byte header, 8-byte aligned
    const u32 rsv_size = static_cast<u32>((m_reservations.size() + 1) * 16);
    const u32 struct_offset = rsv_offset + rsv_size;
    const u32 strings_offset = struct_offset + static_cast<u32>(structure.size());
    const u32 total = strings_offset + static_cast<u32>(m_strings.size());
    std::vector<u8> blob;
    put32(blob, 0xd00dfeed);
    put32(blob, total);
    put32(blob, struct_offset);
    put32(blob, strings_offset);
    put32(blob, rsv_offset);
    put32(blob, 17);  // version
    put32(blob, 16);  // last compatible version
    put32(blob, 0);   // boot cpu
    put32(blob, static_cast<u32>(m_strings.size()));
    put32(blob, static_cast<u32>(structure.size()));
    blob.resize(rsv_offset, 0);
    for (auto [address, size] : m_reservations) {
      put64(blob, address);
      put64(blob, size);
    }
    put64(blob, 0);
    put64(blob, 0);
    blob.insert(blob.end(), structure.begin(), structure.end());
    blob.insert(blob.end(), m_strings.begin(), m_strings.end());
    return blob;
  }

  static void put32(std::vector<u8>& out, u32 v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<u8>(v >> shift));
  }
  static void put64(std::vector<u8>& out, u64 v) {
    put32(out, static_cast<u32>(v >> 32));
    put32(out, static_cast<u32>(v));
  }

 private:
  static void pad4(std::vector<u8>& out) {
    while (out.size() % 4) out.push_back(0);
  }
  u32 string_offset(const std::string& name) {
    auto it = m_string_offsets.find(name);
    if (it != m_string_offsets.end()) return it->second;
    u32 offset = static_cast<u32>(m_strings.size());
    m_strings.insert(m_strings.end(), name.begin(), name.end());
    m_strings.push_back(0);
    m_string_offsets[name] = offset;
    return offset;
  }

  std::vector<u8> m_struct;
  std::vector<u8> m_strings;
  std::map<std::string, u32> m_string_offsets;
  std::vector<std::pair<u64, u64>> m_reservations;
};

// Big-endian access to header fields of a blob, for tests that corrupt them.
namespace fdt_header {
constexpr usize MAGIC = 0, TOTAL_SIZE = 4, OFF_STRUCT = 8, OFF_STRINGS = 12, OFF_RSVMAP = 16, VERSION = 20,
                LAST_COMP_VERSION = 24, SIZE_STRINGS = 32, SIZE_STRUCT = 36;
inline u32 get(const std::vector<u8>& blob, usize field) {
  return (u32(blob[field]) << 24) | (u32(blob[field + 1]) << 16) | (u32(blob[field + 2]) << 8) | blob[field + 3];
}
inline void set(std::vector<u8>& blob, usize field, u32 v) {
  for (int i = 0; i < 4; i++) blob[field + i] = static_cast<u8>(v >> (24 - 8 * i));
}
}  // namespace fdt_header
