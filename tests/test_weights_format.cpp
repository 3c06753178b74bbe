// The .bte format: the checksum, and write -> read round trips of synthetic
// models (every tensor back bit-exact, offsets aligned, header fields kept).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <random>

#include "tests/test_util.h"
#include "tests/test_weights_util.h"
#include "weights/bte_file.h"
#include "weights/bte_writer.h"
#include "weights/checksum.h"
#include "models/tensor_layout.h"

using namespace bte;
using bte::test::TempDir;

TEST_CASE("weights: checksum streams, detects every single-word change, is pinned",
          "[weights][checksum]") {
  std::mt19937_64 rng(11);
  std::string data(1000, '\0');
  for (auto& ch : data) ch = char(rng());
  const uint64_t whole = checksum64(data.data(), data.size());
  // Any split into pieces gives the same value.
  for (int trial = 0; trial < 200; ++trial) {
    Checksum64 c;
    size_t pos = 0;
    while (pos < data.size()) {
      const size_t n = std::min<size_t>(rng() % 70, data.size() - pos);
      c.update(data.data() + pos, n);
      pos += n;
    }
    REQUIRE(c.digest() == whole);
  }
  // Every length 0..100 differs from its neighbours (the length is mixed in,
  // so trailing zero bytes count).
  std::string zeros(101, '\0');
  for (size_t n = 0; n < 100; ++n)
    REQUIRE(checksum64(zeros.data(), n) != checksum64(zeros.data(), n + 1));
  // A flipped bit anywhere changes it.
  for (size_t byte = 0; byte < data.size(); byte += 7) {
    std::string d = data;
    d[byte] ^= char(1 << (byte % 8));
    REQUIRE(checksum64(d.data(), d.size()) != whole);
  }
  // Pinned values: the definition in docs/FORMAT.md must not drift.
  const char* abc = "The quick brown fox jumps over the lazy dog";
  CHECK(checksum_hex(checksum64(abc, std::strlen(abc))) == "a009d01ca5903752");
  CHECK(checksum_hex(checksum64("", 0)) == "743719905ae6a46c");
  uint64_t back = 0;
  CHECK(parse_checksum_hex(checksum_hex(whole), &back));
  CHECK(back == whole);
  CHECK_FALSE(parse_checksum_hex("0123456789ABCDEF", &back));  // upper case is not the format
  CHECK_FALSE(parse_checksum_hex("0123", &back));
}

TEST_CASE("weights: write -> read round trip, fp32/bf16/fp16", "[weights][format]") {
  TempDir dir;
  const std::string spm = bte::test::read_file(bte::test::data_path("spm/unigram.model"));
  for (DType dt : {DType::F32, DType::BF16, DType::F16}) {
    for (int labels : {0, 3}) {
      DYNAMIC_SECTION(dtype_name(dt) << " labels " << labels) {
        const std::string path = dir / "m.bte";
        ModelConfig c = bte::test::small_config(labels);
        if (labels) c.head_is_random = true, c.head_seed = 42;
        const auto values = bte::test::write_synthetic(path, c, dt, spm);
        const BteFile f = BteFile::open(path);
        CHECK(f.checksums_verified());
        CHECK(f.path() == path);
        CHECK(f.dtype() == dt);
        CHECK(f.config().layers == c.layers);
        CHECK(f.config().hidden == c.hidden);
        CHECK(f.config().heads == c.heads);
        CHECK(f.config().ffn == c.ffn);
        CHECK(f.config().vocab == c.vocab);
        CHECK(f.config().max_positions == c.max_positions);
        CHECK(f.config().max_tokens() == c.max_positions - 2);
        CHECK(f.config().layer_norm_eps == c.layer_norm_eps);
        CHECK(f.config().labels == c.labels);
        CHECK(f.config().architecture == c.architecture);
        CHECK(f.config().head_is_random == (labels > 0));
        CHECK(f.config().head_seed == (labels > 0 ? 42u : 0u));
        CHECK(f.tokenizer_model() == spm);
        CHECK(f.header().meta.writer == std::string("bte ") + bte_version());
        CHECK(f.header().meta.source == "synthetic");
        CHECK(f.header().tokenizer.settings.at("mask_id") == c.vocab - 1);
        REQUIRE(f.tensors().size() == expected_tensors(c, dt).size());
        for (const auto& t : f.tensors()) {
          INFO(t.name);
          CHECK(reinterpret_cast<uintptr_t>(t.data) % 64 == 0);
          const auto& v = values.at(t.name);
          REQUIRE(t.bytes == v.size() * dtype_size(t.dtype));
          CHECK((t.shape.size() == 2 ? dt : DType::F32) == t.dtype);
          for (size_t i = 0; i < v.size(); ++i) {
            uint16_t h;
            float got;
            if (t.dtype == DType::F32) std::memcpy(&got, (const char*)t.data + 4 * i, 4);
            else {
              std::memcpy(&h, (const char*)t.data + 2 * i, 2);
              got = t.dtype == DType::BF16 ? bf16_to_float(h) : fp16_to_float(h);
            }
            const float want = t.dtype == DType::F32    ? v[i]
                               : t.dtype == DType::BF16 ? bf16_to_float(float_to_bf16(v[i]))
                                                        : fp16_to_float(float_to_fp16(v[i]));
            REQUIRE(std::memcmp(&got, &want, 4) == 0);
          }
        }
        CHECK(&f.tensor("layers.1.ffn.down.weight") == f.find("layers.1.ffn.down.weight"));
        CHECK(f.tensor("layers.1.attn.qkv.weight").shape == std::vector<int64_t>{24, 8});
        CHECK(f.find("layers.2.attn.qkv.weight") == nullptr);
        CHECK((f.find("head.out.weight") != nullptr) == (labels > 0));
        CHECK_THROWS_WITH(f.tensor("nope"), Catch::Contains("no tensor 'nope'") &&
                                                Catch::Contains(path));
        // Moving keeps the mapping and the pointers.
        const void* p = f.tensor("embeddings.word").data;
        BteFile g = BteFile::open(path);
        BteFile moved = std::move(g);
        CHECK(moved.tensor("embeddings.word").bytes == f.tensor("embeddings.word").bytes);
        CHECK(std::memcmp(moved.tensor("embeddings.word").data, p, f.tensor("embeddings.word").bytes) == 0);
      }
    }
  }
}

