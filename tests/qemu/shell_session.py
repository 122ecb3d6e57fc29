#!/usr/bin/env python3
"""Boot to the shell as `make qemu` does, type commands into it, and check what comes back.

  shell_session.py --build DIR [--smp N]

The commands go in through the console (tools/run forwards its standard input to the UART when it runs no
program), one line at a time, and the last one powers the machine off. Checked: the prompt, `help`, a
pipeline, background jobs, exit statuses and signals reported by the shell, /proc, a program from /bin, and a
clean power-off (status 0). (Deaths by signal, which the shell also reports, are tested by the process tests.)
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

COMMANDS = [
    "echo hello-from-the-shell",
    "help",
    "echo one two three | cat",
    "hello",
    "false",
    "sh -c 'exit 3'",
    "sleep 0.1 &",
    "cat /proc/meminfo",
    "ls /bin",
    "cd /tmp",
    "pwd",
    "echo saved > note.txt",
    "cat /tmp/note.txt",
    "poweroff",
]

EXPECT = [
    r"hello-from-the-shell",
    r"\bls\b.*\n",                       # help lists the programs
    r"one two three",
    r"Hello",                            # /bin/hello greets
    r"\[exit 1\]",
    r"\[exit 3\]",
    r"MemTotal:\s+\d+ kB",
    r"ZeroPageHits:",
    r"\$ /tmp\r?\n",
    r"\$ saved\r?\n",
    r"reboot\(2\) from pid \d+: powering off",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--smp", type=int, default=1)
    opts = ap.parse_args()
    cmd = [os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--smp", str(opts.smp), "--timeout", "60"]
    stdin = ("\n".join(COMMANDS) + "\n").encode()
    p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode(errors="replace")
    problems = [f"exit status {p.returncode}, expected 0"] if p.returncode != 0 else []
    problems += [f"output lacks /{rx}/" for rx in EXPECT if not re.search(rx, out)]
    if re.search(r"PANIC", out):
        problems.append("the kernel panicked")
    if problems:
        print("FAILED: " + "; ".join(problems))
        print("\n".join(out.splitlines()[-60:]))
        return 1
    print("ok: shell session")
    return 0


if __name__ == "__main__":
    sys.exit(main())
