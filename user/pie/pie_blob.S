/* A static PIE program (user/pie/NAME.c), embedded as data in the test that runs it (user/CMakeLists.txt:
 * embed_static_pie). */
  .section .rodata
  .balign 8
  .globl pie_blob, pie_blob_end
pie_blob:
  .incbin PIE_BINARY
pie_blob_end:
