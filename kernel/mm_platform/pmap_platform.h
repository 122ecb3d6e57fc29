// The kernel's pmap for mm/pmap.h: Sv39 page tables.
#pragma once

#include "arch/riscv/pmap.h"

using Pmap = Sv39Pmap;
