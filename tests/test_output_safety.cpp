// Never destroy a user's data (docs/RELIABILITY.md, "Outputs and inputs"):
// every file bte writes is a temporary renamed into place on success, never
// over a device, FIFO or directory, never onto one of the command's inputs;
// model-ish inputs that are not regular files are refused at once. Each test
// feeds the bad case to the built `bte` and checks what is on disk after.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "tests/golden.h"
#include "tests/test_util.h"
#include "convert/hf_convert.h"

using namespace bte::test;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

CommandResult bte_run(const std::string& args) {
  return run_command(shell_quote(bte_binary()) + " " + args);
}

// A writable copy of the tiny checkpoint (the tests must never risk tests/data).
std::string tiny_copy(const std::string& dir) {
  const std::string ck = dir + "/tiny";
  fs::copy(data_path("golden/tiny"), ck);
  return ck;
}

const std::string& tiny_model() {
  static const std::string path = convert_checkpoint(data_path("golden/tiny"));
  return path;
}

void write(const std::string& path, const std::string& bytes) { std::ofstream(path) << bytes; }

// Names in `dir` that look like our temporaries (".NAME.XXXXXX.tmp") or the
// old fixed "<out>.partial".
std::vector<std::string> leftovers(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if ((n[0] == '.' && n.size() > 4 && n.substr(n.size() - 4) == ".tmp") ||
        n.find(".partial") != std::string::npos)
      out.push_back(n);
  }
  return out;
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

}  // namespace

TEST_CASE("safety: convert refuses a directory, a FIFO, a device and stdout as -o",
          "[cli][safety]") {
  const std::string dir = temp_dir();
  const std::string ck = shell_quote(data_path("golden/tiny"));
  fs::create_directory(dir + "/adir");
  auto r = bte_run("convert " + ck + " -o " + dir + "/adir");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("adir: is a directory"));
  CHECK(fs::is_directory(dir + "/adir"));

  REQUIRE(::mkfifo((dir + "/fifo").c_str(), 0600) == 0);
  r = run_command("timeout 10 " + shell_quote(bte_binary()) + " convert " + ck + " -o " + dir + "/fifo");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("fifo: is a FIFO, not a regular file"));
  CHECK(S_ISFIFO(stat_of(dir + "/fifo").st_mode));

  // As root the old writer renamed its file over the device node.
  REQUIRE(S_ISCHR(stat_of("/dev/null").st_mode));
  r = bte_run("convert " + ck + " -o /dev/null");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("/dev/null: is a character device") && Contains("-o -"));
  CHECK(S_ISCHR(stat_of("/dev/null").st_mode));

  r = bte_run("convert " + ck + " -o -");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("standard output"));
  CHECK(leftovers(dir).empty());
}

TEST_CASE("safety: convert never writes onto the checkpoint it reads", "[cli][safety]") {
  const std::string dir = temp_dir();
  const std::string ck = tiny_copy(dir);
  for (const char* f : {"config.json", "model.safetensors", "sentencepiece.bpe.model"}) {
    INFO(f);
    const std::string target = ck + "/" + f, before = read_file(target);
    const auto r = bte_run("convert " + ck + " -o " + target);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains(target) && Contains("is the same file as the input"));
    CHECK(read_file(target) == before);
    CHECK(leftovers(ck).empty());
  }
  // A hard link and a symlink to a checkpoint file are that file.
  const std::string weights = ck + "/model.safetensors", before = read_file(weights);
  const ino_t ino = stat_of(weights).st_ino;
  REQUIRE(::link(weights.c_str(), (dir + "/hard.bte").c_str()) == 0);
  auto r = bte_run("convert " + ck + " -o " + dir + "/hard.bte");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("hard.bte: is the same file as the input"));
  CHECK(stat_of(dir + "/hard.bte").st_ino == ino);
  CHECK(stat_of(weights).st_nlink == 2);
  CHECK(read_file(weights) == before);
  REQUIRE(::symlink((ck + "/config.json").c_str(), (dir + "/sym.bte").c_str()) == 0);
  r = bte_run("convert " + ck + " -o " + dir + "/sym.bte");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("sym.bte: is the same file as the input"));
  CHECK(leftovers(dir).empty());
}

TEST_CASE("safety: a sharded checkpoint's inputs include every shard", "[safety][weights]") {
  const std::string dir = temp_dir();
  write(dir + "/model.safetensors.index.json",
        R"({"weight_map": {"a": "model-00001.safetensors", "b": "model-00002.safetensors"}})");
  const auto files = bte::checkpoint_input_files(dir);
  for (const char* f : {"config.json", "model.safetensors.index.json", "sentencepiece.bpe.model",
                        "model-00001.safetensors", "model-00002.safetensors"})
    CHECK(std::find(files.begin(), files.end(), dir + "/" + f) != files.end());
  write(dir + "/model-00002.safetensors", "shard");
  CHECK_THROWS_WITH(bte::check_output(dir + "/model-00002.safetensors", files),
                    Contains("is the same file as the input"));
}

