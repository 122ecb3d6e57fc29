// Unpacking the initramfs: cpio archives in the "newc" format (070701, or 070702 with checksums, which are not
// checked), as `cpio -o -H newc` and tools/run write them.
#pragma once

#include "kernel/fs/inode.h"

struct CpioResult {
  usize entries = 0;         // entries unpacked (directories, files, links, device nodes)
  usize skipped = 0;         // entries left out (unsupported kinds, names that cannot be made)
  usize archives = 0;        // trailers seen
  bool is_complete = false;  // false if a malformed header or a lack of memory stopped the unpacking
};

// Unpack every archive in [data, data+size) into the tree under root. Archives may be concatenated (with
// zero padding between them); a later entry replaces an earlier one of the same path, except that a
// directory merges into an existing directory. A malformed archive never crashes the kernel: the unpacking
// logs a warning and stops there, keeping what it had unpacked.
CpioResult cpio_unpack(Inode& root, const u8* data, usize size);
