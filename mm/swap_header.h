// The header of a Linux swap area: page 0 of the device, as mkswap(8) from util-linux writes it (Linux's
// union swap_header, include/linux/swap.h):
//
//   bytes 0..1023       boot bits (left alone: a disk label may live there)
//   1024  u32 version          1
//   1028  u32 last_page        the last page of the area (pages 1..last_page hold data)
//   1032  u32 nr_badpages      how many entries the bad-page list has
//   1036  u8  uuid[16]         mkswap's UUID of the area
//   1052  char label[16]       mkswap -L (not necessarily NUL-terminated)
//   1068  u32 padding[117]
//   1536  u32 badpages[]       page numbers never to use (at most 637: they end where the signature starts)
//   4086  "SWAPSPACE2"         the signature, in the last 10 bytes of the page
//
// Multi-byte fields are in the byte order of the machine that ran mkswap; like Linux, a header whose version
// reads 1 only when byte-swapped is accepted and read swapped. Anything else is refused with a sentence that
// says why: no signature (or the old version-0 "SWAP-SPACE" one), another version, an empty area, a bad-page
// list too long or naming pages outside the area (that every page is bad, SwapArea finds), an area that claims more pages than the device has.
#pragma once

#include "lib/result.h"
#include "lib/types.h"
#include "mm/types.h"

constexpr u64 SWAP_HEADER_VERSION_OFFSET = 1024;
constexpr u64 SWAP_HEADER_BAD_PAGES_OFFSET = 1536;
constexpr u64 SWAP_SIGNATURE_OFFSET = PAGE_SIZE - 10;
constexpr u32 MAX_SWAP_BAD_PAGES = (SWAP_SIGNATURE_OFFSET - SWAP_HEADER_BAD_PAGES_OFFSET) / 4;  // 637

struct SwapHeader {
  u64 pages = 0;           // pages of the area, header included: last_page + 1, at most the device's pages
  u32 bad_page_count = 0;
  u8 uuid[16] = {};
  char label[17] = {};     // NUL-terminated copy
  bool is_byte_swapped = false;

  // Bad page i (i < bad_page_count) of the header page it was parsed from (`page` must be that page).
  u32 bad_page(const u8* page, u32 i) const;
  // "4e1a0b6c-...": the UUID as mkswap and blkid print it (out: at least 37 bytes).
  void format_uuid(char* out) const;
};

// Checks page 0 of a device of `device_pages` pages. On success the header; otherwise Error::INVAL and *why
// points to a sentence (a static string) saying what is wrong (why may be nullptr).
Result<SwapHeader> swap_header_parse(const u8* page, u64 device_pages, const char** why);
