// `bte bench` and `bte tutorial` run end to end on a tiny random model: the
// JSON report has every mode with sane numbers and the padding arithmetic
// of the tutorial's big batch; bad arguments are refused. (No timing is
// asserted: speed is measured, never tested.)
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

using namespace bte::test;

TEST_CASE("bte bench: three modes, JSON report, padding arithmetic", "[cli][bench]") {
  const auto r = run_command(bte_binary() + " bench --config tiny --workload seed-big --iters 2 "
                                            "--warmup 0 --threads 1 --profile --json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK_THAT(j["model"]["weights"].get<std::string>(), Catch::Contains("RANDOM"));
  const auto& w = j["workload"];
  CHECK(w["texts"] == 3);
  const double real = w["real_tokens"], padded = w["padded_tokens"];
  CHECK(real > 0);
  CHECK(padded >= real);
  CHECK(w["padding_fraction"].get<double>() == Approx(1 - real / padded));
  REQUIRE(j["modes"].size() == 3);
  const char* names[] = {"reference", "fused", "packed"};
  for (int i = 0; i < 3; ++i) {
    const auto& m = j["modes"][i];
    CHECK(m["mode"] == names[i]);
    CHECK(m["median_ms"].get<double>() > 0);
    CHECK(m["min_ms"].get<double>() <= m["median_ms"].get<double>());
    CHECK(m["tokens_per_s"].get<double>() > 0);
    CHECK_THAT(m["profile"].get<std::string>(), Catch::Contains("attention"));
  }
  CHECK(j["gemm_ceiling"]["gflops"].get<double>() > 0);
  CHECK(j["device"] == "cpu");
  CHECK(j["dtype"] == "fp32");
}

TEST_CASE("bte tutorial: packed batches, classification and the table", "[cli][bench]") {
  const auto r = run_command(bte_binary() + " tutorial --config tiny --iters 1 --threads 1");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("cu_seqlens") && Catch::Contains("padding skipped") &&
                        Catch::Contains("RANDOM") && Catch::Contains("benchmark: seed-big") &&
                        Catch::Contains("packed"));
}

TEST_CASE("bte bench: bad arguments are refused", "[cli][bench]") {
  auto r = run_command(bte_binary() + " bench --config tiny --workload /no/such/file");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("/no/such/file"));
  r = run_command(bte_binary() + " bench --config huge");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("unknown model size 'huge'"));
  r = run_command(bte_binary() + " bench --config tiny --mode turbo");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("unknown mode 'turbo'"));
  r = run_command(bte_binary() + " bench --config tiny --iters 0");
  CHECK(r.exit_code == 1);
}
