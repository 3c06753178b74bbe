// What a model may hold: label names a reader can print one per line and key
// JSON by (one rule, models/model_config.h validate_labels, at convert and at
// load), and only finite numbers — NaN or infinity in a checkpoint is refused
// at convert, and a model that still yields them (a .bte made elsewhere) is
// refused when it runs, by the engine, the CLI (exit 2) and the C API
// (BTE_ERROR_BAD_MODEL), never printed as "nan".
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "base/check.h"
#include "bte/bte.h"
#include "engine/engine.h"
#include "tests/golden.h"
#include "tests/test_util.h"
#include "tests/test_weights_util.h"
#include "weights/bte_file.h"
#include "weights/checksum.h"
#include "base/dtype.h"
#include "convert/hf_convert.h"
#include "models/model_config.h"

using namespace bte;
using Catch::Contains;
using nlohmann::json;
namespace fs = std::filesystem;
namespace bt = bte::test;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A writable copy of an oracle checkpoint directory.
std::string copy_ckpt(const bt::TempDir& dir, const std::string& which, const std::string& as = "hf") {
  const std::string out = dir / as;
  fs::create_directories(out);
  for (const auto& e : fs::directory_iterator(bt::data_path("golden/" + which)))
    if (e.path().filename() != "expected.json")
      fs::copy_file(e.path(), out + "/" + e.path().filename().string());
  return out;
}

void edit_config(const std::string& hf, const std::function<void(json&)>& f) {
  auto j = json::parse(bt::read_file(hf + "/config.json"));
  f(j);
  bt::write_bytes(hf + "/config.json", j.dump(2));
}

// Sets element `index` of HF tensor `name` to `v`, re-encoding the tensor in
// `dtype` ("F32", "F16" or "BF16").
void poison(const std::string& hf, const std::string& name, size_t index, float v,
            const std::string& dtype = "F32") {
  auto ts = bt::read_safetensors(hf + "/model.safetensors");
  bool found = false;
  for (auto& t : ts) {
    if (t.name != name) continue;
    REQUIRE(t.dtype == "F32");
    std::vector<float> x(t.bytes.size() / 4);
    std::memcpy(x.data(), t.bytes.data(), t.bytes.size());
    x.at(index) = v;
    t.dtype = dtype;
    if (dtype == "F32") {
      std::memcpy(t.bytes.data(), x.data(), t.bytes.size());
    } else {
      t.bytes.resize(x.size() * 2);
      for (size_t i = 0; i < x.size(); ++i) {
        const uint16_t h = dtype == "BF16" ? float_to_bf16(x[i]) : float_to_fp16(x[i]);
        std::memcpy(&t.bytes[2 * i], &h, 2);
      }
    }
    found = true;
  }
  REQUIRE(found);
  bt::write_safetensors(hf + "/model.safetensors", ts);
}

std::string convert(const std::string& hf, const std::string& out,
                    std::vector<std::string> labels = {}, DType dt = DType::F32,
                    std::string* log = nullptr) {
  ConvertOptions o;
  o.hf_dir = hf;
  o.output = out;
  o.dtype = dt;
  o.labels = std::move(labels);
  convert_hf(o, [&](const std::string& s) {
    if (log) *log += s + "\n";
  });
  return out;
}

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no error");
  return ErrorKind::Internal;
}

bt::CommandResult bte_run(const std::string& args) {
  return bt::run_command(bt::bte_binary() + " " + args);
}

bool has_nan_text(const std::string& s) {
  std::string l = s;
  for (char& c : l) c = char(std::tolower(static_cast<unsigned char>(c)));
  return l.find("nan") != std::string::npos || l.find("inf") != std::string::npos;
}

// The tiny oracle model as a .bte whose tensor `name` has element `index`
// set to `v`, with its checksum recomputed: a file "made elsewhere" that
// passes every load-time check.
std::string poisoned_bte(const bt::TempDir& dir, const std::string& name, size_t index, float v) {
  const std::string good = convert(bt::data_path("golden/tiny"), dir / "good.bte");
  std::string img = bt::read_file(good);
  const json h = bt::header_of(img);
  for (const auto& t : h["tensors"]) {
    if (t["name"] != name) continue;
    REQUIRE(t["dtype"] == "fp32");
    const size_t off = t["offset"].get<size_t>(), bytes = t["bytes"].get<size_t>();
    REQUIRE(index * 4 < bytes);
    std::memcpy(&img[off + index * 4], &v, 4);
    const std::string sum = checksum_hex(checksum64(img.data() + off, bytes));
    img = bt::edit_header(img, [&](json& j) {
      for (auto& e : j["tensors"])
        if (e["name"] == name) e["checksum"] = sum;
    });
    const std::string out = dir / ("bad-" + name + ".bte");
    bt::write_bytes(out, img);
    return out;
  }
  FAIL("no tensor " << name);
  return "";
}

}  // namespace

