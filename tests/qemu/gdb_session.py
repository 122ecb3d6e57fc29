#!/usr/bin/env python3
"""The debugging workflow of the README works: start a program under `tools/run --gdb`, attach gdb-multiarch
with tools/gdbinit, stop in the page-fault handler, look at a backtrace and a variable, then let it finish.

  gdb_session.py --build DIR
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    opts = ap.parse_args()
    kernel = os.path.join(opts.build, "kernel", "kernel.elf")
    program = os.path.join(opts.build, "user", "bin", "hello")
    run = subprocess.Popen([os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--gdb", "--timeout", "90",
                            program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    # tools/run prints the port before QEMU starts.
    port = None
    deadline = time.monotonic() + 30
    banner = b""
    while port is None and time.monotonic() < deadline:
        line = run.stderr.readline()
        if not line:
            break
        banner += line
        m = re.search(rb"target remote :(\d+)", line)
        if m:
            port = int(m.group(1))
    if port is None:
        run.kill()
        print("FAILED: tools/run --gdb printed no gdb command:\n" + banner.decode(errors="replace"))
        return 1
    script = f"""
set confirm off
target remote :{port}
break kernel_main
continue
break AddressSpace::handle_fault
continue
bt 6
print/x va
info symbol $pc
delete
continue
"""
    with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
        f.write(script)
        script_path = f.name
    try:
        gdb = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-x", os.path.join(ROOT, "tools", "gdbinit"), "-x",
                              script_path, kernel], capture_output=True, timeout=90)
    finally:
        os.unlink(script_path)
    out = gdb.stdout.decode(errors="replace") + gdb.stderr.decode(errors="replace")
    try:
        status = run.wait(timeout=60)
    except subprocess.TimeoutExpired:
        run.kill()
        status = "timeout"
    expect = [r"Breakpoint \d+, kernel_main", r"Breakpoint \d+, AddressSpace::handle_fault",
              r"#\d+ .*user_page_fault", r"\$\d+ = (\{\s*m_value = )?0x[0-9a-f]+"]
    problems = [f"gdb output lacks /{rx}/" for rx in expect if not re.search(rx, out)]
    if status != 0:
        problems.append(f"the program's run ended with status {status}, expected 0")
    if problems:
        print("FAILED: " + "; ".join(problems))
        print(out[-4000:])
        return 1
    print("ok: gdb stopped in kernel_main and in the page-fault handler, with a backtrace, then the run finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
