// The lock-order checker (kernel/lockdep.h): in the debug kernel only (the release kernel compiles this file
// to nothing).
//
// State: the lock classes (by name), a graph of "class A was held when class B was taken" edges with the stack
// of the first time each was seen, and each hart's stack of held locks. The graph is shared: a raw spinning
// flag (g_graph_busy) guards it, since Spinlock itself calls in here. Everything runs with interrupts off (a
// spinlock is being taken or released).
#include "kernel/lockdep.h"

#ifndef NDEBUG

#include <cstring>

#include "arch/riscv/cpu.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "lib/atomic.h"

namespace {

constexpr usize MAX_CLASSES = 128;
constexpr usize MAX_EDGES = 512;
constexpr usize MAX_HELD = 24;     // locks one hart holds at once
constexpr usize STACK_DEPTH = 10;

struct LockClass {
  const char* name;  // the first lock's name pointer; classes compare by text
};

// A first-seen order: `from` was held when `to` was taken.
struct Edge {
  u8 from, to;
  u64 held_at;              // where `from` was taken
  u64 stack[STACK_DEPTH];   // where `to` was taken
  usize depth;
};

struct Held {
  u8 cls;
  bool is_try;
  u64 taken_at;
};

struct HartState {
  Held held[MAX_HELD];
  usize count;
  bool is_reporting;  // printing a report takes the console's lock: not checked
};

Atomic<u32> g_graph_busy{0};
LockClass g_classes[MAX_CLASSES];        // guarded by g_graph_busy
usize g_class_count = 0;                 // guarded by g_graph_busy
u64 g_order[MAX_CLASSES][MAX_CLASSES / 64];  // bit: an edge from -> to exists; guarded by g_graph_busy
Edge g_edges[MAX_EDGES];                 // guarded by g_graph_busy
usize g_edge_count = 0;                  // guarded by g_graph_busy
bool g_full_reported = false;            // guarded by g_graph_busy
Atomic<u32> g_inversion{0};
HartState g_harts[MAX_HARTS];            // each hart its own

class GraphGuard {
 public:
  GraphGuard() {
    while (g_graph_busy.exchange(1, MemoryOrder::Acquire)) {
    }
  }
  ~GraphGuard() { g_graph_busy.store(0, MemoryOrder::Release); }
};

// The class of a lock name; MAX_CLASSES if the table is full. Graph lock held.
usize class_of_locked(const char* name) {
  for (usize i = 0; i < g_class_count; i++)
    if (g_classes[i].name == name || strcmp(g_classes[i].name, name) == 0) return i;
  if (g_class_count == MAX_CLASSES) return MAX_CLASSES;
  g_classes[g_class_count].name = name;
  return g_class_count++;
}

bool has_edge(usize from, usize to) { return g_order[from][to / 64] & (1ull << (to % 64)); }

// Is there a path of recorded orders from `from` to `to`? On success, first_hop is the edge leaving `from`.
bool reachable_locked(usize from, usize to, usize& first_hop) {
  u64 seen[MAX_CLASSES / 64] = {};
  usize stack[MAX_CLASSES], origin[MAX_CLASSES];
  usize top = 0;
  for (usize n = 0; n < g_class_count; n++)
    if (has_edge(from, n)) stack[top] = n, origin[top++] = n;
  while (top > 0) {
    top--;
    usize node = stack[top], hop = origin[top];
    if (node == to) {
      first_hop = hop;
      return true;
    }
    if (seen[node / 64] & (1ull << (node % 64))) continue;
    seen[node / 64] |= 1ull << (node % 64);
    for (usize n = 0; n < g_class_count && top < MAX_CLASSES; n++)
      if (has_edge(node, n) && !(seen[n / 64] & (1ull << (n % 64)))) stack[top] = n, origin[top++] = hop;
  }
  return false;
}

const Edge* find_edge_locked(usize from, usize to) {
  for (usize i = 0; i < g_edge_count; i++)
    if (g_edges[i].from == from && g_edges[i].to == to) return &g_edges[i];
  return nullptr;
}

void print_location(const char* what, u64 pc) {
  u64 one[1] = {pc};
  kprintf("%s\n", what);
  print_pcs(one, 1);
}

// Report the inversion: `held` is held and `taking` is being taken now, while the recorded orders lead from
// `taking` to `held` (first through `hop`).
[[noreturn]] void report_locked(const Held& held, usize taking, usize hop, const u64* now, usize now_depth) {
  // Printing takes the console's lock, which comes back here: let it through, and let the other harts go on
  // (the graph only grows; reading it while they add to it is fine for a report).
  g_harts[this_cpu()->index].is_reporting = true;
  g_graph_busy.store(0, MemoryOrder::Release);
  const char* a = g_classes[held.cls].name;
  const char* b = g_classes[taking].name;
  kprintf("\n======== LOCK ORDER INVERSION on hart %u ========\n", this_cpu()->hart_id);
  kprintf("This hart takes lock '%s' while it holds '%s'; but '%s' was held before when '%s' was taken%s%s%s.\n"
          "Two harts doing both at once deadlock. Pick one order (write it where the locks are declared).\n",
          b, a, b, hop == held.cls ? a : g_classes[hop].name, hop == held.cls ? "" : " (and on from there to '",
          hop == held.cls ? "" : a, hop == held.cls ? "" : "')");
  print_location("Now: the held lock was taken at", held.taken_at);
  kprintf("and this is the stack taking '%s':\n", b);
  print_pcs(now, now_depth);
  if (const Edge* e = find_edge_locked(taking, hop)) {
    print_location("Before: the lock held then was taken at", e->held_at);
    kprintf("and this was the stack taking '%s' while holding '%s':\n", g_classes[hop].name, b);
    print_pcs(e->stack, e->depth);
  }
  panic("lock order inversion: '%s' taken while holding '%s', the opposite of an order seen before", b, a);
}

// Record the order held -> taking (first time: with this stack), or report that it inverts a known one.
// Returns true when the edge table just became full (the caller says so, once, outside the graph lock).
bool add_order_locked(const Held& held, usize taking, const u64* now, usize now_depth) {
  if (held.cls == taking || has_edge(held.cls, taking)) return false;
  usize hop = 0;
  if (reachable_locked(taking, held.cls, hop)) {
    if (g_inversion.exchange(1) == 0) report_locked(held, taking, hop, now, now_depth);
    return false;
  }
  g_order[held.cls][taking / 64] |= 1ull << (taking % 64);
  if (g_edge_count == MAX_EDGES) {
    bool first = !g_full_reported;
    g_full_reported = true;
    return first;
  }
  Edge& e = g_edges[g_edge_count++];
  e.from = static_cast<u8>(held.cls);
  e.to = static_cast<u8>(taking);
  e.held_at = held.taken_at;
  e.depth = now_depth < STACK_DEPTH ? now_depth : STACK_DEPTH;
  memcpy(e.stack, now, e.depth * sizeof(u64));
  return false;
}

// The class of a lock, found by name the first time and then cached in the lock.
usize class_of(const Spinlock& lock) {
  u32& cached = lockdep_class_cache(lock);
  if (cached) return cached - 1;
  GraphGuard guard;
  usize cls = class_of_locked(lock.name());
  if (cls < MAX_CLASSES) cached = static_cast<u32>(cls + 1);
  return cls;
}

}  // namespace

