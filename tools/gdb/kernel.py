# gdb commands for the kernel's virtual memory, loaded by tools/gdbinit (`make qemu-gdb` and `tools/run --gdb`
# print the command that loads it). Type `help kernel` for the list; `help CMD` for one.
#
#   procs                       processes and threads: pid, parent, state, hart, name, page-table root
#   vm-maps [PID]               the regions of a process, as /proc/PID/maps shows them
#   pt [PID|satp=X] [VA]        the Sv39 page table as merged ranges (R W X U G A D), or the walk of one VA
#   vtop VA [PID]               translate a user VA through a process's table (each level's PTE decoded)
#   ptov PA                     which processes map physical page PA, at which VA
#   frames [PA]                 free/used frame counts, or the descriptor of one frame
#   fault                       at a stop in AddressSpace::handle_fault: who, where, what access, which region,
#                               then run the handler to its end and say what it decided (demand-zero, COW copy...)
#   break-fault [PID|NAME] [VA] stop at the next page fault of that process (and page)
#   step-trap / step-return     cross ecall/sret (gdb's stepi cannot): stop at stvec / at sepc
#   break-signal [PID|NAME]     stop where the kernel writes a signal frame for that process (riscv_signal::setup_frame)
#   sigframe [PID|NAME|ADDR]    the rt_sigframe on the user stack: siginfo, the saved pc/sp/registers, the saved mask
#
# All of them work wherever the hart stopped, also in user mode: kernel memory is read with the hart switched to
# supervisor mode for the duration of the command ($priv is QEMU's virtual register), and page tables are read as
# physical memory (QEMU's `maintenance packet Qqemu.PhyMemMode:1`, or the kernel's direct map).
#
# Nothing here writes kernel memory. The layout constants below are arch/riscv/memlayout.h's and pte.h's; the
# test debug.gdb_helpers (tests/qemu/gdb_helpers.py) runs every command against a live kernel so they cannot rot.
import os
import re
import struct

import gdb

DIRECT_MAP_BASE = 0xFFFFFFC000000000
PAGE_SIZE = 4096
LEVEL_SIZE = (4096, 2 << 20, 1 << 30)
USER_END = 1 << 38
PTE_BITS = "VRWXUGAD"  # bits 0..7
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_G, PTE_A, PTE_D = (1 << i for i in range(8))
PROT_NAMES = {1: "r", 2: "w", 4: "x"}
REGION_SHARED, REGION_STACK, REGION_HEAP = 1, 2, 4


# ---------------------------------------------------------------------------------------------------------- access

class KernelView:
    """For the duration of a command: the hart in supervisor mode (so kernel addresses read even at a stop in user
    mode), restored afterwards."""

    def __enter__(self):
        self.saved = None
        try:
            priv = int(gdb.parse_and_eval("$priv"))
        except gdb.error:
            return self
        if priv == 0:
            self.saved = priv
            gdb.execute("set $priv = 1", to_string=True)
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            gdb.execute(f"set $priv = {self.saved}", to_string=True)
        return False


def read_phys(pa, length):
    """Bytes of physical memory: QEMU's physical-memory mode, falling back to the kernel's direct map."""
    inf = gdb.selected_inferior()
    try:
        gdb.execute("maintenance packet Qqemu.PhyMemMode:1", to_string=True)
        try:
            return inf.read_memory(pa, length).tobytes()
        finally:
            gdb.execute("maintenance packet Qqemu.PhyMemMode:0", to_string=True)
    except gdb.error:
        return inf.read_memory(DIRECT_MAP_BASE + pa, length).tobytes()


def read_table(pa):
    return struct.unpack("<512Q", read_phys(pa, PAGE_SIZE))


def symbol_value(name):
    """A global of the kernel, also one in an anonymous namespace."""
    for candidate in (name, f"'(anonymous namespace)::{name}'"):
        try:
            return gdb.parse_and_eval(candidate)
        except gdb.error:
            pass
    raise gdb.GdbError(f"no symbol {name} in the kernel")


def has_field(value, name):
    try:
        return any(f.name == name for f in value.type.strip_typedefs().fields())
    except TypeError:
        return False


def unwrap(value):
    """The pointer inside OwnPtr/RefPtr, or the value of VirtAddr/PhysAddr/Atomic, or the value itself."""
    v = value
    for field in ("m_ptr", "m_value"):
        if v.type.strip_typedefs().code == gdb.TYPE_CODE_STRUCT and has_field(v, field):
            v = v[field]
    return v


def as_int(value):
    return int(unwrap(value))


def offset_of(type_name, member):
    return int(gdb.parse_and_eval(f"(unsigned long)&(({type_name}*)0)->{member}"))


def c_string(value, limit=256):
    """A char array's or char pointer's text ("" for a null pointer)."""
    try:
        if value.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            if not int(value):
                return ""
            raw = gdb.selected_inferior().read_memory(int(value), limit).tobytes()
        else:
            raw = bytes(int(value[i]) & 0xFF for i in range(value.type.strip_typedefs().sizeof))
        return raw.split(b"\0")[0].decode(errors="replace")
    except gdb.error:
        return "?"


# ------------------------------------------------------------------------------------------------------ processes

def processes():
    """(pid, Process value) for every process in the pid table."""
    table = symbol_value("g_pid_table")
    count = table.type.strip_typedefs().range()[1] + 1
    raw = gdb.selected_inferior().read_memory(int(table.address), 8 * count).tobytes()
    ptype = gdb.lookup_type("Process").pointer()
    for pid, ptr in enumerate(struct.unpack(f"<{count}Q", raw)):
        if ptr:
            yield pid, gdb.Value(ptr).cast(ptype).dereference()


