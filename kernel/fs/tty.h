// The console terminal: the line discipline between the UART and read(2) (kernel/fs/tty.cpp), and the open
// files for it (console_open in kernel/fs/vfs.h, /dev/tty and /dev/console).
#pragma once

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"

// Boot: take the console's input (console_set_input_handler).
void tty_init();
// /dev/tty and /dev/console: the terminal, writing to the console's Stdout channel.
Result<RefPtr<File>> tty_open(u32 flags, Inode* inode);
