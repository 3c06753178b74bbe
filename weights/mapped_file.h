// A whole file mapped read-only (mmap, MAP_PRIVATE). Used by the .bte and the
// safetensors readers, so tensors are read in place and never copied.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bte {

class MappedFile {
 public:
  // `what` names the file in messages ("model file", "safetensors file").
  // Throws Error(BadModel) for a missing file, a directory, an unreadable or an
  // empty file. `populate` pre-faults every page (for a read of the whole file).
  static MappedFile open(const std::string& path, const char* what, bool populate = false);

  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view bytes(size_t offset, size_t n) const {  // caller checked the range
    return {reinterpret_cast<const char*>(data_) + offset, n};
  }
  // Gives the pages wholly inside [p, p + n) back to the kernel (they stay in
  // the page cache and fault back in on the next read), so bytes already
  // consumed — verified, or repacked into another layout — stop counting in
  // this process's resident memory. Ranges outside the mapping are ignored.
  void drop_pages(const void* p, size_t n) const;

 private:
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bte