def list_items(list_value, type_name, member):
    """The items of an IntrusiveList<T, &T::member>."""
    head = list_value["m_head"]
    head_addr = int(head.address)
    offset = offset_of(type_name, member)
    node = int(head["m_next"])
    ptype = gdb.lookup_type(type_name).pointer()
    seen = 0
    while node and node != head_addr and seen < 100000:
        yield gdb.Value(node - offset).cast(ptype).dereference()
        node = int(gdb.Value(node).cast(gdb.lookup_type("ListNode").pointer()).dereference()["m_next"])
        seen += 1


def process_threads(p):
    """The threads of a process (one today: m_thread; a list once a process has several)."""
    if has_field(p, "m_thread"):
        t = p["m_thread"]
        return [t.dereference()] if int(t) else []
    if has_field(p, "m_threads"):
        return list(list_items(p["m_threads"], "Thread", "m_process_link"))
    return []


def hart_of_thread(thread_addr):
    cpus = symbol_value("g_cpus")
    n = int(symbol_value("g_cpu_count"))
    for i in range(n):
        if int(cpus[i]["current"]) == thread_addr:
            return int(cpus[i]["hart_id"])
    return None


def current_cpu():
    """The Cpu of the hart gdb has selected (QEMU numbers its gdb threads by hart, from 1)."""
    hart = gdb.selected_thread().num - 1
    cpus = symbol_value("g_cpus")
    n = int(symbol_value("g_cpu_count"))
    for i in range(max(n, 1)):
        if int(cpus[i]["hart_id"]) == hart:
            return cpus[i]
    return cpus[0]


def current_process():
    t = current_cpu()["current"]
    if not int(t) or not int(t["m_process"]):
        return None
    return t["m_process"].dereference()


def find_process(arg):
    """A process by pid or by name; the current one when arg is empty."""
    if not arg:
        p = current_process()
        if p is None:
            raise gdb.GdbError("no user process runs on this hart: give a PID")
        return p
    for pid, p in processes():
        if str(pid) == arg or c_string(p["m_name"]) == arg:
            return p
    raise gdb.GdbError(f"no process {arg}")


def address_space(p):
    space = unwrap(p["m_space"])
    if not int(space):
        raise gdb.GdbError(f"process {int(p['m_pid'])} has no address space")
    return space.dereference()


def page_table_root(space):
    pmap = unwrap(space["m_pmap"]).dereference()
    return as_int(pmap["m_root"])


# -------------------------------------------------------------------------------------------------------- decoding

def prot_string(prot, shared=None):
    p = int(prot)
    s = "".join(PROT_NAMES[b] if p & b else "-" for b in (1, 2, 4))
    if shared is not None:
        s += "s" if shared else "p"
    return s


def pte_flags(pte):
    return "".join(c if pte & (1 << i) else "-" for i, c in enumerate(PTE_BITS))[1:]  # drop V: every leaf has it


def pte_describe(pte):
    if not pte & PTE_V:
        return "invalid"
    ppn = (pte >> 10) & ((1 << 44) - 1)
    if pte & (PTE_R | PTE_W | PTE_X):
        return f"leaf  pa {ppn << 12:#x}  {pte_flags(pte)}"
    return f"table pa {ppn << 12:#x}"


def sign_extend(va):
    return va | ~((1 << 39) - 1) & ((1 << 64) - 1) if va & (1 << 38) else va


def leaves(root, start=0, end=USER_END):
    """(va, pte, level) for every valid leaf under root overlapping [start, end)."""
    def visit(table_pa, level, base):
        span = LEVEL_SIZE[level]
        for i, pte in enumerate(read_table(table_pa)):
            va = base + i * span
            if va + span <= start or va >= end or not pte & PTE_V:
                continue
            if pte & (PTE_R | PTE_W | PTE_X):
                yield va, pte, level
            elif level > 0:
                yield from visit(((pte >> 10) & ((1 << 44) - 1)) << 12, level - 1, va)
    yield from visit(root, 2, 0)


def merged_ranges(root, start=0, end=USER_END):
    """Runs of leaves with the same flags and consecutive physical addresses: (va, end, pa, flags)."""
    run = None
    for va, pte, level in leaves(root, start, end):
        pa = ((pte >> 10) & ((1 << 44) - 1)) << 12
        size = LEVEL_SIZE[level]
        flags = pte & 0xFF
        if run and run[1] == va and run[3] == flags and run[2] + (run[1] - run[0]) == pa:
            run[1] = va + size
            continue
        if run:
            yield tuple(run)
        run = [va, va + size, pa, flags]
    if run:
        yield tuple(run)


def walk(root, va):
    """The three levels of the Sv39 walk of va: (level, table pa, index, pte)."""
    steps = []
    table = root
    for level in (2, 1, 0):
        index = (va >> (12 + 9 * level)) & 511
        pte = read_table(table)[index]
        steps.append((level, table, index, pte))
        if not pte & PTE_V or pte & (PTE_R | PTE_W | PTE_X):
            break
        table = ((pte >> 10) & ((1 << 44) - 1)) << 12
    return steps


