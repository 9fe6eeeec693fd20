#ifndef RIKER_CGIT2_H
#define RIKER_CGIT2_H
#include <git2.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one typed function per option we use. */
int riker_git_opts_set_search_path(int level, const char *path);
int riker_git_opts_enable_strict_object_creation(int enabled);
int riker_git_opts_set_ssl_cert_locations(const char *file, const char *path);
int riker_git_opts_set_owner_validation(int enabled);
#endif
