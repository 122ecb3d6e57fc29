// ppoll(2) and pselect6(2). See kernel/fs/poll.h.
#include "kernel/fs/poll.h"

#include <cstring>

#include "arch/riscv/usercopy.h"
#include "kernel/fs/file.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall_raw.h"
#include "kernel/time.h"
#include "kernel/wait_queue.h"
#include "mm/heap.h"

using namespace linux;

namespace {

Spinlock g_poll_lock{"poll"};
WaitQueue g_pollers;          // threads that found nothing ready; guarded by g_poll_lock
u64 g_poll_generation = 0;    // guarded by g_poll_lock; moves at every poll_notify

constexpr u64 NS_PER_SEC = 1'000'000'000ull;

// A relative timeout as a deadline on the monotonic clock.
struct Timeout {
  bool forever = true;
  u64 deadline_ns = 0;
  bool has_passed() const { return !forever && time_monotonic_ns() >= deadline_ns; }
};

Result<Timeout> timeout_from_user(u64 address) {
  if (!address) return Timeout{};
  timespec ts = TRY(copy_value_from_user<timespec>(address));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= static_cast<i64>(NS_PER_SEC)) return Error::INVAL;
  u64 now = time_monotonic_ns();
  if (static_cast<u64>(ts.tv_sec) >= (~0ull - now) / NS_PER_SEC - 1) return Timeout{};  // beyond any uptime
  return Timeout{false, now + static_cast<u64>(ts.tv_sec) * NS_PER_SEC + static_cast<u64>(ts.tv_nsec)};
}

// Linux writes the time left back into a ppoll/pselect6 timeout (poll_select_finish); a bad pointer then is
// not an error.
void store_time_left(u64 address, const Timeout& t) {
  if (!address || t.forever) return;
  u64 now = time_monotonic_ns();
  u64 left = t.deadline_ns > now ? t.deadline_ns - now : 0;
  timespec ts{static_cast<i64>(left / NS_PER_SEC), static_cast<i64>(left % NS_PER_SEC)};
  (void)copy_value_to_user(address, ts);
}

// The signal mask argument of ppoll (the set itself) and pselect6 (a {set, size} pair read by the caller).
Result<void> apply_mask(u64 set_address, u64 size) {
  if (!set_address) return {};
  if (size != sizeof(u64)) return Error::INVAL;
  u64 bits = TRY(copy_value_from_user<u64>(set_address));
  signal_set_temporary_mask(SigSet(bits));
  return {};
}

// Scan until something is ready (scan() returns how many), the timeout passes (0), or a signal comes
// (RESTARTNOHAND: restarted if no handler runs, as Linux's poll and select).
template <typename Scan>
Result<u64> wait_for_ready(const Timeout& timeout, Scan scan) {
  for (;;) {
    u64 seen;
    {
      SpinlockGuard guard(g_poll_lock);
      seen = g_poll_generation;
    }
    u64 ready = TRY(scan());
    if (ready || timeout.has_passed()) return ready;
    g_poll_lock.lock();
    Result<void> slept = {};
    if (g_poll_generation == seen)
      slept = timeout.forever ? g_pollers.wait(g_poll_lock) : g_pollers.wait_until(g_poll_lock, timeout.deadline_ns);
    g_poll_lock.unlock();
    if (slept.is_error() && slept.error() != Error::TIMEDOUT) return Error::RESTARTNOHAND;
  }
}

// What a file is ready for, among `wanted` (plus the conditions poll always reports).
u32 ready_events(File& file, u32 wanted) { return file.poll_events() & (wanted | POLLERR | POLLHUP | POLLNVAL); }

// The end of a ppoll/pselect6: the temporary mask goes back now unless a signal interrupted the call (then
// the signal's delivery puts it back, after the handler ran with it).
template <typename T>
Result<T> finish(Result<T> result) {
  if (!(result.is_error() && result.error() == Error::RESTARTNOHAND)) signal_restore_temporary_mask();
  return result;
}

