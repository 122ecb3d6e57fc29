#include "kernel/cmdline.h"

#include <cstring>

namespace {
constexpr usize MAX_WORDS = 64;
char g_buffer[512];
const char* g_words[MAX_WORDS];
usize g_word_count = 0;
usize g_init_args_start = MAX_WORDS;  // index of the first word after "--"
}  // namespace

void cmdline_init(const char* bootargs) {
  strncpy(g_buffer, bootargs, sizeof(g_buffer) - 1);
  char* p = g_buffer;
  while (*p && g_word_count < MAX_WORDS) {
    while (*p == ' ') *p++ = '\0';
    if (!*p) break;
    g_words[g_word_count++] = p;
    while (*p && *p != ' ') p++;
  }
  for (usize i = 0; i < g_word_count; i++) {
    if (strcmp(g_words[i], "--") == 0) {
      g_init_args_start = i + 1;
      break;
    }
  }
}

const char* cmdline_get(const char* key) {
  usize len = strlen(key);
  for (usize i = 0; i < g_word_count && i + 1 < g_init_args_start; i++) {
    if (strncmp(g_words[i], key, len) != 0) continue;
    if (g_words[i][len] == '=') return g_words[i] + len + 1;
    if (g_words[i][len] == '\0') return "";
  }
  return nullptr;
}

usize cmdline_init_args(const char** out, usize max) {
  usize n = 0;
  for (usize i = g_init_args_start; i < g_word_count && n < max; i++) out[n++] = g_words[i];
  return n;
}
