// libFuzzer target: arbitrary bytes as a safetensors file. Accepted or
// bte::Error; every tensor the reader hands out must lie inside the file.
#include <cstdlib>

#include "base/check.h"
#include "fuzz/fuzz_input_file.h"
#include "convert/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bte::fuzz::InputFile file(data, size);
  try {
    const bte::SafetensorsFile f = bte::SafetensorsFile::open(file.path());
    volatile unsigned char sink = 0;
    for (const auto& [name, t] : f.tensors()) {
      if (t.elem_size == 0 || t.bytes % t.elem_size != 0) std::abort();
      if (t.bytes) sink = sink ^ t.data[0] ^ t.data[t.bytes - 1];  // ASan checks the range
    }
    (void)sink;
  } catch (const bte::Error&) {
  }
  return 0;
}