// ---- labels -------------------------------------------------------------------------

TEST_CASE("labels: the rule, each class of bad name", "[weights][labels]") {
  for (const char* ok : {"positive", "LABEL_0", "tr\xC3\xA8s bien", "\xE4\xB8\xAD\xE6\x96\x87",
                         "a b", "\xF0\x9F\x98\x80", "-1"})
    CHECK(label_problem(ok).empty());
  CHECK(label_problem(std::string(kMaxLabelBytes, 'x')).empty());
  CHECK(label_problem("") == "is empty");
  CHECK_THAT(label_problem(std::string(kMaxLabelBytes + 1, 'x')), Contains("257 bytes long"));
  CHECK_THAT(label_problem("ab\xFF"), Contains("not valid UTF-8 (at byte 2)"));
  CHECK_THAT(label_problem("a\tb"), Contains("control character (U+0009) at byte 1"));
  CHECK_THAT(label_problem("a\nb"), Contains("(U+000A)"));
  CHECK_THAT(label_problem(std::string("a\0b", 3)), Contains("(U+0000)"));
  CHECK_THAT(label_problem("a\x7F"), Contains("(U+007F)"));
  CHECK_THAT(label_problem("a\xC2\x85"), Contains("(U+0085)"));        // C1 NEL
  CHECK_THAT(label_problem("\xC2\x9F"), Contains("(U+009F)"));         // last C1
  CHECK_THAT(label_problem("a\xE2\x80\xA8z"), Contains("(U+2028)"));   // line separator
  CHECK_THAT(label_problem(" pos"), Contains("space at its start"));
  CHECK_THAT(label_problem("pos "), Contains("space at its end"));

  // Escaped so that the bad character shows.
  CHECK(escape_label("a\nb") == "\"a\\nb\"");
  CHECK(escape_label("a\tb\x7F") == "\"a\\tb\\x7F\"");
  CHECK(escape_label("a\xC2\x85") == "\"a\\u0085\"");
  CHECK(escape_label("tr\xC3\xA8s") == "\"tr\xC3\xA8s\"");
  CHECK(escape_label("ab\xFF") == "\"ab\\xFF\"");
  CHECK(escape_label("q\"\\") == "\"q\\\"\\\\\"");
  CHECK_THAT(escape_label(std::string(300, 'y')), Contains("... (300 bytes)"));

  CHECK_NOTHROW(validate_labels({"neg", "neu", "pos"}, ErrorKind::BadModel, "m"));
  CHECK_THROWS_WITH(validate_labels({"neg", "x\ny", "pos"}, ErrorKind::BadModel, "m"),
                    "m: label 1 \"x\\ny\" contains a control character (U+000A) at byte 1");
  CHECK_THROWS_WITH(validate_labels({"a", "b", "a"}, ErrorKind::BadInput, "--labels"),
                    Contains("--labels: label 2 \"a\" is a second name for label 0"));
  CHECK(kind_of([] { validate_labels({"a", ""}, ErrorKind::BadInput, "w"); }) == ErrorKind::BadInput);
}

