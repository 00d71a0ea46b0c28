#ifndef SLUICE_ALLOCATOR_STATISTICS_H
#define SLUICE_ALLOCATOR_STATISTICS_H

#include <stdint.h>

/// What the C allocator (glibc's malloc) has taken from the system and what of it is handed out,
/// summed over all its arenas. On a C library without `mallinfo2` every field is 0 and
/// `isAvailable` is 0.
typedef struct {
    /// Bytes the allocator holds from the system: its heaps (brk and mmap'd arenas) plus chunks
    /// mmap'd on their own (mallinfo2 `arena + hblkhd`).
    uint64_t heldBytes;
    /// Bytes in allocated chunks, those mmap'd on their own included (`uordblks + hblkhd`).
    uint64_t allocatedBytes;
    /// Free bytes kept in the heaps for later allocations (`fordblks`).
    uint64_t freeBytes;
    /// 1 if the figures come from the allocator, 0 if it cannot tell.
    int isAvailable;
} sluice_allocator_statistics;

/// Reads the allocator's figures now (glibc takes each arena's lock in turn: call it at
/// scrape frequency, not per request).
sluice_allocator_statistics sluice_allocator_statistics_read(void);

#endif
