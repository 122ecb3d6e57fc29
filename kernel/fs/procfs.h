// /proc: a file system whose files are text generated when they are opened (kernel/fs/procfs.cpp holds the
// inodes, kernel/fs/proc_text.cpp the generators).
//
//   /proc/meminfo /proc/uptime /proc/cpuinfo /proc/mounts /proc/partitions /proc/diskstats (proc_block.cpp)
//   /proc/self -> PID of the caller
//   /proc/PID/{maps,stat,status,cmdline}, /proc/PID/exe and /proc/PID/cwd (links)
#pragma once

#include "kernel/fs/inode.h"
#include "kernel/fs/text_builder.h"

// A new /proc file system (st_dev `device`), to be mounted.
Result<RefPtr<FileSystem>> procfs_create(u64 device);

// Generators. Each holds what it reads under its lock (g_process_lock, an address space's lock) while it
// prints; ESRCH if the process has gone.
Result<void> proc_meminfo(TextBuilder& out);
Result<void> proc_uptime(TextBuilder& out);
Result<void> proc_cpuinfo(TextBuilder& out);
Result<void> proc_mounts(TextBuilder& out);
Result<void> proc_partitions(TextBuilder& out);
Result<void> proc_diskstats(TextBuilder& out);
Result<void> proc_pid_maps(TextBuilder& out, i32 pid);
Result<void> proc_pid_stat(TextBuilder& out, i32 pid);
Result<void> proc_pid_status(TextBuilder& out, i32 pid);
Result<void> proc_pid_cmdline(TextBuilder& out, i32 pid);
// The targets of /proc/PID/exe and /proc/PID/cwd. Return the length (no NUL added).
Result<usize> proc_pid_exe(i32 pid, char* buffer, usize size);
Result<usize> proc_pid_cwd(i32 pid, char* buffer, usize size);
