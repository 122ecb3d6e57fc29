#include "mm/replacement.h"

#include <cstring>

const ReplacementPolicyInfo g_replacement_policies[] = {
    {"clock", "second chance over the accessed bits", create_clock_policy},
    {"fifo", "first in, first out; ignores the accessed bits", create_fifo_policy},
    {"lru2", "LRU approximation with an active and an inactive list", create_lru2_policy},
    {"aging", "clock with an age per page (lab 6, labs/swap)", create_aging_policy},
    {nullptr, nullptr, nullptr},
};

const ReplacementPolicyInfo* replacement_policy_find(const char* name) {
  for (const ReplacementPolicyInfo* p = g_replacement_policies; p->name; p++)
    if (strcmp(p->name, name) == 0) return p;
  return nullptr;
}