def translate(root, va):
    steps = walk(root, va)
    level, _, _, pte = steps[-1]
    if not pte & PTE_V or not pte & (PTE_R | PTE_W | PTE_X):
        return None, steps
    base = ((pte >> 10) & ((1 << 44) - 1)) << 12
    return base + (va & (LEVEL_SIZE[level] - 1)), steps


def regions(space):
    """The Region values of an address space, in address order (an in-order walk of the AVL tree)."""
    return tree_regions(space["m_regions"])


def tree_regions(tree):
    """The Region values of a RegionTree (mm/region.h: an AvlTree of Regions by start), in address order."""
    offset = offset_of("Region", "m_tree_node")
    rtype = gdb.lookup_type("Region").pointer()
    ntype = gdb.lookup_type("AvlNode").pointer()
    out = []

    def visit(node):
        if not node:
            return
        n = gdb.Value(node).cast(ntype).dereference()
        visit(int(n["m_left"]))
        out.append(gdb.Value(node - offset).cast(rtype).dereference())
        visit(int(n["m_right"]))
    visit(int(tree["m_root"]))
    return out


def object_name(obj_ptr):
    """What /proc/PID/maps names a VM object: a string member of its dynamic type (the file's path)."""
    try:
        obj = obj_ptr.dereference()
        dyn = obj.cast(obj.dynamic_type)
        for f in dyn.type.strip_typedefs().fields():
            if f.name in ("m_name", "m_path") and not f.is_base_class:
                s = c_string(dyn[f.name])
                if s:
                    return s
        return f"[{dyn.type.strip_typedefs().name}]"
    except gdb.error:
        return "[object]"


def region_line(r):
    start, end = as_int(r["m_start"]), as_int(r["m_end"])
    flags = int(r["m_flags"])
    obj = unwrap(r["m_object"])
    offset = int(r["m_object_page"]) * PAGE_SIZE if int(obj) else 0
    name = ("[heap]" if flags & REGION_HEAP else "[stack]" if flags & REGION_STACK
            else object_name(obj) if int(obj) else "")
    line = f"{start:08x}-{end:08x} {prot_string(r['m_prot'], flags & REGION_SHARED)} {offset:08x}"
    return f"{line:<72} {name}".rstrip()  # the name at column 73, as Linux's show_map_vma pads it


def region_of(space, va):
    for r in regions(space):
        if as_int(r["m_start"]) <= va < as_int(r["m_end"]):
            return r
    return None


# -------------------------------------------------------------------------------------------------------- commands

class KernelPrefix(gdb.Command):
    """Commands for the kernel's processes, address spaces, page tables and faults (tools/gdb/kernel.py):

procs, vm-maps, pt, vtop, ptov, frames, fault, break-fault, ubreak, step-trap, step-return, break-signal,
sigframe, kbt.
Each takes `help NAME`. They work at any stop, in kernel or user mode."""

    def __init__(self):
        super().__init__("kernel", gdb.COMMAND_USER, prefix=True)


class Command(gdb.Command):
    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelView():
            self.run(gdb.string_to_argv(arg))


class Procs(Command):
    """procs: every process and its threads: pid, parent pid, state, hart (if running), name, page-table root."""

    def __init__(self):
        super().__init__("procs")

    def run(self, argv):
        print(f"{'PID':>5} {'PPID':>5} {'STATE':<8} {'THREAD':<9} {'TID':>5} {'HART':>4} {'ROOT':>12}  NAME")
        for pid, p in processes():
            ppid = int(p["m_parent_pid"]["m_value"]) if has_field(p, "m_parent_pid") else 0
            state = str(p["m_state"]).split("::")[-1]
            space = unwrap(p["m_space"])
            root = f"{page_table_root(space.dereference()):#x}" if int(space) else "-"
            name = c_string(p["m_name"])
            threads = process_threads(p) or [None]
            for t in threads:
                if t is None:
                    tstate, tid, hart = "-", "-", "-"
                else:
                    tstate = str(t["m_state"]).split("::")[-1]
                    tid = int(t["m_tid"])
                    h = hart_of_thread(int(t.address))
                    hart = "-" if h is None else h
                print(f"{pid:>5} {ppid:>5} {state:<8} {tstate:<9} {tid:>5} {hart:>4} {root:>12}  {name}")


class VmMaps(Command):
    """vm-maps [PID|NAME]: the regions of a process's address space (the current process by default), one line
each as /proc/PID/maps shows them: start-end, rwx and p(rivate)/s(hared), offset in the object, name."""

    def __init__(self):
        super().__init__("vm-maps")

    def run(self, argv):
        p = find_process(argv[0] if argv else "")
        space = address_space(p)
        print(f"pid {int(p['m_pid'])} ({c_string(p['m_name'])}): brk {as_int(space['m_brk']):#x}")
        for r in regions(space):
            print(region_line(r))


def parse_root(arg):
    """A page-table root from PID|NAME|satp=X (or the current process when arg is empty)."""
    if arg.startswith("satp="):
        return (int(arg[5:], 0) & ((1 << 44) - 1)) << 12, f"satp {arg[5:]}"
    p = find_process(arg)
    return page_table_root(address_space(p)), f"pid {int(p['m_pid'])} ({c_string(p['m_name'])})"


def print_walk(root, va):
    """Prints the walk of va; the physical address (also in gdb's $vtop) or None."""
    pa, steps = translate(root, va)
    for level, table, index, pte in steps:
        print(f"  L{level} table {table:#x} [{index:3}] = {pte:#018x}  {pte_describe(pte)}")
    if pa is None:
        print(f"  {va:#x} is not mapped")
    else:
        print(f"  {va:#x} -> pa {pa:#x}")
        gdb.set_convenience_variable("vtop", pa)
    return pa


