#include "lib/error.h"

const char* error_name(Error e) {
  switch (e) {
#define E(name)                                                                                            \
  case Error::name:                                                                                        \
    return "E" #name;
    E(PERM) E(NOENT) E(SRCH) E(INTR) E(IO) E(NXIO)  E(NOEXEC) E(BADF) E(CHILD) E(AGAIN)
    E(NOMEM)  E(FAULT) E(NOTBLK) E(BUSY) E(EXIST) E(XDEV) E(NODEV) E(NOTDIR) E(ISDIR) E(INVAL)
    E(NFILE) E(MFILE) E(NOTTY) E(TXTBSY) E(FBIG) E(NOSPC) E(SPIPE) E(ROFS) E(MLINK) E(PIPE) E(RANGE) E(DEADLK)
    E(NAMETOOLONG) E(NOSYS) E(NOTEMPTY) E(LOOP) E(OVERFLOW) E(LIBBAD) E(NOTSUP) E(TIMEDOUT)
#undef E
    case Error::TOO_BIG:
      return "E2BIG";
    case Error::ACCESS:
      return "EACCES";
    case Error::RESTARTSYS:
      return "ERESTARTSYS";
    case Error::RESTARTNOINTR:
      return "ERESTARTNOINTR";
    case Error::RESTARTNOHAND:
      return "ERESTARTNOHAND";
    case Error::RESTART_RESTARTBLOCK:
      return "ERESTART_RESTARTBLOCK";
    case Error::BUSERR:
      return "BUSERR";
  }
  return "E?";
}
