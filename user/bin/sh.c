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
 * Programs are found in the directories of $PATH (/bin if unset). Builtins: cd, pwd, exit [N], help, and
 * jobs, fg [%N], bg [%N] for job control.
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
#include <sys/wait.h>
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
  printf("Builtins: cd [DIR], pwd, exit [N], help, jobs, fg [%%N], bg [%%N].\n");
  printf("Syntax: a | b, cmd &, < in, > out, >> out, 2> err, 'quotes'.  ^C interrupts, ^Z stops the job.\n");
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
static int builtin_fg(int argc, char** argv);
static int builtin_bg(int argc, char** argv);

static const struct builtin {
  const char* name;
  int (*run)(int argc, char** argv);
} builtins[] = {{"cd", builtin_cd},     {"pwd", builtin_pwd}, {"exit", builtin_exit}, {"help", builtin_help},
                {"jobs", builtin_jobs}, {"fg", builtin_fg},   {"bg", builtin_bg}};

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
