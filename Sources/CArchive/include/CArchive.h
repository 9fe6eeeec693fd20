#ifndef RIKER_CARCHIVE_H
#define RIKER_CARCHIVE_H
#include <archive.h>
#include <archive_entry.h>

/* Gives the calling thread its own current directory (Linux unshare(CLONE_FS)) and moves it to
 * `dir`. archive_write_disk resolves entry paths against the current directory; this lets one
 * dedicated thread extract relative paths without moving the whole process. Returns 0 or -1
 * with errno set. Call it only on a thread that ends when the extraction is done. */
int riker_archive_enter_private_cwd(const char *dir);
#endif
