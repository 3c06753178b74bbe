// `bte tokenize` end to end: the corpus file through the CLI equals the
// oracle's ids line by line; arguments, file and stdin agree; bad input
// gives exit code 1 and a message naming the cause.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_util.h"

using namespace bte::test;

namespace {
std::string ids_line(const std::vector<int>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? " " : "") + std::to_string(ids[i]);
  return s;
}
}  // namespace

TEST_CASE("bte tokenize: every corpus line equals the oracle's ids", "[cli][tokenizer]") {
  const auto golden = nlohmann::json::parse(read_file(data_path("tokenizer_golden.json")));
  for (const std::string model : {"unigram", "bpe"}) {
    std::map<std::string, std::string> expected;
    for (const auto& c : golden["models"][model]["cases"])
      expected[c["text"]] = ids_line(c["ids"].get<std::vector<int>>());
    const auto r = run_command(bte_binary() + " tokenize --spm " +
                               data_path("spm/" + model + ".model") + " -f " +
                               data_path("corpus.txt"));
    REQUIRE(r.exit_code == 0);
    const auto corpus = lines_of(read_file(data_path("corpus.txt")));
    const auto got = lines_of(r.out);
    REQUIRE(got.size() == corpus.size());
    int compared = 0;
    for (size_t i = 0; i < corpus.size(); ++i) {
      auto it = expected.find(corpus[i]);
      INFO(model << " corpus line " << i + 1);
      REQUIRE(it != expected.end());  // the oracle tokenized every corpus line
      CHECK(got[i] == it->second);
      ++compared;
    }
    CHECK(compared == int(corpus.size()));
  }
}

TEST_CASE("bte tokenize: arguments, file and stdin give the same lines", "[cli][tokenizer]") {
  const std::string dir = temp_dir();
  const std::vector<std::string> texts = {"Hello world", "", "Привет, мир", "東京は雨です 😀"};
  std::ofstream(dir + "/in.txt") << texts[0] << "\n" << texts[1] << "\r\n" << texts[2] << "\n" << texts[3];
  std::string args;
  for (const auto& t : texts) args += " " + shell_quote(t);
  const auto a = run_command(bte_binary() + " tokenize" + args);
  const auto f = run_command(bte_binary() + " tokenize -f " + dir + "/in.txt");
  const auto s = run_command(bte_binary() + " tokenize - < " + dir + "/in.txt");
  REQUIRE(a.exit_code == 0);
  CHECK(lines_of(a.out).size() == 4);
  CHECK(lines_of(a.out)[1] == "0 2");  // empty text: <s></s>
  CHECK(a.out == f.out);
  CHECK(a.out == s.out);
}

TEST_CASE("bte tokenize: bad input is refused clearly", "[cli][tokenizer]") {
  const std::string dir = temp_dir();
  std::ofstream(dir + "/bad.txt") << "fine\nalso fine\nbroken \xC3\x28 here\n";
  auto r = run_command(bte_binary() + " tokenize -f " + dir + "/bad.txt");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("bad.txt:3") && Catch::Contains("invalid UTF-8 at byte 7"));

  r = run_command(bte_binary() + " tokenize -f " + dir + "/missing.txt");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("missing.txt: cannot open"));

  r = run_command(bte_binary() + " tokenize --max-tokens 4 --no-truncate 'one two three four five'");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("more than --max-tokens 4"));

  r = run_command(bte_binary() + " tokenize --max-tokens 4 'one two three four five'");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("warning") && Catch::Contains("truncated"));

  r = run_command(bte_binary() + " tokenize --spm " + dir + "/bad.txt x");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("not a valid sentencepiece model"));

  r = run_command(bte_binary() + " tokenize --bogus");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("unknown option --bogus"));
  r = run_command(bte_binary() + " frobnicate");
  CHECK(r.exit_code == 1);
}