TEST_CASE("safety: convert writes a private temporary, never a fixed .partial name",
          "[cli][safety]") {
  const std::string dir = temp_dir();
  const std::string ck = shell_quote(data_path("golden/tiny"));
  // An old-style "<out>.partial" symlink planted by someone else: not followed.
  write(dir + "/victim", "precious");
  REQUIRE(::symlink((dir + "/victim").c_str(), (dir + "/out.bte.partial").c_str()) == 0);
  auto r = bte_run("convert -q " + ck + " -o " + dir + "/out.bte");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(read_file(dir + "/victim") == "precious");
  CHECK(S_ISLNK(stat_of(dir + "/out.bte.partial").st_mode));
  fs::remove(dir + "/out.bte.partial");
  // A new file gets 0666 & ~umask (mkstemp's 0600 corrected).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  CHECK((stat_of(dir + "/out.bte").st_mode & 0777) == (0666 & ~mask));

  // Two converts to the same -o at once: both succeed, the result is whole.
  const std::string bte = shell_quote(bte_binary());
  r = run_command("{ " + bte + " convert -q " + ck + " -o " + dir + "/same.bte & p1=$!; " + bte +
                  " convert -q " + ck + " -o " + dir + "/same.bte & p2=$!; wait $p1; r1=$?; "
                  "wait $p2; echo $r1 $?; }");
  CHECK(r.out == "0 0\n");
  r = bte_run("info " + dir + "/same.bte");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("checksums     ok"));
  CHECK(leftovers(dir).empty());
}

TEST_CASE("safety: a symlinked output is written through; an existing file keeps its mode",
          "[cli][safety]") {
  const std::string dir = temp_dir();
  const std::string ck = shell_quote(data_path("golden/tiny"));
  write(dir + "/real.bte", "old");
  REQUIRE(::chmod((dir + "/real.bte").c_str(), 0640) == 0);
  REQUIRE(::symlink("real.bte", (dir + "/link.bte").c_str()) == 0);
  auto r = bte_run("convert -q " + ck + " -o " + dir + "/link.bte");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(S_ISLNK(stat_of(dir + "/link.bte").st_mode));  // the user's link survives
  CHECK((stat_of(dir + "/real.bte").st_mode & 0777) == 0640);
  r = bte_run("info " + dir + "/real.bte");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("checksums     ok"));
  CHECK(leftovers(dir).empty());
}

TEST_CASE("safety: embed never truncates an input or an existing output", "[cli][safety]") {
  const std::string dir = temp_dir();
  const std::string bte = shell_quote(bte_binary()) + " embed -m " + tiny_model();
  write(dir + "/in.txt", "hello\nworld\n");
  auto r = run_command(bte + " -f " + dir + "/in.txt -o " + dir + "/in.txt");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("in.txt: is the same file as the input"));
  CHECK(read_file(dir + "/in.txt") == "hello\nworld\n");

  r = run_command(bte + " -o " + dir + "/in.txt < " + dir + "/in.txt");  // stdin is the output
  CHECK(r.exit_code == 1);
  CHECK(read_file(dir + "/in.txt") == "hello\nworld\n");

  const std::string model_bytes = read_file(tiny_model());
  r = run_command(bte + " hello -o " + tiny_model());
  CHECK(r.exit_code == 1);
  CHECK(read_file(tiny_model()) == model_bytes);

  // A missing input: the existing output is left as it was.
  write(dir + "/old.jsonl", "keep me\n");
  r = run_command(bte + " -f " + dir + "/missing.txt -o " + dir + "/old.jsonl");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("missing.txt"));
  CHECK(read_file(dir + "/old.jsonl") == "keep me\n");

  // Failing on line 3, after two rows were written (batch of 1): jsonl and npy.
  write(dir + "/bad.txt", "good line\nanother\nbad \xFF byte\n");
  for (const char* fmt : {"jsonl", "npy"}) {
    INFO(fmt);
    r = run_command(bte + " --batch-size 1 --format " + fmt + " -f " + dir + "/bad.txt -o " + dir +
                    "/old.jsonl");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("bad.txt:3"));
    CHECK(read_file(dir + "/old.jsonl") == "keep me\n");
  }
  // --no-truncate and an over-long line, into a new file: nothing appears.
  write(dir + "/long.txt", "short\n" + std::string(5000, 'a') + "\n");
  r = run_command(bte + " --no-truncate --max-length 8 -f " + dir + "/long.txt -o " + dir +
                  "/new.jsonl");
  CHECK(r.exit_code == 1);
  CHECK_FALSE(fs::exists(dir + "/new.jsonl"));

  fs::create_directory(dir + "/adir");
  r = run_command(bte + " hello -o " + dir + "/adir");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("adir: is a directory"));
  r = run_command(bte + " hello -o -");  // standard output stays available
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.out).size() == 1);
  CHECK(leftovers(dir).empty());
}

