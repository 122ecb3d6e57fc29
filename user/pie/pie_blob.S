/* The static PIE program (user/pie/hello_pie.c), embedded as data in the test that runs it. */
  .section .rodata
  .balign 8
  .globl pie_blob, pie_blob_end
pie_blob:
  .incbin PIE_BINARY
pie_blob_end:
