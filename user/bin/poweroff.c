/* poweroff: stop the machine (the reboot system call with RB_POWER_OFF). */
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void) {
  sync();
  reboot(RB_POWER_OFF);
  perror("poweroff"); /* only reached if it failed */
  return 1;
}
