// The safetensors reader: reads the oracle's files as written, and refuses
// every malformed one with a message naming the file and the tensor.
#include <catch2/catch.hpp>

#include <cstring>

#include "base/check.h"
#include "tests/test_util.h"
#include "tests/test_weights_util.h"
#include "convert/safetensors.h"

using namespace bte;
using Catch::Contains;

namespace {
std::string f32_bytes(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(v.begin()), v.size() * 4);
}
// A raw file: u64 length, header text, data.
std::string raw(const std::string& header, const std::string& data) {
  const uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}
}  // namespace

TEST_CASE("safetensors: reads the oracle checkpoint like an independent parser", "[weights][safetensors]") {
  const std::string path = bte::test::data_path("golden/tiny/model.safetensors");
  const SafetensorsFile f = SafetensorsFile::open(path);
  const auto want = bte::test::read_safetensors(path);
  REQUIRE(f.tensors().size() == want.size());
  REQUIRE(want.size() == 41);
  for (const auto& w : want) {
    INFO(w.name);
    const auto* t = f.find(w.name);
    REQUIRE(t != nullptr);
    CHECK(t->dtype == w.dtype);
    CHECK(t->shape == w.shape);
    REQUIRE(t->bytes == w.bytes.size());
    CHECK(std::memcmp(t->data, w.bytes.data(), t->bytes) == 0);
  }
  CHECK(f.find("roberta.embeddings.word_embeddings.weight")->shape == std::vector<int64_t>{1002, 64});
  CHECK(f.find("nope") == nullptr);
}

TEST_CASE("safetensors: malformed files are refused, each with its own message",
          "[weights][safetensors][corrupt]") {
  bte::test::TempDir dir;
  const std::string p = dir / "m.safetensors";
  auto open = [&](const std::string& bytes) {
    bte::test::write_bytes(p, bytes);
    (void)SafetensorsFile::open(p);
  };
  const std::string ok_header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK_NOTHROW(open(raw(ok_header, f32_bytes({1, 2}))));
  CHECK(SafetensorsFile::open(p).find("a")->elements() == 2);

  CHECK_THROWS_WITH(open(""), Contains("m.safetensors") && Contains("is empty"));
  CHECK_THROWS_WITH((void)SafetensorsFile::open(dir.path()), Contains("is a directory"));
  CHECK_THROWS_WITH(open("abc"), Contains("shorter than the 8-byte header length"));
  CHECK_THROWS_WITH(open(raw(ok_header, f32_bytes({1, 2})).substr(0, 30)),
                    Contains("header length 54 runs past the end of the file (30 bytes)"));
  {
    std::string big = raw(ok_header, "");
    const uint64_t n = uint64_t(1) << 50;
    std::memcpy(big.data(), &n, 8);
    CHECK_THROWS_WITH(open(big), Contains("exceeds the cap"));
  }
  CHECK_THROWS_WITH(open(raw("{\"a\": ", "")), Contains("safetensors header is not valid JSON"));
  CHECK_THROWS_WITH(open(raw("[1]", "")), Contains("must be a JSON object"));
  CHECK_THROWS_WITH(open(raw(std::string(50, '[') + std::string(50, ']'), "")),
                    Contains("nests deeper than 8"));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", f32_bytes({1, 2}))),
                    Contains("tensor 'a': unknown safetensors dtype \"Q4\""));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", f32_bytes({1, 2}))),
                    Contains("safetensors field 'tensor 'a'.dtype' is missing"));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", f32_bytes({1, 2}))),
                    Contains("tensor 'a': data_offsets [0, 16] lie outside the 8-byte data section"));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", f32_bytes({1, 2}))),
                    Contains("data_offsets [8, 0] lie outside"));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f32_bytes({1, 2}))),
                    Contains("tensor 'a': data_offsets [0, 8] hold 8 bytes but F32 [3] takes 12"));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})",
                             f32_bytes({1, 2}))),
                    Contains("tensor 'a'") && Contains("overflows"));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", f32_bytes({1, 2}))),
                    Contains("shape entries must be non-negative integers"));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,-8]}})", f32_bytes({1, 2}))),
                    Contains("'data_offsets' must be [begin, end]"));
  CHECK_THROWS_WITH(open(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             f32_bytes({1, 2, 3}))),
                    Contains("tensors 'a' and 'b' overlap"));
  // Cut anywhere: never a crash, always a message.
  const std::string good = bte::test::read_file(bte::test::data_path("golden/tiny/model.safetensors"));
  for (size_t cut : {size_t(0), size_t(5), size_t(8), size_t(100), size_t(5000), good.size() / 2, good.size() - 1}) {
    INFO("cut at " << cut);
    CHECK_THROWS_AS(open(good.substr(0, cut)), Error);
  }
}