u32& lockdep_class_cache(const Spinlock& lock) { return lock.m_lockdep_class; }

void lockdep_acquire(const Spinlock& lock, bool is_try) {
  Cpu* c = this_cpu();
  if (!c || c->in_panic || c->index >= MAX_HARTS || g_harts[c->index].is_reporting) return;
  HartState& h = g_harts[c->index];
  usize cls = class_of(lock);
  if (cls == MAX_CLASSES) return;
  u64 taken_at = reinterpret_cast<u64>(__builtin_return_address(0)) - 4;  // Spinlock::lock is inlined there
  // The common case: every order this makes is known already (the bits are only ever set, so a stale read
  // just sends us the slow way).
  bool is_new = false;
  for (usize i = 0; i < h.count && !is_try; i++)
    is_new |= h.held[i].cls != cls && !has_edge(h.held[i].cls, cls);
  bool became_full = false;
  if (is_new) {
    u64 stack[STACK_DEPTH + 1];
    usize depth = capture_backtrace(stack, array_size(stack));
    // The first pc is in this function; Spinlock::lock is inline, so the next one is the caller taking the lock.
    const u64* now = depth > 1 ? stack + 1 : stack;
    usize now_depth = depth > 1 ? depth - 1 : depth;
    GraphGuard guard;
    for (usize i = 0; i < h.count; i++) became_full |= add_order_locked(h.held[i], cls, now, now_depth);
  }
  if (h.count < MAX_HELD) h.held[h.count++] = Held{static_cast<u8>(cls), is_try, taken_at};
  if (became_full)
    LOG_WARN("lockdep: more than %u lock orders: the newest are checked without stacks", static_cast<unsigned>(MAX_EDGES));
}

void lockdep_release(const Spinlock& lock) {
  Cpu* c = this_cpu();
  if (!c || c->in_panic || c->index >= MAX_HARTS || g_harts[c->index].is_reporting) return;
  HartState& h = g_harts[c->index];
  usize cls = class_of(lock);
  // The newest hold of that class (locks are usually, not always, released in reverse order).
  for (usize i = h.count; i-- > 0;) {
    if (h.held[i].cls != cls) continue;
    memmove(&h.held[i], &h.held[i + 1], (h.count - i - 1) * sizeof(Held));
    h.count--;
    return;
  }
}

bool lockdep_found_inversion() { return g_inversion.load() != 0; }

#endif  // NDEBUG
