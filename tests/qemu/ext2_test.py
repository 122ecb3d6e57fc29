#!/usr/bin/env python3
"""ext2 on a virtio-blk disk, end to end: the host makes an image with mke2fs, the kernel mounts it at /mnt
(tools/run --disk), programs in user/ext2/ use it, and between boots the host checks it with e2fsck -fn and reads
it with debugfs.

  ext2_test.py --build DIR --scenario NAME --block-size 1024|4096 --smp N

Scenarios:
  persist   ext2_files write, e2fsck, debugfs; a second boot: ext2_files verify, e2fsck, debugfs
  mount     ext2_mount: mount(2)/umount2(2) of the disk, read-only remounts, busy unmounts, ENOSPC, with a
            second (blank) disk for the errors; e2fsck after
  corrupt   the image damaged on purpose (a directory's rec_len, a block number past the end): the program
            gets EIO, the kernel says why and remounts read-only, nothing panics
  ioerror   blkdebug fails reads of one data block: the read gets EIO, the rest works, e2fsck clean after
  crash     QEMU is killed while a program writes; e2fsck -fy repairs the image and the data that was
            fsync'ed before is intact
  pagecache ext2_pagecache: msync writes only the dirty pages of a shared mapping, and a store never msync'ed
            reaches the disk through the flusher before QEMU is killed; then mm_shared_file and fs_copy_range
            (user/tests) on /mnt:
            one page cache for read/write and mappings, SIGBUS past the end after ftruncate; e2fsck after each
  bigmap    a 96 MiB file on a 64 MiB machine, mapped and summed twice and then read (ext2_bigmap): clean pages
            are dropped and read again (major faults, pgsteal_file), every sum is the host's; e2fsck after.
            bigmap_small: 40 MiB on 32 MiB
  readahead ext2_readahead: 8 MiB files read sequentially with read(), scanned through a mapping, read at random
            with pread, and read with read-ahead off (BLKRASET 0); the disk's requests (/proc/diskstats) show the
            read-ahead windows; e2fsck after
Exit status 0 when every check passed; 77 when a tool is missing (skipped).
"""
import argparse
import array
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = {name: shutil.which(name) or shutil.which(name, path="/sbin:/usr/sbin") for name in ("mke2fs", "e2fsck", "debugfs")}


def pattern(size, seed):
    return bytes(((i * 131 + seed * 7 + (i >> 10)) & 0xff) for i in range(size))


class Failure(Exception):
    pass


