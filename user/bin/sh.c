/* sh: a small shell.
 *
 *   sh                 read commands from standard input, with a "$ " prompt, until end of input
 *   sh -c "LINE"       run one command line
 *   sh SCRIPT          run the lines of a file
 *
 * A command line is a list of pipelines separated by ';' or '&' (run in the background):
 *   a | b | c          pipelines: the standard output of each command goes into the next one's input
 *   cmd &              background: prints "[N] pid" (N: the job number); "[N] done (status S)" shows up
 *                      before a later prompt
 *   < file  > file  >> file  2> file     redirections of standard input, output (append) and error
 *   'single' "double"  quoting: spaces and special characters inside quotes are part of the word;
 *                      in "..." and outside quotes a backslash escapes the next character
 *   # comment          the rest of the line is ignored
 *   $?                 the exit status of the last command (outside '...')
 * Programs are found in the directories of $PATH (/bin if unset). Builtins: cd, pwd, exit [N], help, history,
 * wait (for the background jobs), and jobs, fg [%N], bg [%N] for job control.
 * At the prompt of an interactive shell on a terminal, the line can be edited, with a history and Tab
 * completion (see "Line editing" below).
 * After a command that failed, an interactive shell shows "[exit N]", and any shell shows "[killed by SIGSEGV]"
 * (or the signal's name) when a signal killed the command.
 *
 * Job control (interactive, on a terminal): each pipeline runs in a process group of its own, and the shell
 * gives the terminal to the group it runs in the foreground (tcsetpgrp). So ^C (SIGINT) and ^\ (SIGQUIT)
 * reach the job and not the shell, which ignores them; ^Z (SIGTSTP) stops the job and gives the terminal back
 * to the shell, which says "[N] stopped"; `fg` continues a job in the foreground, `bg` in the background, and
 * `jobs` lists them. A background job that reads from the terminal is stopped by the terminal (SIGTTIN) until
 * `fg` brings it forward.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_LINE 4096
#define MAX_TOKENS 256
#define MAX_ARGS 64
#define MAX_CMDS 16
#define MAX_JOBS 32

/* ---- What the programs in /bin do (for `help`) ---- */

static const struct {
  const char* name;
  const char* text;
} programs[] = {
    {"cat", "cat [FILE...]: print files, or standard input"},
    {"crash", "crash null|stack|literal|call: die of a NULL pointer, a stack overflow, ...: read the kernel's line"},
    {"echo", "echo [-n] [WORD...]: print the words"},
    {"env", "env [NAME=VALUE...] [PROGRAM ARGS...]: print the environment, or run a program with more of it"},
    {"false", "false: fail (exit status 1)"},
    {"free", "free: show memory use (from /proc/meminfo, or sysinfo)"},
    {"hello", "hello [NAME]: a printf and malloc demo"},
    {"kill", "kill [-SIGNAL] PID...: send a signal (default SIGTERM); kill -l lists the signals"},
    {"ls", "ls [-l] [-a] [PATH...]: list directories"},
    {"mkdir", "mkdir [-p] DIR...: make directories"},
    {"poweroff", "poweroff: stop the machine"},
    {"ps", "ps: list the processes (from /proc)"},
    {"rm", "rm [-d] PATH...: remove files (-d: also empty directories)"},
    {"runtests", "runtests [-l] [-v] [NAME...]: run the behaviour tests in /tests (make qemu), or those named"},
    {"sh", "sh [-c LINE | SCRIPT]: this shell"},
    {"sleep", "sleep SECONDS: wait (fractions allowed: sleep 0.5)"},
    {"true", "true: succeed (exit status 0)"},
    {"uname", "uname [-a]: name the kernel (-a: and the machine)"},
};

/* ---- Parsing: a line becomes tokens, tokens become pipelines ---- */

enum token_kind { T_WORD, T_PIPE, T_AMP, T_SEMI, T_IN, T_OUT, T_APPEND, T_ERR, T_END };

struct token {
  enum token_kind kind;
  char* word; /* T_WORD: the word, without its quotes */
};

struct command {
  char* argv[MAX_ARGS + 1];
  int argc;
  char* in;  /* < file */
  char* out; /* > file, or >> file when append */
  int append;
  char* err; /* 2> file */
};

struct pipeline {
  struct command cmds[MAX_CMDS];
  int ncmds; /* 0: an empty command (a blank line, a comment, ";;") */
  int background;
};

static int interactive;  /* reading commands from standard input */
static int job_control;  /* interactive on a terminal: jobs get process groups and the terminal */
static pid_t shell_pgid; /* our own process group (job control) */
static int last_status;  /* exit status of the last command, for `exit` without a number */

/* A job: one pipeline started by the shell, running in the background or stopped. (A foreground job is in the
 * table only while it runs.) */
