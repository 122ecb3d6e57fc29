#!/usr/bin/env python3
"""Run one user test program on our kernel or on the Linux reference, and check it.

  user_test.py --build DIR --source user/tests/NAME.c --mode linux   (or any user/DIR/NAME.c)
      run under qemu-riscv64-static (Linux semantics); the test must exit with the expected status.
  user_test.py --build DIR --source user/tests/NAME.c --mode kernel --smp N
      run the reference first, then on our kernel with tools/run; the exit status must be the expected one
      and standard output identical to the reference's (unless the test says its output is nondeterministic).
The reference runs with a /tmp of its own (private_tmp). Its result is kept in BUILD/test-reference/ for the
same program, arguments and input: the kernel runs of a test use the one its linux run left (ctest runs that
first) instead of running qemu-user again; tests with disks run it every time (their images are compared).

Markers, in comment lines of the test source (" TEST: key=value" or " TEST: flag"):
  args=A B C               arguments
  stdin=TEXT               standard input (C escapes \n and \t allowed); empty by default
  mem=64M                  RAM for the kernel run (default 128M)
  timeout=S                seconds (default 60)
  status=N                 expected exit status (default 0)
  smp=1,4                  kernel runs only for these hart counts (default: every one asked for)
  kernel-only              no qemu-user run (the behaviour cannot be observed there); no output comparison
  kernel-skip=REASON       skip the kernel runs, saying why (a feature of a later issue); the reference runs
  nondeterministic-output  check the status only
  kernel-log=REGEX         the kernel log must have a line matching REGEX (Python syntax); may be repeated
  disk=SIZE[,OPTION...]    a fresh zero-filled disk image of SIZE (4M, 512K) for each run; repeat for more
                           disks (/dev/vda, /dev/vdb... in order). On the kernel they are virtio-blk disks
                           (tools/run --disk); under qemu-user the program gets the image files instead: every
                           argument /dev/vdX is replaced by disk X's image path. Options:
                             errors=read@S+write@S+flush   blkdebug fails reads/writes touching sector S (and
                                                           flushes) with EIO (kernel runs only)
                             readonly                      a read-only disk (kernel runs only)
                           After the runs, each kernel disk image must equal the reference's, byte for byte,
                           unless the test is kernel-only.
  swap=SIZE                a swap area of SIZE for the kernel run (tools/run --swap: mkswap'd, swapped on at
                           boot); the reference runs without (under qemu-user the memory is the host's)
  kernel-args=WORDS        extra kernel command-line words for the kernel run (tools/run --append), for example
                           replacement=aging
  runtests-skip=REASON     /bin/runtests (the tests in the running system, at /tests: tools/mktestsdisk) skips
                           the test: it needs the machine to itself (it signals every process, or measures free
                           memory that the shell's page cache changes); make test runs it as any other
  icount                   the kernel run counts instructions (tools/run --icount: guest time follows the
                           instructions executed, 1 ns each), so that times measured in the guest do not
                           depend on the host's load
  disk-check=FUNCTION      a check of the kernel's disk images after the run: FUNCTION in disk_checks.py is
                           called with the list of image paths and returns a list of problems
Exit status 77 means "skipped" (ctest SKIP_RETURN_CODE).

Options: --dynamic runs the dynamically linked build (BUILD/user/tests-dyn/NAME; under qemu-user with -L and
the cross toolchain's glibc). --virtio legacy runs the kernel with the legacy virtio-mmio transport (tools/run --legacy-virtio).
--kernel-image ELF runs another kernel image (the debug kernel, build/riscv/kernel/kernel-debug.elf: it is
slower, so the test's timeout is tripled).
"""
import argparse
import atexit
import base64
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def markers(source):
    m = {"args": "", "mem": "128M", "timeout": "60", "status": "0", "smp": None, "kernel-log": [], "disk": []}
    flags = set()
    with open(source) as f:
        for line in f:
            hit = re.search(r"\bTEST:\s*(.*?)\s*(\*/)?\s*$", line)
            if not hit:
                continue
            item = hit.group(1)
            if "=" in item:
                k, v = item.split("=", 1)
                if k.strip() in ("kernel-log", "disk"):
                    m[k.strip()].append(v.strip())
                else:
                    m[k.strip()] = v.strip()
            else:
                flags.add(item.strip())
    return m, flags


