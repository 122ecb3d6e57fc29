#include "kernel/panic.h"

#include "lib/atomic.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/sbi.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "lib/format.h"

extern "C" const u8 _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[], _data_end[],
    _bss_start[], _bss_end[], _kernel_end[], boot_stack[], boot_stack_top[];

namespace {

Atomic<u32> g_panicking{0};
volatile u32* g_test_device = nullptr;

bool in_range(u64 a, const u8* start, const u8* end) {
  return a >= reinterpret_cast<u64>(start) && a < reinterpret_cast<u64>(end);
}

// Stop the other harts: they see g_panicking at their next interrupt, or are simply never scheduled again.
void stop_other_harts() {
  for (usize i = 0; i < g_cpu_count; i++)
    if (&g_cpus[i] != this_cpu() && g_cpus[i].is_online) sbi::send_ipi(1, g_cpus[i].hart_id);
}

bool is_plausible_frame(u64 fp) {
  if (fp & 7) return false;
  if (memlayout::is_kernel_stack_region(fp) && !memlayout::is_kernel_stack_guard(fp - 16)) return true;
  return in_range(fp - 16, boot_stack, boot_stack_top) || memlayout::is_direct_map(fp - 16);
}

}  // namespace

bool panic_begin() {
  disable_interrupts();
  Cpu* c = this_cpu();
  if (c) c->in_panic = true;
  // Another hart is already reporting, or this one panicked while reporting: stop quietly.
  if (g_panicking.exchange(1)) return false;
  stop_other_harts();
  return true;
}

void panic_stop() {
  kputs("The kernel has stopped. (tools/run adds file:line to the backtrace above.)\n");
  machine_power_off(EXIT_KERNEL_PANIC);
}

void describe_kernel_address(u64 a, char* buf, usize size) {
  SymbolInfo sym = ksym_lookup(a);
  if (memlayout::is_kernel_stack_guard(a)) {
    format(buf, size, "a kernel stack guard page: KERNEL STACK OVERFLOW");
  } else if (memlayout::is_kernel_stack_region(a)) {
    format(buf, size, "a kernel stack");
  } else if (in_range(a, _text_start, _text_end)) {
    format(buf, size, "kernel text (%s+0x%llx), which is read-only", sym.name ? sym.name : "?",
           static_cast<unsigned long long>(sym.offset));
  } else if (in_range(a, _rodata_start, _rodata_end)) {
    format(buf, size, "kernel read-only data (%s+0x%llx)", sym.name ? sym.name : "?",
           static_cast<unsigned long long>(sym.offset));
  } else if (in_range(a, _data_start, _bss_end)) {
    format(buf, size, "kernel data (%s+0x%llx)", sym.name ? sym.name : "?", static_cast<unsigned long long>(sym.offset));
  } else if (memlayout::is_direct_map(a)) {
    format(buf, size, "the direct map (physical address 0x%llx)",
           static_cast<unsigned long long>(a - memlayout::DIRECT_MAP_BASE));
  } else if (a < 4096) {
    format(buf, size, "the first page of the user half: a NULL pointer dereference");
  } else if (memlayout::is_user_address(a)) {
    format(buf, size, "the user half (kernel code must use copy_from_user/copy_to_user)");
  } else {
    format(buf, size, "unmapped kernel space");
  }
}

namespace {

// Walk the frame-pointer chain from (pc, fp): up to max pcs, innermost first. Returns how many.
usize walk_frames(u64 pc, u64 fp, u64* pcs, usize max) {
  usize n = 0;
  while (n < max && pc) {
    pcs[n++] = pc;
    if (!is_plausible_frame(fp)) break;
    u64 ra = reinterpret_cast<u64*>(fp)[-1];
    u64 prev = reinterpret_cast<u64*>(fp)[-2];
    // ra points after the call; report the call itself.
    pc = ra ? ra - 4 : 0;
    if (prev <= fp) break;  // stacks grow down: a caller's frame is above
    fp = prev;
  }
  return n;
}

}  // namespace

void print_pcs(const u64* pcs, usize count) {
  for (usize depth = 0; depth < count; depth++) {
    SymbolInfo s = ksym_lookup(pcs[depth]);
    kprintf("  #%-2d 0x%016llx %s+0x%llx\n", static_cast<int>(depth), static_cast<unsigned long long>(pcs[depth]),
            s.name ? s.name : "??", static_cast<unsigned long long>(s.offset));
  }
}

void print_backtrace(u64 pc, u64 fp) {
  u64 pcs[32];
  kputs("Backtrace:\n");
  print_pcs(pcs, walk_frames(pc, fp, pcs, array_size(pcs)));
}

__attribute__((noinline)) usize capture_backtrace(u64* pcs, usize max) {
  u64 fp = reinterpret_cast<u64>(__builtin_frame_address(0));
  return walk_frames(reinterpret_cast<u64>(__builtin_return_address(0)) - 4, reinterpret_cast<u64*>(fp)[-2], pcs, max);
}

void panic(const char* fmt, ...) {
  if (!panic_begin()) machine_power_off(EXIT_KERNEL_PANIC);
  char msg[400];
  va_list args;
  va_start(args, fmt);
  vformat(msg, sizeof(msg), fmt, args);
  va_end(args);
  Cpu* c = this_cpu();
  kprintf("\n======== KERNEL PANIC on hart %u ========\n%s\n", c ? c->hart_id : 0, msg);
  u64 fp = reinterpret_cast<u64>(__builtin_frame_address(0));
  print_backtrace(reinterpret_cast<u64>(__builtin_return_address(0)) - 4, reinterpret_cast<u64*>(fp)[-2]);
  panic_stop();
}

void power_init(u64 test_device_va) { g_test_device = reinterpret_cast<volatile u32*>(test_device_va); }

void machine_power_off(int status) {
  disable_interrupts();
  // sifive,test (QEMU hw/misc/sifive_test.c): 0x5555 = exit 0; (code << 16) | 0x3333 = exit with code.
  if (g_test_device) {
    *g_test_device = status == 0 ? 0x5555u : ((static_cast<u32>(status) & 0xffff) << 16) | 0x3333u;
  }
  sbi::system_reset(sbi::RESET_SHUTDOWN, status == 0 ? sbi::RESET_REASON_NONE : sbi::RESET_REASON_FAILURE);
  for (;;) wait_for_interrupt();
}