enum job_state { JOB_FREE, JOB_RUNNING, JOB_STOPPED };
struct job {
  enum job_state state;
  pid_t pgid;                 /* the process group (job control), or the last command's pid */
  pid_t pids[MAX_CMDS];       /* its processes; 0 once reaped */
  int npids;
  int last_status;            /* the wait status of the last command */
  char text[80];              /* the command line, for `jobs` */
};
static struct job jobs[MAX_JOBS + 1]; /* indexed by job number; 0 is unused */

/* Split a line into tokens. Words are copied without their quotes into `store` (at least 2*strlen(line)+1
 * bytes). Returns the number of tokens (the last one is T_END), or -1 after printing an error. */
static int tokenize(const char* p, struct token* tokens, char* store) {
  int n = 0;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (n == MAX_TOKENS - 1) {
      fprintf(stderr, "sh: too many words\n");
      return -1;
    }
    struct token* t = &tokens[n++];
    t->word = NULL;
    if (*p == '\0' || *p == '#') {
      t->kind = T_END;
      return n;
    }
    if (*p == '|') { t->kind = T_PIPE; p++; continue; }
    if (*p == '&') { t->kind = T_AMP; p++; continue; }
    if (*p == ';') { t->kind = T_SEMI; p++; continue; }
    if (*p == '<') { t->kind = T_IN; p++; continue; }
    if (p[0] == '>' && p[1] == '>') { t->kind = T_APPEND; p += 2; continue; }
    if (*p == '>') { t->kind = T_OUT; p++; continue; }
    if (p[0] == '2' && p[1] == '>') { t->kind = T_ERR; p += 2; continue; }

    /* A word: everything up to a blank or an operator that is not quoted. */
    t->kind = T_WORD;
    t->word = store;
    while (*p && !strchr(" \t\r\n|&;<>", *p)) {
      if (*p == '\'' || *p == '"') {
        char quote = *p++;
        while (*p && *p != quote) {
          if (quote == '"' && p[0] == '$' && p[1] == '?') {
            store += sprintf(store, "%d", last_status);
            p += 2;
            continue;
          }
          if (quote == '"' && p[0] == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
          *store++ = *p++;
        }
        if (*p != quote) {
          fprintf(stderr, "sh: missing closing %c\n", quote);
          return -1;
        }
        p++;
      } else if (p[0] == '\\' && p[1]) {
        *store++ = p[1];
        p += 2;
      } else if (p[0] == '$' && p[1] == '?') { /* the last exit status (at most 3 digits: fits the store) */
        store += sprintf(store, "%d", last_status);
        p += 2;
      } else {
        *store++ = *p++;
      }
    }
    *store++ = '\0';
  }
}

static int syntax_error(const char* what) {
  fprintf(stderr, "sh: syntax error: %s\n", what);
  return -1;
}

/* Parse the pipeline that starts at tokens[*pos], up to and including its ';' or '&' (not T_END).
 * Returns 0, or -1 after printing an error. */
static int parse_pipeline(const struct token* tokens, int* pos, struct pipeline* p) {
  memset(p, 0, sizeof *p);
  struct command* c = &p->cmds[0];
  p->ncmds = 1;
  for (;;) {
    const struct token* t = &tokens[*pos];
    if (t->kind != T_END) (*pos)++;
    switch (t->kind) {
      case T_WORD:
        if (c->argc == MAX_ARGS) return syntax_error("too many arguments");
        c->argv[c->argc++] = t->word;
        break;
      case T_IN:
      case T_OUT:
      case T_APPEND:
      case T_ERR: {
        const struct token* file = &tokens[*pos];
        if (file->kind != T_WORD) return syntax_error("a redirection needs a file name");
        (*pos)++;
        if (t->kind == T_IN) c->in = file->word;
        if (t->kind == T_ERR) c->err = file->word;
        if (t->kind == T_OUT || t->kind == T_APPEND) {
          c->out = file->word;
          c->append = t->kind == T_APPEND;
        }
        break;
      }
      case T_PIPE:
        if (c->argc == 0) return syntax_error("missing command before |");
        if (p->ncmds == MAX_CMDS) return syntax_error("pipeline too long");
        c = &p->cmds[p->ncmds++];
        break;
      case T_AMP:
      case T_SEMI:
      case T_END:
        p->background = t->kind == T_AMP;
        if (c->argc == 0) {
          if (p->ncmds > 1) return syntax_error("missing command after |");
          if (p->background || c->in || c->out || c->err) return syntax_error("missing command");
          p->ncmds = 0;
        }
        return 0;
    }
  }
}

/* ---- Builtins ---- */

