# Cross toolchain for the riscv64 side of the build: Debian 12's riscv64-linux-gnu GNU toolchain.
# The kernel uses it freestanding (flags in kernel/CMakeLists.txt); user programs use it hosted, linked
# statically against Debian's riscv64 glibc so that the same binary runs on our kernel and under
# qemu-riscv64-static.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER riscv64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_OBJCOPY riscv64-linux-gnu-objcopy CACHE FILEPATH "")
set(CMAKE_NM riscv64-linux-gnu-nm CACHE FILEPATH "")
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Executables built here cannot run on the build machine; try_compile must only link them.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
