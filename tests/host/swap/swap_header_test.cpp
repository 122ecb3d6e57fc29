// mm/swap_header.{h,cpp}: the Linux swap header, on images made by the real mkswap(8) at build time
// (tests/host/CMakeLists.txt: a 1 MiB area with a label and a UUID, and a 4 MiB one with mkswap's defaults),
// and on hand-made variations of them: every way a header can be wrong is refused with its own sentence.
#include "mm/swap_header.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "swap_test_env.h"

namespace {

std::vector<u8> read_image(const char* name) { return swaptest::read_swap_image(name); }

void put_u32(std::vector<u8>& page, usize offset, u32 v) { memcpy(page.data() + offset, &v, 4); }

// Parses and expects a refusal whose sentence contains `words`.
void expect_refused(const std::vector<u8>& page, u64 device_pages, const char* words) {
  const char* why = nullptr;
  auto r = swap_header_parse(page.data(), device_pages, &why);
  REQUIRE(r.is_error());
  CHECK(r.error() == Error::INVAL);
  REQUIRE(why);
  CHECK_MESSAGE(strstr(why, words), "message: " << why);
}

}  // namespace

TEST_SUITE("swap/header") {

TEST_CASE("an area made by mkswap is accepted, with its label and UUID") {
  std::vector<u8> image = read_image("mkswap-1M-label.img");
  REQUIRE(image.size() == 1 * MiB);
  const char* why = nullptr;
  auto r = swap_header_parse(image.data(), image.size() / PAGE_SIZE, &why);
  REQUIRE_MESSAGE(r.has_value(), (why ? why : ""));
  CHECK(r.value().pages == 256);
  CHECK(r.value().bad_page_count == 0);
  CHECK(std::string(r.value().label) == "hostlabel");
  char uuid[37];
  r.value().format_uuid(uuid);
  CHECK(std::string(uuid) == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  CHECK_FALSE(r.value().is_byte_swapped);
}

TEST_CASE("an area on a larger device uses what the header says; a larger header than the device is refused") {
  std::vector<u8> image = read_image("mkswap-4M.img");
  auto r = swap_header_parse(image.data(), 4096, nullptr);
  REQUIRE(r.has_value());
  CHECK(r.value().pages == 1024);
  expect_refused(image, 1000, "shorter than signature indicates");
}

TEST_CASE("no signature, the old signature, another version, an empty area") {
  std::vector<u8> good = read_image("mkswap-1M-label.img");
  good.resize(PAGE_SIZE);
  std::vector<u8> zero(PAGE_SIZE, 0);
  expect_refused(zero, 256, "Unable to find swap-space signature");
  std::vector<u8> old = good;
  memcpy(old.data() + SWAP_SIGNATURE_OFFSET, "SWAP-SPACE", 10);
  expect_refused(old, 256, "version 0");
  std::vector<u8> v2 = good;
  put_u32(v2, SWAP_HEADER_VERSION_OFFSET, 2);
  expect_refused(v2, 256, "Unable to handle swap header version");
  std::vector<u8> empty = good;
  put_u32(empty, SWAP_HEADER_VERSION_OFFSET + 4, 0);
  expect_refused(empty, 256, "Empty swap-file");
}

TEST_CASE("the bad-page list: read, bounded and checked") {
  std::vector<u8> page = read_image("mkswap-1M-label.img");
  page.resize(PAGE_SIZE);
  put_u32(page, SWAP_HEADER_VERSION_OFFSET + 8, 3);
  put_u32(page, SWAP_HEADER_BAD_PAGES_OFFSET, 7);
  put_u32(page, SWAP_HEADER_BAD_PAGES_OFFSET + 4, 100);
  put_u32(page, SWAP_HEADER_BAD_PAGES_OFFSET + 8, 255);
  auto r = swap_header_parse(page.data(), 256, nullptr);
  REQUIRE(r.has_value());
  CHECK(r.value().bad_page_count == 3);
  CHECK(r.value().bad_page(page.data(), 0) == 7);
  CHECK(r.value().bad_page(page.data(), 2) == 255);
  std::vector<u8> outside = page;
  put_u32(outside, SWAP_HEADER_BAD_PAGES_OFFSET + 8, 256);  // past last_page (255)
  expect_refused(outside, 256, "outside the area");
  std::vector<u8> header_listed = page;
  put_u32(header_listed, SWAP_HEADER_BAD_PAGES_OFFSET, 0);  // the header page itself
  expect_refused(header_listed, 256, "outside the area");
  std::vector<u8> too_many = page;
  put_u32(too_many, SWAP_HEADER_VERSION_OFFSET + 8, MAX_SWAP_BAD_PAGES + 1);
  expect_refused(too_many, 256, "longer than the header page can hold");
  CHECK(MAX_SWAP_BAD_PAGES == 637);  // Linux's MAX_SWAP_BADPAGES with 4 KiB pages
}

TEST_CASE("a header written on a machine of the other byte order is read swapped, as Linux does") {
  std::vector<u8> page = read_image("mkswap-1M-label.img");
  page.resize(PAGE_SIZE);
  put_u32(page, SWAP_HEADER_VERSION_OFFSET, __builtin_bswap32(1));
  put_u32(page, SWAP_HEADER_VERSION_OFFSET + 4, __builtin_bswap32(255));
  put_u32(page, SWAP_HEADER_VERSION_OFFSET + 8, __builtin_bswap32(1));
  put_u32(page, SWAP_HEADER_BAD_PAGES_OFFSET, __builtin_bswap32(9));
  auto r = swap_header_parse(page.data(), 256, nullptr);
  REQUIRE(r.has_value());
  CHECK(r.value().is_byte_swapped);
  CHECK(r.value().pages == 256);
  CHECK(r.value().bad_page(page.data(), 0) == 9);
}

}  // TEST_SUITE
