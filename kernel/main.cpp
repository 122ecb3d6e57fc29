// Boot: from the first C++ instruction to a running system. Read top to bottom, this is the order in which
// the kernel comes up.
#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/kernel_map.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/plic.h"
#include "arch/riscv/pte.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/smp.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/trap.h"
#include "kernel/boot_memory.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/fdt.h"
#include "mm/heap.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/machine.h"
#include "kernel/panic.h"
#include "kernel/selftest.h"
#include "kernel/time.h"
#include "mm/frame.h"

extern "C" u8 boot_page_table[];
extern "C" void call_on_stack(void* arg, void (*fn)(void*), u64 stack_top);
extern "C" void (*_init_array_start[])();
extern "C" void (*_init_array_end[])();

Machine g_machine;

namespace {

// The upper-half leaf that boot.S wrote for the kernel image tells where the image really is in RAM.
void find_kernel_physical_offset() {
  auto* root = reinterpret_cast<Pte*>(boot_page_table);
  Pte image = root[sv39::vpn(memlayout::KERNEL_IMAGE_BASE, 2)];
  kernel_image_phys_offset = memlayout::KERNEL_IMAGE_BASE - image.address().get();
}

void run_global_constructors() {
  for (auto* ctor = _init_array_start; ctor != _init_array_end; ctor++) (*ctor)();
}

u64 read_rtc_ns(const Device& rtc) {
  if (!rtc.is_present()) return 0;
  // Goldfish RTC: TIME_LOW (offset 0) latches TIME_HIGH (offset 4); nanoseconds since the epoch.
  auto* regs = phys_to_virt<volatile u32>(rtc.base);
  u64 low = regs[0];
  u64 high = regs[1];
  return (high << 32) | low;
}

void apply_command_line() {
  cmdline_init(g_machine.bootargs);
  if (const char* level = cmdline_get("loglevel")) {
    if (level[0] == 'd') log_set_level(LogLevel::Debug);
    if (level[0] == 'i') log_set_level(LogLevel::Info);
    if (level[0] == 'w') log_set_level(LogLevel::Warn);
    if (level[0] == 'e') log_set_level(LogLevel::Error);
  }
  const char* console = cmdline_get("console");
  if (console && console[0] == 'm') console_set_multiplexed(true);
}

void uart_interrupt(void*) { console_receive_interrupt(); }

void boot_continue_on_kernel_stack(void*);

}  // namespace


// Entered from boot.S on the boot hart, with paging on (boot page table) and the boot stack.
extern "C" [[noreturn]] void kernel_main(u64 hart_id, u64 fdt_pa) {
  Cpu* cpu = &g_cpus[0];
  cpu->hart_id = static_cast<u32>(hart_id);
  set_this_cpu(cpu);
  g_cpu_count = 1;
  trap_init_hart();  // any trap from here on gets a proper report
  // Constructors of global objects (they must not allocate: nothing is set up yet).
  run_global_constructors();
  find_kernel_physical_offset();

  // The device tree: map it, check it, read the machine description from it.
  boot_map_direct(fdt_pa, 64 * KiB);
  auto fdt = Fdt::create(phys_to_virt(fdt_pa));
  if (fdt.is_error()) panic("no valid device tree at %#llx", static_cast<unsigned long long>(fdt_pa));
  boot_map_direct(fdt_pa, fdt.value().total_size());
  if (parse_machine(fdt.value(), fdt_pa, g_machine).is_error()) panic("device tree lacks memory, harts or timebase");
  cpu->info = g_machine.hart_by_id(cpu->hart_id);
  time_init(g_machine.timebase_hz, csr::read_time());

  // Map RAM and the UART with the boot table's 1 GiB leaves so that the console and allocator work.
  for (usize i = 0; i < g_machine.memory_count; i++) boot_map_direct(g_machine.memory[i].base, g_machine.memory[i].size);
  if (g_machine.uart.is_present()) {
    boot_map_direct(g_machine.uart.base, g_machine.uart.size);
    console_init(memlayout::DIRECT_MAP_BASE + g_machine.uart.base);
  }
  if (g_machine.test_device.is_present()) {
    boot_map_direct(g_machine.test_device.base, g_machine.test_device.size);
    power_init(memlayout::DIRECT_MAP_BASE + g_machine.test_device.base);
  }
  apply_command_line();
  LOG_INFO("Sv39 teaching kernel booting on hart %u; %zu hart(s), timebase %llu Hz", cpu->hart_id,
           g_machine.hart_count, static_cast<unsigned long long>(g_machine.timebase_hz));
  LOG_INFO("command line: \"%s\"", g_machine.bootargs);

  // Physical memory, then the real kernel page table.
  boot_memory_init(g_machine);
  boot_memory_report(g_machine);
  kernel_map_init(g_machine);
  LOG_INFO("paging: kernel page table active (direct map at %#llx, image at %#llx)",
           static_cast<unsigned long long>(memlayout::DIRECT_MAP_BASE),
           static_cast<unsigned long long>(memlayout::KERNEL_IMAGE_BASE));

  // Leave the boot stack for a kernel stack with a guard page below it.
  auto stack = kernel_stack_alloc();
  auto overflow = kernel_stack_alloc();
  if (stack.is_error() || overflow.is_error()) panic("no memory for the boot hart's stacks");
  cpu->overflow_sp = overflow.value();
  call_on_stack(nullptr, boot_continue_on_kernel_stack, stack.value());
  __builtin_unreachable();
}

namespace {

void boot_continue_on_kernel_stack(void*) {
  Cpu* cpu = this_cpu();
  time_set_realtime_base(read_rtc_ns(g_machine.rtc) - time_monotonic_ns());
  // Let user mode read cycle, time and instret (the benchmarks read instret).
  csr::Scounteren::write(csr::Scounteren::CY | csr::Scounteren::TM | csr::Scounteren::IR);

  // Interrupts: the PLIC routes the UART to the boot hart.
  plic_init(g_machine);
  plic_init_hart(cpu->info->plic_context);
  if (g_machine.uart.irq) {
    register_irq_handler(g_machine.uart.irq, uart_interrupt, nullptr);
    plic_enable(g_machine.uart.irq, cpu->info->plic_context);
    console_enable_input();
  }
  timer_init_hart();
  cpu->is_online = true;

  kernel_init_subsystems();  // processes, files, ... (kernel/kernel.h)

  smp_start_secondaries(g_machine, kernel_hart_main);
  HeapStats heap = heap_stats();
  LOG_INFO("boot: %zu of %zu hart(s) online; %llu KiB free, %llu KiB in use (heap %llu KiB)", smp_online_count(),
           g_machine.hart_count, static_cast<unsigned long long>(g_phys.free_frames() * PAGE_SIZE / KiB),
           static_cast<unsigned long long>((g_phys.total_frames() - g_phys.free_frames()) * PAGE_SIZE / KiB),
           static_cast<unsigned long long>((heap.slab_frames + heap.large_frames) * PAGE_SIZE / KiB));

  LOG_INFO("ready");
  if (const char* test = cmdline_get("test")) {
    int status = run_selftest(test);
    machine_power_off(status);
  }
  kernel_start_init();  // the first user process; does not return
}

}  // namespace
