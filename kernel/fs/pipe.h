// Pipes: a 64 KiB ring buffer between a read end and a write end (pipe(7)).
//
//   - read blocks while the pipe is empty and a writer exists; it returns 0 (end of file) once every write end
//     is closed, and whatever is there (up to the request) otherwise
//   - write blocks while the pipe is full; a write of at most PIPE_BUF (4096) bytes goes in all at once, never
//     interleaved with another writer's bytes; with no read end left it fails with EPIPE and the writer gets
//     SIGPIPE
//   - O_NONBLOCK: EAGAIN instead of blocking
//
// An end is closed when its last open file description goes away (the last fd or dup of it is closed, or its
// process exits): the PipeFile destructor then wakes the sleepers on the other side.
#pragma once

#include "kernel/fs/file.h"

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
