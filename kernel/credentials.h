// Who a process is: user and group IDs. Everyone is root here (uid and gid 0: there is no setuid yet), but a
// process has supplementary groups (setgroups/getgroups, /proc/PID/status "Groups:"), kept as Linux keeps
// them: an immutable sorted list shared by fork and replaced whole by setgroups.
#pragma once

#include "lib/refptr.h"
#include "lib/result.h"
#include "lib/types.h"

struct GroupList : RefCounted {
  static constexpr u32 MAX_GROUPS = 65536;  // NGROUPS_MAX

  // A list of `count` groups copied from gids (kernel memory), sorted.
  static Result<RefPtr<GroupList>> create(const u32* gids, u32 count);
  ~GroupList();

  u32 count = 0;
  u32* gids = nullptr;  // kmalloc'ed, count entries in ascending order

 private:
  GroupList() = default;
};
