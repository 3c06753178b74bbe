// Host memory for the CPU and reference backends: 64-byte aligned blocks,
// plain memcpy transfers.
#pragma once

#include <cstddef>

namespace bte {

void* host_allocate(size_t bytes);  // throws Error(OutOfMemory) naming the size
void host_release(void* p);

}  // namespace bte
