// Advisory file locks, as Linux's fs/locks.c gives them:
//   - record locks (fcntl F_SETLK, F_SETLKW, F_GETLK): byte ranges, read (shared) or write (exclusive), owned by
//     a process (its descriptor table: the threads share them, a fork child has none). They go when the process
//     closes any descriptor of the file, and at exit.
//   - open-file-description locks (F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK): the same ranges, owned by the open
//     file (shared by dup and fork), gone when its last descriptor closes. They and record locks conflict.
//   - flock(2): a whole-file lock owned by the open file, shared (LOCK_SH) or exclusive (LOCK_EX); it never
//     conflicts with the two others.
// One owner's locks never conflict with each other: a new lock replaces the owner's old ones where they overlap
// (splitting them) and merges with its neighbours of the same type. A waiting F_SETLKW or flock sleeps until a
// lock is released (interruptible: EINTR or a restart, as Linux's ERESTARTSYS); a record lock that would close a
// cycle of owners waiting for each other is EDEADLK (Linux's posix_locks_deadlock, 10 steps deep).
//
// Lock: one spinlock for every lock of the system (few programs hold many; Linux has one per inode).
#pragma once

#include "lib/result.h"
#include "lib/types.h"

class File;
class FdTable;

// fcntl(2)'s lock commands on `file` (F_GETLK, F_SETLK, F_SETLKW, F_OFD_*): `argument` is the user's struct
// flock. `owner`: the calling process's descriptor table.
Result<i64> file_lock_fcntl(File& file, const FdTable* owner, u32 command, u64 argument);
// flock(2) on `file`.
Result<void> file_lock_flock(File& file, u32 operation);
// A descriptor of `file` leaves `owner` (close, dup2 over it, exec's close-on-exec, exit): the owner's record
// locks on the file go.
void file_locks_close(File& file, const FdTable* owner);
// The open file description goes (File's destructor): its OFD and flock locks go.
void file_locks_release_file(const File* file);
// Locks held now, by every owner (tests, /proc/locks some day).
u64 file_lock_count();
