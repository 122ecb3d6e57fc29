// A reader for the flattened device tree (Devicetree Specification v0.4, chapter 5 "Flattened Devicetree
// (DTB) Format") that OpenSBI passes in a1. It never allocates and never trusts the blob: every offset and
// length is checked against the size in the header, so a corrupt tree gives errors, not wild reads.
// Portable: the host tests run it on the device tree QEMU generates for the virt machine.
#pragma once

#include "lib/result.h"
#include "lib/types.h"

class Fdt {
 public:
  // A node is named by the offset of its FDT_BEGIN_NODE token inside the structure block.
  struct Node {
    u32 offset = 0;
    bool operator==(const Node&) const = default;
  };

  struct Property {
    const u8* data = nullptr;
    u32 size = 0;
    bool is_present() const { return data != nullptr; }
    // Big-endian cells.
    u32 cell(u32 index) const;
    u32 cell_count() const { return size / 4; }
    // Reads `cells` 32-bit cells (1 or 2) starting at index as one number.
    u64 read_cells(u32 index, u32 cells) const;
    // The value as a string if it is NUL-terminated, otherwise nullptr.
    const char* as_string() const;
    // True if the property is a string list containing s.
    bool contains_string(const char* s) const;
  };

  struct Reservation {
    u64 address;
    u64 size;
  };

  // Checks the header (magic, version, offsets within totalsize) and returns a reader.
  static Result<Fdt> create(const void* blob, usize max_size = ~usize(0));

  u32 total_size() const { return m_total_size; }
  Node root() const { return Node{m_root_offset}; }

  // The node at an absolute path such as "/cpus" or "/soc/serial@10000000" (a component without "@unit"
  // matches a node name with any unit address).
  Result<Node> find_path(const char* path) const;
  // The first node after `after` (in document order) whose compatible list contains compat.
  Result<Node> find_compatible(const char* compat, Result<Node> after = Error::NOENT) const;
  Result<Node> find_phandle(u32 phandle) const;

  const char* node_name(Node node) const;
  Property property(Node node, const char* name) const;
  Result<Node> parent(Node node) const;

  // Calls fn(Node child) for each direct child.
  template <typename Fn>
  void for_each_child(Node node, Fn fn) const;
  // Calls fn(Node) for every node in document order.
  template <typename Fn>
  void for_each_node(Fn fn) const;

  // The #address-cells / #size-cells that apply to the children of node (defaults 2 and 1).
  u32 address_cells(Node node) const;
  u32 size_cells(Node node) const;
  // Entry `index` of the node's "reg" property, decoded with its parent's cell sizes.
  Result<Reservation> reg(Node node, u32 index = 0) const;

  // Entries of the memory reservation block.
  usize reservation_count() const;
  Reservation reservation(usize index) const;

 private:
  Fdt(const u8* blob, u32 total_size, u32 struct_offset, u32 struct_size, u32 strings_offset, u32 strings_size,
      u32 rsv_offset);

  // Token walking, with offsets relative to the structure block. Each returns the offset of the next token, or
  // BAD on malformed input or at the end.
  static constexpr u32 BAD = ~0u;
  u32 read_u32(u32 offset) const;
  u32 skip_node_header(u32 node_offset) const;  // offset just past BEGIN_NODE and its name
  u32 next_token(u32 offset, u32* token) const;
  u32 end_of_node(u32 node_offset) const;  // offset of the token after the node's END_NODE
  const char* string_at(u32 offset) const;

  const u8* m_blob;
  u32 m_total_size;
  u32 m_struct_offset;
  u32 m_struct_size;
  u32 m_strings_offset;
  u32 m_strings_size;
  u32 m_rsv_offset;
  u32 m_root_offset;
};

namespace fdt_token {
constexpr u32 BEGIN_NODE = 1;
constexpr u32 END_NODE = 2;
constexpr u32 PROP = 3;
constexpr u32 NOP = 4;
constexpr u32 END = 9;
}  // namespace fdt_token

template <typename Fn>
void Fdt::for_each_child(Node node, Fn fn) const {
  u32 off = skip_node_header(node.offset);
  while (off != BAD) {
    u32 token;
    u32 next = next_token(off, &token);
    if (token == fdt_token::BEGIN_NODE) {
      fn(Node{off});
      next = end_of_node(off);
    } else if (token != fdt_token::PROP && token != fdt_token::NOP) {
      return;
    }
    off = next;
  }
}

template <typename Fn>
void Fdt::for_each_node(Fn fn) const {
  u32 off = m_root_offset;
  while (off != BAD) {
    u32 token;
    u32 next = next_token(off, &token);
    if (token == fdt_token::BEGIN_NODE)
      fn(Node{off});
    else if (token == fdt_token::END || token == 0)
      return;
    off = next;
  }
}
