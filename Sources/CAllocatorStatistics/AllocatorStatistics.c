#include "CAllocatorStatistics.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

sluice_allocator_statistics sluice_allocator_statistics_read(void) {
    sluice_allocator_statistics statistics = {0, 0, 0, 0};
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    statistics.heldBytes = (uint64_t)info.arena + (uint64_t)info.hblkhd;
    statistics.allocatedBytes = (uint64_t)info.uordblks + (uint64_t)info.hblkhd;
    statistics.freeBytes = (uint64_t)info.fordblks;
    statistics.isAvailable = 1;
#endif
    return statistics;
}
