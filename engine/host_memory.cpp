#include "engine/host_memory.h"

#include <cstdlib>

#include "base/check.h"

namespace bte {

void* host_allocate(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* p = rounded ? std::aligned_alloc(64, rounded) : nullptr;
  BTE_REQUIRE(p || rounded == 0, ErrorKind::OutOfMemory, "out of memory allocating ",
              bytes >> 20, " MiB of workspace");
  return p;
}

void host_release(void* p) { std::free(p); }

}  // namespace bte
