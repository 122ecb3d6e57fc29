/* Empty on purpose: glibc ships stubs only for the hard-float ABIs, but the kernel (built for lp64, with no
 * floating point) includes a few glibc headers through <cstdint>. See kernel/CMakeLists.txt. */
