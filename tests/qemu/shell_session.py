#!/usr/bin/env python3
"""Boot to the shell as `make qemu` does, type commands into it, and check what comes back.

  shell_session.py --build DIR [--smp N]

The commands go in through the console (tools/run forwards its standard input to the UART when it runs no
program), one step at a time: each step types something and waits for what the console must show before the
next one, as a person at the keyboard would. Checked:
  - the prompt, `help`, a pipeline, background jobs, exit statuses reported by the shell, /proc, a program
    from /bin, files in /tmp;
  - job control, with the control keys a person presses: ^C (byte 3) kills the running program and not the
    shell; ^Z (byte 26) stops it, `jobs` lists it, `fg` brings it back (it goes on reading where it was), `bg`
    lets a stopped job finish in the background; ^D ends a program's input;
  - line editing at the prompt: Backspace, ^U, the arrows, history, Tab completion, ^C; $? and wait; ^T (the
    kernel's process list);
  - tty_job_control (user/tests/tty), run from this shell because it needs the console as a terminal: the
    console's job-control ioctls, SIGTTIN, SIGTTOU, ^C/^\\/^Z to the foreground group, EINTR and SA_RESTART on a
    terminal read, SIGHUP when the session leader exits;
  - a clean power-off (status 0).
(Deaths by signal, which the shell also reports, are tested by the process tests.)
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NL = r"\r?\n"

# (what to type, what must appear after it). "\x03" is ^C, "\x1a" ^Z, "\x04" ^D; PAUSE waits half a second.
# (The prompt, "$ ", is not followed by a newline, and tools/run shows the console a line at a time: a prompt
# shows up in front of whatever comes next; and what the test types is echoed as it arrives, so on a loaded
# machine the echo of a command can come before the prompt the shell prints for it: "echo $ hello". The steps
# look at the console with every prompt left out, wherever it is.)
STEPS = [
    ("", r"`poweroff` to stop the machine"),
    ("echo hello-from-the-shell\n", r"echo hello-from-the-shell" + NL + r"hello-from-the-shell" + NL),
    ("help\n", r"\bls\b.*\n"),                          # help lists the programs
    ("echo one two three | cat\n", r"one two three" + NL),
    ("hello\n", r"Hello"),                                # /bin/hello greets
    ("hello_dynamic\n", r"dynamically linked(.|\n)*/lib/libc\.so\.6"),  # run by ld.so, libc mapped from /lib
    ("libc_share 3\n", r"divided among about \d+ processes \(3 copies of me started\)"),
    ("false\n", r"\[exit 1\]" + NL),
    ("sh -c 'exit 3'\n", r"\[exit 3\]" + NL),
    ("sleep 0.1 &\n", r"\[\d+\] \d+" + NL),
    ("cat /proc/meminfo\n", r"MemTotal:\s+\d+ kB(.|\n)*ZeroPageHits:"),
    ("ls /bin\n", r"ls /bin" + NL + r"(.|\n)*\bsh\b"),
    ("cd /tmp\n", r"cd /tmp" + NL),
    ("pwd\n", r"/tmp" + NL),
    ("echo saved > note.txt\n", r"echo saved > note.txt" + NL),
    ("cat /tmp/note.txt\n", r"saved" + NL),
    # ^C: cat reads the terminal (the second "ping" is cat's output, after the echo); ^C kills it, not the shell.
    ("cat\n", r"cat" + NL),
    ("ping\n", r"ping" + NL + r"ping" + NL),
    ("\x03", r"\[killed by SIGINT\]" + NL),
    ("echo the-shell-survived\n", r"the-shell-survived" + NL),
    # ^Z stops cat; jobs shows it; fg resumes it, and it reads on where it was; ^D ends it.
    ("cat\n", r"cat" + NL),
    ("one\n", r"one" + NL + r"one" + NL),
    ("\x1a", r"\[1\] stopped  cat" + NL),
    ("jobs\n", r"jobs" + NL + r"\[1\] stopped  cat" + NL),
    ("fg\n", r"fg" + NL + r"cat" + NL),
    ("two\n", r"two" + NL + r"two" + NL),
    ("\x04", None),
    ("echo cat-is-done\n", r"cat-is-done" + NL),
    # bg: a stopped sleep finishes in the background and is reported before a later prompt.
    ("sleep 3\n", r"sleep 3" + NL),
    ("PAUSE", None),                                      # (so that sleep runs before ^Z)
    ("PAUSE", None),
    ("\x1a", r"\[1\] stopped  sleep 3" + NL),
    ("bg\n", r"\[1\] sleep 3 &" + NL),
] + [("PAUSE", None)] * 7 + [
    ("echo after\n", r"\[1\] done \(status 0\)  sleep 3" + NL + r"(.|\n)*after" + NL),
    # Line editing at the prompt (user/bin/sh.c, "Line editing"): Backspace, ^U, Left, history with Up (the line
    # comes back: the prompt and the line drawn again, ESC [K erasing the rest), `history`, Tab completing a
    # program and a file name, ^C abandoning a line, $?, wait, and the kernel's ^T process list.
    ("echo abX\x7fc\n", NL + r"abc" + NL),
    ("echo wrong\x15echo right\n", NL + r"right" + NL),
    ("echo lft\x1b[D\x1b[Dx\n", NL + r"lxft" + NL),
    ("echo history-one\n", NL + r"history-one" + NL),
    ("\x1b[A\n", r"echo history-one\x1b\[K" + NL + r"history-one" + NL),
    ("history\n", r"\d+  echo history-one" + NL + r"\s+\d+  history" + NL),
    ("ech\t tab-done\n", r"echo  tab-done" + NL + r"tab-done" + NL),
    ("cat /proc/memi\t\n", r"cat /proc/meminfo " + NL + r"MemTotal:"),
    # (^C throws away what the terminal holds unread: the line goes in first, as a person types it; the console
    # shows it only with the newline after ^C.)
    ("echo never-run", None),
    ("PAUSE", None),
    ("\x03", r"echo never-run\^C" + NL),
    ("echo after-ctrl-c\n", NL + r"after-ctrl-c" + NL),
    ("sh -c 'exit 7'\n", r"\[exit 7\]" + NL),
    ("echo status=$?\n", NL + r"status=7" + NL),
    ("sleep 0.2 &\n", r"\[\d+\] \d+" + NL),
    ("wait\n", r"wait" + NL + r"\[\d+\] done \(status 0\)  sleep 0\.2" + NL),
    ("\x14", r"PID\s+PPID\s+STATE\s+THREADS\s+NAME" + NL + r"\s+1\s+0\s+sleeping\s+1\s+init" + NL
     + r"(.|\n)*\s+1\s+sh" + NL),
    ("echo after-status\n", NL + r"after-status" + NL),
    # The terminal's job control, checked by a program that needs the console as its terminal (it takes the
    # terminal from this shell's session: last).
    ("tty_job_control\n", r"PASS" + NL),
    ("poweroff\n", r"reboot\(2\) from pid \d+: powering off"),
]


def die_with_parent(sig):
    """For Popen's preexec_fn: the child gets sig when this script dies, however it dies (PR_SET_PDEATHSIG)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, int(sig), 0, 0, 0)