Result<u64> do_ppoll(u64 fds_address, u64 nfds, const Timeout& timeout) {
  if (nfds > static_cast<u64>(descriptor_limit())) return Error::INVAL;
  usize bytes = nfds * sizeof(pollfd);
  pollfd* fds = nfds ? static_cast<pollfd*>(kmalloc(bytes)) : nullptr;
  if (nfds && !fds) return Error::NOMEM;
  struct Free {
    pollfd* p;
    ~Free() { kfree(p); }
  } free_fds{fds};
  if (nfds) TRY(copy_from_user(fds, fds_address, bytes));
  u64 ready = TRY(wait_for_ready(timeout, [&]() -> Result<u64> {
    u64 n = 0;
    for (u64 i = 0; i < nfds; i++) {
      pollfd& p = fds[i];
      p.revents = 0;
      if (p.fd < 0) continue;  // ignored, as poll(2) says
      auto file = file_at(p.fd);
      u32 events = file.is_error() ? POLLNVAL : ready_events(*file.value(), static_cast<u16>(p.events));
      p.revents = static_cast<i16>(events);
      if (events) n++;
    }
    return n;
  }));
  // Only the revents fields change, but Linux writes them back one by one: copying the array back is the same.
  if (nfds) TRY(copy_to_user(fds_address, fds, bytes));
  return ready;
}

// select's three sets, as 64-bit words.
constexpr u32 SELECT_READ = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR;
constexpr u32 SELECT_WRITE = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;
constexpr u32 SELECT_EXCEPT = POLLPRI;
constexpr int FD_SETSIZE_MAX = 1024;  // glibc's FD_SETSIZE; larger sets are cut there

Result<u64> do_pselect6(i32 nfds, u64 read_address, u64 write_address, u64 except_address, const Timeout& timeout) {
  if (nfds < 0) return Error::INVAL;
  if (nfds > descriptor_limit()) nfds = descriptor_limit();  // Linux clamps to the table's size
  if (nfds > FD_SETSIZE_MAX) nfds = FD_SETSIZE_MAX;
  usize words = (static_cast<usize>(nfds) + 63) / 64;
  u64 in[3][FD_SETSIZE_MAX / 64] = {};
  u64 out[3][FD_SETSIZE_MAX / 64] = {};
  const u64 addresses[3] = {read_address, write_address, except_address};
  for (int s = 0; s < 3; s++)
    if (addresses[s] && words) TRY(copy_from_user(in[s], addresses[s], words * sizeof(u64)));
  // Bits past nfds in the last word are not ours to look at.
  if (nfds % 64)
    for (auto& set : in) set[words - 1] &= (1ull << (nfds % 64)) - 1;
  u64 ready = TRY(wait_for_ready(timeout, [&]() -> Result<u64> {
    u64 n = 0;
    memset(out, 0, sizeof(out));
    for (usize w = 0; w < words; w++) {
      u64 any = in[0][w] | in[1][w] | in[2][w];
      for (; any; any &= any - 1) {
        int bit = __builtin_ctzll(any);
        i32 fd = static_cast<i32>(w * 64 + bit);
        RefPtr<File> file = TRY(file_at(fd));  // EBADF for the whole call, as Linux
        u32 events = file->poll_events();
        u64 mask = 1ull << bit;
        const u32 kinds[3] = {SELECT_READ, SELECT_WRITE, SELECT_EXCEPT};
        for (int s = 0; s < 3; s++) {
          if ((in[s][w] & mask) && (events & kinds[s])) {
            out[s][w] |= mask;
            n++;
          }
        }
      }
    }
    return n;
  }));
  for (int s = 0; s < 3; s++)
    if (addresses[s] && words) TRY(copy_to_user(addresses[s], out[s], words * sizeof(u64)));
  return ready;
}

}  // namespace

void poll_notify() {
  SpinlockGuard guard(g_poll_lock);
  g_poll_generation++;
  g_pollers.wake_all();
}

// ppoll(fds, nfds, timeout, sigmask, sigsetsize).
Result<u64> sys_ppoll(const SyscallArgs& a) {
  Timeout timeout = TRY(timeout_from_user(a.a2));
  TRY(apply_mask(a.a3, a.a4));
  Result<u64> result = finish(do_ppoll(a.a0, a.a1, timeout));
  store_time_left(a.a2, timeout);
  return result;
}

// pselect6(nfds, readfds, writefds, exceptfds, timeout, {sigmask, size}).
Result<u64> sys_pselect6(const SyscallArgs& a) {
  Timeout timeout = TRY(timeout_from_user(a.a4));
  if (a.a5) {
    struct MaskArgument {
      u64 set;
      u64 size;
    };
    MaskArgument mask = TRY(copy_value_from_user<MaskArgument>(a.a5));
    TRY(apply_mask(mask.set, mask.size));
  }
  Result<u64> result = finish(do_pselect6(static_cast<i32>(a.a0), a.a1, a.a2, a.a3, timeout));
  store_time_left(a.a4, timeout);
  return result;
}

RAW_SYSCALL(sys_ppoll);
RAW_SYSCALL(sys_pselect6);
