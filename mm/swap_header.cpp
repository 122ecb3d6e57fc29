// Reading the Linux swap header (mm/swap_header.h). Each check is Linux's (mm/swapfile.c, read_swap_header
// and setup_swap_map_and_extents), with a sentence a user can act on.
#include "mm/swap_header.h"

#include <cstring>

namespace {

// (By hand: without the Zbb extension the compiler's builtin becomes a libgcc call the kernel does not link.)
constexpr u32 byte_swap(u32 v) { return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24); }

u32 read_u32(const u8* p, bool swapped) {
  u32 v = static_cast<u32>(p[0]) | static_cast<u32>(p[1]) << 8 | static_cast<u32>(p[2]) << 16 |
          static_cast<u32>(p[3]) << 24;
  return swapped ? byte_swap(v) : v;
}

// Which byte order the header was written in: the version field must read 1 one way or the other.
constexpr u64 LAST_PAGE_OFFSET = SWAP_HEADER_VERSION_OFFSET + 4;
constexpr u64 BAD_COUNT_OFFSET = SWAP_HEADER_VERSION_OFFSET + 8;
constexpr u64 UUID_OFFSET = SWAP_HEADER_VERSION_OFFSET + 12;
constexpr u64 LABEL_OFFSET = UUID_OFFSET + 16;

}  // namespace

u32 SwapHeader::bad_page(const u8* page, u32 i) const {
  return read_u32(page + SWAP_HEADER_BAD_PAGES_OFFSET + 4 * i, is_byte_swapped);
}

void SwapHeader::format_uuid(char* out) const {
  static const char hex[] = "0123456789abcdef";
  usize n = 0;
  for (unsigned i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[n++] = '-';
    out[n++] = hex[uuid[i] >> 4];
    out[n++] = hex[uuid[i] & 15];
  }
  out[n] = '\0';
}

Result<SwapHeader> swap_header_parse(const u8* page, u64 device_pages, const char** why) {
  const char* ignored;
  if (!why) why = &ignored;
  SwapHeader h;
  const u8* signature = page + SWAP_SIGNATURE_OFFSET;
  if (memcmp(signature, "SWAPSPACE2", 10) != 0) {
    *why = memcmp(signature, "SWAP-SPACE", 10) == 0
               ? "old swap format (version 0, signature SWAP-SPACE) is not supported: run mkswap again"
               : "Unable to find swap-space signature (SWAPSPACE2 at the end of the first page): not made by mkswap";
    return Error::INVAL;
  }
  u32 version = read_u32(page + SWAP_HEADER_VERSION_OFFSET, false);
  if (version != 1 && byte_swap(version) == 1) h.is_byte_swapped = true;
  else if (version != 1) {
    *why = "Unable to handle swap header version (only version 1, what mkswap writes, is known)";
    return Error::INVAL;
  }
  u64 last_page = read_u32(page + LAST_PAGE_OFFSET, h.is_byte_swapped);
  if (last_page == 0) {
    *why = "Empty swap-file: the header says the area has no page after the header";
    return Error::INVAL;
  }
  h.pages = last_page + 1;
  if (h.pages > device_pages) {
    *why = "Swap area shorter than signature indicates: the header claims more pages than the device has";
    return Error::INVAL;
  }
  h.bad_page_count = read_u32(page + BAD_COUNT_OFFSET, h.is_byte_swapped);
  if (h.bad_page_count > MAX_SWAP_BAD_PAGES) {
    *why = "the bad-page list of the swap header is longer than the header page can hold";
    return Error::INVAL;
  }
  for (u32 i = 0; i < h.bad_page_count; i++) {
    u32 bad = h.bad_page(page, i);
    if (bad == 0 || bad > last_page) {
      *why = "the bad-page list of the swap header names a page outside the area";
      return Error::INVAL;
    }
  }
  memcpy(h.uuid, page + UUID_OFFSET, 16);
  memcpy(h.label, page + LABEL_OFFSET, 16);
  h.label[16] = '\0';
  return h;
}