TEST_CASE("labels: config.json's id2label is checked at convert", "[weights][labels]") {
  bt::TempDir dir;
  const std::string hf = copy_ckpt(dir, "tiny");
  auto with_labels = [&](const json& id2label) {
    edit_config(hf, [&](json& j) { j["id2label"] = id2label; });
  };
  const std::string out = dir / "x.bte";
  struct Bad {
    json id2label;
    std::string says;
  };
  const std::vector<Bad> bad = {
      {{{"0", "neg"}, {"1", "neu\ttral"}, {"2", "pos"}},
       "id2label': label 1 \"neu\\ttral\" contains a control character (U+0009)"},
      {{{"0", "neg"}, {"1", "two\nlines"}, {"2", "pos"}}, "label 1 \"two\\nlines\""},
      {{{"0", "neg"}, {"1", "del\x7F"}, {"2", "pos"}}, "label 1 \"del\\x7F\""},
      {{{"0", "neg"}, {"1", "nel\xC2\x85"}, {"2", "pos"}}, "label 1 \"nel\\u0085\""},
      {{{"0", ""}, {"1", "neu"}, {"2", "pos"}}, "label 0 \"\" is empty"},
      {{{"0", "neg"}, {"1", "neu"}, {"2", " pos"}}, "label 2 \" pos\" has a space at its start"},
      {{{"0", "neg"}, {"1", std::string(300, 'x')}, {"2", "pos"}}, "is 300 bytes long"},
      {{{"0", "same"}, {"1", "same"}, {"2", "same"}}, "label 1 \"same\" is a second name for label 0"},
      // Keys must be exactly "0".."N-1".
      {{{"0", "neg"}, {"1", "neu"}, {"3", "pos"}}, "has key \"3\" among 3 entries"},
      {{{"0", "neg"}, {"01", "neu"}, {"2", "pos"}}, "has key \"01\""},
      {{{"0", "neg"}, {"x", "neu"}, {"2", "pos"}}, "has key \"x\""},
      {{{"0", "neg"}, {"1", 5}, {"2", "pos"}}, "id \"1\" must name its label with a string"},
      {json::object(), "id2label has 0 entries but classifier.out_proj.weight has 3 rows"},
      {{{"0", "neg"}, {"1", "pos"}}, "id2label has 2 entries"},
      {json::array({"neg", "neu", "pos"}), "'id2label' must be an object"},
  };
  for (const auto& b : bad) {
    INFO(b.id2label.dump());
    with_labels(b.id2label);
    CHECK_THROWS_WITH(convert(hf, out), Contains("config.json") && Contains(b.says));
    CHECK(kind_of([&] { convert(hf, out); }) == ErrorKind::BadModel);
  }
  // The CLI: exit 2, the label named, nothing written.
  with_labels({{"0", "neg"}, {"1", "two\nlines"}, {"2", "pos"}});
  const auto r = bte_run("convert " + bt::shell_quote(hf) + " -o " + bt::shell_quote(out));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("label 1 \"two\\nlines\" contains a control character"));
  CHECK_FALSE(fs::exists(out));
  // --labels replaces a bad id2label without reading it.
  CHECK(BteFile::open(convert(hf, out, {"a", "b", "c"})).config().labels ==
        std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("labels: bte convert --labels is checked (exit 1)", "[weights][labels][cli]") {
  bt::TempDir dir;
  const std::string tiny = bt::shell_quote(bt::data_path("golden/tiny"));
  const std::string out = dir / "x.bte";
  struct Bad {
    std::string labels, says;
  };
  const std::vector<Bad> bad = {
      {"neg,neu\ttral,pos", "--labels: label 1 \"neu\\ttral\" contains a control character (U+0009)"},
      {"neg,two\nlines,pos", "--labels: label 1 \"two\\nlines\" contains a control character (U+000A)"},
      {"neg,neu,pos\x7F", "--labels: label 2 \"pos\\x7F\""},
      {"neg,neu\xC2\x9F,pos", "--labels: label 1 \"neu\\u009F\""},
      {"neg,neu\xFF,pos", "--labels: label 1 \"neu\\xFF\" is not valid UTF-8 (at byte 3)"},
      {"neg, neu,pos", "--labels: label 1 \" neu\" has a space at its start"},
      {"neg,neu," + std::string(257, 'p'), "--labels: label 2 \"pppp"},
      {"pos,neu,pos", "--labels: label 2 \"pos\" is a second name for label 0"},
  };
  for (const auto& b : bad) {
    INFO(b.labels);
    const auto r = bte_run("convert " + tiny + " -o " + bt::shell_quote(out) + " --labels " +
                           bt::shell_quote(b.labels));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains(b.says));
    CHECK_FALSE(fs::exists(out));
    std::vector<std::string> split;
    for (size_t s = 0, c;; s = c + 1) {
      c = b.labels.find(',', s);
      split.push_back(b.labels.substr(s, c == std::string::npos ? c : c - s));
      if (c == std::string::npos) break;
    }
    CHECK(kind_of([&] { convert(bt::data_path("golden/tiny"), out, split); }) == ErrorKind::BadInput);
  }
  const auto ok = bte_run("convert -q " + tiny + " -o " + bt::shell_quote(out) +
                          " --labels " + bt::shell_quote("n\xC3\xA9g,neu,pos"));
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
}

