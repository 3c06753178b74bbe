// `bte classify` and `bte embed` end to end on the oracle's tiny model:
// results against the golden outputs, order kept under length sorting,
// arguments = file = stdin, .npy read back by NumPy, and every bad input
// answered with its exit code and message.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "kernels/cuda/cuda_runtime_info.h"
#include "tests/golden.h"
#include "tests/test_util.h"

using namespace bte::test;

namespace {

const std::string& tiny_model() {
  static const std::string path = convert_checkpoint(data_path("golden/tiny"));
  return path;
}

// Golden cases whose text is one line (the CLI reads one text per line).
std::vector<int> single_line_cases(const Golden& g) {
  std::vector<int> out;
  for (size_t i = 0; i < g.cases.size(); ++i)
    if (g.cases[i].text.find('\n') == std::string::npos) out.push_back(int(i));
  return out;
}

}  // namespace

TEST_CASE("bte classify: labels and probabilities match PyTorch, in input order", "[cli]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  auto cases = single_line_cases(g);
  REQUIRE(cases.size() >= 10);
  std::shuffle(cases.begin(), cases.end(), std::mt19937(3));
  const std::string dir = temp_dir();
  {
    std::ofstream f(dir + "/texts.txt");
    for (int i : cases) f << g.cases[i].text << "\n";
  }
  // Small batches force the length sort to reorder texts across batches.
  const auto r = run_command(bte_binary() + " classify -m " + tiny_model() + " --json -f " + dir +
                             "/texts.txt --batch-size 3 --max-tokens 100");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto out = lines_of(r.out);
  REQUIRE(out.size() == cases.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    const auto& gc = g.cases[cases[k]];
    const auto j = nlohmann::json::parse(out[k]);
    INFO("line " << k + 1 << ": " << gc.text.substr(0, 50));
    const int best = int(std::max_element(gc.probs.begin(), gc.probs.end()) - gc.probs.begin());
    CHECK(j["label"] == g.labels[best]);
    for (int c = 0; c < g.num_labels; ++c)
      CHECK(std::abs(j["probs"][g.labels[c]].get<double>() - gc.probs[c]) <= 1e-4);
  }
  // Plain output, from arguments, file and stdin: identical.
  std::string args;
  for (int i : cases) args += " " + shell_quote(g.cases[i].text);
  const auto a = run_command(bte_binary() + " classify -m " + tiny_model() + args);
  const auto f = run_command(bte_binary() + " classify -m " + tiny_model() + " -f " + dir + "/texts.txt");
  const auto s = run_command(bte_binary() + " classify -m " + tiny_model() + " < " + dir + "/texts.txt");
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == f.out);
  CHECK(a.out == s.out);
  const auto plain = lines_of(a.out);
  REQUIRE(plain.size() == cases.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    const auto& gc = g.cases[cases[k]];
    const int best = int(std::max_element(gc.probs.begin(), gc.probs.end()) - gc.probs.begin());
    const auto tab = plain[k].find('\t');
    REQUIRE(tab != std::string::npos);
    CHECK(plain[k].substr(0, tab) == g.labels[best]);
    CHECK(std::abs(std::stod(plain[k].substr(tab + 1)) - gc.probs[best]) <= 1e-5);
  }
  // Every mode gives the same labels.
  for (const char* mode : {"reference", "fused"}) {
    const auto m = run_command(bte_binary() + " classify -m " + tiny_model() + " --mode " + mode + args);
    CHECK(lines_of(m.out).size() == cases.size());
    for (size_t k = 0; k < cases.size(); ++k)
      CHECK(lines_of(m.out)[k].substr(0, lines_of(m.out)[k].find('\t')) ==
            plain[k].substr(0, plain[k].find('\t')));
  }
}

