#!/usr/bin/env python3
"""Boot to the shell on a terminal, as `make qemu` does for a person, and check what only a terminal gets.

  terminal_session.py --build DIR [--smp N] [--make]

tools/run runs on a pseudo-terminal (its standard input and output a tty: the interactive case, where QEMU's
console and monitor pass through tools/run with the terminal in raw mode). Checked:
  - the shell's prompt comes (the time it took is printed);
  - a program started from the shell that dies of a fault gets the line naming its function and source line
    ("pc 0x10784 in sum (user/bin/crash.c:23)", added by tools/run from the build's copy of the program)
    after the kernel's fault line, and the kernel's likely cause;
  - a key the terminal would otherwise turn into a signal (^C) reaches the guest's shell and not tools/run;
  - Ctrl-A X (QEMU's console multiplexer) leaves QEMU, tools/run exits 0, and the terminal's modes are as they
    were before (raw mode undone).
With --make the command is `make qemu SMP=N` in the tree (the edit-build-boot loop of a built tree: the time to
the prompt includes make's and cmake's check that nothing changed, and the check that cmake did not configure
again: build/riscv/CMakeCache.txt untouched).
"""
import argparse
import os
import re
import select
import signal
import subprocess
import sys
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NL = r"\r?\n"


class Terminal:
    """A command on a pseudo-terminal; expect() reads what it shows."""

    def __init__(self, cmd, cwd=None):
        self.master, slave = os.openpty()
        self.slave = slave
        self.modes = termios.tcgetattr(slave)
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                     preexec_fn=lambda: _set_ctty(slave))
        self.output = ""
        self.position = 0

    def send(self, text):
        os.write(self.master, text.encode())

    def _pump(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every process holding the terminal has gone
                return False
            self.output += data.decode(errors="replace")
            return bool(data)
        return True

    def expect(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = rx.search(self.output, self.position)
            if m:
                self.position = m.end()
                return True
            if not self._pump(min(0.2, max(0.0, deadline - time.monotonic()))) and self.proc.poll() is not None:
                break
        return False

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            self._pump(0.1)
        return self.proc.poll()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _set_ctty(fd):
    import fcntl
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--make", action="store_true", help="run `make qemu` in the tree instead of tools/run")
    ap.add_argument("--verbose", action="store_true", help="show the console")
    opts = ap.parse_args()
    problems = []
    cache = os.path.join(opts.build, "CMakeCache.txt")
    if opts.make:
        if os.path.realpath(opts.build) != os.path.realpath(os.path.join(ROOT, "build", "riscv")):
            print(f"skipped: --make needs the tree's own build directory, not {opts.build}")
            return 77
        cmd = ["make", "-s", "qemu", f"SMP={opts.smp}"]
        cache_mtime = os.stat(cache).st_mtime_ns
        # (Presets or toolchain file newer than the cache, as in a fresh student tree: configuring is expected.)
        configured = all(os.stat(os.path.join(ROOT, f)).st_mtime_ns <= cache_mtime
                         for f in ("CMakePresets.json", "toolchain.cmake"))
    else:
        cmd = [os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--smp", str(opts.smp), "--timeout", "150"]
    start = time.monotonic()
    term = Terminal(cmd, cwd=ROOT)
    try:
        steps = [
            (None, r"`poweroff` to stop the machine(.|\n)*\$ "),
            ("crash null\r", r"pid \d+ \(crash\): load page fault at address 0, pc (0x[0-9a-f]+)[^\n]*" + NL),
            (None, r"pid \d+ \(crash\): pc 0x[0-9a-f]+ in sum \(user/bin/crash\.c:\d+\)" + NL),
            (None, r"likely cause: a NULL pointer dereference"),
            (None, r"\[killed by SIGSEGV\]"),
            # ^C: the guest's shell abandons the line; tools/run is still there to take the next one.
            # (the line first, as a person types it; ^C throws away what the terminal holds unread)
            ("echo never-run", None),
            ("PAUSE", None),
            ("\x03", r"\^C" + NL),
            ("echo after-ctrl-c\r", NL + r"after-ctrl-c" + NL),
            ("\x01x", r"QEMU: Terminated"),
        ]
        for i, (typed, pattern) in enumerate(steps):
            if typed == "PAUSE":
                time.sleep(0.5)
                continue
            if typed:
                term.send(typed)
            if pattern and not term.expect(pattern, 120 if i == 0 else 60):
                problems.append(f"after typing {typed!r}: no /{pattern}/")
                break
            if i == 0:
                print(f"prompt after {time.monotonic() - start:.2f} s ({' '.join(cmd[:2])})")
        status = term.wait(30)
        if not problems and status != 0:
            problems.append(f"exit status {status}, expected 0")
        if status is not None and termios.tcgetattr(term.slave) != term.modes:
            problems.append("the terminal's modes were not restored (still raw)")
        if opts.make and configured and os.stat(cache).st_mtime_ns != cache_mtime:
            problems.append("make qemu configured cmake again (CMakeCache.txt rewritten) though nothing changed")
        if opts.make and configured and re.search(r"Building C|Linking C", term.output):
            problems.append("make qemu compiled something in a built tree")
    finally:
        term.stop()
    if problems:
        print("console:\n" + term.output[-3000:])
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("console:\n" + term.output[-1500:]) if opts.verbose else None
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
