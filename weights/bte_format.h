// The .bte file layout (docs/FORMAT.md has it byte by byte):
//
//   0   8 bytes  magic "BTEMODEL"
//   8   u32 LE   format version (2; version 1 files are read too)
//   12  u32 LE   flags (0; any other bit is refused)
//   16  u64 LE   header length N (<= 16 MiB)
//   24  u64 LE   bte-mix64 checksum of the N header bytes
//   32  N bytes  JSON header, space-padded so that 32 + N is a multiple of 64
//   32+N ...     tensor data and the sentencepiece model, each at a 64-byte
//                aligned offset named in the header (the tokenizer's bytes
//                too: an opaque blob whose kind the header names); zero padding between;
//                the file ends with the last item.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace bte {

// The readers and the writer copy integers and tensors as they lie in memory.
static_assert(std::endian::native == std::endian::little, "bte files are little-endian");

inline constexpr char kBteMagic[8] = {'B', 'T', 'E', 'M', 'O', 'D', 'E', 'L'};
// 2: the config names its model family and the tokenizer its kind and
// settings; 1 (XLM-R only) is still read: its family is "xlm-roberta".
inline constexpr uint32_t kBteFormatVersion = 2;
inline constexpr uint32_t kBteOldestFormatVersion = 1;
inline constexpr size_t kBtePreambleBytes = 32;
inline constexpr size_t kBteAlignment = 64;
inline constexpr uint64_t kBteMaxHeaderBytes = uint64_t(16) << 20;
inline constexpr size_t kBteMaxTensors = 1 << 16;
inline constexpr size_t kBteMaxDims = 8;
inline constexpr const char* kBteChecksumName = "bte-mix64";

// The tokenizer as the file declares it: which implementation reads its
// bytes and the integer settings that implementation needs (special ids and
// the like). The format stores them without interpreting them; tokenizer/
// checks them when it loads (load_tokenizer).
struct TokenizerRecord {
  std::string kind;                                          // "sentencepiece"
  std::map<std::string, int64_t, std::less<>> settings;      // "pad_id": 1, ...
};

// What a .bte header says beyond the model config.
struct BteMeta {
  uint32_t format_version = kBteFormatVersion;
  std::string writer;               // "bte 0.1.0"
  std::string source;               // where it came from: a directory name, never a full path
  std::string source_architecture;  // e.g. "XLMRobertaForMaskedLM" as config.json said
};

// The version of bte itself ("0.1.0").
const char* bte_version();

inline uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace bte
