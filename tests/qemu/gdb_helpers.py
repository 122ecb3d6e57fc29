#!/usr/bin/env python3
"""The gdb commands of tools/gdb/kernel.py work against a live kernel: a scripted gdb session (batch mode) runs
user/bin/cowdemo under `tools/run --gdb`, stops at its page faults with break-fault and checks what each command
prints: fault (demand-zero, then the child's copy-on-write copy, then the parent's reuse), vm-maps (the same
regions as the /proc/self/maps the program printed), pt and vtop (the page is mapped, and writable only after the
fault), ptov, procs, frames, the pretty-printers, step-return, ubreak (a user breakpoint at cowdemo's main, which
init has at the same address: the stop must be in cowdemo). A second session runs user/vmtricks/objstore and
checks break-signal and sigframe: the frame of its first SIGSEGV, seen from the kernel right after
riscv_signal::setup_frame wrote it and again from the first instruction of the user handler (step-return). A
third steps through cowdemo's first fault end to end, as labs/gdb-walkthrough.md does: ubreak at main, a
hardware breakpoint at the store, step-trap into the trap vector, break-fault and fault, step-return to the
store in user mode, stepi over it.

  gdb_helpers.py --build DIR [--smp N] [--kernel-image ELF]

--kernel-image runs another kernel image: the -Og one (build/riscv/kernel/kernel-gdb.elf, make qemu-gdb DEBUG=1),
where a third session steps through the fault path with `next` and checks that it goes line by line and that
the locals print (at -O3 the same steps jump between inlined helpers and show <optimized out>).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def symbol_address(program, name):
    out = subprocess.run(["riscv64-linux-gnu-nm", program], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise SystemExit(f"FAILED: no symbol {name} in {program}")


def section(out, name):
    m = re.search(rf"=== {name} ===\n(.*?)(?==== |\Z)", out, re.S)
    return m.group(1) if m else ""


def mark(name):
    return f"echo === {name} ===\\n"


def gdb_session(opts, program, script_body):
    """Runs program under `tools/run --gdb` and a batch gdb with script_body (after `target remote`).
    Returns (gdb's output, the program's stdout, the run's exit status). tools/run is always ended: no QEMU
    outlives the session."""
    kernel = opts.kernel_image or os.path.join(opts.build, "kernel", "kernel.elf")
    run = subprocess.Popen([os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--gdb", "--timeout", "150",
                            "--smp", str(opts.smp), "--kernel", kernel, program], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL)
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = run.stderr.readline()
            if not line:
                break
            m = re.search(rb"target remote :(\d+)", line)
            if m:
                port = int(m.group(1))
        if port is None:
            return "FAILED: tools/run --gdb printed no gdb command", "", "no gdb"
        with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
            f.write(f"target remote :{port}\n" + script_body)
            script_path = f.name
        try:
            gdb = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-x", os.path.join(ROOT, "tools", "gdbinit"),
                                  "-x", script_path, kernel], capture_output=True, timeout=240, cwd=ROOT)
            out = gdb.stdout.decode(errors="replace") + gdb.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") + "\n(gdb timed out)"
        finally:
            os.unlink(script_path)
        try:
            stdout, _ = run.communicate(timeout=90)
            status = run.returncode
        except subprocess.TimeoutExpired:
            stdout, status = b"", "timeout"
        return out, stdout.decode(errors="replace"), status
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def sigframe_session(opts, problems):
    """break-signal and sigframe on objstore's first SIGSEGV (a load from a PROT_NONE page: SEGV_ACCERR)."""
    program = os.path.join(opts.build, "user", "vmtricks", "objstore")
    handler = symbol_address(program, "on_fault")
    script = f"""add-symbol-file {program}
break-signal objstore
continue
finish
{mark("sig-kernel")}
sigframe
{mark("sig-step")}
delete
step-return
info registers priv
print/x $pc
print $a0
print/x $a1
print/x $a2 - $a1
{mark("sig-user")}
sigframe
{mark("sig-pid")}
sigframe objstore
{mark("end")}
continue
"""
    out, stdout, status = gdb_session(opts, program, script)
    print(out)

    def need(name, rx, flags=0):
        m = re.search(rx, section(out, name), flags)
        if not m:
            problems.append(f"{name}: no /{rx}/")
        return m

    frame = need("sig-kernel", r"pid \d+ \(objstore\): signal frame at (0x[0-9a-f]+), 1088 bytes")
    need("sig-kernel", r"si_signo 11 \(SIGSEGV\), si_errno 0, si_code 2 \(SEGV_ACCERR\)")
    addr = need("sig-kernel", r"si_addr (0x[0-9a-f]+)")
    pc = need("sig-kernel", r"saved pc (0x[0-9a-f]+)  <main\b")
    need("sig-kernel", r"saved mask \(uc_sigmask, back at rt_sigreturn\): 0x0000000000000000 \{\}")
    need("sig-kernel", r"uc_stack disabled")
    need("sig-kernel", r" ra 0x[0-9a-f]{16}\s+sp 0x[0-9a-f]{16}\s+gp 0x[0-9a-f]{16}\s+tp 0x[0-9a-f]{16}")
    need("sig-step", r"priv\s+0x0")
    need("sig-step", rf"\$\d+ = {handler:#x}\n")
    need("sig-step", r"\$\d+ = 11\n")
    need("sig-step", r"\$\d+ = 0x80\n")
    for name in ("sig-user", "sig-pid"):
        if frame and addr and pc:
            need(name, rf"signal frame at {frame.group(1)}, 1088 bytes")
            need(name, rf"si_addr {addr.group(1)}\n")
            need(name, rf"saved pc {pc.group(1)}  <main\b")
    if frame:
        need("sig-step", rf"\$\d+ = {frame.group(1)}\n")  # a1 = &siginfo = the frame
    if "Python Exception" in out or "Error occurred in Python" in out:
        problems.append("sigframe session: a command raised a Python exception")
    if status != 0 or "objstore: ok" not in stdout:
        problems.append(f"objstore under gdb: status {status}, output {stdout[-300:]!r}")


def first_store(program, function="main"):
    """The address of the first byte store (sb) in FUNCTION of PROGRAM, and of the instruction after it."""
    out = subprocess.run(["riscv64-linux-gnu-objdump", "-d", "--no-show-raw-insn", program], capture_output=True,
                         text=True, check=True).stdout
    body = re.search(rf"^[0-9a-f]+ <{function}>:\n(.*?)\n\n", out, re.S | re.M).group(1)
    addresses = [(int(a, 16), insn) for a, insn in re.findall(r"^\s+([0-9a-f]+):\s+(\S+)", body, re.M)]
    for i, (address, insn) in enumerate(addresses):
        if insn == "sb":
            return address, addresses[i + 1][0]
    raise SystemExit(f"FAILED: no sb in {function} of {program}")


def trap_session(opts, problems):
    """Stepping a user fault end to end (labs/gdb-walkthrough.md, "Step through a fault"): ubreak cowdemo main;
    a hardware breakpoint at its first write to page (page[0] = 'p', an sb); step-trap from there into the trap
    vector (supervisor mode, at stvec); break-fault on to AddressSpace::handle_fault and fault (demand-zero);
    step-return back to the store in user mode; stepi over it, and page[0] is 'p'. On the way, the Pte and
    PhysAddr pretty-printers on the page's leaf PTE (print {Pte} ADDR, read through the direct map)."""
    program = os.path.join(opts.build, "user", "bin", "cowdemo")
    main_address = symbol_address(program, "main")
    page = symbol_address(program, "page")
    store, after = first_store(program)
    script = f"""add-symbol-file {program}
ubreak cowdemo main
continue
{mark("t-main")}
info registers pc priv
delete
thbreak *{store:#x}
continue
{mark("t-store")}
info registers pc priv
x/i $pc
{mark("t-trap")}
step-trap
info registers priv
print $pc == ($stvec & ~3)
print $scause
{mark("t-fault")}
break-fault cowdemo {page:#x}
continue
bt
fault
delete
{mark("t-printers")}
python
import re
walk = gdb.execute("vtop {page:#x}", to_string=True)
m = re.search(r"L0 table (0x[0-9a-f]+) \\[\\s*(\\d+)\\]", walk)
entry = 0xFFFFFFC000000000 + int(m.group(1), 16) + 8 * int(m.group(2))
gdb.execute("print {{Pte}}" + hex(entry))
gdb.execute("print {{PhysAddr}}" + hex(entry))
gdb.execute("print/x *(unsigned long*)" + hex(entry))
end
{mark("t-return")}
step-return
info registers pc priv
{mark("t-stepi")}
stepi
info registers pc
print/d page[0]
{mark("end")}
continue
"""
    out, stdout, status = gdb_session(opts, program, script)
    print(out)

    def need(name, rx, flags=0):
        if not re.search(rx, section(out, name), flags):
            problems.append(f"{name}: no /{rx}/")

    need("t-main", rf"pc\s+{main_address:#x}")
    need("t-main", r"priv\s+0x0")
    need("t-store", rf"pc\s+{store:#x}")
    need("t-store", r"priv\s+0x0")
    need("t-store", rf"{store:#x} <main\+\d+>:\s+sb\s")
    need("t-trap", r"priv\s+0x1")
    need("t-trap", r"\$\d+ = 1\n")
    need("t-fault", rf"fault: pid \d+ \(cowdemo\), write at {page:#x}, sepc {store:#x}")
    need("t-fault", r"decision: demand-zero")
    # The pretty-printers of Pte and PhysAddr, on the page's leaf PTE read through the direct map.
    need("t-printers", r"\$\d+ = 0x[0-9a-f]+ leaf\s+pa 0x[0-9a-f]+\s+RW-U")
    raw = re.search(r"\$\d+ = (0x[0-9a-f]+)\n\$\d+ = (0x[0-9a-f]+)\n", section(out, "t-printers"))
    if not raw or raw.group(1) != raw.group(2):
        problems.append("t-printers: print {PhysAddr} does not show the raw value as hex")
    need("t-return", rf"pc\s+{store:#x}")
    need("t-return", r"priv\s+0x0")
    need("t-stepi", rf"pc\s+{after:#x}")
    need("t-stepi", r"\$\d+ = 112\n")
    if "Python Exception" in out or "Error occurred in Python" in out:
        problems.append("trap session: a command raised a Python exception")
    if status != 0 or "the child wrote its own copy" not in stdout:
        problems.append(f"cowdemo under the stepping session: status {status}, output {stdout[-300:]!r}")


def stepping_session(opts, problems):
    """On the -Og kernel: four `next`s through the first lines of fault_private_write_locked (cowdemo's first write to
    page) goes line by line, and the locals assigned so far print."""
    program = os.path.join(opts.build, "user", "bin", "cowdemo")
    page = symbol_address(program, "page")
    script = f"""add-symbol-file {program}
break-fault cowdemo {page:#x}
continue
delete
break AddressSpace::fault_private_write_locked
continue
{mark("step")}
next
next
next
next
info locals
{mark("end")}
kill
"""
    out, _, _ = gdb_session(opts, program, script)
    print(out)
    step = section(out, "step")
    lines = [int(n) for n in re.findall(r"^(\d+)\t", step, re.M)]
    if len(lines) != 4 or lines != sorted(lines) or len(set(lines)) != 4:
        problems.append(f"step: `next` went to lines {lines}, not forward line by line")
    for local in (r"vpn = \d+", r"prot = [-r][-w][-x]", r"slot = 0x[0-9a-f]+"):
        if not re.search(rf"^{local}$", step, re.M):
            problems.append(f"step: no /{local}/ after four `next`s (optimized out?)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--kernel-image")
    opts = ap.parse_args()
    if opts.kernel_image and not os.path.exists(opts.kernel_image):
        print(f"FAILED: no {opts.kernel_image} (make kernel-gdb builds it)")
        return 1
    program = os.path.join(opts.build, "user", "bin", "cowdemo")
    page = symbol_address(program, "page")
    script = f"""
add-symbol-file {program}
{mark("help")}
info address page
help kernel
{mark("ubreak")}
ubreak cowdemo main
continue
info registers pc
procs
delete
break-fault cowdemo {page:#x}
continue
{mark("pt-before")}
pt cowdemo {page:#x}
{mark("maps")}
vm-maps
{mark("print")}
print va
print access
{mark("locals")}
info args
info locals
{mark("print2")}
print *(Region*)((char*)this->m_regions.m_root - (unsigned long)&((Region*)0)->m_tree_node)
print this->m_regions.m_root->m_left
{mark("tree")}
print this->m_regions
{mark("fault1")}
fault
{mark("pt-after")}
pt {page:#x}
{mark("vtop")}
vtop {page:#x}
{mark("ptable")}
pt
{mark("procs")}
procs
{mark("kbt")}
kbt init
{mark("frames")}
frames
continue
{mark("fault2")}
fault
{mark("procs2")}
procs
continue
{mark("fault3")}
fault
{mark("ptov")}
vtop {page:#x}
ptov $vtop
delete
{mark("step-return")}
step-return
info registers priv
{mark("user-stop")}
vm-maps
procs
info registers priv
{mark("end")}
continue
"""
    out, stdout, status = gdb_session(opts, program, script)
    print(out)
    problems = []

    def need(name, rx, flags=0):
        if not re.search(rx, section(out, name), flags):
            problems.append(f"{name}: no /{rx}/")

    need("help", r"procs, vm-maps, pt, vtop")
    # ubreak: init has main at the same address (both static); the stop is in cowdemo's main.
    need("ubreak", rf"Breakpoint \d+: main at {symbol_address(program, 'main'):#x} in processes running cowdemo")
    need("ubreak", rf"pc\s+{symbol_address(program, 'main'):#x}")
    need("ubreak", r"^\s+\d+\s+1\s+Alive\s+Running\s+\d+\s+\d+\s+0x[0-9a-f]+\s+cowdemo$", re.M)
    need("help", rf"Symbol \"page\" is static storage at address {page:#x}")
    page_hex = f"{page:#x}"
    need("pt-before", rf"walk of {page_hex}")
    need("pt-before", r"L2 table 0x[0-9a-f]+ \[\s*0\] = 0x[0-9a-f]+\s+table pa")
    need("fault1", rf"fault: pid \d+ \(cowdemo\), write at {page_hex}")
    need("fault1", r"region: [0-9a-f]+-[0-9a-f]+ rw-p")
    need("fault1", r"result: Resolved")
    need("fault1", r"decision: demand-zero")
    need("fault1", r"pte after: leaf\s+pa 0x[0-9a-f]+\s+RWXU|pte after: leaf\s+pa 0x[0-9a-f]+\s+RW-U")
    need("pt-after", rf"{page_hex} -> pa 0x[0-9a-f]+")
    need("vtop", r"L0 table 0x[0-9a-f]+ \[\s*\d+\] = 0x[0-9a-f]+\s+leaf\s+pa 0x[0-9a-f]+\s+RW-U-AD")
    need("ptable", r"page table root 0x[0-9a-f]+")
    need("ptable", r"0x10000 +0x[0-9a-f]+ +0x[0-9a-f]+ +\d+ R-XU")
    need("procs", r"^\s+1\s+0\s+Alive\s+\w+\s+1\s+\S+\s+0x[0-9a-f]+\s+init$", re.M)
    need("procs", r"^\s+\d+\s+1\s+Alive\s+Running\s+\d+\s+\d+\s+0x[0-9a-f]+\s+cowdemo$", re.M)
    # init sleeps in wait4 while cowdemo runs: kbt unwinds it from the registers sched saved.
    need("kbt", r"pid 1 tid 1 \(init\) Sleeping, waiting on 0x[0-9a-f]+")
    need("kbt", r"#\d+ .*sys_wait4")
    need("frames", r"frames: \d+ managed, \d+ free, \d+ used")
    need("print", rf"\$\d+ = {page_hex}\n")
    need("print", r"\$\d+ = Access::Write")
    need("locals", r"^access = Access::Write$", re.M)
    need("print2", r"\$\d+ = [0-9a-f]+-[0-9a-f]+ [-r][-w][-x]p [0-9a-f]{8}")
    need("print2", r"\$\d+ = \(AvlNode \*\) 0x")
    # The region tree prints as its regions in address order: the same lines as vm-maps (before the fault).
    tree = re.findall(r"\[\d+\] = ([0-9a-f]+-[0-9a-f]+ [-r][-w][-x][ps] [0-9a-f]{8})", section(out, "tree"))
    if not re.search(r"\$\d+ = \d+ regions = \{", section(out, "tree")) or \
            tree != re.findall(r"^([0-9a-f]+-[0-9a-f]+ [-r][-w][-x][ps] [0-9a-f]{8})", section(out, "maps"), re.M):
        problems.append(f"tree: print this->m_regions shows {tree}, not vm-maps' regions")
    need("fault2", rf"fault: pid \d+ \(cowdemo\), write at {page_hex}")
    need("fault2", r"decision: copy-on-write: the page was shared, so it was copied")
    need("procs2", r"cowdemo\n.*cowdemo", re.S)
    need("fault3", r"decision: copy-on-write reuse")
    need("ptov", rf"pid \d+ \(cowdemo\): va {page_hex}\s+RW-U")
    need("step-return", r"priv\s+0x0")
    # At a stop in user mode the kernel is still readable (and the hart is left in user mode).
    need("user-stop", r"\[stack\]")
    need("user-stop", r"Running\s+\d+\s+\d+\s+0x[0-9a-f]+\s+cowdemo")
    need("user-stop", r"priv\s+0x0")
    # vm-maps shows what /proc/self/maps showed: range, rights, offset, name.
    # /proc: "start-end perms offset dev inode   name"; vm-maps: "start-end perms offset   name".
    printed = [(a, b) for a, b in re.findall(r"^([0-9a-f]+-[0-9a-f]+ [-r][-w][-x][ps] [0-9a-f]+) \S+ \d+ *(.*)$",
                                             stdout, re.M)]
    shown = re.findall(r"^([0-9a-f]+-[0-9a-f]+ [-r][-w][-x][ps] [0-9a-f]+) *(.*)$", section(out, "maps"), re.M)
    if not printed or printed != shown:
        problems.append(f"vm-maps shows {shown}, the program's /proc/self/maps {printed}")
    if "Python Exception" in out or "Error occurred in Python" in out:
        problems.append("a command raised a Python exception")
    if status != 0:
        problems.append(f"the program's run ended with status {status}, expected 0")
    if "the child wrote its own copy" not in stdout:
        problems.append("cowdemo did not finish")
    sigframe_session(opts, problems)
    trap_session(opts, problems)
    if opts.kernel_image:
        stepping_session(opts, problems)
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("ok: every gdb command checked against a live kernel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
