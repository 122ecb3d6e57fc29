// A program's file, kept from being written while a process runs it (Linux's deny_write_access, which the mm's
// exe_file holds): exec takes it (ETXTBSY if the file is open for writing), fork copies it, the next exec and
// exit let it go. Meanwhile opening the file for writing or truncating it fails with ETXTBSY
// (Inode::get_write_access, kernel/fs/inode.h). /proc/PID/exe leads to the same inode.
#pragma once

#include "lib/refptr.h"
#include "lib/result.h"

class Inode;

class RunningImage {
 public:
  RunningImage() = default;
  // ETXTBSY if the file is open for writing.
  static Result<RunningImage> take(Inode& inode);
  RunningImage copy() const;
  RunningImage(RunningImage&& other);
  RunningImage& operator=(RunningImage&& other);
  ~RunningImage();
  RunningImage(const RunningImage&) = delete;
  RunningImage& operator=(const RunningImage&) = delete;

  Inode* inode() const { return m_inode.get(); }
  explicit operator bool() const { return m_inode.get() != nullptr; }

 private:
  RefPtr<Inode> m_inode;
};