class PageTable(Command):
    """pt [PID|NAME|satp=X] [VA]: the user half of a Sv39 page table as ranges of leaves with the same flags and
consecutive frames (VA range, PA, R W X U G A D), or with VA the three-level walk of that address, each PTE
decoded. Without PID the current process's table."""

    def __init__(self):
        super().__init__("pt")

    def run(self, argv):
        who, va = "", None
        for a in argv:
            if a.startswith("0x") and len(a) > 6 and not a.startswith("satp="):
                va = int(a, 16)
            else:
                who = a
        root, label = parse_root(who)
        if va is not None:
            print(f"{label}: walk of {va:#x} from root {root:#x}")
            print_walk(root, va)
            return
        print(f"{label}: page table root {root:#x}")
        print(f"{'VA':>12} {'END':>12} {'PA':>12} {'PAGES':>6} FLAGS")
        for start, end, pa, flags in merged_ranges(root):
            print(f"{start:#12x} {end:#12x} {pa:#12x} {(end - start) // PAGE_SIZE:>6} {pte_flags(flags | PTE_V)}")


class Vtop(Command):
    """vtop VA [PID|NAME]: translate a virtual address through a process's page table (the current one by
default), showing each level's PTE; the physical address is left in $vtop (so `ptov $vtop`, `frames $vtop`). Kernel addresses go through the same table (the kernel half is shared)."""

    def __init__(self):
        super().__init__("vtop")

    def run(self, argv):
        if not argv:
            raise gdb.GdbError("usage: vtop VA [PID|NAME]")
        va = int(gdb.parse_and_eval(argv[0])) & ((1 << 64) - 1)
        root, label = parse_root(argv[1] if len(argv) > 1 else "")
        print(f"{label}: {va:#x}")
        print_walk(root, va & ((1 << 39) - 1) if va >= (1 << 63) else va)


class Ptov(Command):
    """ptov PA: the user pages that map physical address PA (every process's table is searched), and its
kernel address in the direct map."""

    def __init__(self):
        super().__init__("ptov")

    def run(self, argv):
        if not argv:
            raise gdb.GdbError("usage: ptov PA")
        pa = int(gdb.parse_and_eval(argv[0]))
        print(f"pa {pa:#x}: kernel address {DIRECT_MAP_BASE + pa:#x} (direct map)")
        found = 0
        for pid, p in processes():
            space = unwrap(p["m_space"])
            if not int(space):
                continue
            for va, pte, level in leaves(page_table_root(space.dereference())):
                base = ((pte >> 10) & ((1 << 44) - 1)) << 12
                if base <= pa < base + LEVEL_SIZE[level]:
                    print(f"  pid {pid} ({c_string(p['m_name'])}): va {va + (pa - base):#x}  {pte_flags(pte)}")
                    found += 1
        if not found:
            print("  mapped by no user page table")


class Frames(Command):
    """frames [PA]: how many frames are free and used, or the descriptor of the frame holding PA (use, owner,
refcount, flags, index)."""

    def __init__(self):
        super().__init__("frames")

    def run(self, argv):
        phys = symbol_value("g_phys")
        total = int(phys["m_total_frames"])
        free = as_int(phys["m_free_frames"])
        if not argv:
            print(f"frames: {total} managed, {free} free, {total - free} used "
                  f"({(total - free) * 4} KiB used of {total * 4} KiB)")
            return
        pa = int(gdb.parse_and_eval(argv[0]))
        base = int(phys["m_base_pfn"])
        pfn = pa >> 12
        if not base <= pfn < int(phys["m_end_pfn"]):
            raise gdb.GdbError(f"{pa:#x} is not a managed frame")
        f = (phys["m_frames"] + (pfn - base)).dereference()
        print(f"frame pfn {pfn:#x} (pa {pfn << 12:#x}): use {str(f['use']).split('::')[-1]}, "
              f"refcount {as_int(f['refcount'])}, flags {int(f['flags']):#x}, owner {int(f['owner']):#x}, "
              f"index {int(f['index']):#x}")


def vm_counters():
    stats = symbol_value("g_vm_stats")
    return {f.name: as_int(stats[f.name]) for f in stats.type.strip_typedefs().fields()}


DECISIONS = [
    ("faults_cow_copy", "copy-on-write: the page was shared, so it was copied"),
    ("faults_cow_reuse", "copy-on-write reuse: the last owner writes, the page was made writable, no copy"),
    ("faults_demand_zero", "demand-zero: a fresh zeroed page"),
    ("zero_page_hits", "the shared zero page, read-only (a read of untouched memory)"),
    ("faults_object", "a page of the mapped object (file or shared memory)"),
    ("faults_stack_growth", "the stack grew down to the address"),
]


def describe_fault_frame(frame):
    """The handler's arguments at a stop in AddressSpace::handle_fault: (space value, va, access name)."""
    space = frame.read_var("this").dereference()
    va = as_int(frame.read_var("va"))
    access = str(frame.read_var("access")).split("::")[-1]
    return space, va, access


