#include "weights/mapped_file.h"

#include <cstdint>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/atomic_file.h"
#include "base/check.h"

namespace bte {

MappedFile MappedFile::open(const std::string& path, const char* what, bool populate) {
  // A FIFO or device is refused before any read (a FIFO would block forever).
  size_t size = 0;
  const int fd = open_regular_file(path, what, ErrorKind::BadModel, &size);
  if (size == 0) {
    ::close(fd);
    BTE_FAIL(ErrorKind::BadModel, path, ": is empty (0 bytes), not a ", what);
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (p == MAP_FAILED) {
    BTE_FAIL(ErrorKind::BadModel, path, ": cannot map ", what, " (", size, " bytes): ",
             std::strerror(err));
  }
  MappedFile m;
  m.data_ = static_cast<const unsigned char*>(p);
  m.size_ = size;
  return m;
}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

void MappedFile::drop_pages(const void* p, size_t n) const {
  const auto* b = static_cast<const unsigned char*>(p);
  if (!data_ || b < data_ || b + n > data_ + size_ || n == 0) return;
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = (uintptr_t(b) + page - 1) / page * page, hi = uintptr_t(b + n) / page * page;
  if (lo < hi) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
}

}  // namespace bte
