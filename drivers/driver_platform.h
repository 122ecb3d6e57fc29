// The door from drivers/ to the rest of the kernel, as mm/mm_platform.h is mm/'s: the block layer and the
// virtio code are portable, and the host tests drive them against a fake device. Each build supplies
// "driver_platform_impl.h" through its include path:
//   kernel: kernel/drivers_platform/driver_platform_impl.h (wait queues, RISC-V fences, klog)
//   host:   tests/host/drivers_platform/driver_platform_impl.h (std::condition_variable, C++ fences, a log)
//
// From mm/mm_platform.h: Spinlock and SpinlockGuard, phys_to_kernel / kernel_to_phys (DMA addresses are
// physical addresses of direct-map memory), and through mm/frame.h the frame allocator for ring memory.
// Each driver_platform_impl.h must provide:
//   class Completion      a one-shot event: complete() (any context, also interrupt handlers) and wait()
//                         (sleeps the calling thread uninterruptibly until complete() was called);
//   dma_wmb()             orders the CPU's earlier stores to memory before its later stores to memory, as a
//                         device sees them (publishing ring entries before the index that names them);
//   dma_rmb()             orders earlier loads from memory before later loads (an index before the entries
//                         it names);
//   dma_mb()              orders earlier loads and stores before later loads and stores (a store to the ring
//                         index before the load of the device's "do not notify me" flag);
//   drv_log(level, fmt, ...)   a kernel log line; DriverLog::Info / Warn / Error.
#pragma once

#include "mm/mm_platform.h"
#include "driver_platform_impl.h"
