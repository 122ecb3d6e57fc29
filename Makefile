# Thin wrapper around CMake for the commands xv6 students know. Everything real is in CMakeLists.txt.
#   make           build the kernel, the user programs and the initramfs
#   make qemu      build the kernel and the initramfs, and boot them in QEMU to a shell (leave QEMU with Ctrl-A X)
#   make qemu-gdb  the same, halted, waiting for gdb (it prints the command to attach); with DEBUG=1 (make qemu
#                  too) the kernel built at -Og (kernel-gdb.elf: locals not <optimized out>, line-by-line stepping)
#   make test      build everything and run every test (host unit tests and QEMU tests, with a fast part of the
#                  Linux selftests)
#   make grade     in a student tree (tools/mklab): run the lab's tests, print points and a total (labs/README.md);
#                  in the main tree name the lab: make grade LAB=cow
#   make test-labs every lab's student tree (tools/mklab) built, graded (0 points) and a sample of the tests not the
#                  lab's passing (the labs.student.* tests, about 3 minutes; CI runs it after make test)
#   make test-long the tests too long for make test (LONG_TESTS in tests/qemu/CMakeLists.txt, and the gdb commands
#                  on the -Og kernel: debug.gdb_helpers.og; CI runs it)
#   make labcheck  the same as test-labs with every test of make test not the lab's: the slow, complete form of
#                  make test-labs (each student tree's make test)
#   make conformance  build the Linux 6.1 kernel selftests and run them on the kernel, on 1 and 4 harts, against
#                  tests/conformance/expected.txt (about 10 minutes; tools/conformance --help)
#   make test-debug  every user test on the debug kernel (make test runs the VM, signal and process ones there)
#   make soak      the system-call fuzzer for a long while: SOAK_CALLS calls (default 10 million) with random
#                  seeds on 1 and 4 harts; prints calls, panics, hangs and leaks (tests/fuzz/fuzz.py); SOAK_SWAP=1:
#                  under memory pressure, the workers' memory going to swap and back
#   make clean
# Options: SMP=N (harts, default 2), MEM=SIZE (default 128M), for example `make qemu SMP=4 MEM=64M`.
SMP ?= 2
MEM ?= 128M
JOBS ?= $(shell nproc)
# QEMU tests wait more than they compute (boots, timers, sleeps: the riscv ctest of make test kept 0.9 of 2 cores
# busy on average), so ctest runs half as many again as there are cores.
TEST_JOBS ?= $(shell echo $$(( $$(nproc) * 3 / 2 )))
RUN := tools/run --smp $(SMP) --mem $(MEM)
# make qemu's machine has the behaviour tests at /tests (the tests disk, read-only; /bin/runtests runs them).
TESTS_DISK := --disk build/riscv/tests.img,readonly --append mount=vda:/tests:ro
DEBUG ?=
ifeq ($(DEBUG),1)
RUN += --kernel build/riscv/kernel/kernel-gdb.elf
endif

SOAK_CALLS ?= 10000000
SOAK_JOBS ?= 1
SOAK_SWAP ?=

.PHONY: all setup setup-conformance boot qemu qemu-gdb kernel-gdb host test test-labs test-long test-debug grade labcheck conformance soak clean

all: setup build/riscv/CMakeCache.txt
	@cmake --build build/riscv -j $(JOBS)

# CMake configures a build directory once (and again only when the presets or the toolchain file change):
# cmake --build configures again by itself when a CMakeLists.txt changed or a globbed directory gained a file.
# (Configuring at every make cost 3 s of the edit-build-boot loop.) The generator stays Unix Makefiles: student
# trees clone the main tree's build directories (tools/labs_lib.py, clone_build), which Ninja would rebuild
# whole, its log keeping a hash of every command, and every command names the tree's path.
build/riscv/CMakeCache.txt: CMakePresets.json toolchain.cmake
	@cmake --preset riscv >/dev/null
	@touch $@

build/host/CMakeCache.txt: CMakePresets.json
	@cmake --preset host >/dev/null
	@touch $@

# What make qemu boots: the kernel (the -Og one with DEBUG=1) and the initramfs, not the rest (a built tree
# reaches the shell's prompt in about a second: BENCHMARKS.md, "The edit-build-boot loop"). The tests disk is
# the one make last built (made here only if there is none: checking its 127 programs takes make 1-10 s).
boot: setup build/riscv/CMakeCache.txt
	@cmake --build build/riscv -j $(JOBS) --target kernel initramfs $(if $(filter 1,$(DEBUG)),kernel-gdb) \
	  $(if $(wildcard build/riscv/tests.img),,testsdisk)

setup:
	@tools/setup

setup-conformance:
	@tools/setup --conformance

qemu: boot
	$(RUN) $(TESTS_DISK)

qemu-gdb: boot
	$(RUN) $(TESTS_DISK) --gdb

kernel-gdb: all
	@cmake --build build/riscv -j $(JOBS) --target kernel-gdb

host: setup build/host/CMakeCache.txt
	@cmake --build build/host -j $(JOBS)

test: all host setup-conformance
	ctest --test-dir build/host --output-on-failure -j $(JOBS)
	ctest --test-dir build/riscv --output-on-failure -j $(TEST_JOBS) --timeout 300 -LE 'debug-extended|labs-student|long'

test-labs: all host
	ctest --test-dir build/riscv --output-on-failure -j $(JOBS) --timeout 1200 -L labs-student

test-long: all kernel-gdb
	ctest --test-dir build/riscv --output-on-failure -j $(JOBS) --timeout 600 -L long

test-debug: all
	ctest --test-dir build/riscv --output-on-failure -j $(JOBS) --timeout 900 -L debug

grade: all host
	tools/grade $(LAB) --results build/results.json

labcheck: all host
	@for lab in $$(tools/mklab --ready); do \
	  python3 tests/qemu/labs_check.py --full --lab $$lab --build $(CURDIR)/build/riscv \
	    --host-build $(CURDIR)/build/host || exit 1; \
	done

conformance: all setup-conformance
	tools/conformance

soak: all
	python3 tests/fuzz/fuzz.py soak --build build/riscv --calls $(SOAK_CALLS) --jobs $(SOAK_JOBS) \
	  $(if $(filter 1,$(SOAK_SWAP)),--mem 48M --swap 64M -- --pressure 40)

clean:
	rm -rf build
