/* crash: the mistakes a first C program makes, one at a time, to read what the kernel says when a program dies
 * (labs/gdb-walkthrough.md, "When a program crashes"). Each dies by SIGSEGV; the kernel's log line names the
 * fault, the address and the region, and a second line says the likely cause in words. tools/run adds the
 * function and line of the pc (it holds the program's ELF).
 *   crash null      sum a linked list past its end: a read through a NULL pointer
 *   crash stack     a recursion that never stops: a stack overflow
 *   crash literal   change a string literal in place: a store into read-only memory
 *   crash call      call a handler that was never set: a NULL function pointer
 * The functions are noinline, so that the pc lands in a function of that name.
 */
#include <stdio.h>
#include <string.h>

struct node {
  int value;
  struct node* next;
};

/* The bug: the loop counts four items, and the list has three (it should stop at `list == NULL`). */
__attribute__((noinline)) static int sum(const struct node* list) {
  int total = 0;
  for (int i = 0; i < 4; i++) {
    total += list->value;
    list = list->next;
  }
  return total;
}

#pragma GCC diagnostic ignored "-Winfinite-recursion" /* the point of it */

/* The bug: no base case. The local array makes each call take a quarter of a KiB of stack. */
__attribute__((noinline)) static unsigned long depth(unsigned long n) {
  volatile char frame[256];
  frame[0] = (char)n;
  return depth(n + 1) + frame[0];
}

/* The bug: s points at a string literal, which lives with the program's code, read-only. */
__attribute__((noinline)) static void capitalize(char* s) {
  if (s[0] >= 'a' && s[0] <= 'z') s[0] = (char)(s[0] - 'a' + 'A');
}

static void (*volatile on_event)(void); /* never set */

__attribute__((noinline)) static void dispatch(void) { on_event(); }

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "";
  if (strcmp(what, "null") == 0) {
    struct node c = {3, NULL}, b = {2, &c}, a = {1, &b};
    printf("sum of the list: %d\n", sum(&a));
  } else if (strcmp(what, "stack") == 0) {
    printf("depth: %lu\n", depth(0));
  } else if (strcmp(what, "literal") == 0) {
    char* greeting = (char*)"hello";
    capitalize(greeting);
    printf("%s\n", greeting);
  } else if (strcmp(what, "call") == 0) {
    dispatch();
  } else {
    fprintf(stderr, "usage: crash null|stack|literal|call\n");
    return 2;
  }
  return 0;
}
