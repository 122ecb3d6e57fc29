#include "kernel/fdt.h"

#include <cstring>

namespace {

constexpr u32 FDT_MAGIC = 0xd00dfeed;
constexpr u32 HEADER_SIZE = 40;

u32 be32(const u8* p) { return (u32(p[0]) << 24) | (u32(p[1]) << 16) | (u32(p[2]) << 8) | u32(p[3]); }
u64 be64(const u8* p) { return (u64(be32(p)) << 32) | be32(p + 4); }
u32 align4(u32 v) { return (v + 3) & ~3u; }

// Length of the NUL-terminated string at p, reading at most max bytes; max+1 if unterminated.
u32 bounded_strlen(const u8* p, u32 max) {
  for (u32 i = 0; i < max; i++)
    if (p[i] == 0) return i;
  return max + 1;
}

}  // namespace

u32 Fdt::Property::cell(u32 index) const { return index < size / 4 ? be32(data + u64(index) * 4) : 0; }

u64 Fdt::Property::read_cells(u32 index, u32 cells) const {
  u64 v = 0;
  for (u32 i = 0; i < cells; i++) v = (v << 32) | cell(index + i);
  return v;
}

const char* Fdt::Property::as_string() const {
  if (!data || size == 0 || data[size - 1] != 0) return nullptr;
  return reinterpret_cast<const char*>(data);
}

bool Fdt::Property::contains_string(const char* s) const {
  if (!data) return false;
  u32 off = 0;
  while (off < size) {
    u32 len = bounded_strlen(data + off, size - off);
    if (len > size - off) return false;
    if (strcmp(reinterpret_cast<const char*>(data + off), s) == 0) return true;
    off += len + 1;
  }
  return false;
}

Fdt::Fdt(const u8* blob, u32 total_size, u32 struct_offset, u32 struct_size, u32 strings_offset,
         u32 strings_size, u32 rsv_offset)
    : m_blob(blob),
      m_total_size(total_size),
      m_struct_offset(struct_offset),
      m_struct_size(struct_size),
      m_strings_offset(strings_offset),
      m_strings_size(strings_size),
      m_rsv_offset(rsv_offset),
      m_root_offset(0) {}

Result<Fdt> Fdt::create(const void* blob_ptr, usize max_size) {
  const u8* blob = static_cast<const u8*>(blob_ptr);
  if (!blob || max_size < HEADER_SIZE) return Error::INVAL;
  if (be32(blob) != FDT_MAGIC) return Error::INVAL;
  u32 total = be32(blob + 4);
  u32 off_struct = be32(blob + 8);
  u32 off_strings = be32(blob + 12);
  u32 off_rsv = be32(blob + 16);
  u32 version = be32(blob + 20);
  u32 last_compatible = be32(blob + 24);
  u32 size_strings = be32(blob + 32);
  u32 size_struct = be32(blob + 36);
  if (total < HEADER_SIZE || total > max_size) return Error::INVAL;
  if (version < 17 || last_compatible > 17) return Error::INVAL;
  auto inside = [total](u32 off, u32 size) { return off <= total && size <= total - off; };
  if (!inside(off_struct, size_struct) || !inside(off_strings, size_strings) || !inside(off_rsv, 16))
    return Error::INVAL;
  if ((off_struct & 3) || (off_rsv & 7)) return Error::INVAL;
  Fdt fdt(blob, total, off_struct, size_struct, off_strings, size_strings, off_rsv);
  // The structure block starts with the root node, possibly after NOPs.
  u32 off = 0;
  for (;;) {
    if (off + 4 > size_struct) return Error::INVAL;
    u32 token = be32(blob + off_struct + off);
    if (token == fdt_token::BEGIN_NODE) break;
    if (token != fdt_token::NOP) return Error::INVAL;
    off += 4;
  }
  fdt.m_root_offset = off;
  if (fdt.skip_node_header(off) == BAD) return Error::INVAL;
  return fdt;
}

u32 Fdt::read_u32(u32 offset) const {
  if (offset == BAD || offset + 4 > m_struct_size || offset + 4 < offset) return 0;
  return be32(m_blob + m_struct_offset + offset);
}

u32 Fdt::skip_node_header(u32 node_offset) const {
  if (read_u32(node_offset) != fdt_token::BEGIN_NODE) return BAD;
  u32 name_off = node_offset + 4;
  if (name_off >= m_struct_size) return BAD;
  u32 len = bounded_strlen(m_blob + m_struct_offset + name_off, m_struct_size - name_off);
  if (len >= m_struct_size - name_off) return BAD;
  return align4(name_off + len + 1);
}

u32 Fdt::next_token(u32 offset, u32* token) const {
  *token = read_u32(offset);
  switch (*token) {
    case fdt_token::BEGIN_NODE:
      return skip_node_header(offset);
    case fdt_token::PROP: {
      u32 len = read_u32(offset + 4);
      if (offset + 12 > m_struct_size || len > m_struct_size - offset - 12) {
        *token = 0;
        return BAD;
      }
      return align4(offset + 12 + len);
    }
    case fdt_token::END_NODE:
    case fdt_token::NOP:
      return offset + 4;
    default:
      *token = 0;  // END or garbage: stop
      return BAD;
  }
}

u32 Fdt::end_of_node(u32 node_offset) const {
  int depth = 0;
  u32 off = node_offset;
  while (off != BAD) {
    u32 token;
    u32 next = next_token(off, &token);
    if (token == fdt_token::BEGIN_NODE) depth++;
    if (token == fdt_token::END_NODE && --depth == 0) return next;
    if (token == 0) return BAD;
    off = next;
  }
  return BAD;
}

const char* Fdt::string_at(u32 offset) const {
  if (offset >= m_strings_size) return nullptr;
  const u8* p = m_blob + m_strings_offset + offset;
  if (bounded_strlen(p, m_strings_size - offset) >= m_strings_size - offset) return nullptr;
  return reinterpret_cast<const char*>(p);
}

const char* Fdt::node_name(Node node) const {
  if (skip_node_header(node.offset) == BAD) return "";
  return reinterpret_cast<const char*>(m_blob + m_struct_offset + node.offset + 4);
}

Fdt::Property Fdt::property(Node node, const char* name) const {
  u32 off = skip_node_header(node.offset);
  while (off != BAD) {
    u32 token;
    u32 next = next_token(off, &token);
    if (token == fdt_token::PROP) {
      const char* pname = string_at(read_u32(off + 8));
      if (pname && strcmp(pname, name) == 0) return Property{m_blob + m_struct_offset + off + 12, read_u32(off + 4)};
    } else if (token != fdt_token::NOP) {
      break;  // properties precede child nodes
    }
    off = next;
  }
  return Property{};
}

Result<Fdt::Node> Fdt::parent(Node node) const {
  // Walk from the root keeping a stack of open nodes; the device tree is small, so this is cheap enough.
  constexpr int MAX_DEPTH = 32;
  u32 stack[MAX_DEPTH];
  int depth = 0;
  u32 off = m_root_offset;
  while (off != BAD) {
    u32 token;
    u32 next = next_token(off, &token);
    if (token == fdt_token::BEGIN_NODE) {
      if (off == node.offset) {
        if (depth == 0) return Error::NOENT;
        return Node{stack[depth - 1]};
      }
      if (depth == MAX_DEPTH) return Error::INVAL;
      stack[depth++] = off;
    } else if (token == fdt_token::END_NODE) {
      if (depth == 0) return Error::INVAL;
      depth--;
    } else if (token == 0) {
      break;
    }
    off = next;
  }
  return Error::NOENT;
}

Result<Fdt::Node> Fdt::find_path(const char* path) const {
  if (!path || path[0] != '/') return Error::INVAL;
  Node node = root();
  const char* p = path + 1;
  while (*p) {
    const char* end = p;
    while (*end && *end != '/') end++;
    usize len = static_cast<usize>(end - p);
    bool has_unit = memchr(p, '@', len) != nullptr;
    bool found = false;
    for_each_child(node, [&](Node child) {
      if (found) return;
      const char* name = node_name(child);
      if (strncmp(name, p, len) == 0 && (name[len] == '\0' || (!has_unit && name[len] == '@'))) {
        node = child;
        found = true;
      }
    });
    if (!found) return Error::NOENT;
    p = *end ? end + 1 : end;
  }
  return node;
}

Result<Fdt::Node> Fdt::find_compatible(const char* compat, Result<Node> after) const {
  bool started = after.is_error();
  u32 after_offset = started ? 0 : after.value().offset;
  bool found = false;
  Node result;
  for_each_node([&](Node n) {
    if (found) return;
    if (!started) {
      if (n.offset == after_offset) started = true;
      return;
    }
    if (property(n, "compatible").contains_string(compat)) {
      result = n;
      found = true;
    }
  });
  if (!found) return Error::NOENT;
  return result;
}

Result<Fdt::Node> Fdt::find_phandle(u32 phandle) const {
  bool found = false;
  Node result;
  for_each_node([&](Node n) {
    if (found) return;
    Property p = property(n, "phandle");
    if (p.size == 4 && p.cell(0) == phandle) {
      result = n;
      found = true;
    }
  });
  if (!found) return Error::NOENT;
  return result;
}

u32 Fdt::address_cells(Node node) const {
  Property p = property(node, "#address-cells");
  return p.size == 4 ? p.cell(0) : 2;
}

u32 Fdt::size_cells(Node node) const {
  Property p = property(node, "#size-cells");
  return p.size == 4 ? p.cell(0) : 1;
}

Result<Fdt::Reservation> Fdt::reg(Node node, u32 index) const {
  Node par = TRY(parent(node));
  u32 ac = address_cells(par);
  u32 sc = size_cells(par);
  if (ac > 2 || sc > 2 || ac == 0) return Error::INVAL;
  Property p = property(node, "reg");
  u32 stride = ac + sc;
  if (!p.is_present() || (u64(index) + 1) * stride > p.cell_count()) return Error::NOENT;
  return Reservation{p.read_cells(index * stride, ac), sc ? p.read_cells(index * stride + ac, sc) : 0};
}

usize Fdt::reservation_count() const {
  usize n = 0;
  for (u32 off = m_rsv_offset; off + 16 <= m_total_size; off += 16, n++)
    if (be64(m_blob + off) == 0 && be64(m_blob + off + 8) == 0) return n;
  return n;
}

Fdt::Reservation Fdt::reservation(usize index) const {
  // Compare the index with the entries that fit before computing an offset: index * 16 may not fit 32 bits.
  if (index >= (m_total_size - m_rsv_offset) / 16) return {0, 0};
  u32 off = m_rsv_offset + static_cast<u32>(index) * 16;
  return {be64(m_blob + off), be64(m_blob + off + 8)};
}
