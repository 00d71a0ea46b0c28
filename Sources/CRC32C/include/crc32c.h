#ifndef SLUICE_CRC32C_H
#define SLUICE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) over `length` bytes.
///
/// Start with `crc = 0`; to checksum data in pieces, pass the previous result back in. The
/// value returned is the finished checksum (pre- and post-inversion are done here), so
/// `sluice_crc32c(0, "123456789", 9) == 0xE3069283`.
///
/// Uses the SSE4.2 `crc32` instruction on x86_64 or the ARMv8 CRC extension on aarch64 when
/// the CPU has it (checked once at run time), and a slicing-by-8 table otherwise.
uint32_t sluice_crc32c(uint32_t crc, const void *bytes, size_t length);

/// The portable slicing-by-8 implementation, exposed so that tests can compare it with the
/// hardware path on the same input.
uint32_t sluice_crc32c_portable(uint32_t crc, const void *bytes, size_t length);

/// 1 when `sluice_crc32c` uses a hardware instruction on this CPU, 0 otherwise.
int sluice_crc32c_is_hardware_accelerated(void);

#endif