class Fault(Command):
    """fault: at a stop in AddressSpace::handle_fault (break-fault stops there): the process, the address and
the access, the region it falls in and the current PTE; then it runs the handler to its end (`finish`) and says
what it decided, from the VM counters the handler bumps (on several harts a concurrent fault may add its own)."""

    def __init__(self):
        super().__init__("fault")

    def run(self, argv):
        frame = gdb.selected_frame()
        while frame and frame.name() != "AddressSpace::handle_fault":
            frame = frame.older()
        if frame is None:
            raise gdb.GdbError("not stopped in AddressSpace::handle_fault: try `break-fault` and `continue`")
        frame.select()
        space, va, access = describe_fault_frame(frame)
        p = current_process()
        who = f"pid {int(p['m_pid'])} ({c_string(p['m_name'])})" if p is not None else "(no process)"
        print(f"fault: {who}, {access.lower()} at {va:#x}, sepc {int(gdb.parse_and_eval('$sepc')):#x}")
        r = region_of(space, va)
        print(f"  region: {region_line(r) if r is not None else 'none (SIGSEGV, SEGV_MAPERR unless the stack grows)'}")
        root = page_table_root(space)
        pa, steps = translate(root, va)
        pte = steps[-1][3]
        print(f"  pte before: {pte_describe(pte) if pa is not None else 'no mapping'}")
        before = vm_counters()
        gdb.execute("finish", to_string=True)
        result = str(gdb.parse_and_eval("$")).split("::")[-1]
        after = vm_counters()
        words = [text for key, text in DECISIONS if after.get(key, 0) > before.get(key, 0)]
        print(f"  result: {result}")
        if result == "Resolved":
            print("  decision: " + ("; ".join(words) if words else
                                    "the page was already there: the mapping was (re)entered"))
        else:
            print("  decision: the kernel sends a signal (" + {
                "NoRegion": "SIGSEGV, SEGV_MAPERR", "AccessError": "SIGSEGV, SEGV_ACCERR",
                "BusError": "SIGBUS", "OutOfMemory": "SIGKILL, out of memory"}.get(result, result) + ")")
        pa, _ = translate(root, va)
        if pa is not None:
            print(f"  pte after: {pte_describe(translate_pte(root, va))}")


def translate_pte(root, va):
    return walk(root, va)[-1][3]


class FaultBreakpoint(gdb.Breakpoint):
    """A breakpoint in AddressSpace::handle_fault that stops only for one process (pid or name) and page."""

    def __init__(self, who, page):
        super().__init__("AddressSpace::handle_fault", internal=False, temporary=False)
        self.who, self.page = who, page

    def stop(self):
        with KernelView():
            try:
                frame = gdb.selected_frame()
                if self.page is not None:
                    va = as_int(frame.read_var("va"))
                    if va & ~(PAGE_SIZE - 1) != self.page & ~(PAGE_SIZE - 1):
                        return False
                if self.who:
                    p = current_process()
                    if p is None or (str(int(p["m_pid"])) != self.who and c_string(p["m_name"]) != self.who):
                        return False
            except gdb.error as e:
                print(f"break-fault: {e}")
                return True
        return True


