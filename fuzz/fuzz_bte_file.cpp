// libFuzzer target: arbitrary bytes as a .bte model file. The reader must
// accept the file or throw bte::Error; anything else (a crash, a sanitizer
// report, another exception, a huge allocation) is a finding.
//
// The header checksum in the preamble would stop almost every mutation at
// the first check, so the harness rewrites it to match the mutated header
// (when the length field is in range) and the fuzzer reaches the JSON and
// tensor-table validation behind it. Tensor checksums are left unverified
// for the same reason; their check is a plain comparison, tested elsewhere.
#include <cstring>
#include <string>

#include "base/check.h"
#include "tokenizer/tokenizer.h"
#include "fuzz/fuzz_input_file.h"
#include "weights/bte_file.h"
#include "weights/bte_format.h"
#include "weights/checksum.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string image(reinterpret_cast<const char*>(data), size);
  if (size >= bte::kBtePreambleBytes) {
    uint64_t n;
    std::memcpy(&n, image.data() + 16, 8);
    if (n <= size - bte::kBtePreambleBytes) {
      const uint64_t sum = bte::checksum64(image.data() + bte::kBtePreambleBytes, n);
      std::memcpy(image.data() + 24, &sum, 8);
    }
  }
  bte::fuzz::InputFile file(reinterpret_cast<const uint8_t*>(image.data()), image.size());
  try {
    bte::BteOpenOptions options;
    options.verify_checksums = false;
    const bte::BteFile f = bte::BteFile::open(file.path(), options);
    // Touch what a loader touches: every tensor's bytes and the tokenizer.
    volatile unsigned char sink = 0;
    for (const auto& t : f.tensors())
      if (t.bytes) sink = sink ^ static_cast<const unsigned char*>(t.data)[t.bytes - 1];
    (void)sink;
    const bte::TokenizerRecord& t = f.header().tokenizer;
    bte::load_tokenizer(t.kind, t.settings, f.tokenizer_model(), f.config().vocab, file.path())
        ->encode("fuzz", 16);
  } catch (const bte::Error&) {
  }
  return 0;
}
