#!/usr/bin/env python3
"""The behaviour tests in the running system: boot as `make qemu` does (the tests disk, build/riscv/tests.img,
mounted read-only at /tests) and run /bin/runtests from the shell.

  runtests_session.py --build DIR [--smp N] [--all]

Checked: /tests/README is there; `runtests -l` says which tests this machine runs and why the others are
skipped (a disk, RAM, a machine of its own); `runtests NAMES/PATTERNS` runs them (arguments, standard input, a
test of the terminal: tty_ioctl) with one OK line each and a summary, exit status 0; an unknown name is an error
(status 1); ^C ends a test and the run ("runtests: interrupted"). With --all: `runtests` runs every test this
machine can run, and none may fail (the time is printed).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shell_session import Console, NL  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

STEPS = [
    ("", r"`poweroff` to stop the machine"),
    ("cat /tests/README\n", r"`runtests` runs every one this machine can run"),
    ("runtests -l hello_glibc mm_zero_page sig_kill_init blk_io\n",
     r"blk_io +needs disks \(4M\) \(make test runs it\)" + NL + r"hello_glibc +runs here" + NL
     + r"mm_zero_page +written for 64M of RAM \(make qemu MEM=64M\)" + NL
     + r"sig_kill_init +needs a machine of its own: kill\(-1, sig\)"),
    ("runtests hello_glibc stdin_eof tty_ioctl 'pipe*' mm_zero_page\n",
     r"hello_glibc: OK \([\d.]+s\)" + NL + r"mm_zero_page: skipped: written for 64M of RAM \(make qemu MEM=64M\)" + NL
     + r"pipe_size: OK \([\d.]+s\)" + NL + r"pipes: OK \([\d.]+s\)" + NL + r"stdin_eof: OK \([\d.]+s\)" + NL
     + r"tty_ioctl: OK \([\d.]+s\)" + NL + r"runtests: 5 passed, 0 failed, 1 skipped" + NL),
    ("echo status=$?\n", NL + r"status=0" + NL),
    ("runtests no_such_test\n", r"runtests: no test named no_such_test"),
    ("echo status=$?\n", NL + r"status=1" + NL),
    # ^C while a test runs (sig_alarm_pipe takes about 3 s): the test and the run end.
    ("runtests sig_alarm_pipe\n", r"runtests sig_alarm_pipe" + NL),
    ("PAUSE", None),
    ("PAUSE", None),
    ("\x03", r"sig_alarm_pipe: FAIL \(killed by signal 2(.|\n)*runtests: interrupted" + NL),
    ("echo after-interrupt\n", NL + r"after-interrupt" + NL),
]
ALL_STEPS = [
    ("", r"`poweroff` to stop the machine"),
    ("runtests\n", r"runtests: \d+ passed, \d+ failed, \d+ skipped" + NL),
    ("echo status=$?\n", NL + r"status=\d+" + NL),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--all", action="store_true")
    opts = ap.parse_args()
    disk = os.path.join(opts.build, "tests.img")
    cmd = [os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--smp", str(opts.smp), "--timeout",
           "1500" if opts.all else "150", "--disk", disk + ",readonly", "--append", "mount=vda:/tests:ro"]
    console = Console(cmd)
    problems = []
    start = time.monotonic()
    try:
        for typed, pattern in (ALL_STEPS if opts.all else STEPS) + [("poweroff\n", r"powering off")]:
            if typed == "PAUSE":
                time.sleep(0.5)
                continue
            console.send(typed)
            if pattern and not console.expect(pattern, 1400 if opts.all else 60):
                problems.append(f"after typing {typed!r}: no /{pattern}/")
                break
        status = console.finish(30)
    finally:
        console.stop()
    if status != 0 and not problems:
        problems.append(f"exit status {status}, expected 0")
    out = console.output.replace("\r", "")
    if opts.all:
        summary = [line for line in out.split("\n") if line.startswith("runtests: ")]
        print(f"{summary[-1] if summary else 'no summary'} in {time.monotonic() - start:.0f} s")
        failed = [line for line in out.split("\n") if ": FAIL (" in line]
        if failed or not summary or " 0 failed" not in summary[-1]:
            problems.append("tests failed in the running system:\n    " + "\n    ".join(failed))
    if problems:
        print("console:\n" + out[-6000:])
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