static int builtin_cd(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : getenv("HOME");
  if (!dir) dir = "/";
  if (chdir(dir) < 0) {
    fprintf(stderr, "cd: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  return 0;
}

static int builtin_pwd(int argc, char** argv) {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) {
    fprintf(stderr, "pwd: %s\n", strerror(errno));
    return 1;
  }
  printf("%s\n", buf);
  return 0;
}

static int builtin_exit(int argc, char** argv) {
  fflush(stdout);
  exit(argc > 1 ? atoi(argv[1]) : last_status);
}

static const char* describe_program(const char* name) {
  for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
    if (strcmp(programs[i].name, name) == 0) return programs[i].text;
  return name;
}

static int builtin_help(int argc, char** argv) {
  printf("Builtins: cd [DIR], pwd, exit [N], help, jobs, fg [%%N], bg [%%N], wait, history.\n");
  printf("Syntax: a | b, cmd &, < in, > out, >> out, 2> err, 'quotes', $? (the last status).\n");
  printf("Keys: ^C interrupts, ^Z stops the job, ^T lists the processes; at the prompt: arrows, Tab, ^U, ^W.\n");
  printf("Programs in /bin:\n");
  struct dirent** names;
  int n = scandir("/bin", &names, NULL, alphasort);
  if (n < 0) {
    fprintf(stderr, "help: /bin: %s\n", strerror(errno));
    return 1;
  }
  for (int i = 0; i < n; i++) {
    if (names[i]->d_name[0] != '.') printf("  %s\n", describe_program(names[i]->d_name));
    free(names[i]);
  }
  free(names);
  return 0;
}

static int builtin_jobs(int argc, char** argv);
static int builtin_history(int argc, char** argv);
static int builtin_wait(int argc, char** argv);
static int builtin_fg(int argc, char** argv);
static int builtin_bg(int argc, char** argv);

static const struct builtin {
  const char* name;
  int (*run)(int argc, char** argv);
} builtins[] = {{"cd", builtin_cd},     {"pwd", builtin_pwd}, {"exit", builtin_exit}, {"help", builtin_help},
                {"jobs", builtin_jobs}, {"fg", builtin_fg},   {"bg", builtin_bg},     {"history", builtin_history},
                {"wait", builtin_wait}};

static const struct builtin* find_builtin(const char* name) {
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (strcmp(builtins[i].name, name) == 0) return &builtins[i];
  return NULL;
}

/* ---- Running commands ---- */

/* Open `path` and make it file descriptor `target`. */
static int redirect(const char* path, int flags, int target) {
  int fd = open(path, flags, 0666);
  if (fd < 0) {
    fprintf(stderr, "sh: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (fd != target) {
    dup2(fd, target);
    close(fd);
  }
  return 0;
}

static int apply_redirections(const struct command* c) {
  if (c->in && redirect(c->in, O_RDONLY, 0) < 0) return -1;
  if (c->out && redirect(c->out, O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC), 1) < 0) return -1;
  if (c->err && redirect(c->err, O_WRONLY | O_CREAT | O_TRUNC, 2) < 0) return -1;
  return 0;
}

/* Execute a program, looking it up in $PATH unless its name has a '/'. Never returns: if the program can't
 * be started, exits 127 (no such program) or 126 (it exists but can't be run). */
static void exec_program(char** argv) {
  const char* name = argv[0];
  int err = ENOENT;
  if (strchr(name, '/')) {
    execv(name, argv);
    err = errno;
  } else {
    const char* dir = getenv("PATH");
    if (!dir || !*dir) dir = "/bin";
    while (*dir) {
      const char* end = strchrnul(dir, ':');
      char path[PATH_MAX];
      snprintf(path, sizeof path, "%.*s/%s", (int)(end - dir), dir, name);
      execv(path, argv);
      if (errno != ENOENT && errno != ENOTDIR) err = errno; /* found, but could not run it */
      dir = *end ? end + 1 : end;
    }
  }
  if (err == ENOENT && !strchr(name, '/')) {
    fprintf(stderr, "sh: %s: command not found\n", name);
    _exit(127);
  }
  fprintf(stderr, "sh: %s: %s\n", name, strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

/* In a child: set up the redirections and become the command. */
static void run_command(struct command* c) {
  if (apply_redirections(c) < 0) _exit(1);
  const struct builtin* b = find_builtin(c->argv[0]);
  if (b) exit(b->run(c->argc, c->argv)); /* exit, not _exit: flush what the builtin printed */
  exec_program(c->argv);
}

/* A builtin alone runs in the shell itself (so that cd and exit work); its redirections are undone after. */
static int run_builtin_here(const struct builtin* b, struct command* c) {
  int saved[3] = {-1, -1, -1};
  int redirected = c->in || c->out || c->err;
  if (redirected)
    for (int fd = 0; fd < 3; fd++) saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  int code = redirected && apply_redirections(c) < 0 ? 1 : b->run(c->argc, c->argv);
  fflush(stdout);
  for (int fd = 0; fd < 3; fd++) {
    if (saved[fd] < 0) continue;
    dup2(saved[fd], fd);
    close(saved[fd]);
  }
  return W_EXITCODE(code, 0);
}

/* "status 3" or "killed by SIGSEGV" */
static const char* describe_status(int status, char* buf, size_t size) {
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    if (name) snprintf(buf, size, "killed by SIG%s", name);
    else snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
  } else {
    snprintf(buf, size, "status %d", WEXITSTATUS(status));
  }
  return buf;
}

static int new_job(void) {
  for (int n = 1; n <= MAX_JOBS; n++)
    if (jobs[n].state == JOB_FREE) return n;
  return 0;
}

/* Record what waitpid said about pid; returns the job it belongs to (0 if none). */
static int note_status(pid_t pid, int status) {
  for (int n = 1; n <= MAX_JOBS; n++) {
    struct job* j = &jobs[n];
    if (j->state == JOB_FREE) continue;
    for (int i = 0; i < j->npids; i++) {
      if (j->pids[i] != pid) continue;
      if (WIFSTOPPED(status)) {
        j->state = JOB_STOPPED;
      } else if (WIFCONTINUED(status)) {
        j->state = JOB_RUNNING;
      } else {
        j->pids[i] = 0;
        if (i == j->npids - 1) j->last_status = status;
      }
      return n;
    }
  }
  return 0;
}

static int job_alive(const struct job* j) {
  for (int i = 0; i < j->npids; i++)
    if (j->pids[i]) return 1;
  return 0;
}

/* Wait for a foreground job until it has ended or stopped. Returns the wait status of its last command
 * (or a stop status). */
static int wait_foreground(int n) {
  struct job* j = &jobs[n];
  j->state = JOB_RUNNING;
  while (job_alive(j) && j->state == JOB_RUNNING) {
    int status;
    pid_t pid = waitpid(job_control ? -j->pgid : -1, &status, job_control ? WUNTRACED : 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (note_status(pid, status) != n) continue; /* a background job's process: reported later */
    if (WIFSTOPPED(status)) j->last_status = status;
  }
  if (job_control) tcsetpgrp(0, shell_pgid); /* the terminal is the shell's again */
  if (j->state == JOB_STOPPED) {
    fprintf(stderr, "\n[%d] stopped  %s\n", n, j->text);
    return j->last_status;
  }
  j->state = JOB_FREE;
  return j->last_status;
}

/* Collect the background jobs that have finished or stopped; report them. */
static void reap_jobs(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG | (job_control ? WUNTRACED | WCONTINUED : 0))) > 0) {
    int n = note_status(pid, status);
    if (n && WIFSTOPPED(status)) printf("[%d] stopped  %s\n", n, jobs[n].text);
  }
  for (int n = 1; n <= MAX_JOBS; n++) {
    struct job* j = &jobs[n];
    if (j->state != JOB_RUNNING || job_alive(j)) continue;
    char text[64];
    printf("[%d] done (%s)  %s\n", n, describe_status(j->last_status, text, sizeof text), j->text);
    j->state = JOB_FREE;
  }
  fflush(stdout);
}

