// The Linux riscv64 user ABI: the structures and constants user programs (and glibc) see, with the layouts
// of Linux's asm-generic headers. Everything the system-call layer copies to or from user memory is defined
// here, so a student can put this file next to the man pages.
#pragma once

#include "lib/types.h"

// GNU C++ (gnu++20, which TRY/MUST need) predefines the old non-reserved macro `linux` as 1 on Linux targets;
// it would turn the namespace below into a syntax error.
#undef linux

namespace linux {

// ---- open(2) flags (asm-generic/fcntl.h) ----
constexpr u32 O_ACCMODE = 3;
constexpr u32 O_RDONLY = 0;
constexpr u32 O_WRONLY = 1;
constexpr u32 O_RDWR = 2;
constexpr u32 O_CREAT = 0100;
constexpr u32 O_EXCL = 0200;
constexpr u32 O_NOCTTY = 0400;
constexpr u32 O_TRUNC = 01000;
constexpr u32 O_APPEND = 02000;
constexpr u32 O_NONBLOCK = 04000;
constexpr u32 O_DIRECTORY = 0200000;
constexpr u32 O_NOFOLLOW = 0400000;
constexpr u32 O_CLOEXEC = 02000000;
constexpr u32 O_PATH = 010000000;
constexpr u32 O_TMPFILE_BIT = 020000000;  // __O_TMPFILE: O_TMPFILE is this and O_DIRECTORY
constexpr i32 AT_FDCWD = -100;
constexpr u32 AT_SYMLINK_NOFOLLOW = 0x100;
constexpr u32 AT_REMOVEDIR = 0x200;
constexpr u32 AT_EMPTY_PATH = 0x1000;

// fcntl(2)
constexpr u32 F_DUPFD = 0;
constexpr u32 F_GETFD = 1;
constexpr u32 F_SETFD = 2;
constexpr u32 F_GETFL = 3;
constexpr u32 F_SETFL = 4;
constexpr u32 F_GETLK = 5;
constexpr u32 F_SETLK = 6;
constexpr u32 F_SETLKW = 7;
constexpr u32 F_OFD_GETLK = 36;
constexpr u32 F_OFD_SETLK = 37;
constexpr u32 F_OFD_SETLKW = 38;
constexpr u32 F_DUPFD_CLOEXEC = 1030;
constexpr u32 F_SETPIPE_SZ = 1031;
constexpr u32 F_GETPIPE_SZ = 1032;
constexpr u32 FD_CLOEXEC = 1;
// struct flock's l_type (fcntl record locks)
constexpr i16 F_RDLCK = 0;
constexpr i16 F_WRLCK = 1;
constexpr i16 F_UNLCK = 2;
struct flock {  // asm-generic/fcntl.h on riscv64: 32 bytes
  i16 l_type;
  i16 l_whence;
  i64 l_start;
  i64 l_len;
  i32 l_pid;
};
static_assert(sizeof(flock) == 32);
// flock(2)
constexpr u32 LOCK_SH = 1;
constexpr u32 LOCK_EX = 2;
constexpr u32 LOCK_NB = 4;
constexpr u32 LOCK_UN = 8;
constexpr u32 LOCK_MAND = 32;  // no longer supported: Linux 6.1 ignores such a request (returns 0)

// lseek(2)
constexpr i32 SEEK_SET = 0;
constexpr i32 SEEK_CUR = 1;
constexpr i32 SEEK_END = 2;

// ---- file types and permission bits (stat(2), inode(7)) ----
constexpr u32 S_IFMT = 0170000;
constexpr u32 S_IFSOCK = 0140000;
constexpr u32 S_IFLNK = 0120000;
constexpr u32 S_IFREG = 0100000;
constexpr u32 S_IFBLK = 0060000;
constexpr u32 S_IFDIR = 0040000;
constexpr u32 S_IFCHR = 0020000;
constexpr u32 S_IFIFO = 0010000;
constexpr u32 S_ISUID = 04000, S_ISGID = 02000, S_ISVTX = 01000;

struct timespec {
  i64 tv_sec;
  i64 tv_nsec;
};

// struct stat of asm-generic/stat.h (riscv64): 128 bytes.
struct stat {
  u64 st_dev;
  u64 st_ino;
  u32 st_mode;
  u32 st_nlink;
  u32 st_uid;
  u32 st_gid;
  u64 st_rdev;
  u64 __pad1;
  i64 st_size;
  i32 st_blksize;
  i32 __pad2;
  i64 st_blocks;
  i64 st_atime;
  u64 st_atime_nsec;
  i64 st_mtime;
  u64 st_mtime_nsec;
  i64 st_ctime;
  u64 st_ctime_nsec;
  u32 __unused4;
  u32 __unused5;
};
static_assert(sizeof(stat) == 128);

// getdents64(2)
struct dirent64 {
  u64 d_ino;
  i64 d_off;
  u16 d_reclen;
  u8 d_type;
  char d_name[];  // NUL-terminated, record padded to 8 bytes
};
constexpr u8 DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;

struct iovec {
  u64 iov_base;
  u64 iov_len;
};
constexpr u64 IOV_MAX = 1024;

// ---- terminal ioctls (asm-generic/ioctls.h, asm-generic/termbits.h) ----
constexpr u64 TCGETS = 0x5401;
constexpr u64 TCSETS = 0x5402;
constexpr u64 TCSETSW = 0x5403;
constexpr u64 TCSETSF = 0x5404;
constexpr u64 TIOCSCTTY = 0x540E;
constexpr u64 TIOCGPGRP = 0x540F;
constexpr u64 TIOCSPGRP = 0x5410;
constexpr u64 TIOCNOTTY = 0x5422;
constexpr u64 TIOCGSID = 0x5429;
constexpr u64 TIOCGWINSZ = 0x5413;
constexpr u64 TIOCSWINSZ = 0x5414;
constexpr u64 FIONREAD = 0x541B;

struct termios {  // the kernel's struct termios (asm-generic/termbits.h): 19 control characters
  u32 c_iflag;
  u32 c_oflag;
  u32 c_cflag;
  u32 c_lflag;
  u8 c_line;
  u8 c_cc[19];
};
static_assert(sizeof(termios) == 36);
constexpr u32 ICRNL = 0000400, IXON = 0002000;
constexpr u32 OPOST = 0000001, ONLCR = 0000004;
constexpr u32 CS8 = 0000060, CREAD = 0000200, B38400 = 0000017;
constexpr u32 ISIG = 0000001, ICANON = 0000002, ECHO = 0000010, ECHOE = 0000020, ECHOK = 0000040, IEXTEN = 0100000;
constexpr unsigned VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSUSP = 10;

struct winsize {
  u16 ws_row;
  u16 ws_col;
  u16 ws_xpixel;
  u16 ws_ypixel;
};

// poll(2) events (include/uapi/asm-generic/poll.h) and struct pollfd.
constexpr u32 POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20,
              POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200;
struct pollfd {
  i32 fd;
  i16 events;
  i16 revents;
};

// ---- processes ----
// clone(2) flags (include/uapi/linux/sched.h).
constexpr u64 CSIGNAL = 0xff;
constexpr u64 CLONE_VM = 0x100;
constexpr u64 CLONE_FS = 0x200;
constexpr u64 CLONE_FILES = 0x400;
constexpr u64 CLONE_SIGHAND = 0x800;
constexpr u64 CLONE_PIDFD = 0x1000;
constexpr u64 CLONE_PTRACE = 0x2000;
constexpr u64 CLONE_VFORK = 0x4000;
constexpr u64 CLONE_PARENT = 0x8000;
constexpr u64 CLONE_THREAD = 0x10000;
constexpr u64 CLONE_NEWNS = 0x20000;
constexpr u64 CLONE_SYSVSEM = 0x40000;
constexpr u64 CLONE_SETTLS = 0x80000;
constexpr u64 CLONE_PARENT_SETTID = 0x100000;
constexpr u64 CLONE_CHILD_CLEARTID = 0x200000;
constexpr u64 CLONE_DETACHED = 0x400000;
constexpr u64 CLONE_UNTRACED = 0x800000;
constexpr u64 CLONE_CHILD_SETTID = 0x1000000;
constexpr u64 CLONE_NEWCGROUP = 0x2000000;
constexpr u64 CLONE_NEWUTS = 0x4000000;
constexpr u64 CLONE_NEWIPC = 0x8000000;
constexpr u64 CLONE_NEWUSER = 0x10000000;
constexpr u64 CLONE_NEWPID = 0x20000000;
constexpr u64 CLONE_NEWNET = 0x40000000;
constexpr u64 CLONE_IO = 0x80000000;
constexpr u64 CLONE_CLEAR_SIGHAND = 0x100000000ull;  // clone3 only: the child's handlers back to SIG_DFL
constexpr u64 CLONE_NEW_ANY = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                              CLONE_NEWPID | CLONE_NEWNET;

// wait4(2)
constexpr u32 WNOHANG = 1;
constexpr u32 WUNTRACED = 2;
constexpr u32 WCONTINUED = 8;
constexpr u32 __WALL = 0x40000000;
constexpr u32 __WCLONE = 0x80000000;
constexpr u32 __WNOTHREAD = 0x20000000;
// Wait statuses: exited (code << 8), killed by a signal (signal number, 0x80 if a core would be dumped).
constexpr u32 wait_status_exited(u32 code) { return (code & 0xff) << 8; }
constexpr u32 wait_status_signaled(u32 sig) { return sig & 0x7f; }

struct rusage {
  i64 ru_utime[2];  // struct timeval: seconds, microseconds
  i64 ru_stime[2];
  i64 fields[14];   // ru_maxrss .. ru_nivcsw
};
static_assert(sizeof(rusage) == 144);

struct rlimit {
  u64 rlim_cur;
  u64 rlim_max;
};
constexpr u64 RLIM_INFINITY = ~0ull;
constexpr u32 RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4,
              RLIMIT_RSS = 5, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9,
              RLIMIT_LOCKS = 10, RLIMIT_SIGPENDING = 11, RLIMIT_MSGQUEUE = 12, RLIMIT_NICE = 13, RLIMIT_RTPRIO = 14,
              RLIMIT_RTTIME = 15;
constexpr u32 RLIM_NLIMITS = 16;

// ---- signals (asm-generic/signal.h, riscv uses the generic numbers) ----
constexpr unsigned NSIG = 64;
constexpr unsigned SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
                   SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
                   SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20,
                   SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26,
                   SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
constexpr u64 SIG_DFL = 0;
constexpr u64 SIG_IGN = 1;
constexpr u64 SA_NOCLDSTOP = 1, SA_NOCLDWAIT = 2, SA_SIGINFO = 4, SA_ONSTACK = 0x08000000,
              SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000,
              SA_RESTORER = 0x04000000;
// The kernel's struct sigaction for rt_sigaction on riscv64 (no sa_restorer field is used by glibc here).
struct sigaction {
  u64 handler;
  u64 flags;
  u64 mask;
};
constexpr u32 SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
constexpr u64 sig_bit(unsigned sig) { return 1ull << (sig - 1); }

// ---- time ----
constexpr u32 CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3,
              CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;
constexpr u32 TIMER_ABSTIME = 1;

struct utsname {
  char sysname[65];
  char nodename[65];
  char release[65];
  char version[65];
  char machine[65];
  char domainname[65];
};

struct sysinfo {
  i64 uptime;
  u64 loads[3];
  u64 totalram;
  u64 freeram;
  u64 sharedram;
  u64 bufferram;
  u64 totalswap;
  u64 freeswap;
  u16 procs;
  u16 pad;
  u32 pad2;
  u64 totalhigh;
  u64 freehigh;
  u32 mem_unit;
  char _f[4];
};
static_assert(sizeof(sysinfo) == 112);

// ---- memory (asm-generic/mman-common.h) ----
constexpr u32 PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4, PROT_GROWSDOWN = 0x01000000,
              PROT_GROWSUP = 0x02000000;
constexpr u32 MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03, MAP_TYPE = 0x0f,
              MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_GROWSDOWN = 0x0100, MAP_DENYWRITE = 0x0800,
              MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000, MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000,
              MAP_NONBLOCK = 0x10000, MAP_STACK = 0x20000, MAP_HUGETLB = 0x40000, MAP_SYNC = 0x80000,
              MAP_FIXED_NOREPLACE = 0x100000;
constexpr u32 MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;

// getrandom(2)
constexpr u32 GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;

// reboot(2)
constexpr u32 REBOOT_MAGIC1 = 0xfee1dead;
constexpr u32 REBOOT_MAGIC2 = 672274793;
constexpr u32 REBOOT_CMD_POWER_OFF = 0x4321FEDC;
constexpr u32 REBOOT_CMD_RESTART = 0x01234567;
constexpr u32 REBOOT_CMD_HALT = 0xCDEF0123;

// ---- the auxiliary vector (elf.h, linux/auxvec.h) ----
constexpr u64 AT_NULL = 0, AT_IGNORE = 1, AT_EXECFD = 2, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6,
              AT_BASE = 7, AT_FLAGS = 8, AT_ENTRY = 9, AT_NOTELF = 10, AT_UID = 11, AT_EUID = 12, AT_GID = 13,
              AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_BASE_PLATFORM = 24,
              AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_SYSINFO_EHDR = 33, AT_MINSIGSTKSZ = 51;

}  // namespace linux
