#!/usr/bin/env python3
"""The gdb commands of tools/gdb/kernel.py work against a live kernel: a scripted gdb session (batch mode) runs
user/bin/cowdemo under `tools/run --gdb`, stops at its page faults with break-fault and checks what each command
prints: fault (demand-zero, then the child's copy-on-write copy, then the parent's reuse), vm-maps (the same
regions as the /proc/self/maps the program printed), pt and vtop (the page is mapped, and writable only after the
fault), ptov, procs, frames, the pretty-printers, step-return.

  gdb_helpers.py --build DIR [--smp N]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--smp", type=int, default=1)
    opts = ap.parse_args()
    kernel = os.path.join(opts.build, "kernel", "kernel.elf")
    program = os.path.join(opts.build, "user", "bin", "cowdemo")
    page = symbol_address(program, "page")
    run = subprocess.Popen([os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--gdb", "--timeout", "150",
                            "--smp", str(opts.smp), program], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL)
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
        run.kill()
        print("FAILED: tools/run --gdb printed no gdb command")
        return 1
    mark = lambda name: f"echo === {name} ===\\n"
    script = f"""
target remote :{port}
add-symbol-file {program}
{mark("help")}
info address page
help kernel
break-fault cowdemo {page:#x}
continue
{mark("pt-before")}
pt cowdemo {page:#x}
{mark("maps")}
vm-maps
{mark("print")}
print va
print access
print *(Region*)((char*)this->m_regions.m_root - (unsigned long)&((Region*)0)->m_tree_node)
print this->m_regions.m_root->m_left
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
    with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
        f.write(script)
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
        run.kill()
        stdout, status = b"", "timeout"
    stdout = stdout.decode(errors="replace")
    print(out)
    problems = []

    def need(name, rx, flags=0):
        if not re.search(rx, section(out, name), flags):
            problems.append(f"{name}: no /{rx}/")

    need("help", r"procs, vm-maps, pt, vtop")
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
    need("frames", r"frames: \d+ managed, \d+ free, \d+ used")
    need("print", rf"\$\d+ = {page_hex}\n")
    need("print", r"\$\d+ = Access::Write")
    need("print", r"\$\d+ = [0-9a-f]+-[0-9a-f]+ [-r][-w][-x]p [0-9a-f]{8}")
    need("print", r"\$\d+ = \(AvlNode \*\) 0x")
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
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("ok: every gdb command checked against a live kernel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