/* The job a `fg`/`bg` argument names: "%N" or "N", or the most recent job. 0 if none. */
static int job_argument(int argc, char** argv, const char* who) {
  if (argc > 1) {
    int n = atoi(argv[1][0] == '%' ? argv[1] + 1 : argv[1]);
    if (n < 1 || n > MAX_JOBS || jobs[n].state == JOB_FREE) {
      fprintf(stderr, "%s: %s: no such job\n", who, argv[1]);
      return 0;
    }
    return n;
  }
  for (int n = MAX_JOBS; n >= 1; n--)
    if (jobs[n].state != JOB_FREE) return n;
  fprintf(stderr, "%s: no current job\n", who);
  return 0;
}

/* wait: until every background job that runs has ended (they are reported, as before a prompt). */
static int builtin_wait(int argc, char** argv) {
  for (;;) {
    int running = 0;
    for (int n = 1; n <= MAX_JOBS; n++) running |= jobs[n].state == JOB_RUNNING && job_alive(&jobs[n]);
    if (!running) break;
    int status;
    pid_t pid = waitpid(-1, &status, job_control ? WUNTRACED : 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    int n = note_status(pid, status);
    if (n && WIFSTOPPED(status)) printf("[%d] stopped  %s\n", n, jobs[n].text);
  }
  reap_jobs();
  return 0;
}

static int builtin_jobs(int argc, char** argv) {
  reap_jobs();
  for (int n = 1; n <= MAX_JOBS; n++) {
    if (jobs[n].state == JOB_FREE) continue;
    printf("[%d] %s  %s\n", n, jobs[n].state == JOB_STOPPED ? "stopped" : "running", jobs[n].text);
  }
  return 0;
}

static int continue_job(int n) {
  struct job* j = &jobs[n];
  if (kill(job_control ? -j->pgid : j->pgid, SIGCONT) < 0 && errno != ESRCH) perror("sh: kill");
  j->state = JOB_RUNNING;
  return 0;
}

static int builtin_fg(int argc, char** argv) {
  if (!job_control) {
    fprintf(stderr, "fg: no job control\n");
    return 1;
  }
  int n = job_argument(argc, argv, "fg");
  if (!n) return 1;
  printf("%s\n", jobs[n].text);
  fflush(stdout);
  tcsetpgrp(0, jobs[n].pgid);
  continue_job(n);
  int status = wait_foreground(n);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WIFSTOPPED(status) ? 128 + WSTOPSIG(status) : WEXITSTATUS(status);
}

static int builtin_bg(int argc, char** argv) {
  if (!job_control) {
    fprintf(stderr, "bg: no job control\n");
    return 1;
  }
  int n = job_argument(argc, argv, "bg");
  if (!n) return 1;
  continue_job(n);
  printf("[%d] %s &\n", n, jobs[n].text);
  return 0;
}

/* The command line of a pipeline, for `jobs` (words of the commands, joined). */
static void describe_pipeline(const struct pipeline* p, char* out, size_t size) {
  size_t len = 0;
  out[0] = '\0';
  for (int i = 0; i < p->ncmds; i++) {
    for (int k = 0; k < p->cmds[i].argc; k++) {
      len += snprintf(out + len, len < size ? size - len : 0, "%s%s", len ? " " : "", p->cmds[i].argv[k]);
      if (len >= size) return;
    }
    if (i + 1 < p->ncmds) len += snprintf(out + len, len < size ? size - len : 0, " |");
    if (len >= size) return;
  }
}

/* In a child: join the job's process group (the first command's pid) and, in the foreground, take the
 * terminal; the signals the shell ignores get their default actions back. */
static void enter_job(pid_t pgid, int foreground) {
  if (!job_control) return;
  setpgid(0, pgid);
  if (foreground) tcsetpgrp(0, pgid ? pgid : getpid());
  int sigs[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
}

/* Run a pipeline; returns the wait status of its last command (0 for a background pipeline). */
static int run_pipeline(struct pipeline* p) {
  const struct builtin* b = find_builtin(p->cmds[0].argv[0]);
  if (p->ncmds == 1 && !p->background && b) return run_builtin_here(b, &p->cmds[0]);

  reap_jobs();
  int n = new_job();
  if (!n) {
    fprintf(stderr, "sh: too many jobs\n");
    return W_EXITCODE(1, 0);
  }
  struct job* j = &jobs[n];
  memset(j, 0, sizeof *j);
  describe_pipeline(p, j->text, sizeof j->text);
  int in_fd = -1; /* read end of the pipe from the previous command */
  fflush(NULL);   /* or the children would print our buffered output again */
  for (int i = 0; i < p->ncmds; i++) {
    int fds[2] = {-1, -1};
    if (i + 1 < p->ncmds && pipe(fds) < 0) {
      perror("sh: pipe");
      break;
    }
    pid_t pid = fork();
    if (pid == 0) {
      enter_job(j->pgid, !p->background);
      if (in_fd >= 0) {
        dup2(in_fd, 0);
        close(in_fd);
      }
      if (fds[1] >= 0) {
        dup2(fds[1], 1);
        close(fds[1]);
        close(fds[0]);
      }
      run_command(&p->cmds[i]);
    }
    if (pid < 0) {
      perror("sh: fork");
    } else {
      if (!j->pgid) j->pgid = pid;
      if (job_control) setpgid(pid, j->pgid); /* as the child does: whichever runs first */
      j->pids[j->npids++] = pid;
    }
    if (in_fd >= 0) close(in_fd);
    if (fds[1] >= 0) close(fds[1]);
    in_fd = fds[0];
    if (pid < 0) break;
  }
  if (in_fd >= 0) close(in_fd);
  if (j->npids == 0) {
    j->state = JOB_FREE;
    return W_EXITCODE(1, 0);
  }
  if (!job_control) j->pgid = j->pids[j->npids - 1];

  if (p->background) {
    j->state = JOB_RUNNING;
    printf("[%d] %d\n", n, j->pids[j->npids - 1]);
    fflush(stdout);
    return 0;
  }
  if (job_control) tcsetpgrp(0, j->pgid);
  return wait_foreground(n);
}

/* Interactive on a terminal: take the terminal for a process group of our own, and ignore the signals the
 * terminal sends to the foreground (they are for the jobs). */
static void start_job_control(void) {
  if (!isatty(0)) return;
  pid_t fg;
  while ((fg = tcgetpgrp(0)) >= 0 && fg != getpgrp()) kill(0, SIGTTIN); /* started in the background: wait */
  if (fg < 0) return; /* not our controlling terminal: no job control */
  int sigs[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_IGN);
  setpgid(0, 0); /* EPERM for a session leader, which leads its group already */
  shell_pgid = getpgrp();
  tcsetpgrp(0, shell_pgid);
  job_control = 1;
}

static void report(int status) {
  char text[64];
  if (WIFSTOPPED(status)) return; /* said already: "[N] stopped" */
  if (WIFSIGNALED(status)) fprintf(stderr, "[%s]\n", describe_status(status, text, sizeof text));
  else if (interactive && WEXITSTATUS(status) != 0) fprintf(stderr, "[exit %d]\n", WEXITSTATUS(status));
}

/* Run every pipeline of a command line. */
static void run_line(const char* line) {
  struct token tokens[MAX_TOKENS];
  char* store = malloc(2 * strlen(line) + 1);
  int pos = 0;
  if (tokenize(line, tokens, store) < 0) {
    last_status = 2;
    free(store);
    return;
  }
  while (tokens[pos].kind != T_END) {
    struct pipeline p;
    if (parse_pipeline(tokens, &pos, &p) < 0) {
      last_status = 2;
      break;
    }
    if (p.ncmds == 0) continue;
    int status = run_pipeline(&p);
    report(status);
    last_status = WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                  : WIFSTOPPED(status)  ? 128 + WSTOPSIG(status)
                                        : WEXITSTATUS(status);
  }
  free(store);
}

/* ---- Line editing, at an interactive shell's prompt on a terminal ----
 * The terminal's own editing (canonical mode: Backspace, ^U, ^W) has no history and no cursor, so for the time
 * of one line the shell takes the keys itself: the terminal goes to non-canonical mode without echo, and back to
 * what it was before a command runs. ISIG stays on, so ^C, ^Z and ^\ still come as signals (^C: the shell's
 * handler abandons the line).
 *   keys that print        inserted at the cursor
 *   Backspace, ^H          erase the character before the cursor; Delete (or ^D on a line): the one under it
 *   Left, Right, ^B, ^F    move; Home, End, ^A, ^E: to the start, the end
 *   ^U, ^K, ^W             erase to the start of the line, to its end, the word before the cursor
 *   Up, Down, ^P, ^N       the previous, the next line of the history (`history` lists it)
 *   Tab                    complete a program name (the first word, from $PATH) or a file name
 *   ^C                     abandon the line;  ^D on an empty line: end of input;  ^L: show the line again
 */
#define HISTORY 100
static char* history[HISTORY]; /* the last HISTORY lines: line n is history[n % HISTORY] */
static int history_count;       /* lines ever added */

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) { interrupted = 1; }

static void history_add(const char* line) {
  if (!line[0] || (history_count && strcmp(history[(history_count - 1) % HISTORY], line) == 0)) return;
  free(history[history_count % HISTORY]);
  history[history_count % HISTORY] = strdup(line);
  history_count++;
}

static int builtin_history(int argc, char** argv) {
  for (int n = history_count > HISTORY ? history_count - HISTORY : 0; n < history_count; n++)
    printf("%5d  %s\n", n + 1, history[n % HISTORY]);
  return 0;
}

struct editor {
  char* line;
  size_t size, len, pos; /* the line (len bytes, NUL-terminated), its buffer's size, the cursor */
  const char* prompt;
};

static void term_write(const char* s, size_t n) {
  while (n) {
    ssize_t w = write(2, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static void term_puts(const char* s) { term_write(s, strlen(s)); }

/* Show the prompt and the line again, the cursor where it is (one line of the screen: no wrapping). */
static void redraw(const struct editor* e) {
  char move[32];
  term_puts("\r");
  term_puts(e->prompt);
  term_write(e->line, e->len);
  term_puts("\x1b[K"); /* erase what is left of an older, longer line */
  if (e->len > e->pos) {
    snprintf(move, sizeof move, "\x1b[%zuD", e->len - e->pos);
    term_puts(move);
  }
}

static void insert_text(struct editor* e, const char* text, size_t n) {
  if (e->len + n + 1 > e->size) n = e->size - 1 - e->len;
  memmove(e->line + e->pos + n, e->line + e->pos, e->len - e->pos + 1);
  memcpy(e->line + e->pos, text, n);
  e->len += n;
  e->pos += n;
  if (e->pos == e->len)
    term_write(text, n); /* typing at the end: the echo alone, as the terminal would show it */
  else
    redraw(e);
}

static void erase_range(struct editor* e, size_t from, size_t to) {
  if (from >= to) return;
  int at_end = to == e->len && e->pos == to && to - from == 1;
  memmove(e->line + from, e->line + to, e->len - to + 1);
  e->len -= to - from;
  e->pos = from;
  if (at_end)
    term_puts("\b \b");
  else
    redraw(e);
}

static void set_line(struct editor* e, const char* text) {
  snprintf(e->line, e->size, "%s", text);
  e->len = e->pos = strlen(e->line);
  redraw(e);
}

static int is_separator(char c) { return c == ' ' || c == '\t' || c == '|' || c == ';' || c == '&' || c == '<' || c == '>'; }

/* The names in `dir` that start with prefix (directories with a '/' after them), at most max of them. */
static int list_candidates(const char* dir, const char* prefix, char** out, int n, int max) {
  DIR* d = opendir(dir);
  if (!d) return n;
  size_t plen = strlen(prefix);
  struct dirent* entry;
  while ((entry = readdir(d)) && n < max) {
    const char* name = entry->d_name;
    if (strncmp(name, prefix, plen) != 0 || (name[0] == '.' && prefix[0] != '.')) continue;
    int seen = 0; /* (a program in two directories of $PATH, or a builtin) */
    for (int i = 0; i < n && !seen; i++) seen = strcmp(out[i], name) == 0;
    if (seen) continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    out[n] = malloc(strlen(name) + 2);
    sprintf(out[n], "%s%s", name, is_dir ? "/" : "");
    n++;
  }
  closedir(d);
  return n;
}

static int compare_names(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* Tab: complete the word before the cursor. The first word of a command is a program (the directories of
 * $PATH, and the builtins) unless it has a '/'; any other word is a file name. One candidate: it is inserted,
 * with a space after it (a '/' after a directory). Several: their common beginning, and a second Tab lists
 * them. */
static void complete(struct editor* e, int listing) {
  size_t start = e->pos;
  while (start > 0 && !is_separator(e->line[start - 1])) start--;
  size_t before = start;
  while (before > 0 && (e->line[before - 1] == ' ' || e->line[before - 1] == '\t')) before--;
  int first_word = before == 0 || strchr("|;&", e->line[before - 1]);
  char word[PATH_MAX];
  snprintf(word, sizeof word, "%.*s", (int)(e->pos - start), e->line + start);
  char* slash = strrchr(word, '/');
  const char* prefix = slash ? slash + 1 : word;
  enum { MAX_CANDIDATES = 256 };
  char* names[MAX_CANDIDATES];
  int n = 0;
  if (first_word && !slash) {
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
      if (strncmp(builtins[i].name, prefix, strlen(prefix)) == 0) names[n++] = strdup(builtins[i].name);
    const char* path = getenv("PATH");
    char dirs[PATH_MAX];
    snprintf(dirs, sizeof dirs, "%s", path && *path ? path : "/bin");
    for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
      n = list_candidates(dir, prefix, names, n, MAX_CANDIDATES);
  } else {
    char dir[PATH_MAX];
    if (slash) snprintf(dir, sizeof dir, "%.*s", slash == word ? 1 : (int)(slash - word), word);
    n = list_candidates(slash ? dir : ".", prefix, names, n, MAX_CANDIDATES);
  }
  if (n == 0) {
    term_puts("\a");
    return;
  }
  qsort(names, (size_t)n, sizeof names[0], compare_names);
  size_t common = strlen(names[0]);
  for (int i = 1; i < n; i++) {
    size_t k = 0;
    while (k < common && names[i][k] == names[0][k]) k++;
    common = k;
  }
  size_t have = strlen(prefix);
  if (common > have) {
    insert_text(e, names[0] + have, common - have);
    if (n == 1 && names[0][common - 1] != '/') insert_text(e, " ", 1);
  } else if (n > 1 && listing) {
    term_puts("\n");
    for (int i = 0; i < n; i++) {
      term_puts(names[i]);
      term_puts(i + 1 < n ? "  " : "\n");
    }
    redraw(e);
  } else if (n > 1) {
    term_puts("\a");
  }
  for (int i = 0; i < n; i++) free(names[i]);
}

/* Read a line from the terminal with editing (above). Returns 0 at the end of the input. */
static int edit_line(char* line, size_t size, const char* prompt) {
  struct termios saved, raw;
  if (tcgetattr(0, &saved) < 0) return -1; /* not a terminal: the caller reads plainly */
  raw = saved;
  raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  tcsetattr(0, TCSANOW, &raw);
  struct sigaction on_int = {.sa_handler = on_interrupt}, old_int; /* no SA_RESTART: read() returns EINTR */
  sigaction(SIGINT, &on_int, &old_int);

  struct editor e = {line, size, 0, 0, prompt};
  line[0] = '\0';
  term_puts(prompt);
  int browsing = history_count; /* the history line shown: history_count is the line being typed */
  int oldest = history_count > HISTORY ? history_count - HISTORY : 0;
  char* typed = NULL; /* the line being typed, kept while the history is shown */
  int last_was_tab = 0, result = 1;
  const char* ending = "\n";
  for (;;) {
    unsigned char c;
    interrupted = 0;
    ssize_t n = read(0, &c, 1);
    if (n < 0 && errno == EINTR) {
      if (interrupted) { /* ^C: the terminal threw its input away; so do we */
        ending = "^C\n";
        e.len = e.pos = 0;
        line[0] = '\0';
        break;
      }
      continue;
    }
    if (n <= 0) {
      result = e.len > 0;
      break;
    }
    int tab = c == '\t';
    int key = c;
    if (c == 0x1b) { /* an escape sequence: ESC [ X, ESC O X, ESC [ N ~ */
      unsigned char seq[3] = {0, 0, 0};
      if (read(0, &seq[0], 1) != 1 || (seq[0] != '[' && seq[0] != 'O') || read(0, &seq[1], 1) != 1) continue;
      if (seq[1] >= '0' && seq[1] <= '9') {
        if (read(0, &seq[2], 1) != 1 || seq[2] != '~') continue;
        key = seq[1] == '3' ? 0x7f00 : (seq[1] == '1' || seq[1] == '7') ? 1 : (seq[1] == '4' || seq[1] == '8') ? 5 : 0;
      } else {
        key = seq[1] == 'A' ? 16 : seq[1] == 'B' ? 14 : seq[1] == 'C' ? 6 : seq[1] == 'D' ? 2 : seq[1] == 'H' ? 1 : seq[1] == 'F' ? 5 : 0;
      }
    }
    if (key == '\n' || key == '\r') {
      break;
    } else if (key == 4) { /* ^D */
      if (e.len == 0) {
        result = 0;
        break;
      }
      erase_range(&e, e.pos, e.pos < e.len ? e.pos + 1 : e.pos);
    } else if (key == 0x7f00) {
      erase_range(&e, e.pos, e.pos < e.len ? e.pos + 1 : e.pos);
    } else if (key == 0x7f || key == 8) {
      if (e.pos > 0) erase_range(&e, e.pos - 1, e.pos);
    } else if (key == 1 || key == 5) { /* ^A, ^E */
      e.pos = key == 1 ? 0 : e.len;
      redraw(&e);
    } else if (key == 2 || key == 6) { /* ^B, ^F */
      if (key == 2 && e.pos > 0) e.pos--;
      else if (key == 6 && e.pos < e.len) e.pos++;
      else continue;
      term_puts(key == 2 ? "\b" : "\x1b[C");
    } else if (key == 21) { /* ^U */
      erase_range(&e, 0, e.pos);
    } else if (key == 11) { /* ^K */
      e.len = e.pos;
      line[e.len] = '\0';
      term_puts("\x1b[K");
    } else if (key == 23) { /* ^W */
      size_t from = e.pos;
      while (from > 0 && line[from - 1] == ' ') from--;
      while (from > 0 && line[from - 1] != ' ') from--;
      erase_range(&e, from, e.pos);
    } else if (key == 12) { /* ^L */
      term_puts("\n");
      redraw(&e);
    } else if (key == 16 || key == 14) { /* ^P (Up), ^N (Down) */
      int to = browsing + (key == 16 ? -1 : 1);
      if (to < oldest || to > history_count) {
        term_puts("\a");
        continue;
      }
      if (browsing == history_count) {
        free(typed);
        typed = strdup(line);
      }
      browsing = to;
      set_line(&e, to == history_count ? (typed ? typed : "") : history[to % HISTORY]);
    } else if (tab) {
      complete(&e, last_was_tab);
    } else if (key >= 32 && key < 0x7f) {
      char ch = (char)key;
      insert_text(&e, &ch, 1);
    } else if (key >= 0x80 && key < 0x100) {
      char ch = (char)key; /* UTF-8 bytes go in as they come */
      insert_text(&e, &ch, 1);
    }
    last_was_tab = tab;
  }
  free(typed);
  sigaction(SIGINT, &old_int, NULL);
  tcsetattr(0, TCSANOW, &saved);
  /* The settings first, then the newline: what is typed once it shows is for the command, with the echo and
   * editing of the terminal. */
  term_puts(ending);
  if (result) history_add(line);
  return result;
}

/* Read one line (without its newline), a byte at a time so that the programs we start can read the rest of
 * the input. Returns 0 at the end of the input. */
static int read_line(int fd, char* line, size_t size) {
  size_t len = 0;
  int got = 0;
  for (;;) {
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got = 1;
    if (c == '\n') break;
    if (len + 1 < size) line[len++] = c;
  }
  line[len] = '\0';
  if (len + 1 == size) fprintf(stderr, "sh: line too long, cut to %zu characters\n", len);
  return got;
}

static void run_lines(int fd) {
  static char line[MAX_LINE];
  for (;;) {
    reap_jobs();
    if (job_control) { /* a person at a terminal: with line editing and history */
      int got = edit_line(line, sizeof line, "$ ");
      if (got == 0) break;
      if (got > 0) {
        run_line(line);
        continue;
      }
    }
    if (interactive) fputs("$ ", stderr);
    if (!read_line(fd, line, sizeof line)) break;
    run_line(line);
  }
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "-c") == 0) {
    if (argc < 3) {
      fprintf(stderr, "usage: sh -c \"COMMAND LINE\"\n");
      return 2;
    }
    run_line(argv[2]);
    return last_status;
  }
  if (argc >= 2) {
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fprintf(stderr, "sh: %s: %s\n", argv[1], strerror(errno));
      return 127;
    }
    run_lines(fd);
    return last_status;
  }
  interactive = 1;
  start_job_control();
  run_lines(0);
  return last_status;
}
