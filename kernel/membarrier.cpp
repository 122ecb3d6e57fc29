// membarrier(2): a memory barrier on every hart that runs a thread of this process (or of any process), so that
// programs can drop the fences from their fast paths (liburcu, hazard pointers, JIT code publishing) and pay on
// the slow one instead. The commands and errors are those of Linux 6.1 on riscv with CONFIG_MEMBARRIER and
// without CONFIG_RSEQ (there is no rseq(2) here) or SYNC_CORE (riscv has it only from Linux 6.9).
//
// How the barrier works: the caller fences, reads which harts to reach, notes each one's count of taken IPIs
// (Cpu::ipis_taken), sends them one IPI, and waits until every count has moved. A hart counts an IPI between
// two full fences (arch/riscv/trap.cpp), after clearing the pending bit, so the count it shows after our read
// comes from a trap that started after our IPI could be seen: whatever its program did before the trap is
// ordered before the count, whatever it does after the trap comes after. That is Linux's ipi_mb. The harts to
// reach are those where the address space is loaded (Sv39Pmap::active_harts): a thread that starts running on
// another hart afterwards loads the address space with an AMO that the caller's first fence orders against
// (the store-buffering pattern with a fence on both sides), so it sees what the caller wrote before.
//
// Nothing here sleeps or holds a lock while it waits, so two harts that send each other membarriers at once
// both get their IPIs (the waiting loop runs with interrupts on).
#include "kernel/membarrier.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/smp.h"
#include "kernel/process.h"
#include "kernel/syscall_raw.h"
#include "mm/address_space.h"

namespace {

// Linux's uapi <linux/membarrier.h>.
enum : u32 {
  CMD_QUERY = 0,
  CMD_GLOBAL = 1 << 0,
  CMD_GLOBAL_EXPEDITED = 1 << 1,
  CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2,
  CMD_PRIVATE_EXPEDITED = 1 << 3,
  CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4,
  CMD_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5,
  CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 6,
  CMD_PRIVATE_EXPEDITED_RSEQ = 1 << 7,
  CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 1 << 8,
  CMD_FLAG_CPU = 1 << 0,
};
// What QUERY answers: the commands this kernel has (Linux's MEMBARRIER_CMD_BITMASK without SYNC_CORE and RSEQ).
constexpr u32 SUPPORTED = CMD_GLOBAL | CMD_GLOBAL_EXPEDITED | CMD_REGISTER_GLOBAL_EXPEDITED | CMD_PRIVATE_EXPEDITED |
                          CMD_REGISTER_PRIVATE_EXPEDITED;
// Process::m_membarrier_state bits.
constexpr u32 STATE_PRIVATE_EXPEDITED = 1 << 0;
constexpr u32 STATE_GLOBAL_EXPEDITED = 1 << 1;

// A full memory barrier on every hart of `harts` (bit = hart index) but this one, and on this one.
void barrier_on(u64 harts) {
  asm volatile("fence rw, rw" ::: "memory");
  harts &= smp_online_index_mask() & ~(1ull << this_cpu()->index);
  if (harts) {
    u64 seen[MAX_HARTS];
    u64 hart_ids = 0;
    for (u64 rest = harts; rest; rest &= rest - 1) {
      unsigned i = lowest_set_bit(rest);
      seen[i] = g_cpus[i].ipis_taken.load(MemoryOrder::Acquire);
      hart_ids |= 1ull << g_cpus[i].hart_id;
    }
    smp_send_ipi(hart_ids);
    for (u64 rest = harts; rest; rest &= rest - 1) {
      unsigned i = lowest_set_bit(rest);
      while (g_cpus[i].ipis_taken.load(MemoryOrder::Acquire) == seen[i]) asm volatile("nop");
    }
  }
  asm volatile("fence rw, rw" ::: "memory");
}

}  // namespace

Result<u64> sys_membarrier(const SyscallArgs& a) {
  u32 cmd = static_cast<u32>(a.a0), flags = static_cast<u32>(a.a1);
  // Only the RSEQ command takes a flag (CPU), and without rseq it is refused below anyway.
  if (cmd == CMD_PRIVATE_EXPEDITED_RSEQ ? (flags & ~CMD_FLAG_CPU) != 0 : flags != 0) return Error::INVAL;
  Process* p = current_process();
  switch (cmd) {
    case CMD_QUERY:
      return SUPPORTED;
    case CMD_GLOBAL:
      // Linux waits for an RCU grace period, in which every hart passes a quiescent point; a barrier on every
      // hart gives the same to programs.
    case CMD_GLOBAL_EXPEDITED:
      // Linux reaches the harts running a process that registered; every hart is a superset.
      barrier_on(~0ull);
      return 0;
    case CMD_REGISTER_GLOBAL_EXPEDITED:
      p->m_membarrier_state.fetch_or(STATE_GLOBAL_EXPEDITED, MemoryOrder::SeqCst);
      return 0;
    case CMD_PRIVATE_EXPEDITED:
      if (!(p->m_membarrier_state.load(MemoryOrder::Acquire) & STATE_PRIVATE_EXPEDITED)) return Error::PERM;
      barrier_on(p->m_space->pmap().active_harts());
      return 0;
    case CMD_REGISTER_PRIVATE_EXPEDITED:
      p->m_membarrier_state.fetch_or(STATE_PRIVATE_EXPEDITED, MemoryOrder::SeqCst);
      return 0;
    default:
      // SYNC_CORE and RSEQ (and their registrations) are not built in, as on Linux 6.1 riscv without CONFIG_RSEQ;
      // anything else is no command.
      return Error::INVAL;
  }
}

RAW_SYSCALL(sys_membarrier);
