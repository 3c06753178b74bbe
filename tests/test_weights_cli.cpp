// `bte convert` and `bte info` as a user runs them: output, exit codes
// (0 ok, 1 usage or bad input, 2 a model the checks refuse).
#include <catch2/catch.hpp>

#include <cstring>

#include "tests/test_util.h"
#include "tests/test_weights_util.h"

using Catch::Contains;
using bte::test::shell_quote;

namespace {
bte::test::CommandResult bte_run(const std::string& args) {
  return bte::test::run_command(shell_quote(bte::test::bte_binary()) + " " + args);
}
}  // namespace

TEST_CASE("cli: bte convert + bte info on the oracle checkpoint", "[weights][cli]") {
  bte::test::TempDir dir;
  const std::string out = dir / "tiny.bte";
  auto r = bte_run("convert " + shell_quote(bte::test::data_path("golden/tiny")) + " -o " + shell_quote(out));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("wrote") && Contains("33 tensors, fp32"));

  r = bte_run("info " + shell_quote(out));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("XLMRobertaForSequenceClassification") &&
                        Contains("2 layers, hidden 64, 4 heads of 16, ffn 128, vocab 1002") &&
                        Contains("at most 64 tokens") && Contains("dtype         fp32") &&
                        Contains("head          trained") &&
                        Contains("labels        3: negative, neutral, positive") &&
                        Contains("tensors       33") && Contains("checksums     ok"));

  r = bte_run("info --json " + shell_quote(out));
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["head"] == "trained");
  CHECK(j["num_labels"] == 3);
  CHECK(j["dtype"] == "fp32");
  CHECK(j["checksums"] == "ok");
  CHECK(j["max_tokens"] == 64);
  CHECK(j["tensors"] == 33);
  CHECK(j["source"]["name"] == "tiny");

  // A bare encoder given a random head, in bf16: info says so, loudly.
  const std::string enc = dir / "enc.bte";
  r = bte_run("convert " + shell_quote(bte::test::data_path("golden/tiny_encoder")) + " -o " +
              shell_quote(enc) + " --dtype bf16 --num-labels 2 --labels no,yes --seed 9");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("ignoring pooler.dense.weight") && Contains("random classifier head"));
  r = bte_run("info " + shell_quote(enc));
  CHECK_THAT(r.out, Contains("RANDOM (seed 9)") && Contains("labels        2: no, yes") &&
                        Contains("dtype         bf16"));
  r = bte_run("info --json --no-verify " + shell_quote(enc));
  const auto k = nlohmann::json::parse(r.out);
  CHECK(k["head"] == "random");
  CHECK(k["head_seed"] == 9);
  CHECK(k["checksums"] == "not verified");
}

TEST_CASE("cli: bte convert / info refuse bad input with exit 1 or 2", "[weights][cli]") {
  bte::test::TempDir dir;
  const std::string tiny = shell_quote(bte::test::data_path("golden/tiny"));
  // Usage errors: exit 1.
  auto r = bte_run("convert " + tiny);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("missing -o"));
  CHECK(bte_run("convert -o x.bte").exit_code == 1);
  r = bte_run("convert " + tiny + " -o " + shell_quote(dir / "x.bte") + " --dtype int4");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("unknown dtype 'int4'"));
  r = bte_run("convert " + tiny + " -o " + shell_quote(dir / "x.bte") + " --num-labels 2");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("trained classifier head"));
  r = bte_run("convert " + tiny + " -o " + shell_quote(dir / "x.bte") + " --labels a,b");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("--labels names 2 labels but the head has 3"));
  CHECK(bte_run("info").exit_code == 1);
  CHECK(bte_run("convert --help").exit_code == 0);
  CHECK(bte_run("info --help").exit_code == 0);
  // Model errors: exit 2, with the file named.
  r = bte_run("info " + tiny);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("is a directory"));
  bte::test::write_bytes(dir / "empty.bte", "");
  r = bte_run("info " + shell_quote(dir / "empty.bte"));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("empty.bte: is empty"));
  r = bte_run("convert " + shell_quote(dir.path()) + " -o " + shell_quote(dir / "x.bte"));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("no config.json"));
  // A corrupt byte: info refuses it (exit 2), naming the tensor.
  const std::string good = dir / "good.bte";
  REQUIRE(bte_run("convert -q " + tiny + " -o " + shell_quote(good)).exit_code == 0);
  std::string img = bte::test::read_file(good);
  const auto h = bte::test::header_of(img);
  img[h["tensors"][7]["offset"].get<size_t>() + 100] ^= 0x40;
  bte::test::write_bytes(dir / "bad.bte", img);
  r = bte_run("info " + shell_quote(dir / "bad.bte"));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("checksum mismatch in tensor '" + h["tensors"][7]["name"].get<std::string>() + "'"));
  CHECK(bte_run("info --no-verify " + shell_quote(dir / "bad.bte")).exit_code == 0);
}
