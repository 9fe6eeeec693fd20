#ifndef RIKER_CARCHIVE_H
#define RIKER_CARCHIVE_H
#include <archive.h>
#include <archive_entry.h>
#endif
