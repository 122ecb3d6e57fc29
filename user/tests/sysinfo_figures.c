/* sysinfo_figures: sysinfo(2) tells what /proc tells, and its free memory is memory programs can have, as on
 * Linux 6.1:
 *   - totalram is MemTotal, sharedram Shmem, bufferram Buffers, totalswap and freeswap SwapTotal and SwapFree;
 *     freeram is at least MemFree (Linux's) and at most MemAvailable (this kernel adds the caches it can give
 *     back at once); mem_unit is 1 (a 64-bit machine)
 *   - touching 8 MiB takes about 8 MiB from freeram, and unmapping gives it back
 *   - procs counts tasks: each thread, and a process from fork until it is reaped (zombies too)
 *   - uptime is /proc/uptime rounded up to a second; loads are /proc/loadavg's, in 1/65536
 * (Under qemu-user these are the busy host's figures: only the ones that cannot move are checked there.)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define MiB (1024L * 1024)

static long kb(unsigned long value, unsigned unit) { return (long)((unsigned long long)value * unit / 1024); }

static struct sysinfo now(void) {
  struct sysinfo si;
  memset(&si, 0, sizeof si);
  CHECK(sysinfo(&si) == 0);
  return si;
}

static int within(long value, long low, long high) { return value >= low && value <= high; }

static void memory(void) {
  struct sysinfo si = now();
  CHECK(si.mem_unit == 1);
  CHECK(si.totalram > 0 && si.freeram < si.totalram);
  if (KNOWN_QEMU_USER_DIFFERENCE("sysinfo's memory is the busy host's")) {
    tl_say("the memory figures are /proc/meminfo's\n");
    tl_say("touching 8 MiB takes it from freeram; unmapping gives it back\n");
    return;
  }
  /* Free memory lies between MemFree (Linux's freeram) and MemAvailable (this kernel counts the caches it gives
   * back at once too; Linux's is lower than MemFree), each read on both sides of the call, give or take what the
   * reads allocate. */
  long free_before = tl_meminfo_kb("MemFree"), available_before = tl_meminfo_kb("MemAvailable");
  si = now();
  long free_after = tl_meminfo_kb("MemFree"), available_after = tl_meminfo_kb("MemAvailable");
  long values[4] = {free_before, free_after, available_before, available_after}, low = values[0], high = values[0];
  for (int i = 1; i < 4; i++) {
    if (values[i] < low) low = values[i];
    if (values[i] > high) high = values[i];
  }
  low -= 64;
  high += 64;
  if (!within(kb(si.freeram, si.mem_unit), low, high))
    fprintf(stderr, "freeram %ld kB, MemFree..MemAvailable %ld..%ld kB\n", kb(si.freeram, si.mem_unit), low, high);
  CHECK(within(kb(si.freeram, si.mem_unit), low, high));
  CHECK(kb(si.totalram, si.mem_unit) == tl_meminfo_kb("MemTotal"));
  CHECK(within(kb(si.sharedram, si.mem_unit), tl_meminfo_kb("Shmem") - 64, tl_meminfo_kb("Shmem") + 64));
  CHECK(within(kb(si.bufferram, si.mem_unit), tl_meminfo_kb("Buffers") - 64, tl_meminfo_kb("Buffers") + 64));
  CHECK(kb(si.totalswap, si.mem_unit) == tl_meminfo_kb("SwapTotal"));
  CHECK(within(kb(si.freeswap, si.mem_unit), tl_meminfo_kb("SwapFree") - 64, tl_meminfo_kb("SwapFree") + 64));
  CHECK(si.totalhigh == 0 && si.freehigh == 0);
  tl_say("the memory figures are /proc/meminfo's\n");

  /* Memory a fault can have: 8 MiB touched come out of freeram (plus page tables; Linux takes some from per-CPU
   * lists of free pages, which freeram does not count). */
  long before = (long)(now().freeram * si.mem_unit);
  char* p = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  CHECK(p != MAP_FAILED);
  long during = (long)(now().freeram * si.mem_unit);
  if (!within(before - during, 6 * MiB, 9 * MiB))
    fprintf(stderr, "freeram %ld before, %ld with 8 MiB touched\n", before, during);
  CHECK(within(before - during, 6 * MiB, 9 * MiB));
  CHECK(munmap(p, 8 * MiB) == 0);
  long after = (long)(now().freeram * si.mem_unit);
  /* Linux keeps some freed pages on per-CPU lists, which are not counted free. */
  if (!within(after - during, 6 * MiB, 10 * MiB))
    fprintf(stderr, "freeram %ld with 8 MiB touched, %ld after munmap\n", during, after);
  CHECK(within(after - during, 6 * MiB, 10 * MiB));
  tl_say("touching 8 MiB takes it from freeram; unmapping gives it back\n");
}

