"""Host-side checks of disk images after a QEMU user test (the disk-check= marker of tests/qemu/user_test.py).

Each function gets the list of the run's image paths (vda first) and returns a list of problems (empty: fine).
blk_pattern is user/lib/blktest.h's, computed the same way."""

MASK = (1 << 64) - 1


def blk_word(index, seed):
    x = (index * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 29
    x = (x * 0x94D049BB133111EB) & MASK
    x ^= x >> 32
    return x


def blk_pattern(offset, seed):
    return (blk_word(offset >> 3, seed) >> (8 * (offset & 7))) & 0xFF


def pattern_bytes(start, end, seed):
    """The pattern of disk bytes [start, end) (a word at a time)."""
    first, last = start >> 3, (end + 7) >> 3
    words = b"".join(blk_word(i, seed).to_bytes(8, "little") for i in range(first, last))
    return words[start - first * 8:end - first * 8]


def expect_pattern(data, start, end, seed, what):
    expected = pattern_bytes(start, end, seed)
    if data[start:end] == expected:
        return []
    bad = next(i for i in range(start, end) if data[i] != expected[i - start])
    return [f"{what}: byte {bad} (sector {bad // 512}) is {data[bad]:#04x}, expected {expected[bad - start]:#04x}"]


def expect_zeros(data, start, end, what):
    bad = next((i for i in range(start, end) if data[i] != 0), None)
    return [] if bad is None else [f"{what}: byte {bad} (sector {bad // 512}) is not zero"]


def blk_errors(images):
    """user/tests/blk_errors.c: vda holds pattern 7 in 64 KiB chunks, except the chunk whose write failed (the
    one holding sector 4096), which stays zero; vdb has its 4 KiB written; vdc is untouched (read-only)."""
    with open(images[0], "rb") as f:
        vda = f.read()
    chunk = 64 * 1024
    bad = (4096 * 512) // chunk * chunk
    problems = expect_pattern(vda, 0, bad, 7, "vda")
    problems += expect_zeros(vda, bad, bad + chunk, "vda (the failed write)")
    problems += expect_pattern(vda, bad + chunk, len(vda), 7, "vda")
    with open(images[1], "rb") as f:
        vdb = f.read()
    problems += expect_pattern(vdb, 0, 4096, 8, "vdb")
    with open(images[2], "rb") as f:
        vdc = f.read()
    problems += expect_zeros(vdc, 0, len(vdc), "vdc (read-only)")
    return problems
