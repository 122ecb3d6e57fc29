// Device drivers at boot: the kernel's glue between the machine description (kernel/machine.h) and the
// portable drivers in drivers/*/ (which the host tests drive against fake devices).
//
//   drivers/virtio/   the virtio-mmio transport and split virtqueues
//   drivers/block/    the BlockDevice interface, the registry of disks, the virtio-blk driver
//   drivers/*.cpp     this glue: kernel only (register windows in the direct map, PLIC interrupts)
#pragma once

#include "kernel/machine.h"

// Probes every virtio-mmio slot of the device tree and starts a driver for each device it knows (virtio-blk:
// disks vda, vdb... in device-tree order, as Linux names them), with its interrupt routed to the boot hart.
// Logs one line per disk. Called once at boot, after the PLIC is set up and before user programs run.
void drivers_init(const Machine& machine, u32 plic_context);

// The disk self-test (test=disk): the BlockDevice API on vda at boot. Returns 0 on success.
int block_selftest();
