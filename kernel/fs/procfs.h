// /proc: a file system whose files are generated from the kernel's state when they are read, in Linux's
// formats, so that tools and tests written for Linux read them unchanged.
//
//   kernel/fs/procfs.cpp     the inodes: directories, files and links, made on lookup (nothing is stored)
//   kernel/fs/proc_file.cpp  the open files: text regenerated on a read from offset 0 (Linux's seq_file), and
//                            the binary pagemap
//   kernel/fs/proc_text.cpp, proc_pid.cpp, proc_vm.cpp, proc_block.cpp   the generators
//
//   /proc/{cpuinfo,diskstats,loadavg,meminfo,mounts,partitions,stat,uptime,version}
//   /proc/self -> PID, /proc/thread-self -> PID/task/TID
//   /proc/sys/kernel/{cap_last_cap,hostname,ngroups_max,osrelease,ostype,pid_max,version}
//   /proc/sys/vm/{max_map_count,mmap_min_addr,overcommit_memory}
//   /proc/PID/{cmdline,comm,limits,maps,mounts,pagemap,smaps,smaps_rollup,stat,statm,status,syscall}
//   /proc/PID/{cwd,exe,root} (links), /proc/PID/{fd,fdinfo,map_files,task}/ (directories)
//   /proc/PID/task/TID/ holds what /proc/PID does, for one thread
#pragma once

#include "kernel/fs/inode.h"
#include "kernel/fs/text_builder.h"

// A new /proc file system (st_dev `device`), to be mounted.
Result<RefPtr<FileSystem>> procfs_create(u64 device);

// A /proc file whose contents are generated text (served by kernel/fs/proc_file.cpp).
class ProcTextSource : public Inode {
 public:
  // The whole text, generated now. ESRCH when the process it describes has gone.
  virtual Result<void> generate(TextBuilder& out) = 0;
  // A write to the file (EINVAL for read-only files; root may open them for writing, as on Linux).
  virtual Result<usize> write_text(const IoBuffer& buffer, usize len);
  Result<RefPtr<File>> open(u32 flags) override;
  Result<void> set_attributes(const AttributeChange&) override { return Error::PERM; }

 protected:
  ProcTextSource(u32 permissions, FileSystem& fs, u64 number) : Inode(InodeType::Regular, permissions, fs, number, 0) {}
};

// /proc/PID/pagemap opened.
Result<RefPtr<File>> proc_pagemap_open(Inode& inode, i32 pid, u32 flags);

// Generators. Each holds what it reads under its lock (g_process_lock, an address space's lock) while it
// prints; ESRCH if the process has gone.
Result<void> proc_meminfo(TextBuilder& out);
Result<void> proc_kernel_stats(TextBuilder& out);
Result<void> proc_uptime(TextBuilder& out);
// Swap and page-out (kernel/fs/proc_swap.cpp): /proc/swaps, /proc/vmstat.
Result<void> proc_swaps(TextBuilder& out);
Result<void> proc_vmstat(TextBuilder& out);
Result<void> proc_cpuinfo(TextBuilder& out);
Result<void> proc_mounts(TextBuilder& out);
Result<void> proc_partitions(TextBuilder& out);
Result<void> proc_diskstats(TextBuilder& out);
Result<void> proc_loadavg(TextBuilder& out);
Result<void> proc_stat(TextBuilder& out);
Result<void> proc_version(TextBuilder& out);
Result<void> proc_pid_maps(TextBuilder& out, i32 pid);
Result<void> proc_pid_stat(TextBuilder& out, i32 pid);
Result<void> proc_pid_statm(TextBuilder& out, i32 pid);
Result<void> proc_pid_status(TextBuilder& out, i32 pid);
Result<void> proc_pid_cmdline(TextBuilder& out, i32 pid);
Result<void> proc_pid_comm(TextBuilder& out, i32 pid);
Result<void> proc_pid_limits(TextBuilder& out, i32 pid);
Result<void> proc_pid_syscall(TextBuilder& out, i32 pid);
Result<void> proc_pid_fdinfo(TextBuilder& out, i32 pid, i32 fd);
Result<void> proc_pid_smaps(TextBuilder& out, i32 pid);
Result<void> proc_pid_smaps_rollup(TextBuilder& out, i32 pid);
// /proc/PID/comm written: the process's name (comm), cut to 15 bytes.
Result<usize> proc_pid_set_comm(i32 pid, const IoBuffer& buffer, usize len);
// len bytes of /proc/PID/pagemap at offset.
Result<usize> proc_pid_pagemap_read(i32 pid, const IoBuffer& buffer, usize len, u64 offset);

// The targets of /proc/PID/exe and /proc/PID/cwd. Return the length (no NUL added).
Result<usize> proc_pid_exe(i32 pid, char* buffer, usize size);
Result<usize> proc_pid_cwd(i32 pid, char* buffer, usize size);
// What the magic links stand for: a path walk continues from these inodes rather than from the link's text.
Result<RefPtr<Inode>> proc_pid_exe_inode(i32 pid);
Result<RefPtr<Inode>> proc_pid_cwd_inode(i32 pid);
// /proc/PID/fd/N: the open file's description as Linux's d_path shows it ("/bin/sh", "pipe:[3]"), and its inode.
Result<usize> proc_pid_fd_link(i32 pid, i32 fd, char* buffer, usize size);
Result<RefPtr<Inode>> proc_pid_fd_inode(i32 pid, i32 fd);
// Calls fn(int fd) for every open descriptor of the process (for listings).
Result<void> proc_pid_for_each_fd(i32 pid, void (*fn)(void* context, i32 fd), void* context);
// /proc/PID/map_files: the file-backed regions, as fn(start, end) in address order; and one region's file.
Result<void> proc_pid_for_each_file_region(i32 pid, void (*fn)(void* context, u64 start, u64 end), void* context);
Result<usize> proc_pid_map_file_link(i32 pid, u64 start, u64 end, char* buffer, usize size);
// /proc/sys/*: the value of the setting `name` ("vm/max_map_count"), as its file shows it.
Result<void> proc_sys_value(TextBuilder& out, const char* name);
