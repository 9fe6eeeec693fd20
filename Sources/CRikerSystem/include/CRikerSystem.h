#ifndef RIKER_CSYSTEM_H
#define RIKER_CSYSTEM_H
#include <spawn.h>

/* posix_spawn_file_actions_addchdir_np needs _GNU_SOURCE, which Swift's Glibc import does not set. */
int riker_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34+, GNU too): the child gets no descriptor
   from `lowest` up, whatever its close-on-exec flag (a listening socket must never reach an app). */
int riker_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowest);

/* pipe2(2) is a GNU extension too: a pipe whose ends are close-on-exec from the start. */
int riker_pipe_cloexec(int fds[2], int nonblocking);
#endif