TEST_CASE("weights: file layout is as documented", "[weights][format]") {
  TempDir dir;
  const std::string path = dir / "m.bte";
  bte::test::write_synthetic(path, bte::test::small_config(2), DType::F32, "spm-bytes");
  const std::string img = bte::test::read_file(path);
  CHECK(img.substr(0, 8) == "BTEMODEL");
  uint32_t version, flags;
  uint64_t n;
  std::memcpy(&version, img.data() + 8, 4);
  std::memcpy(&flags, img.data() + 12, 4);
  std::memcpy(&n, img.data() + 16, 8);
  CHECK(version == 2);
  CHECK(flags == 0);
  CHECK((32 + n) % 64 == 0);
  uint64_t hsum;
  std::memcpy(&hsum, img.data() + 24, 8);
  CHECK(hsum == checksum64(img.data() + 32, n));
  const auto j = bte::test::header_of(img);
  CHECK(j["format"] == "bte");
  CHECK(j["checksum"] == "bte-mix64");
  CHECK(j["config"]["hidden"] == 8);
  CHECK(j["format_version"] == 2);
  CHECK(j["config"]["family"] == "xlm-roberta");
  CHECK(j["tokenizer"]["kind"] == "sentencepiece");
  CHECK(j["tokenizer"]["settings"]["fairseq_offset"] == 1);
  CHECK(j["tensors"][0]["offset"] == 32 + n);
  const auto& last = j["tokenizer"];
  CHECK(last["offset"].get<uint64_t>() + last["bytes"].get<uint64_t>() == img.size());
  CHECK(img.substr(last["offset"].get<size_t>()) == "spm-bytes");
  // A writer that is never finished leaves nothing behind.
  {
    BteHeader h;
    h.config = bte::test::small_config(0);
    fill_standard_meta(h);
    for (const auto& s : expected_tensors(h.config, DType::F32)) {
      BteEntry e;
      e.name = s.name, e.dtype = s.dtype, e.shape = s.shape;
      h.tensors.push_back(e);
    }
    h.tokenizer_blob.bytes = 3;
    BteWriter w(dir / "partial.bte", h);
    CHECK_THROWS_WITH(w.begin_tensor("layers.0.attn.qkv.weight"),
                      Catch::Contains("declared order"));
  }
  CHECK_THROWS_WITH(BteFile::open(dir / "partial.bte"), Catch::Contains("cannot open"));
  CHECK_THROWS_WITH(BteFile::open(dir / "partial.bte.partial"), Catch::Contains("cannot open"));
}

// Hidden (run with "[.weights-bench]"): writes an XLM-R large-sized fp32 file
// (2.2 GB, zeros) and times open() with and without checksum verification.
TEST_CASE("weights bench: open XLM-R large with checksums", "[.weights-bench]") {
  TempDir dir;
  ModelConfig c;  // XLM-R large
  c.layers = 24, c.hidden = 1024, c.heads = 16, c.ffn = 4096;
  c.num_labels = 0, c.architecture = "XLMRobertaModel";
  BteHeader h;
  h.config = c;
  fill_standard_meta(h);
  for (const auto& s : expected_tensors(c, DType::F32)) {
    BteEntry e;
    e.name = s.name, e.dtype = s.dtype, e.shape = s.shape;
    h.tensors.push_back(e);
  }
  h.tokenizer_blob.bytes = 8;
  const std::string path = dir / "large.bte";
  {
    BteWriter w(path, h);
    std::vector<char> zeros(size_t(4) << 20, 0);
    for (const auto& e : w.header().tensors) {
      w.begin_tensor(e.name);
      for (uint64_t left = e.bytes; left > 0;) {
        const size_t n = std::min<uint64_t>(left, zeros.size());
        w.append(zeros.data(), n);
        left -= n;
      }
      w.end_tensor();
    }
    w.write_tokenizer("12345678");
    w.finish();
  }
  for (bool verify : {false, true, true}) {
    const auto t0 = std::chrono::steady_clock::now();
    BteOpenOptions o;
    o.verify_checksums = verify;
    const BteFile f = BteFile::open(path, o);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("open %.2f GB, verify=%d: %.3f s\n", f.file_size() / 1e9, int(verify), s);
    CHECK(f.file_size() > 0);  // a measurement, printed; speed is never asserted
  }
}