TEST_CASE("labels: a .bte made elsewhere with bad labels is refused at load (exit 2)",
          "[weights][labels][cli]") {
  bt::TempDir dir;
  const std::string good = convert(bt::data_path("golden/tiny"), dir / "good.bte");
  const std::string img = bt::read_file(good);
  struct Bad {
    std::vector<std::string> labels;
    std::string says;
  };
  const std::vector<Bad> bad = {
      {{"neg", "a\nb", "pos"}, "label 1 \"a\\nb\" contains a control character (U+000A)"},
      {{"neg", "a\tb", "pos"}, "label 1 \"a\\tb\""},
      {{"neg", "neu", ""}, "label 2 \"\" is empty"},
      {{"neg", "\xC2\x80", "pos"}, "label 1 \"\\u0080\""},
      {{"neg", "neu", "pos "}, "label 2 \"pos \" has a space at its end"},
      {{"x", "x", "x"}, "label 1 \"x\" is a second name for label 0"},
  };
  for (const auto& b : bad) {
    INFO(b.says);
    const std::string p = dir / "bad.bte";
    bt::write_bytes(p, bt::edit_header(img, [&](json& j) { j["labels"] = b.labels; }));
    CHECK_THROWS_WITH(BteFile::open(p), Contains("bad.bte") && Contains(b.says));
    CHECK(kind_of([&] { BteFile::open(p); }) == ErrorKind::BadModel);
    const auto r = bte_run("classify -m " + bt::shell_quote(p) + " hello");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(b.says));
    CHECK(r.out.empty());
  }
}

TEST_CASE("labels: a head kept under an architecture that names none keeps id2label",
          "[weights][labels]") {
  bt::TempDir dir;
  const std::string hf = copy_ckpt(dir, "tiny");
  edit_config(hf, [](json& j) { j["architectures"] = {"XLMRobertaModel"}; });
  std::string log;
  const BteFile f = BteFile::open(convert(hf, dir / "x.bte", {}, DType::F32, &log));
  CHECK(f.config().labels == std::vector<std::string>{"negative", "neutral", "positive"});
  CHECK(f.config().architecture == "XLMRobertaForSequenceClassification");
  CHECK_THAT(log, Contains("keeping the classifier head") &&
                      Contains("architecture XLMRobertaModel names none") &&
                      Contains("labels from id2label"));
  // And its id2label is held to the same rule.
  edit_config(hf, [](json& j) { j["id2label"]["1"] = "neu\ttral"; });
  CHECK_THROWS_WITH(convert(hf, dir / "y.bte"), Contains("label 1 \"neu\\ttral\""));
  // A bare encoder without a head ignores id2label, as before.
  const std::string enc = copy_ckpt(dir, "tiny_encoder", "enc");
  edit_config(enc, [](json& j) { j["id2label"] = {{"0", "LABEL_0"}, {"7", "a\nb"}}; });
  CHECK(BteFile::open(convert(enc, dir / "enc.bte")).config().num_labels == 0);
}

// ---- non-finite numbers ---------------------------------------------------------------

TEST_CASE("non-finite: convert refuses NaN and infinity, naming tensor and index",
          "[weights][nonfinite]") {
  bt::TempDir dir;
  const std::string q = "roberta.encoder.layer.0.attention.self.query.weight";
  struct Case {
    std::string dtype;
    float v;
    size_t index;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"F32", kNaN, 5, "holds NaN at flat index 5"},
      {"F32", -kInf, 4095, "holds -infinity at flat index 4095"},
      {"BF16", kInf, 70, "holds +infinity at flat index 70"},
      {"F16", kNaN, 0, "holds NaN at flat index 0"},
  };
  for (const auto& c : cases) {
    INFO(c.dtype << " " << c.says);
    const std::string hf = copy_ckpt(dir, "tiny", "hf-" + c.dtype + std::to_string(c.index));
    poison(hf, q, c.index, c.v, c.dtype);
    const std::string out = dir / "x.bte";
    CHECK_THROWS_WITH(convert(hf, out), Contains("model.safetensors: tensor '" + q + "' (" +
                                                 c.dtype + ", shape [64, 64])") &&
                                            Contains(c.says) && Contains("not finite"));
    CHECK(kind_of([&] { convert(hf, out); }) == ErrorKind::BadModel);
    const auto r = bte_run("convert " + bt::shell_quote(hf) + " -o " + bt::shell_quote(out) +
                           " --dtype bf16");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(q) && Contains(c.says));
    CHECK_FALSE(fs::exists(out));
  }
  // A 1-D tensor and the head are checked as well.
  const std::string hf = copy_ckpt(dir, "tiny", "hf-bias");
  poison(hf, "classifier.out_proj.bias", 2, kNaN);
  CHECK_THROWS_WITH(convert(hf, dir / "b.bte"),
                    Contains("tensor 'classifier.out_proj.bias'") && Contains("NaN at flat index 2"));
  // A finite fp32 value past fp16's range would become infinite: refused too.
  const std::string big = copy_ckpt(dir, "tiny", "hf-big");
  poison(big, q, 9, 1e6f);
  CHECK_NOTHROW(convert(big, dir / "big32.bte"));
  CHECK_THROWS_WITH(convert(big, dir / "big16.bte", {}, DType::F16),
                    Contains(q) && Contains("at flat index 9, which fp16 cannot hold"));
}

