// Pipes: a ring buffer between a read end and a write end (pipe(7)), 64 KiB unless fcntl(F_SETPIPE_SZ) changes
// it. Its pages are allocated as writes first reach them and kept until the pipe goes or is resized (a pipe
// never written holds none).
//
//   - read blocks while the pipe is empty and a writer exists; it returns 0 (end of file) once every write end
//     is closed, and whatever is there (up to the request) otherwise
//   - write blocks while the pipe is full; a write of at most PIPE_BUF (4096) bytes goes in all at once, never
//     interleaved with another writer's bytes; with no read end left it fails with EPIPE and the writer gets
//     SIGPIPE
//   - O_NONBLOCK: EAGAIN instead of blocking
//   - fcntl F_GETPIPE_SZ: the size in bytes; F_SETPIPE_SZ: a new size, rounded up to a power of two pages
//     (at least one page; above 2 GiB EINVAL), returned; EBUSY if the bytes in the pipe take more pages than
//     that, and the contents are kept otherwise. Above pipe-max-size (/proc/sys/fs/pipe-max-size, 1 MiB) Linux
//     asks for CAP_SYS_RESOURCE (EPERM without): every process here is root, so it never refuses
//
// An end is closed when its last open file description goes away (the last fd or dup of it is closed, or its
// process exits): the PipeFile destructor then wakes the sleepers on the other side.
#pragma once

#include "kernel/fs/file.h"

constexpr u64 PIPE_DEFAULT_SIZE = 64 * 1024;   // Linux's PIPE_DEF_BUFFERS pages
constexpr u64 PIPE_MAX_SIZE = 1024 * 1024;     // pipe-max-size

struct PipeEnds {
  RefPtr<File> read_end;
  RefPtr<File> write_end;
};

// A new pipe. flags: O_NONBLOCK (for both ends); other flags are the caller's business.
Result<PipeEnds> pipe_create(u32 flags);

class Inode;
// Opens a named pipe (a FIFO inode of any file system) as fifo(7) says: O_RDONLY waits for a writer,
// O_WRONLY for a reader (ENXIO with O_NONBLOCK if there is none), O_RDWR opens both ends. INTR if a signal
// interrupts the wait.
Result<RefPtr<File>> fifo_open(Inode& fifo, u32 flags);
