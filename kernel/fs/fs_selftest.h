// The file-system self-test (test=fs on the kernel command line, kernel/selftest.cpp): everything that can be
// exercised without user processes, on a private ramfs tree. Returns 0 when every check passed.
#pragma once

int fs_selftest();
