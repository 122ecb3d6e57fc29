/* The first kernel link has an empty symbol table (see kernel/CMakeLists.txt and tools/gensyms.py). */
  .section .ksymtab, "a"
  .balign 8
  .dword 0