class Console:
    """tools/run with a pipe for standard input and one for the output, read by a thread."""

    def __init__(self, cmd):
        # tools/run gets SIGTERM if this script dies (a ctest timeout), and ends its QEMU (tools/run: die_with_parent).
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     preexec_fn=lambda: die_with_parent(signal.SIGTERM))
        self.output = ""
        self.position = 0  # what expect() has matched so far
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            data = self.proc.stdout.read1(4096)
            if not data:
                return
            with self.lock:
                self.output += data.decode(errors="replace")

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def expect(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                without_prompts = self.output.replace("$ ", "")
                m = rx.search(without_prompts, self.position)
                if m:
                    self.position = m.end()
                    return True
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        return False

    def finish(self, timeout):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return "timeout"

    def stop(self):
        """End tools/run and its QEMU: SIGTERM (tools/run kills QEMU and removes its files), then SIGKILL (QEMU
        dies with it all the same: PR_SET_PDEATHSIG)."""
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--smp", type=int, default=1)
    opts = ap.parse_args()
    cmd = [os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--smp", str(opts.smp), "--timeout", "150"]
    console = Console(cmd)
    problems = []
    try:
        for typed, pattern in STEPS:
            if typed == "PAUSE":
                time.sleep(0.5)
                continue
            console.send(typed)
            if pattern and not console.expect(pattern, 60):
                problems.append(f"after typing {typed!r}: no /{pattern}/")
                break
        status = console.finish(30)
    finally:
        console.stop()  # whatever happened above (a timeout, an exception): no QEMU outlives the test
    if status != 0:
        problems.append(f"exit status {status}, expected 0")
    if re.search(r"PANIC", console.output):
        problems.append("the kernel panicked")
    if problems:
        print("FAILED: " + "; ".join(problems))
        print("\n".join(console.output.splitlines()[-60:]))
        return 1
    print("ok: shell session")
    return 0


if __name__ == "__main__":
    sys.exit(main())
