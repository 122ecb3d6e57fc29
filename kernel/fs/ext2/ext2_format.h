// The ext2 on-disk format, revision 1 (and 0), as Linux's fs/ext2/ext2.h and e2fsprogs define it: the
// superblock, the block group descriptors, inodes and directory entries. All fields are little-endian, which
// both RISC-V and the hosts the tests run on are (checked below), so the structures are read in place.
//
// A volume is an array of blocks of 1, 2 or 4 KiB. Block s_first_data_block (1 for 1 KiB blocks, else 0)
// starts block group 0; the superblock always sits at byte 1024. Each group of s_blocks_per_group blocks has
// a block bitmap, an inode bitmap and an inode table (where the group descriptors say), and groups 0 and 1
// and the powers of 3, 5 and 7 (sparse_super) carry a backup of the superblock and the descriptors.
// An inode maps its data with 12 direct block numbers, then one indirect, one doubly and one triply indirect
// block (i_block[12..14]); block number 0 is a hole.
#pragma once

#include "lib/types.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ext2 structures are read in place: little-endian only");

namespace ext2 {

constexpr u16 MAGIC = 0xef53;
constexpr u64 SUPERBLOCK_OFFSET = 1024;
constexpr u32 SUPERBLOCK_SIZE = 1024;
constexpr u32 GOOD_OLD_REVISION = 0, DYNAMIC_REVISION = 1;
constexpr u32 GOOD_OLD_INODE_SIZE = 128;
constexpr u32 GOOD_OLD_FIRST_INODE = 11;
constexpr u32 ROOT_INODE = 2;
constexpr u32 LINK_MAX = 32000;  // Linux's EXT2_LINK_MAX

// i_block: 12 direct blocks, then the indirect, doubly and triply indirect ones.
constexpr u32 DIRECT_BLOCKS = 12, INDIRECT_BLOCK = 12, DOUBLY_INDIRECT_BLOCK = 13, TRIPLY_INDIRECT_BLOCK = 14;
constexpr u32 BLOCK_POINTERS = 15;
constexpr u32 FAST_SYMLINK_MAX = BLOCK_POINTERS * 4;  // a target shorter than this lives in i_block

// s_state
constexpr u16 STATE_VALID = 1, STATE_ERROR = 2;
// s_errors
constexpr u16 ERRORS_CONTINUE = 1, ERRORS_RO = 2, ERRORS_PANIC = 3;

// Features (s_feature_compat, _incompat, _ro_compat). A volume with an incompatible feature we do not know
// cannot be mounted; one with an unknown read-only-compatible feature can be, read-only.
namespace feature {
constexpr u32 COMPAT_DIR_PREALLOC = 0x1, COMPAT_IMAGIC_INODES = 0x2, COMPAT_HAS_JOURNAL = 0x4,
              COMPAT_EXT_ATTR = 0x8, COMPAT_RESIZE_INODE = 0x10, COMPAT_DIR_INDEX = 0x20;
constexpr u32 INCOMPAT_COMPRESSION = 0x1, INCOMPAT_FILETYPE = 0x2, INCOMPAT_RECOVER = 0x4,
              INCOMPAT_JOURNAL_DEV = 0x8, INCOMPAT_META_BG = 0x10, INCOMPAT_EXTENTS = 0x40, INCOMPAT_64BIT = 0x80,
              INCOMPAT_FLEX_BG = 0x200;
constexpr u32 RO_COMPAT_SPARSE_SUPER = 0x1, RO_COMPAT_LARGE_FILE = 0x2, RO_COMPAT_BTREE_DIR = 0x4;
constexpr u32 INCOMPAT_SUPPORTED = INCOMPAT_FILETYPE;
constexpr u32 RO_COMPAT_SUPPORTED = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_BTREE_DIR;
}  // namespace feature

struct Superblock {
  u32 s_inodes_count;
  u32 s_blocks_count;
  u32 s_r_blocks_count;
  u32 s_free_blocks_count;
  u32 s_free_inodes_count;
  u32 s_first_data_block;
  u32 s_log_block_size;  // block size = 1024 << s_log_block_size
  u32 s_log_frag_size;
  u32 s_blocks_per_group;
  u32 s_frags_per_group;
  u32 s_inodes_per_group;
  u32 s_mtime;  // last mount
  u32 s_wtime;  // last write
  u16 s_mnt_count;
  i16 s_max_mnt_count;
  u16 s_magic;
  u16 s_state;
  u16 s_errors;
  u16 s_minor_rev_level;
  u32 s_lastcheck;
  u32 s_checkinterval;
  u32 s_creator_os;
  u32 s_rev_level;
  u16 s_def_resuid;
  u16 s_def_resgid;
  // Revision 1 (DYNAMIC_REVISION) from here on.
  u32 s_first_ino;
  u16 s_inode_size;
  u16 s_block_group_nr;
  u32 s_feature_compat;
  u32 s_feature_incompat;
  u32 s_feature_ro_compat;
  u8 s_uuid[16];
  char s_volume_name[16];
  char s_last_mounted[64];
  u32 s_algorithm_usage_bitmap;
  u8 s_prealloc_blocks;
  u8 s_prealloc_dir_blocks;
  u16 s_reserved_gdt_blocks;
  u8 s_journal_uuid[16];
  u32 s_journal_inum;
  u32 s_journal_dev;
  u32 s_last_orphan;
  u32 s_hash_seed[4];
  u8 s_def_hash_version;
  u8 s_jnl_backup_type;
  u16 s_desc_size;
  u32 s_default_mount_opts;
  u32 s_first_meta_bg;
  u32 s_mkfs_time;
  u32 s_jnl_blocks[17];
  u32 s_blocks_count_hi;
  u32 s_r_blocks_count_hi;
  u32 s_free_blocks_count_hi;
  u16 s_min_extra_isize;
  u16 s_want_extra_isize;
  u32 s_flags;
  u8 s_reserved[SUPERBLOCK_SIZE - 0x164];
};
static_assert(sizeof(Superblock) == SUPERBLOCK_SIZE);
static_assert(__builtin_offsetof(Superblock, s_magic) == 0x38);
static_assert(__builtin_offsetof(Superblock, s_first_ino) == 0x54);
static_assert(__builtin_offsetof(Superblock, s_reserved_gdt_blocks) == 0xce);
static_assert(__builtin_offsetof(Superblock, s_want_extra_isize) == 0x15e);

struct GroupDescriptor {
  u32 bg_block_bitmap;
  u32 bg_inode_bitmap;
  u32 bg_inode_table;
  u16 bg_free_blocks_count;
  u16 bg_free_inodes_count;
  u16 bg_used_dirs_count;
  u16 bg_flags;
  u32 bg_reserved[3];
};
static_assert(sizeof(GroupDescriptor) == 32);

// The first 128 bytes of an inode; a volume's inodes may be larger (s_inode_size), the rest is left as it is.
struct Inode {
  u16 i_mode;
  u16 i_uid;  // low 16 bits
  u32 i_size;
  u32 i_atime;
  u32 i_ctime;
  u32 i_mtime;
  u32 i_dtime;  // deletion time: non-zero for a freed inode
  u16 i_gid;    // low 16 bits
  u16 i_links_count;
  u32 i_blocks;  // 512-byte units: data, indirect and extended-attribute blocks
  u32 i_flags;
  u32 i_osd1;
  u32 i_block[BLOCK_POINTERS];
  u32 i_generation;
  u32 i_file_acl;   // the extended-attribute block
  u32 i_size_high;  // regular files: the high 32 bits of the size (i_dir_acl in revision 0)
  u32 i_faddr;
  u16 i_blocks_hi;
  u16 i_file_acl_high;
  u16 i_uid_high;
  u16 i_gid_high;
  u16 i_checksum_lo;
  u16 i_reserved;
};
static_assert(sizeof(Inode) == GOOD_OLD_INODE_SIZE);
// In inodes larger than 128 bytes, the size of the extra fields that follow (ext4 and e2fsprogs set it).
constexpr u32 EXTRA_ISIZE_OFFSET = 128;

// i_flags
constexpr u32 INODE_FLAG_IMMUTABLE = 0x10, INODE_FLAG_APPEND = 0x20, INODE_FLAG_INDEX = 0x1000,
              INODE_FLAG_EXTENTS = 0x80000;

// Mode type bits (as Linux's S_IF*).
constexpr u16 MODE_TYPE_MASK = 0xf000, MODE_FIFO = 0x1000, MODE_CHAR = 0x2000, MODE_DIR = 0x4000,
              MODE_BLOCK = 0x6000, MODE_REGULAR = 0x8000, MODE_SYMLINK = 0xa000, MODE_SOCKET = 0xc000;

// A directory entry: inode, record length, name length, file type (with the filetype feature; without it the
// name length is 16 bits), then the name. Records are 4-byte aligned and tile each block exactly; inode 0 marks
// an unused record.
struct DirEntryHeader {
  u32 inode;
  u16 rec_len;
  u8 name_len;
  u8 file_type;
};
static_assert(sizeof(DirEntryHeader) == 8);
constexpr u32 DIR_ENTRY_HEADER = 8;
constexpr u32 MAX_NAME = 255;
// The record an entry with a name of `name_len` bytes needs.
constexpr u32 dir_record_length(u32 name_len) { return (DIR_ENTRY_HEADER + name_len + 3) & ~3u; }

// file_type values.
constexpr u8 FT_UNKNOWN = 0, FT_REGULAR = 1, FT_DIR = 2, FT_CHAR = 3, FT_BLOCK = 4, FT_FIFO = 5, FT_SOCKET = 6,
             FT_SYMLINK = 7;
constexpr u8 file_type_of_mode(u16 mode) {
  switch (mode & MODE_TYPE_MASK) {
    case MODE_REGULAR: return FT_REGULAR;
    case MODE_DIR: return FT_DIR;
    case MODE_CHAR: return FT_CHAR;
    case MODE_BLOCK: return FT_BLOCK;
    case MODE_FIFO: return FT_FIFO;
    case MODE_SOCKET: return FT_SOCKET;
    case MODE_SYMLINK: return FT_SYMLINK;
    default: return FT_UNKNOWN;
  }
}

// The extended-attribute block header (only its reference count matters here: freeing an inode drops it).
struct XattrHeader {
  u32 h_magic;  // 0xea020000
  u32 h_refcount;
  u32 h_blocks;
  u32 h_hash;
  u32 h_reserved[4];
};
constexpr u32 XATTR_MAGIC = 0xea020000;

// Whether group `group` holds a backup of the superblock (sparse_super: 0, 1 and powers of 3, 5, 7).
constexpr bool group_has_superblock(u32 group, bool sparse_super) {
  if (!sparse_super || group <= 1) return true;
  for (u32 base : {3u, 5u, 7u}) {
    u64 power = base;
    while (power < group) power *= base;
    if (power == group) return true;
  }
  return false;
}

}  // namespace ext2
