#ifndef RIKER_CSYSTEM_H
#define RIKER_CSYSTEM_H
#include <spawn.h>

/* posix_spawn_file_actions_addchdir_np needs _GNU_SOURCE, which Swift's Glibc import does not set. */
int riker_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/* pipe2(2) is a GNU extension too: a pipe whose ends are close-on-exec from the start. */
int riker_pipe_cloexec(int fds[2], int nonblocking);
#endif