TEST_CASE("non-finite: a .bte with NaN weights gives a model error, never a NaN",
          "[weights][nonfinite]") {
  bt::TempDir dir;
  // embeddings.ln.gamma poisons every hidden state; head.out.bias the logits only.
  const std::string all = poisoned_bte(dir, "embeddings.ln.gamma", 3, kNaN);
  const std::string head = poisoned_bte(dir, "head.out.bias", 1, kInf);
  auto engine = Engine::load(all, {});  // loads: the checksums match
  const PackedBatch batch = engine->encode({"Hello world", "How are you?"});
  for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
    INFO(mode_name(mode));
    struct Ask {
      const char* what;
      std::function<void(RunRequest&)> set;
    };
    for (const Ask& a : std::vector<Ask>{
             {"'logits' for text 0 of the batch", [](RunRequest& r) { r.outputs.logits = true; }},
             {"'cls' for text 0", [](RunRequest& r) { r.outputs.cls = true; }},
             {"'mean' for text 0", [](RunRequest& r) { r.outputs.mean = true; }},
             {"'hidden_states' for text 0 of the batch is not a finite number (token 0",
              [](RunRequest& r) { r.hidden_states = true; }}}) {
      RunRequest req;
      a.set(req);
      CHECK_THROWS_WITH(engine->run(batch, mode, req),
                        Contains(std::string("the model's output ") + a.what) &&
                            Contains("is not a finite number"));
      CHECK(kind_of([&] { engine->run(batch, mode, req); }) == ErrorKind::BadModel);
    }
  }
  {
    auto h = Engine::load(head, {});
    RunRequest req;
    req.outputs.logits = true;
    CHECK_THROWS_WITH(h->run(batch, Mode::Packed, req),
                      Contains("'logits' for text 0 of the batch is not a finite number (column 1)"));
    req = RunRequest();
    req.outputs.mean = true;
    CHECK_NOTHROW(h->run(batch, Mode::Packed, req));  // the encoder is sound
  }

  // The CLI: exit 2, a message, no "nan" anywhere.
  for (const std::string& cmd :
       {"classify -m " + bt::shell_quote(all) + " hello world",
        "classify --json -m " + bt::shell_quote(all) + " hello world",
        "classify -m " + bt::shell_quote(head) + " hello",
        "embed -m " + bt::shell_quote(all) + " hello world",
        "embed --pooling mean --normalize -m " + bt::shell_quote(all) + " hello"}) {
    INFO(cmd);
    const auto r = bte_run(cmd);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("is not a finite number") && Contains("the batch's texts are input texts "));
    CHECK_FALSE(has_nan_text(r.out));
    CHECK(r.out.empty());
  }
  const auto ok = bte_run("embed -m " + bt::shell_quote(head) + " hello");
  CHECK(ok.exit_code == 0);

  // The C API: BTE_ERROR_BAD_MODEL with the message.
  bte_model_options o = bte_model_default_options();
  bte_model* m = nullptr;
  REQUIRE(bte_model_load(all.c_str(), &o, &m) == BTE_OK);
  const char* texts[] = {"hello", "world"};
  std::vector<float> emb(2 * 64), probs(2 * 3);
  CHECK(bte_embed(m, texts, 2, BTE_POOLING_MEAN, 1, emb.data(), emb.size()) == BTE_ERROR_BAD_MODEL);
  CHECK_THAT(std::string(bte_last_error()), Contains("'mean'") && Contains("not a finite number"));
  CHECK(bte_classify(m, texts, 2, probs.data(), probs.size()) == BTE_ERROR_BAD_MODEL);
  CHECK_THAT(std::string(bte_last_error()), Contains("'logits'"));
  size_t total = 0;
  REQUIRE(bte_count_tokens(m, texts, 2, &total) == BTE_OK);
  std::vector<float> tok(total * 64);
  std::vector<size_t> offsets(3);
  CHECK(bte_embed_tokens(m, texts, 2, tok.data(), tok.size(), offsets.data()) ==
        BTE_ERROR_BAD_MODEL);
  CHECK_THAT(std::string(bte_last_error()), Contains("'hidden_states'"));
  bte_model_free(m);
}