class Session:
    def __init__(self, opts, work):
        self.opts = opts
        self.work = work
        self.image = os.path.join(work, "disk.img")
        self.log = os.path.join(work, "kernel.log")
        self.problems = []

    def check(self, condition, message):
        if not condition:
            self.problems.append(message)
            print(f"FAIL: {message}")
        return condition

    def mke2fs(self, tree=None, size="32M", extra=()):
        cmd = [TOOLS["mke2fs"], "-q", "-F", "-t", "ext2", "-b", str(self.opts.block_size), *extra]
        if tree:
            cmd += ["-d", tree]
        cmd += [self.image, size]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def binary(self, program):
        """A user/ext2 program by name, or one of user/ as "tests/NAME"."""
        sub = program if "/" in program else os.path.join("ext2", program)
        return os.path.join(self.opts.build, "user", sub)

    def boot(self, program, *args, disks=None, timeout=120, expect_status=0, append="", mem=None):
        """Runs a user/ext2 program on the kernel with the image as /dev/vda; returns (status, stdout, log)."""
        binary = self.binary(program)
        cmd = [os.path.join(ROOT, "tools", "run"), "--build", self.opts.build, "--smp", str(self.opts.smp),
               "--timeout", str(timeout), "--log", self.log]
        if mem:
            cmd += ["--mem", mem]
        for disk in disks or [self.image]:
            cmd += ["--disk", disk]
        if append:
            cmd += ["--append", append]
        cmd += [binary, *args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 60)
        out = p.stdout.decode(errors="replace")
        with open(self.log, errors="replace") as f:
            log = f.read()
        sys.stdout.write(out)
        if expect_status is not None and p.returncode != expect_status:
            print(p.stderr.decode(errors="replace")[-3000:])
            print("---- kernel log (last lines) ----\n" + "\n".join(log.splitlines()[-30:]))
            self.check(False, f"{program} {' '.join(args)} exited with {p.returncode}, expected {expect_status}")
        self.check("PANIC" not in log, "the kernel panicked")
        return p.returncode, out, log

    def boot_and_kill(self, program, *args, marker, delay=2.0, timeout=120):
        """Runs a program that never exits and kills QEMU (a power cut) `delay` seconds after it printed marker.
        Returns its standard output."""
        binary = self.binary(program)
        cmd = [os.path.join(ROOT, "tools", "run"), "--build", self.opts.build, "--smp", str(self.opts.smp),
               "--timeout", str(timeout), "--log", self.log, "--disk", self.image, binary, *args]
        # Its own process group: killing the group kills tools/run and QEMU together.
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
                if marker.encode() in out:
                    time.sleep(delay)
                    break
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        text = out.decode(errors="replace")
        sys.stdout.write(text)
        return text

    def fsck(self, repair=False, quiet=False):
        flag = "-fy" if repair else "-fn"
        p = subprocess.run([TOOLS["e2fsck"], flag, self.image], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode(errors="replace")
        if not repair and not quiet and p.returncode != 0:
            print(out)
        return p.returncode, out

    def require_clean(self, when):
        status, out = self.fsck()
        self.check(status == 0, f"e2fsck -fn found problems {when}")

    def debugfs(self, request):
        p = subprocess.run([TOOLS["debugfs"], "-R", request, self.image], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        return p.stdout

    def state_clean(self):
        with open(self.image, "rb") as f:
            f.seek(1024 + 0x3a)
            return int.from_bytes(f.read(2), "little")


def scenario_persist(s):
    tree = os.path.join(s.work, "tree")
    os.makedirs(os.path.join(tree, "dir", "sub"))
    with open(os.path.join(tree, "host.txt"), "w") as f:
        f.write("made on the host\n")
    with open(os.path.join(tree, "dir", "sub", "data.bin"), "wb") as f:
        f.write(pattern(200 * 1024 + 7, 1))
    os.symlink("host.txt", os.path.join(tree, "link-to-host"))
    s.mke2fs(tree, "48M", ["-N", "4096"])
    bs = str(s.opts.block_size)
    s.boot("ext2_files", "write", bs)
    s.check(s.state_clean() == 1, "the volume is not marked clean after the first boot")
    s.require_clean("after the first boot")
    s.check(s.debugfs("cat /written.txt") == b"FIRST line\nsecond line\nFIRST", "debugfs: /written.txt")
    s.check(s.debugfs("cat /a/hard") == b"FIRST line\nsecond line\nFIRST", "debugfs: /a/hard")
    s.check(s.debugfs("cat /mapped").startswith(b"Wtored through a mapping"), "debugfs: the mapped store")
    owned = s.debugfs("stat /owned").decode()
    s.check("Mode:  0640" in owned and "User:  1234" in owned and "Group:  5678" in owned,
            "debugfs: /owned's mode and owner")
    dense = s.debugfs("cat /dense.bin")
    s.check(len(dense) == 2 * 1024 * 1024 + 333 and dense[:4096] == pattern(4096, 2), "debugfs: /dense.bin")
    # debugfs lists a block's first record even when it is unused (inode 0, its old name kept): skip those.
    names = [m.group(2) for m in re.finditer(r"(\d+)\s+\(\d+\)\s+(\S+)", s.debugfs("ls /many").decode())
             if m.group(1) != "0"]
    count = sum(1 for n in names if n.startswith("file-with-a-longish-name-"))
    s.check(count == 1000 - 334, f"debugfs: /many has {count} entries, not 666")
    s.check(b"Type: FIFO" in s.debugfs("stat /fifo"), "debugfs: /fifo is a FIFO")
    s.boot("ext2_files", "verify", bs)
    s.require_clean("after the second boot")
    s.check(b"File not found" in s.debugfs("stat /many") or s.debugfs("stat /many") == b"", "debugfs: /many removed")
    s.check(s.debugfs("cat /replaced") == b"new\n", "debugfs: /replaced")


def scenario_mount(s):
    s.mke2fs(None, "2M", ["-m", "0", "-N", "64"])
    blank = os.path.join(s.work, "blank.img")
    with open(blank, "wb") as f:
        f.truncate(1024 * 1024)
    s.boot("ext2_mount", str(s.opts.block_size), disks=[s.image, blank])
    s.require_clean("after the mount tests")
    s.check(s.state_clean() == 1, "the volume is not marked clean")


def scenario_corrupt(s):
    tree = os.path.join(s.work, "tree")
    os.makedirs(os.path.join(tree, "bad-dir"))
    with open(os.path.join(tree, "bad-dir", "inside"), "w") as f:
        f.write("x")
    with open(os.path.join(tree, "bad-block"), "wb") as f:
        f.write(pattern(5 * s.opts.block_size, 3))
    s.mke2fs(tree, "8M")
    bs = s.opts.block_size
    # The directory's ".." record gets rec_len 7 (too small, unaligned).
    dir_block = int(s.debugfs("bmap /bad-dir 0").split()[0])
    # i_block[2] of /bad-block gets a block past the end of the disk.
    imap = s.debugfs("imap /bad-block").decode()
    where = imap.split("located at block ")[1]
    table_block = int(where.split(",")[0])
    offset = int(where.split("offset ")[1].split()[0], 16)
    with open(s.image, "r+b") as f:
        f.seek(dir_block * bs + 12 + 4)
        f.write((7).to_bytes(2, "little"))
        f.seek(table_block * bs + offset + 0x28 + 2 * 4)
        f.write((4000000).to_bytes(4, "little"))
    status, out, log = s.boot("ext2_corrupt", str(bs))
    s.check("corrupt file system" in log, "the kernel log names the corruption")
    s.check("remounting read-only" in log, "the kernel log says the volume is remounted read-only")
    status, out = s.fsck(quiet=True)
    s.check(status != 0, "e2fsck does not see the damage")


def scenario_ioerror(s):
    tree = os.path.join(s.work, "tree")
    os.makedirs(tree)
    with open(os.path.join(tree, "data"), "wb") as f:
        f.write(pattern(8 * s.opts.block_size, 4))
    s.mke2fs(tree, "8M")
    bs = s.opts.block_size
    block = int(s.debugfs("bmap /data 3").split()[0])
    config = os.path.join(s.work, "blkdebug.conf")
    with open(config, "w") as f:
        f.write(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{block * bs // 512}"\n')
    s.boot("ext2_ioerror", str(bs), disks=[f"{s.image},blkdebug={config}"])
    s.require_clean("after the I/O errors")


def scenario_crash(s):
    s.mke2fs(None, "16M")
    # The program fsyncs a file, says so, then writes forever: QEMU is killed under it two seconds later.
    out = s.boot_and_kill("ext2_crash", str(s.opts.block_size), marker="synced")
    s.check("synced" in out, "the program did not get to its fsync")
    s.check(s.state_clean() != 1, "a crashed volume is marked clean")
    status, fsck_out = s.fsck(repair=True)
    s.check(status in (0, 1), f"e2fsck -fy could not repair the image (status {status})")
    s.require_clean("after e2fsck -fy")
    data = s.debugfs("cat /synced.bin")
    s.check(data == pattern(300 * 1024, 5), "the fsync'ed file did not survive the crash intact")


def scenario_pagecache(s):
    s.mke2fs(None, "16M")
    s.boot_and_kill("ext2_pagecache", marker="stored without msync", delay=12.0)  # the flusher's period is 5 s
    s.fsck(repair=True, quiet=True)
    s.require_clean("after the power cut and e2fsck -fy")
    data = s.debugfs("cat /pc.bin")
    page = 4096
    s.check(len(data) == 256 * page, f"debugfs: /pc.bin has {len(data)} bytes, not {256 * page}")
    if len(data) == 256 * page:
        s.check(data[3 * page + 10:3 * page + 22] == b"msync page 3", "the msync'ed store in page 3")
        s.check(data[200 * page + 20:200 * page + 34] == b"msync page 200", "the msync'ed store in page 200")
        s.check(data[100 * page + 30:100 * page + 46] == b"flusher page 100", "the flusher's store in page 100")
        s.check(data[:page] == b"A" * page and data[255 * page:] == bytes([ord("A") + 255 % 26]) * page,
                "the pages written with write()")
    s.boot("tests/mm_shared_file", "/mnt")
    s.require_clean("after mm_shared_file")
    s.boot("tests/fs_copy_range", "/mnt")
    s.require_clean("after fs_copy_range")


def scenario_bigmap(s, file_mib=96, mem="64M"):
    """A file larger than RAM, mapped and summed twice, then read (user/ext2/ext2_bigmap.c)."""
    tree = os.path.join(s.work, "tree")
    os.mkdir(tree)
    data = random.Random(11 + file_mib).randbytes(file_mib * 1024 * 1024)
    with open(os.path.join(tree, "big.bin"), "wb") as f:
        f.write(data)
    words = array.array("Q")
    words.frombytes(data)
    if sys.byteorder != "little":
        words.byteswap()
    total = sum(words) & 0xFFFFFFFFFFFFFFFF
    del data, words
    s.mke2fs(tree, f"{file_mib + file_mib // 8 + 8}M")
    shutil.rmtree(tree)
    s.boot("ext2_bigmap", "/mnt/big.bin", f"{total:x}", mem=mem, timeout=240)
    s.require_clean("after ext2_bigmap")


def scenario_bigmap_small(s):
    scenario_bigmap(s, file_mib=40, mem="32M")


def scenario_readahead(s):
    """Read-ahead counted in disk requests (user/ext2/ext2_readahead.c); the files' words are checked there."""
    tree = os.path.join(s.work, "tree")
    os.mkdir(tree)
    k, mask, words = 0x9E3779B97F4A7C15, (1 << 64) - 1, (8 << 20) // 8
    for seed, name in ((1, "seq.bin"), (2, "map.bin"), (3, "rand.bin"), (4, "off.bin")):
        data = array.array("Q", ((i * k + seed) & mask for i in range(words)))
        if sys.byteorder != "little":
            data.byteswap()
        with open(os.path.join(tree, name), "wb") as f:
            data.tofile(f)
    s.mke2fs(tree, "48M")
    shutil.rmtree(tree)
    s.boot("ext2_readahead", "/mnt")
    s.require_clean("after ext2_readahead")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--scenario", required=True, choices=["persist", "mount", "corrupt", "ioerror", "crash", "pagecache", "bigmap",
                                                              "bigmap_small", "readahead"])
    ap.add_argument("--block-size", type=int, default=1024)
    ap.add_argument("--smp", type=int, default=1)
    opts = ap.parse_args()
    if not all(TOOLS.values()):
        print("skipped: e2fsprogs is not installed (tools/setup installs it)")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="ext2-test-")
    try:
        s = Session(opts, work)
        globals()["scenario_" + opts.scenario](s)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if s.problems:
        print(f"{len(s.problems)} problem(s): " + "; ".join(s.problems))
        sys.exit(1)
    print(f"ok: ext2 {opts.scenario} ({opts.block_size}-byte blocks, smp={opts.smp})")


if __name__ == "__main__":
    main()