TEST_CASE("bte embed: jsonl and npy match PyTorch's pooled embeddings", "[cli]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  const auto cases = single_line_cases(g);
  const std::string dir = temp_dir();
  {
    std::ofstream f(dir + "/texts.txt");
    for (int i : cases) f << g.cases[i].text << "\n";
  }
  const auto j = run_command(bte_binary() + " embed -m " + tiny_model() + " -f " + dir + "/texts.txt");
  REQUIRE(j.exit_code == 0);
  const auto rows = lines_of(j.out);
  REQUIRE(rows.size() == cases.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    const auto v = nlohmann::json::parse(rows[k]).get<std::vector<float>>();
    REQUIRE(v.size() == size_t(g.hidden));
    const auto d = compare(v.data(), g.cases[cases[k]].cls.data(), g.hidden, 1.0);
    INFO("cls row " << k << ": " << d.describe());
    CHECK(d.max_rel <= 1e-4);
  }
  const auto n = run_command(bte_binary() + " embed -m " + tiny_model() + " -f " + dir +
                             "/texts.txt --pooling mean --normalize --format npy -o " + dir + "/e.npy");
  REQUIRE(n.exit_code == 0);
  // NumPy reads it as float32 N x d, and the values are the golden mean_l2.
  std::ofstream(dir + "/expected.txt") << [&] {
    std::ostringstream s;
    for (int i : cases)
      for (float x : g.cases[i].mean_l2) s << x << "\n";
    return s.str();
  }();
  const auto py = run_command(
      "/usr/bin/python3 -c \"import numpy as np; a = np.load('" + dir + "/e.npy'); "
      "e = np.loadtxt('" + dir + "/expected.txt', dtype=np.float32).reshape(a.shape); "
      "print(a.dtype, a.shape[0], a.shape[1], float(np.abs(a - e).max()))\"");
  INFO(py.err);
  REQUIRE(py.exit_code == 0);
  std::istringstream got(py.out);
  std::string dtype;
  size_t n_rows = 0, d = 0;
  double max_diff = 1;
  got >> dtype >> n_rows >> d >> max_diff;
  CHECK(dtype == "float32");
  CHECK(n_rows == cases.size());
  CHECK(d == size_t(g.hidden));
  CHECK(max_diff <= 1e-4);
  // Through a pipe (not seekable) too.
  const auto p = run_command(bte_binary() + " embed -m " + tiny_model() + " --format npy a b c | "
                             "/usr/bin/python3 -c \"import sys, io, numpy as np; "
                             "print(np.load(io.BytesIO(sys.stdin.buffer.read())).shape)\"");
  CHECK(p.out == "(3, " + std::to_string(g.hidden) + ")\n");
}

TEST_CASE("bte classify/embed: bad input gets a clear error and exit code", "[cli]") {
  const std::string dir = temp_dir();
  const std::string bte = bte_binary();
  auto r = run_command(bte + " classify -m " + dir + "/nope.bte hello");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("nope.bte"));

  std::ofstream(dir + "/garbage.bte") << "this is not a model";
  r = run_command(bte + " classify -m " + dir + "/garbage.bte hello");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("garbage.bte"));

  r = run_command(bte + " classify hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no model given"));

  std::ofstream(dir + "/bad.txt") << "good line\nanother\nbad \xFF byte\n";
  r = run_command(bte + " classify -m " + tiny_model() + " -f " + dir + "/bad.txt");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("bad.txt:3") && Catch::Contains("invalid UTF-8"));

  // A 1 MB line: truncated with a warning, one result.
  {
    std::ofstream f(dir + "/long.txt");
    for (int i = 0; i < 100000; ++i) f << "word ";
    f << "\nshort\n";
  }
  r = run_command(bte + " classify -m " + tiny_model() + " -f " + dir + "/long.txt");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.out).size() == 2);
  CHECK_THAT(r.err, Catch::Contains("long.txt:1") && Catch::Contains("truncated"));
  r = run_command(bte + " classify --no-truncate -m " + tiny_model() + " -f " + dir + "/long.txt");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("long.txt:1"));

  // Empty lines are texts too: <s></s>, one output each.
  std::ofstream(dir + "/empty.txt") << "\n\nx\n";
  r = run_command(bte + " classify -m " + tiny_model() + " -f " + dir + "/empty.txt");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.out).size() == 3);

  r = run_command(bte + " classify -m " + tiny_model() + " --device cuda hello");
  if (bte::cuda::device_count() == 0) {  // the refusal is what is tested here; a GPU runs it
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("cuda"));
  } else {
    CHECK(r.exit_code == 0);
  }

  r = run_command(bte + " classify -m " + tiny_model() + " --top-k 9 hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--top-k"));

  const std::string encoder = convert_checkpoint(data_path("golden/tiny_encoder"));
  r = run_command(bte + " classify -m " + encoder + " hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no classification head"));

  r = run_command(bte + " embed -m " + tiny_model() + " --pooling weightedmean hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--pooling must be cls, mean or max"));
  r = run_command(bte + " embed -m " + tiny_model() + " --normalize --no-normalize hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("not both"));
  r = run_command(bte + " embed -m " + tiny_model() + " --prompt query hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no prompt named \"query\" (it has no prompts)"));
  r = run_command(bte + " embed -m " + tiny_model() + " --prompt q --prompt-text x hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--prompt or --prompt-text, not both"));
  r = run_command(bte + " embed -m " + tiny_model() + " -o " + dir + "/no/such/dir/out.npy hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("cannot open for writing"));
}