static int gate[2];

static void* parked(void* arg) {
  char c;
  (void)arg;
  (void)read(gate[0], &c, 1);
  return NULL;
}

static int settled_procs(void) {
  int last = now().procs;
  for (int tries = 0; tries < 100; tries++) {
    usleep(10000);
    int procs = now().procs;
    if (procs == last) break;
    last = procs;
  }
  return last;
}

static void tasks(void) {
  int observable = !KNOWN_QEMU_USER_DIFFERENCE("sysinfo's procs counts the busy host's tasks");
  int base = now().procs;
  CHECK(pipe(gate) == 0);
  pthread_t threads[3];
  for (int i = 0; i < 3; i++) CHECK(pthread_create(&threads[i], NULL, parked, NULL) == 0);
  int with_threads = now().procs;
  CHECK(close(gate[1]) == 0);
  for (int i = 0; i < 3; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  close(gate[0]);
  if (observable && with_threads != base + 3) fprintf(stderr, "procs %d, with 3 threads %d\n", base, with_threads);
  if (observable) CHECK(with_threads == base + 3);
  tl_say("each thread counts in procs\n");

  /* The threads just joined may still be counted for a moment (a thread wakes its joiner before it is gone). */
  base = settled_procs();
  pid_t child = fork();
  if (child == 0) _exit(0);
  /* Until it is a zombie (state Z in /proc/PID/stat). */
  char path[64], state = '?';
  snprintf(path, sizeof path, "/proc/%d/stat", child);
  for (int tries = 0; tries < 500 && state != 'Z'; tries++) {
    FILE* f = fopen(path, "r");
    if (f) {
      CHECK(fscanf(f, "%*d (%*[^)]) %c", &state) == 1);
      fclose(f);
    }
    if (state != 'Z') usleep(2000);
  }
  CHECK(state == 'Z');
  int with_zombie = now().procs;
  CHECK(waitpid(child, NULL, 0) == child);
  int reaped = now().procs;
  if (observable && (with_zombie != base + 1 || reaped != base))
    fprintf(stderr, "procs %d, with a zombie %d, reaped %d\n", base, with_zombie, reaped);
  if (observable) CHECK(with_zombie == base + 1 && reaped == base);
  tl_say("a child counts until it is reaped\n");
}

static double proc_first_number(const char* path) {
  FILE* f = fopen(path, "r");
  double value = -1;
  CHECK(f != NULL);
  if (f) {
    CHECK(fscanf(f, "%lf", &value) == 1);
    fclose(f);
  }
  return value;
}

static void read_loads(double loads[3]) {
  FILE* f = fopen("/proc/loadavg", "r");
  loads[0] = loads[1] = loads[2] = -1;
  CHECK(f && fscanf(f, "%lf %lf %lf", &loads[0], &loads[1], &loads[2]) == 3);
  if (f) fclose(f);
}

static void time_and_load(void) {
  double up_before = proc_first_number("/proc/uptime");
  struct sysinfo si = now();
  double up_after = proc_first_number("/proc/uptime");
  /* Rounded up: a second started counts. */
  if (!(si.uptime >= (long)up_before && si.uptime <= (long)up_after + 1 && si.uptime > up_before - 0.005))
    fprintf(stderr, "uptime %ld, /proc/uptime %.2f..%.2f\n", si.uptime, up_before, up_after);
  CHECK(si.uptime >= (long)up_before && si.uptime <= (long)up_after + 1 && si.uptime > up_before - 0.005);
  tl_say("uptime is /proc/uptime's, rounded up\n");

  double before[3], after[3];
  read_loads(before);
  si = now();
  read_loads(after);
  for (int i = 0; i < 3; i++) {
    double load = si.loads[i] / 65536.0;
    /* /proc/loadavg rounds to hundredths; a 5 s sample may fall between the reads. */
    double low = before[i] < after[i] ? before[i] : after[i], high = before[i] > after[i] ? before[i] : after[i];
    if (!(load > low - 0.011 && load < high + 0.011))
      fprintf(stderr, "load %d: %f, /proc %.2f..%.2f\n", i, load, before[i], after[i]);
    CHECK(load > low - 0.011 && load < high + 0.011);
  }
  tl_say("the loads are /proc/loadavg's\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  memory();
  tasks();
  time_and_load();
  return tl_done();
}