def is_dynamic(binary):
    """Whether an ELF64 program has a PT_INTERP (is run by a dynamic loader)."""
    import struct
    with open(binary, "rb") as f:
        data = f.read(4096)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return any(struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 3 for i in range(phnum))


def run(cmd, timeout, env=None, stdin=b""):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, input=stdin,
                           timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or b"", e.stderr or b""


def private_tmp(keep):
    """A prefix that runs a command with an empty /tmp of its own (a tmpfs in a new mount namespace; as root).

    The qemu-user reference runs on the host: the .linux, .smp1 and .smp4 runs of one test run it at the same
    time, and other test runs may share the machine, so a test's fixed name such as /tmp/objstore.db would be
    shared among them (one run truncated the store another was reading). In the guest every boot has its own
    /tmp; this gives the reference the same. The directories in `keep` that lie under /tmp (the build and the
    source tree of a clone made in /tmp) are bound back in from the host's /tmp, reached through a descriptor
    opened before the tmpfs hides it. Empty when not root or when the host refuses namespaces (then the host's
    /tmp is used)."""
    script = ['exec 3</tmp', 'mount -t tmpfs -o size=1g tmpfs /tmp']
    for path in sorted({os.path.realpath(k) for k in keep}):
        if path.startswith("/tmp/"):
            rel = path[len("/tmp/"):]
            script.append(f'mkdir -p "/tmp/{rel}" && mount --no-canonicalize --bind "/proc/self/fd/3/{rel}" "/tmp/{rel}"')
    script.append('exec 3<&-')
    script.append('exec "$@"')
    # As root only a mount namespace: a user namespace would take privileges the tests use (chown to any uid,
    # setgroups, mlockall, scheduling policies) away from the reference.
    if os.geteuid() != 0:
        return []
    prefix = ["unshare", "--mount", "sh", "-ec", "\n".join(script), "private-tmp"]
    try:
        ok = subprocess.run(prefix + ["true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return prefix if ok else []


def reference_cache(build, binary, args, stdin):
    """Where the qemu-user reference's result for this program and these arguments is kept, and the key that
    says it is still the same program: each test's .linux run writes it, and its kernel runs (ordered after it
    by ctest DEPENDS) read it instead of running qemu-user again. A rebuilt program has a new key."""
    st = os.stat(binary)
    key = {"runner": "private-tmp 2", "binary": os.path.realpath(binary), "mtime_ns": st.st_mtime_ns, "size": st.st_size, "args": args,
           "stdin": stdin.decode(errors="replace")}
    name = os.path.relpath(os.path.realpath(binary), os.path.realpath(build)).replace(os.sep, "_")
    return os.path.join(build, "test-reference", name + ".json"), key


def load_reference(path, key):
    try:
        with open(path) as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return None
    if saved.get("key") != key:
        return None
    return saved["status"], base64.b64decode(saved["stdout"]), base64.b64decode(saved["stderr"])


def save_reference(path, key, status, out, err):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".ref-")
    with os.fdopen(fd, "w") as f:
        json.dump({"key": key, "status": status, "stdout": base64.b64encode(out).decode(),
                   "stderr": base64.b64encode(err).decode()}, f)
    os.replace(tmp, path)  # atomic: a kernel run reading it sees the old file or the new one


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


class Disks:
    """The disk images of one run (disk= markers), in a temporary directory (under the build directory: the
    qemu-user reference sees a /tmp of its own, see private_tmp)."""

    EVENTS = {"read": "read_aio", "write": "write_aio", "flush": "flush_to_disk"}
    parent = None  # set by main: BUILD/test-disks

    def __init__(self, specs, tag):
        self.dir = tempfile.mkdtemp(prefix=f"user-test-{tag}-", dir=Disks.parent)
        atexit.register(self.cleanup)  # also on the early returns (skips)
        self.images = []
        self.run_options = []
        for i, spec in enumerate(specs):
            size, *options = spec.split(",")
            image = os.path.join(self.dir, f"vd{chr(ord('a') + i)}.img")
            with open(image, "wb") as f:
                f.truncate(parse_size(size))
            self.images.append(image)
            option = image
            for o in options:
                if o == "readonly":
                    option += ",readonly"
                elif o.startswith("errors="):
                    config = os.path.join(self.dir, f"vd{chr(ord('a') + i)}.blkdebug")
                    with open(config, "w") as f:
                        for rule in o[len("errors="):].split("+"):
                            event, _, sector = rule.partition("@")
                            # iotype: an armed rule fails requests of every type touching its sector unless
                            # told which (QEMU's default): a read rule would fail writes of the sector too.
                            f.write(f'[inject-error]\nevent = "{self.EVENTS[event]}"\niotype = "{event}"\n'
                                    'errno = "5"\n')
                            if sector:
                                f.write(f'sector = "{int(sector)}"\n')
                            f.write('once = "off"\n\n')
                    option += f",blkdebug={config}"
                else:
                    raise SystemExit(f"unknown disk option {o!r}")
            self.run_options.append(option)

    def substitute(self, args):
        """Arguments naming /dev/vdX become the image paths (for the qemu-user reference)."""
        names = {f"/dev/vd{chr(ord('a') + i)}": image for i, image in enumerate(self.images)}
        return [names.get(a, a) for a in args]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def compare_images(kernel_disks, reference_disks):
    problems = []
    for i, (mine, theirs) in enumerate(zip(kernel_disks.images, reference_disks.images)):
        with open(mine, "rb") as f:
            a = f.read()
        with open(theirs, "rb") as f:
            b = f.read()
        if a != b:
            first = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
            problems.append(f"disk vd{chr(ord('a') + i)} differs from the reference's from byte {first} "
                            f"(sector {first // 512}) on")
    return problems


def show(title, data, limit=40):
    lines = data.decode(errors="replace").splitlines()
    print(f"---- {title} ({len(lines)} lines, last {min(limit, len(lines))}) ----")
    print("\n".join(lines[-limit:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--mode", choices=["linux", "kernel"], required=True)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--virtio", choices=["modern", "legacy"], default="modern")
    ap.add_argument("--dynamic", action="store_true")
    ap.add_argument("--kernel-image")
    opts = ap.parse_args()

    name = os.path.splitext(os.path.basename(opts.source))[0]
    # user/DIR/NAME.c is built to BUILD/user/DIR/NAME (user/tests, user/vmtricks).
    directory = os.path.relpath(os.path.dirname(os.path.abspath(opts.source)), os.path.join(ROOT, "user"))
    binary = os.path.join(opts.build, "user", directory, name)
    if opts.dynamic:
        binary = os.path.join(opts.build, "user", directory + "-dyn", name)  # user/tests-dyn/NAME
    Disks.parent = os.path.join(opts.build, "test-disks")
    os.makedirs(Disks.parent, exist_ok=True)
    qemu_user = ["qemu-riscv64-static"]
    qemu_env = dict(os.environ, TESTLIB_REFERENCE="qemu-user")
    if is_dynamic(binary):
        # qemu-user finds the loader and libraries under the cross toolchain's root (QEMU_LD_PREFIX is -L, and
        # is passed on to the programs a test runs through qemu-user).
        qemu_env["QEMU_LD_PREFIX"] = os.environ.get("RISCV_SYSROOT", "/usr/riscv64-linux-gnu")
    m, flags = markers(opts.source)
    args = m["args"].split()
    stdin = m.get("stdin", "").replace("\\n", "\n").replace("\\t", "\t").encode()
    timeout = float(m["timeout"])
    want_status = int(m["status"])

    reference = None
    reference_disks = Disks(m["disk"], "reference") if m["disk"] and "kernel-only" not in flags else None
    if "kernel-only" not in flags:
        env = qemu_env
        ref_args = reference_disks.substitute(args) if reference_disks else args
        keep = [ROOT, opts.build] + ([qemu_env["QEMU_LD_PREFIX"]] if "QEMU_LD_PREFIX" in qemu_env else [])
        # (a run with disks compares the reference's images with the kernel's: it runs the reference itself)
        cache, key = reference_cache(opts.build, binary, ref_args, stdin) if not reference_disks else (None, None)
        saved = load_reference(cache, key) if cache and opts.mode == "kernel" else None
        if saved:
            status, out, err = saved
        else:
            status, out, err = run(private_tmp(keep) + qemu_user + [binary] + ref_args, timeout, env, stdin)
            if cache and status != "timeout":  # (a reference that timed out, perhaps under load, is run again)
                save_reference(cache, key, status, out, err)
        if status != want_status:
            if opts.mode == "linux":
                print(f"FAILED under qemu-user: exit status {status}, expected {want_status}")
                show("stdout", out)
                show("stderr", err)
                return 1
            print(f"note: the qemu-user reference exited with {status}; not comparing output")
            if reference_disks:
                reference_disks.cleanup()
                reference_disks = None
        else:
            reference = out
    if opts.mode == "linux":
        if reference_disks:
            reference_disks.cleanup()
        if "kernel-only" in flags:
            print("skipped: kernel-only test")
            return 77
        print(f"ok: {name} under qemu-user")
        return 0

    if m.get("kernel-skip"):
        print(f"skipped on the kernel: {m['kernel-skip']}")
        return 77
    if m["smp"] and str(opts.smp) not in m["smp"].split(","):
        print(f"skipped: {name} runs with smp={m['smp']}")
        return 77
    with tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False) as log:
        log_path = log.name
    kernel_disks = Disks(m["disk"], "kernel") if m["disk"] else None
    disk_args = []
    if kernel_disks:
        for option in kernel_disks.run_options:
            disk_args += ["--disk", option]
        if opts.virtio == "legacy":
            disk_args.append("--legacy-virtio")
    image_args = []
    mem = m["mem"]
    if opts.kernel_image:
        image_args = ["--kernel", opts.kernel_image]
        timeout *= 3
        # The debug kernel's image is about 5 MiB larger (UBSan's checks and tables) and its heap objects carry
        # redzones: 8 MiB more RAM keeps a small machine (mem=32M, the swap tests) able to unpack the initramfs.
        mem = f"{parse_size(mem) // (1 << 20) + 8}M"
    if m.get("swap"):
        disk_args += ["--swap", m["swap"]]
    if m.get("kernel-args"):
        disk_args += ["--append", m["kernel-args"]]
    if "icount" in flags:
        disk_args.append("--icount")
    cmd = [os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--smp", str(opts.smp), "--mem", mem,
           "--timeout", str(timeout), "--log", log_path] + image_args + disk_args + [binary] + args
    status, out, err = run(cmd, timeout + 30, None, stdin)
    with open(log_path, "rb") as f:
        kernel_log = f.read()
    os.unlink(log_path)
    problems = []
    if status != want_status:
        problems.append(f"exit status {status}, expected {want_status}")
    if reference is not None and "nondeterministic-output" not in flags and out != reference:
        problems.append("standard output differs from the qemu-user reference")
    log_lines = kernel_log.decode(errors="replace").splitlines()
    for pattern in m["kernel-log"]:
        if not any(re.search(pattern, line) for line in log_lines):
            problems.append(f"no kernel log line matches {pattern!r}")
    if kernel_disks:
        if reference_disks and reference is not None:
            problems += compare_images(kernel_disks, reference_disks)
        if m.get("disk-check"):
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import disk_checks
            problems += getattr(disk_checks, m["disk-check"])(kernel_disks.images)
        kernel_disks.cleanup()
    if reference_disks:
        reference_disks.cleanup()
    if problems:
        print(f"FAILED: {name} on the kernel (smp={opts.smp}): " + "; ".join(problems))
        print("command: " + " ".join(cmd))
        if reference is not None and out != reference:
            diff = difflib.unified_diff(reference.decode(errors="replace").splitlines(),
                                        out.decode(errors="replace").splitlines(), "qemu-user", "kernel",
                                        lineterm="")
            print("\n".join(list(diff)[:60]))
        show("stdout", out)
        show("stderr", err)
        show("kernel log", kernel_log)
        return 1
    variant = (", legacy virtio" if opts.virtio == "legacy" else "") + (", " + os.path.basename(opts.kernel_image) if opts.kernel_image else "")
    print(f"ok: {name}{' (dynamic)' if opts.dynamic else ''} on the kernel (smp={opts.smp}{variant})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