class BreakFault(gdb.Command):
    """break-fault [PID|NAME] [VA]: stop at the next page faults of that process (all processes without it), only
for the page holding VA if given. At the stop, `fault` explains the fault and its outcome."""

    def __init__(self):
        super().__init__("break-fault", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        who, page = "", None
        for a in gdb.string_to_argv(arg):
            if a.startswith("0x"):
                page = int(a, 16)
            else:
                who = a
        bp = FaultBreakpoint(who, page)
        print(f"Breakpoint {bp.number}: page faults of {who or 'every process'}"
              + (f" at page {page & ~(PAGE_SIZE - 1):#x}" if page is not None else ""))


def elf_symbol(path, name):
    """The value of symbol `name` in the ELF file at path (its .symtab), or None. Static programs are linked at
    fixed addresses (ET_EXEC), so the value is the address the function runs at."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise gdb.GdbError(f"{path}: not a 64-bit ELF file")
    if struct.unpack_from("<H", data, 16)[0] != 2:
        raise gdb.GdbError(f"{path}: not a static executable (ET_EXEC): its load address is not fixed")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 24):
            st_name, st_info, _, st_shndx, st_value, _ = struct.unpack_from("<IBBHQQ", data, off)
            end = data.index(b"\0", strtab[4] + st_name)
            if data[strtab[4] + st_name:end].decode(errors="replace") == name and st_shndx != 0:
                return st_value
    return None


def find_program_file(program):
    """PROGRAM as a path, or the name of a program of the kernel's build (BUILD/user/*/NAME, BUILD being the
    directory of the kernel/ that holds the kernel ELF gdb debugs)."""
    if os.path.isfile(program):
        return program
    kernel = gdb.current_progspace().filename or ""
    base = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(kernel))), "user")
    for sub in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        candidate = os.path.join(base, sub, program)
        if os.path.isfile(candidate):
            return candidate
    raise gdb.GdbError(f"ubreak: no program {program} (give its path, or the name of a program in {base}/*/)")


class UserBreakpoint(gdb.Breakpoint):
    """A hardware breakpoint at a user address that stops only in processes named `name` (static programs share
    their addresses: every one has main at about the same place)."""

    def __init__(self, address, name):
        super().__init__(f"*{address:#x}", type=gdb.BP_HARDWARE_BREAKPOINT, internal=False)
        self.name = name

    def stop(self):
        with KernelView():
            try:
                p = current_process()
                return p is not None and c_string(p["m_name"]) == self.name
            except gdb.error as e:
                print(f"ubreak: {e}")
                return True


class UBreak(gdb.Command):
    """ubreak PROGRAM FUNCTION: stop when PROGRAM (a path, or a program's name: cowdemo, mm_cow_fork) runs
FUNCTION, and only in a process running that program. A hardware breakpoint: it is valid in every address
space (a software breakpoint would be written into whichever page table is current), and its condition reads
the current process's name. Load the program's symbols too (add-symbol-file PROGRAM; tools/run --gdb prints
it) to see source lines there."""

    def __init__(self):
        super().__init__("ubreak", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if len(args) != 2:
            raise gdb.GdbError("usage: ubreak PROGRAM FUNCTION")
        path = find_program_file(args[0])
        address = elf_symbol(path, args[1])
        if address is None:
            raise gdb.GdbError(f"ubreak: no symbol {args[1]} in {path}")
        name = os.path.basename(path)
        bp = UserBreakpoint(address, name)
        print(f"Breakpoint {bp.number}: {args[1]} at {address:#x} in processes running {name}")


class StepTrap(gdb.Command):
    """step-trap: run into the trap handler from an ecall or a faulting instruction (gdb's stepi cannot follow
ecall): a temporary breakpoint at stvec, then continue."""

    def __init__(self):
        super().__init__("step-trap", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        stvec = int(gdb.parse_and_eval("$stvec")) & ~3
        gdb.execute(f"tbreak *{stvec:#x}", to_string=True)
        gdb.execute("continue")


class StepReturn(gdb.Command):
    """step-return: from inside the kernel, run until the hart returns to user mode at sepc (sret): a temporary
hardware breakpoint at sepc (valid in whichever address space runs next), then continue."""

    def __init__(self):
        super().__init__("step-return", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        # The sret goes where the thread's TrapFrame says (trap.S loads sepc from it on the way out): after a
        # signal frame was written that is the handler, not the faulting pc still in the sepc register.
        sepc = int(gdb.parse_and_eval("$sepc"))
        with KernelView():
            tf = current_trap_frame()
            if tf is not None:
                sepc = int(tf["sepc"])
        gdb.execute(f"thbreak *{sepc:#x}", to_string=True)
        gdb.execute("continue")


# ----------------------------------------------------------------------------------------------------- signals

SIGNAL_NAMES = ["0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
                "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
                "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
                "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"]
# si_code values (kernel/abi/linux_signal.h): the generic ones, then per signal.
SI_CODES = {0: "SI_USER", 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER", -3: "SI_MESGQ", -4: "SI_ASYNCIO",
            -5: "SI_SIGIO", -6: "SI_TKILL"}
SIG_CODES = {11: {1: "SEGV_MAPERR", 2: "SEGV_ACCERR"}, 7: {1: "BUS_ADRALN", 2: "BUS_ADRERR", 3: "BUS_OBJERR"},
             4: {1: "ILL_ILLOPC", 2: "ILL_ILLOPN", 3: "ILL_ILLADR", 4: "ILL_ILLTRP", 5: "ILL_PRVOPC"},
             5: {1: "TRAP_BRKPT", 2: "TRAP_TRACE"},
             17: {1: "CLD_EXITED", 2: "CLD_KILLED", 3: "CLD_DUMPED", 4: "CLD_TRAPPED", 5: "CLD_STOPPED",
                  6: "CLD_CONTINUED"}}
FAULT_SIGNALS = (4, 5, 7, 8, 11)  # si_addr is meaningful
REG_NAMES = ["pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
             "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]
# struct rt_sigframe of the riscv64 ABI (arch/riscv/signal_frame.h draws it).
SIGINFO_SIZE = 128
UC = SIGINFO_SIZE                 # ucontext
UC_STACK = UC + 16                # stack_t: ss_sp, ss_flags (int, padded), ss_size
UC_SIGMASK = UC + 40
GREGS = UC + 176                  # uc_mcontext.__gregs[32]
FPREGS = GREGS + 256              # __fpregs: f0..f31, fcsr
FRAME_SIZE = 1088
SS_ONSTACK, SS_DISABLE = 1, 2


def signal_name(sig):
    if 0 <= sig < len(SIGNAL_NAMES):
        return SIGNAL_NAMES[sig]
    return f"SIGRTMIN+{sig - 32}" if 32 <= sig <= 64 else str(sig)


def si_code_name(sig, code):
    if code > 0 and code != 0x80 and code in SIG_CODES.get(sig, {}):
        return SIG_CODES[sig][code]
    return SI_CODES.get(code, str(code))


def mask_names(mask):
    names = [signal_name(i + 1) for i in range(64) if mask >> i & 1]
    return "{" + ", ".join(names) + "}"


def current_thread_value():
    t = current_cpu()["current"]
    return t.dereference() if int(t) else None


def current_trap_frame():
    """The current thread's TrapFrame (its user registers), or None for a kernel thread."""
    t = current_thread_value()
    if t is None or not int(t["m_trap_frame"]):
        return None
    return t["m_trap_frame"].dereference()


def read_user(root, va, length):
    """Bytes of user memory at va, through the process's page table and physical memory (as pt/vtop read)."""
    out = b""
    while length > 0:
        pa, _ = translate(root, va)
        if pa is None:
            raise gdb.GdbError(f"{va:#x} is not mapped in this address space")
        n = min(length, PAGE_SIZE - (va & (PAGE_SIZE - 1)))
        out += read_phys(pa, n)
        va, length = va + n, length - n
    return out


def looks_like_frame(raw, at):
    """Is there an rt_sigframe at `at`? (raw: its 1088 bytes.) The kernel writes uc_flags = uc_link = 0, a signal
number in siginfo, the three reserved FP words as 0, and puts the frame just below the interrupted sp (or at the
top of the alternate stack it records in uc_stack)."""
    signo, = struct.unpack_from("<i", raw, 0)
    flags, link = struct.unpack_from("<QQ", raw, UC)
    if not 1 <= signo <= 64 or flags or link or any(struct.unpack_from("<3I", raw, FPREGS + 516)):
        return False
    saved_sp, = struct.unpack_from("<Q", raw, GREGS + 2 * 8)
    ss_sp, ss_flags, ss_size = struct.unpack_from("<Qi4xQ", raw, UC_STACK)
    below_sp = 0 <= saved_sp - (at + FRAME_SIZE) < 16
    on_altstack = ss_size and 0 <= ss_sp + ss_size - (at + FRAME_SIZE) < 16
    return below_sp or bool(on_altstack)


def find_frame(root, sp, limit=64 << 10):
    """The innermost signal frame at or above sp: the handler's own stack frames lie below it."""
    at = (sp + 15) & ~15
    while at < sp + limit:
        try:
            raw = read_user(root, at, FRAME_SIZE)
        except gdb.GdbError:
            return None, None
        if looks_like_frame(raw, at):
            return at, raw
        at += 16
    return None, None


def user_symbol(pc):
    try:
        text = gdb.execute(f"info symbol {pc:#x}", to_string=True).strip()
    except gdb.error:
        return ""
    return "" if text.startswith("No symbol") else f"  <{text.split(' in section')[0]}>"


def print_frame(at, raw):
    signo, errno, code = struct.unpack_from("<iii", raw, 0)
    addr, = struct.unpack_from("<Q", raw, 16)
    print(f"  siginfo  at {at:#x} (a1): si_signo {signo} ({signal_name(signo)}), si_errno {errno}, "
          f"si_code {code} ({si_code_name(signo, code)})")
    if signo in FAULT_SIGNALS and code > 0:
        print(f"           si_addr {addr:#x}")
    elif code <= 0:  # sent by a process: the sender
        pid, uid = struct.unpack_from("<iI", raw, 16)
        print(f"           si_pid {pid}, si_uid {uid}")
    ss_sp, ss_flags, ss_size = struct.unpack_from("<Qi4xQ", raw, UC_STACK)
    mask, = struct.unpack_from("<Q", raw, UC_SIGMASK)
    stack = "disabled" if ss_flags & SS_DISABLE else f"{ss_sp:#x}+{ss_size:#x}" + (
        " (on it)" if ss_flags & SS_ONSTACK else "")
    print(f"  ucontext at {at + UC:#x} (a2): uc_flags 0, uc_link 0, uc_stack {stack}")
    print(f"  saved mask (uc_sigmask, back at rt_sigreturn): {mask:#018x} {mask_names(mask)}")
    gregs = struct.unpack_from("<32Q", raw, GREGS)
    print(f"  saved pc {gregs[0]:#x}{user_symbol(gregs[0])}  (the interrupted instruction: it runs again)")
    print(f"  saved sp {gregs[2]:#x}  (the frame ends at {at + FRAME_SIZE:#x})")
    for row in range(1, 32, 4):
        print("   " + "".join(f" {REG_NAMES[i]:>3} {gregs[i]:#018x}" for i in range(row, min(row + 4, 32))))
    fcsr, = struct.unpack_from("<I", raw, FPREGS + 256)
    print(f"    fcsr {fcsr:#x}  (f0..f31 at {at + FPREGS:#x})")


class Sigframe(gdb.Command):
    """sigframe [PID|NAME|ADDR]: the signal frame (struct rt_sigframe) on the user stack, as the handler sees it:
the siginfo (signal, si_code, si_addr or the sender), the ucontext's alternate stack, the saved mask that
rt_sigreturn restores, and the saved pc, sp and registers (uc_mcontext.__gregs). It is read through the process's
page table from physical memory, like pt and vtop.

Where the frame is: at a stop in the user handler (or anywhere deeper in its stack) the innermost frame above sp;
at a stop in the kernel after riscv_signal::setup_frame wrote one (break-signal, then finish) the frame at the
thread's new sp; with PID the frame above that process's user sp (its first thread); with ADDR exactly there."""

    def __init__(self):
        super().__init__("sigframe", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        try:
            in_user = int(gdb.parse_and_eval("$priv")) == 0
        except gdb.error:
            in_user = False
        user_sp = int(gdb.parse_and_eval("$sp")) if in_user else None
        with KernelView():
            self.run(gdb.string_to_argv(arg), user_sp)

    def run(self, argv, user_sp):
        exact = None
        if argv and argv[0].startswith("0x"):
            exact = int(argv[0], 16)
            argv = argv[1:]
        p = find_process(argv[0] if argv else "")
        root = page_table_root(address_space(p))
        if exact is not None:
            at, raw = exact, read_user(root, exact, FRAME_SIZE)
        else:
            if argv or user_sp is None:
                threads = process_threads(p) if argv else [current_thread_value()]
                if not threads or threads[0] is None or not int(threads[0]["m_trap_frame"]):
                    raise gdb.GdbError("no user thread")
                sp = int(threads[0]["m_trap_frame"]["sp"])
            else:
                sp = user_sp
            at, raw = find_frame(root, sp)
            if at is None:
                raise gdb.GdbError(f"no signal frame at or above sp {sp:#x}: not in a handler (in the kernel, stop "
                                   "after riscv_signal::setup_frame: break-signal, then finish)")
        print(f"pid {int(p['m_pid'])} ({c_string(p['m_name'])}): signal frame at {at:#x}, {FRAME_SIZE} bytes")
        print_frame(at, raw)


class SignalBreakpoint(gdb.Breakpoint):
    """A breakpoint in riscv_signal::setup_frame that stops only for one process (pid or name)."""

    def __init__(self, who):
        super().__init__("riscv_signal::setup_frame", internal=False, temporary=False)
        self.who = who

    def stop(self):
        if not self.who:
            return True
        with KernelView():
            p = current_process()
            return p is not None and (str(int(p["m_pid"])) == self.who or c_string(p["m_name"]) == self.who)


class BreakSignal(gdb.Command):
    """break-signal [PID|NAME]: stop when the kernel is about to write a signal frame for that process (every
process without it), in riscv_signal::setup_frame. `finish` writes the frame; then `sigframe` prints it and
`step-return` runs to the first instruction of the handler."""

    def __init__(self):
        super().__init__("break-signal", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        bp = SignalBreakpoint(argv[0] if argv else "")
        print(f"Breakpoint {bp.number}: signal frames of {argv[0] if argv else 'every process'}")


# ----------------------------------------------------------------------------------------------- pretty-printers

class AddrPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        return f"{int(self.val['m_value']):#x}"


class PtePrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        raw = int(self.val["m_raw"])
        return f"{raw:#x} {pte_describe(raw)}"


class ProtPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        return prot_string(int(self.val))


class RegionPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        try:
            return region_line(self.val)
        except gdb.error as e:
            return f"<region: {e}>"


class RegionTreePrinter:
    """A RegionTree (AddressSpace::m_regions) as its regions in address order, as vm-maps shows them:
    `print this->m_regions` -> 7 regions = {[0] = 00010000-00072000 r-xp 00000000 ... /bin/cowdemo, ...}."""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        return f"{int(self.val['m_size'])} regions"

    def children(self):
        try:
            for i, r in enumerate(tree_regions(self.val)):
                yield f"[{i}]", r
        except gdb.error as e:
            yield "error", str(e)


def lookup_printer(val):
    t = val.type.strip_typedefs()
    name = t.tag or t.name
    if name in ("VirtAddr", "PhysAddr"):
        return AddrPrinter(val)
    if name == "Pte":
        return PtePrinter(val)
    if name == "Prot":
        return ProtPrinter(val)
    if name == "Region":
        return RegionPrinter(val)
    if name and name.startswith("AvlTree<Region,"):
        return RegionTreePrinter(val)
    return None


class KernelBacktrace(Command):
    """kbt [PID|NAME]: where the threads of a process are in the kernel. A thread running on a hart: select that
hart (`thread N`) and use `bt`. A thread switched out (sleeping, runnable, stopped): its backtrace from the
registers sched saved when it switched away (SwitchContext: ra, sp, s0-s11), and the wait queue it sleeps on.
Without an argument: every switched-out thread of every process (what a hung machine is waiting for)."""

    SAVED = ["pc", "sp"] + [f"s{i}" for i in range(12)]

    def __init__(self):
        super().__init__("kbt")

    def run(self, argv):
        wanted = [find_process(argv[0])] if argv else [p for _, p in processes()]
        saved = {r: int(gdb.parse_and_eval(f"${r}")) for r in self.SAVED}
        try:
            for p in wanted:
                for t in process_threads(p):
                    self.show(p, t)
        finally:
            for r, v in saved.items():
                gdb.execute(f"set ${r} = {v:#x}", to_string=True)

    def show(self, p, t):
        state = str(t["m_state"]).split("::")[-1]
        head = f"pid {int(p['m_pid'])} tid {int(t['m_tid'])} " \
               f"({c_string(p['m_name'])}) {state}"
        hart = hart_of_thread(int(t.address))
        if hart is not None:
            print(f"{head}: running on hart {hart} (thread {hart + 1}; bt there)")
            return
        if state in ("Zombie", "Dead"):
            return
        waiting = int(t["m_waiting_on"])
        where = gdb.execute(f"info symbol {waiting:#x}", to_string=True).strip() if waiting else ""
        where = "" if where.startswith("No symbol") else f" ({where})"  # a queue in a global, or in some object
        work = int(unwrap(t["m_work"]))
        work = f", work bits {work:#x}" if work else ""
        print(f"{head}" + (f", waiting on {waiting:#x}{where}" if waiting else "") + work)
        ctx = t["m_context"]
        gdb.execute(f"set $pc = {int(ctx['ra']):#x}", to_string=True)
        gdb.execute(f"set $sp = {int(ctx['sp']):#x}", to_string=True)
        for i in range(12):
            gdb.execute(f"set $s{i} = {int(ctx['s'][i]):#x}", to_string=True)
        for line in gdb.execute("bt 16", to_string=True).splitlines():
            print("    " + line)


def register():
    KernelPrefix()
    Procs()
    VmMaps()
    PageTable()
    Vtop()
    Ptov()
    Frames()
    Fault()
    BreakFault()
    UBreak()
    StepTrap()
    StepReturn()
    Sigframe()
    BreakSignal()
    KernelBacktrace()
    gdb.pretty_printers.append(lookup_printer)


register()