TEST_CASE("safety: a successful embed -o .npy has its row count in the header",
          "[cli][safety]") {
  const std::string dir = temp_dir();
  write(dir + "/in.txt", "one\ntwo\nthree\n");
  write(dir + "/e.npy", "old contents");
  const auto r = run_command(shell_quote(bte_binary()) + " embed -m " + tiny_model() +
                             " --format npy --batch-size 2 -f " + dir + "/in.txt -o " + dir + "/e.npy");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string npy = read_file(dir + "/e.npy");
  REQUIRE(npy.size() > 128);
  CHECK_THAT(npy.substr(0, 128), Contains("'shape': (3, 64)"));
  CHECK(npy.size() == 128 + 3 * 64 * sizeof(float));
  CHECK(leftovers(dir).empty());
}

TEST_CASE("safety: an interrupted embed leaves no temporary", "[cli][safety]") {
  const std::string dir = temp_dir();
  // The input is a FIFO held open by a writer (sleep), so embed waits with its
  // temporary created; then SIGTERM, and the writer is stopped too (a pipe
  // from `sleep` would keep the shell, and the test, waiting for it).
  REQUIRE(::mkfifo((dir + "/in.fifo").c_str(), 0600) == 0);
  const auto r = run_command(
      "{ sleep 30 > " + dir + "/in.fifo & s=$!; " + shell_quote(bte_binary()) + " embed -m " +
      tiny_model() + " -f " + dir + "/in.fifo -o " + dir +
      "/out.jsonl & p=$!; i=0; while [ $i -lt 100 ] && ! ls -a " + dir +
      " | grep -q '\\.tmp$'; do sleep 0.1; i=$((i+1)); done; ls -a " + dir +
      " | grep -c '\\.tmp$'; kill -TERM $p; wait $p; echo rc=$?; kill $s; }");
  CHECK(r.out == "1\nrc=143\n");
  CHECK(leftovers(dir).empty());
  CHECK_FALSE(fs::exists(dir + "/out.jsonl"));
}

TEST_CASE("safety: a FIFO or directory as a model-ish input is refused at once",
          "[cli][safety]") {
  const std::string dir = temp_dir();
  const std::string bte = "timeout 10 " + shell_quote(bte_binary());
  REQUIRE(::mkfifo((dir + "/fifo").c_str(), 0600) == 0);
  auto r = run_command(bte + " embed -m " + dir + "/fifo hello");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("fifo: is not a regular file but a FIFO"));
  r = run_command(bte + " tokenize --spm " + dir + "/fifo hello");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("fifo: is not a regular file but a FIFO"));
  r = run_command(bte + " tokenize --spm " + dir + " hello");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains(dir + ": is a directory, not a sentencepiece model"));

  // Each checkpoint file in turn replaced by a FIFO.
  for (const char* f : {"config.json", "model.safetensors", "sentencepiece.bpe.model"}) {
    INFO(f);
    const std::string sub = dir + "/" + std::string(f) + ".d";
    fs::create_directory(sub);
    const std::string ck = tiny_copy(sub);
    fs::remove(ck + "/" + f);
    REQUIRE(::mkfifo((ck + "/" + f).c_str(), 0600) == 0);
    r = run_command(bte + " convert " + ck + " -o " + sub + "/out.bte");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(std::string(f) + ": is not a regular file but a FIFO"));
    CHECK_FALSE(fs::exists(sub + "/out.bte"));
  }

  // Text inputs keep accepting pipes and FIFOs.
  r = run_command("{ echo hello > " + dir + "/fifo & " + bte + " tokenize -f " + dir + "/fifo; }");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.out).size() == 1);
}

TEST_CASE("safety: bench's dumps go through the same checks", "[cli][safety]") {
  const std::string dir = temp_dir();
  const std::string bte = shell_quote(bte_binary()) +
                          " bench --config tiny --iters 1 --warmup 0 --no-ceiling --mode packed "
                          "--workload seed-small";
  auto r = run_command(bte + " --dump-ids " + dir + "/ids.json");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(nlohmann::json::parse(read_file(dir + "/ids.json")).is_array());
  write(dir + "/texts.txt", "hello\n");
  r = run_command(bte + " --workload " + dir + "/texts.txt --dump-ids " + dir + "/texts.txt");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("is the same file as the input"));
  CHECK(read_file(dir + "/texts.txt") == "hello\n");
  r = run_command(bte + " --dump-logits /dev/null");
  CHECK(r.exit_code == 1);
  CHECK(S_ISCHR(stat_of("/dev/null").st_mode));
  CHECK(leftovers(dir).empty());
}
