#include "tests/test_weights_util.h"

#include <catch2/catch.hpp>


#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/test_util.h"
#include "weights/bte_format.h"
#include "weights/bte_writer.h"
#include "weights/checksum.h"
#include "models/tensor_layout.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace bte::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/bte-weights-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  REQUIRE(out.good());
}

ModelConfig small_config(int labels) {
  ModelConfig c;
  c.layers = 2, c.hidden = 8, c.heads = 2, c.ffn = 16, c.vocab = 20, c.max_positions = 12;
  c.num_labels = labels;
  for (int i = 0; i < labels; ++i) c.labels.push_back("class" + std::to_string(i));
  c.architecture = labels > 0 ? "XLMRobertaForSequenceClassification" : "XLMRobertaModel";
  return c;
}

std::map<std::string, std::vector<float>> write_synthetic(const std::string& path,
                                                          const ModelConfig& c, DType dtype,
                                                          const std::string& tokenizer,
                                                          uint64_t seed) {
  BteHeader h;
  h.config = c;
  h.dtype = dtype;
  fill_standard_meta(h);
  h.tokenizer = {SentencePieceTokenizer::kKind, SentencePieceTokenizer::settings_for_vocab(c.vocab)};
  h.meta.source = "synthetic";
  h.meta.source_architecture = c.architecture;
  const auto specs = expected_tensors(c, dtype);
  for (const auto& s : specs) {
    BteEntry e;
    e.name = s.name, e.dtype = s.dtype, e.shape = s.shape;
    h.tensors.push_back(e);
  }
  h.tokenizer_blob.bytes = tokenizer.size();
  BteWriter w(path, h);
  std::map<std::string, std::vector<float>> values;
  uint64_t k = seed;
  for (const auto& s : specs) {
    const int64_t n = checked_bytes(s.shape, 1);
    std::vector<float> v = random_floats(n, k++ * 7919);
    std::string bytes;
    for (float x : v) {
      if (s.dtype == DType::F32) bytes.append(reinterpret_cast<const char*>(&x), 4);
      else {
        const uint16_t b = s.dtype == DType::BF16 ? float_to_bf16(x) : float_to_fp16(x);
        bytes.append(reinterpret_cast<const char*>(&b), 2);
      }
    }
    // In three pieces, to exercise the streaming checksum.
    w.begin_tensor(s.name);
    const size_t a = bytes.size() / 3, b = bytes.size() / 2;
    w.append(bytes.data(), a);
    w.append(bytes.data() + a, b - a);
    w.append(bytes.data() + b, bytes.size() - b);
    w.end_tensor();
    values[s.name] = std::move(v);
  }
  w.write_tokenizer(tokenizer);
  w.finish();
  return values;
}

std::string fix_header_checksum(std::string image) {
  uint64_t n;
  std::memcpy(&n, image.data() + 16, 8);
  if (image.size() < kBtePreambleBytes || n > image.size() - kBtePreambleBytes) return image;
  const uint64_t c = checksum64(image.data() + kBtePreambleBytes, n);
  std::memcpy(image.data() + 24, &c, 8);
  return image;
}

nlohmann::json header_of(const std::string& image) {
  uint64_t n;
  std::memcpy(&n, image.data() + 16, 8);
  return nlohmann::json::parse(image.substr(kBtePreambleBytes, n));
}

std::string edit_header(const std::string& image, const std::function<void(nlohmann::json&)>& edit) {
  uint64_t n;
  std::memcpy(&n, image.data() + 16, 8);
  // When the edited JSON no longer fits, grow the header by whole 64-byte
  // blocks and move every item's offset (and its bytes) by as much, first.
  for (uint64_t grow = 0;; grow += kBteAlignment) {
    nlohmann::json j = header_of(image);
    if (grow) {
      for (auto& t : j["tensors"]) t["offset"] = t["offset"].get<uint64_t>() + grow;
      j["tokenizer"]["offset"] = j["tokenizer"]["offset"].get<uint64_t>() + grow;
    }
    edit(j);
    std::string s = j.dump();
    if (s.size() > n + grow) continue;
    s.resize(n + grow, ' ');
    std::string out = image;
    out.replace(kBtePreambleBytes, n, s);
    const uint64_t len = n + grow;
    std::memcpy(out.data() + 16, &len, 8);
    return fix_header_checksum(out);
  }
}

}  // namespace bte::test

namespace bte::test {

void write_safetensors(const std::string& path, const std::vector<StTensor>& tensors) {
  nlohmann::json h = nlohmann::json::object();
  h["__metadata__"] = {{"format", "pt"}};
  std::string data;
  for (const auto& t : tensors) {
    h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  std::string js = h.dump();
  js.resize((js.size() + 7) / 8 * 8, ' ');
  const uint64_t n = js.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  write_bytes(path, out + js + data);
}

std::vector<StTensor> read_safetensors(const std::string& path) {
  const std::string img = read_file(path);
  uint64_t n;
  std::memcpy(&n, img.data(), 8);
  const auto h = nlohmann::json::parse(img.substr(8, n));
  std::vector<StTensor> out;
  for (auto it = h.begin(); it != h.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const size_t b = it.value()["data_offsets"][0], e = it.value()["data_offsets"][1];
    out.push_back({it.key(), it.value()["dtype"], it.value()["shape"].get<std::vector<int64_t>>(),
                   img.substr(8 + n + b, e - b)});
  }
  return out;
}

}  // namespace bte::test
