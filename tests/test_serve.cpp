// `bte serve` (server/): the routes' answers equal the oracle's (sentence-
// transformers embeddings, transformers' classifier probabilities,
// CrossEncoder scores, the Hugging Face tokenizer's ids) in TEI's JSON
// shapes; every malformed request is refused with its status and a message
// naming the field; cross-request batching gives each request its own rows;
// and the faults a server meets: a full queue (429), too many inputs and
// over-long texts (413), oversize bodies (413), a wrong API key (401), a
// client that trickles its request (cut at the read deadline), clients that
// leave mid-request (their work not yet run is dropped), a connection
// backlog that is full (503), and SIGTERM under load (every request read is
// answered, exit 0).
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <regex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "server/batcher.h"
#include "server/http_server.h"
#include "server/service.h"
#include "server/shape_buckets.h"
#include "tests/golden.h"
#include "tests/test_util.h"

extern char** environ;

using namespace bte;
using namespace bte::test;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-4;  // as the golden tests of the same fixtures

std::unique_ptr<Engine> load_fixture(const std::string& name) {
  return Engine::load(convert_checkpoint(data_path("golden/" + name)), {});
}

serve::ServiceOptions small_options() {
  serve::ServiceOptions o;
  o.model_id = "test-model";
  o.batcher.max_batch_tokens = 64;  // small: a request's texts spread over several batches
  o.batcher.token_buckets = serve::token_buckets(64);
  return o;
}

json parse(const serve::Reply& r) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

// A served Service on 127.0.0.1:<any port>, running until destroyed.
struct LiveServer {
  serve::Service& service;
  serve::HttpServer http;
  int port = 0;
  std::thread thread;
  LiveServer(serve::Service& s, serve::HttpOptions o) : service(s), http(s, [&] {
                                                                      o.port = 0;
                                                                      return o;
                                                                    }()) {
    port = http.bind();
    thread = std::thread([this] { http.run(); });
  }
  ~LiveServer() {
    http.stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    return c;
  }
};

// A raw TCP connection to 127.0.0.1:port.
int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

// Reads until the peer closes or `seconds` pass; what came.
std::string read_all(int fd, double seconds) {
  std::string got;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  char buf[4096];
  while (std::chrono::steady_clock::now() < end) {
    timeval tv{0, 100000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n > 0) got.append(buf, size_t(n));
  }
  return got;
}

}  // namespace

TEST_CASE("serve /embed: sentence-transformers' embeddings in TEI's shape, prompts, truncation", "[serve]") {
  auto engine = load_fixture("st_mean");
  serve::Service service(*engine, small_options());
  const json fx = json::parse(read_file(data_path("golden/st_mean/expected.json")));
  const auto texts = fx.at("texts").get<std::vector<std::string>>();
  REQUIRE(texts.size() <= 32);
  for (const auto& run : fx.at("runs")) {
    if (!run.at("prompt_text").is_null() && run.at("prompt_name").is_null() && run.at("name") != "default")
      continue;  // a prompt given as text: not a TEI field
    INFO(run.at("name").get<std::string>());
    json body{{"inputs", texts}, {"truncate", true}};
    if (!run.at("prompt_name").is_null()) body["prompt_name"] = run.at("prompt_name");
    const json got = parse(service.handle("POST", "/embed", body.dump(), nullptr));
    REQUIRE(got.size() == texts.size());
    for (const auto& c : run.at("cases")) {
      const size_t i = c.at("index").get<size_t>();
      const auto want = c.at("embedding").get<std::vector<float>>();
      const auto have = got[i].get<std::vector<float>>();
      REQUIRE(have.size() == want.size());
      INFO("text " << i << ": " << compare(have.data(), want.data(), int64_t(want.size())).describe());
      CHECK(compare(have.data(), want.data(), int64_t(want.size())).max_abs <= kTol);
    }
  }
  // One string is a batch of one; normalize: false gives the raw mean, whose
  // direction is the normalised one's.
  const json one = parse(service.handle("POST", "/embed", json{{"inputs", texts[0]}, {"normalize", false}}.dump(), nullptr));
  REQUIRE(one.size() == 1);
  const auto raw = one[0].get<std::vector<float>>();
  const auto unit = fx.at("runs")[0].at("cases")[0].at("embedding").get<std::vector<float>>();
  double norm = 0;
  for (float v : raw) norm += double(v) * v;
  norm = std::sqrt(norm);
  CHECK(std::abs(norm - 1.0) > 1e-3);
  for (size_t k = 0; k < raw.size(); ++k) CHECK(std::abs(raw[k] / norm - unit[k]) <= kTol);
  // dimensions: the first n values, normalised again (as TEI's matryoshka cut)
  const json cut = parse(service.handle("POST", "/embed", json{{"inputs", texts[0]}, {"dimensions", 8}}.dump(), nullptr));
  REQUIRE(cut[0].size() == 8);
  double n8 = 0;
  for (int k = 0; k < 8; ++k) n8 += double(unit[size_t(k)]) * unit[size_t(k)];
  for (int k = 0; k < 8; ++k) CHECK(std::abs(cut[0][size_t(k)].get<float>() - unit[size_t(k)] / std::sqrt(n8)) <= kTol);
  // An over-long text without "truncate" is refused (TEI: 413); a prompt the
  // model lacks is named.
  const size_t long_text = [&] {
    for (const auto& c : fx.at("runs")[0].at("cases"))
      if (c.at("truncated").get<bool>()) return c.at("index").get<size_t>();
    FAIL("the fixture has no truncated text");
    return size_t(0);
  }();
  serve::Reply r = service.handle("POST", "/embed", json{{"inputs", {texts[long_text]}}}.dump(), nullptr);
  CHECK(r.status == 413);
  CHECK(r.body.find("truncate") != std::string::npos);
  r = service.handle("POST", "/embed", json{{"inputs", "x"}, {"prompt_name", "nope"}}.dump(), nullptr);
  CHECK(r.status == 422);
  CHECK(r.body.find("prompt_name") != std::string::npos);
  CHECK(r.body.find("query") != std::string::npos);
}

TEST_CASE("serve /v1/embeddings: OpenAI's shape, floats and base64 alike", "[serve]") {
  auto engine = load_fixture("st_mean");
  serve::Service service(*engine, small_options());
  const json fx = json::parse(read_file(data_path("golden/st_mean/expected.json")));
  const auto texts = fx.at("texts").get<std::vector<std::string>>();
  const json got = parse(service.handle("POST", "/v1/embeddings", json{{"input", {texts[0], texts[1]}}, {"model", "m"}}.dump(), nullptr));
  CHECK(got.at("object") == "list");
  CHECK(got.at("model") == "m");
  REQUIRE(got.at("data").size() == 2);
  const auto& runs = fx.at("runs")[0].at("cases");
  int64_t tokens = 0;
  for (int i = 0; i < 2; ++i) {
    const json& d = got.at("data")[size_t(i)];
    CHECK(d.at("object") == "embedding");
    CHECK(d.at("index") == i);
    const auto have = d.at("embedding").get<std::vector<float>>();
    const auto want = runs[size_t(i)].at("embedding").get<std::vector<float>>();
    CHECK(compare(have.data(), want.data(), int64_t(want.size())).max_abs <= kTol);
    tokens += int64_t(runs[size_t(i)].at("ids").size());
  }
  CHECK(got.at("usage").at("prompt_tokens") == tokens);
  CHECK(got.at("usage").at("total_tokens") == tokens);
  // base64: the same float32 values, little-endian
  const json b64 = parse(service.handle("POST", "/v1/embeddings", json{{"input", texts[0]}, {"encoding_format", "base64"}}.dump(), nullptr));
  const std::string s = b64.at("data")[0].at("embedding").get<std::string>();
  std::string bytes;
  auto val = [](char c) { return int(std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").find(c)); };
  for (size_t p = 0; p + 3 < s.size() + 0; p += 4) {
    const uint32_t v = uint32_t(val(s[p])) << 18 | uint32_t(val(s[p + 1])) << 12 |
                       uint32_t(s[p + 2] == '=' ? 0 : val(s[p + 2])) << 6 | uint32_t(s[p + 3] == '=' ? 0 : val(s[p + 3]));
    bytes += char(v >> 16);
    if (s[p + 2] != '=') bytes += char(v >> 8 & 255);
    if (s[p + 3] != '=') bytes += char(v & 255);
  }
  const auto want = runs[0].at("embedding").get<std::vector<float>>();
  REQUIRE(bytes.size() == want.size() * 4);
  std::vector<float> have(want.size());
  std::memcpy(have.data(), bytes.data(), bytes.size());
  CHECK(compare(have.data(), want.data(), int64_t(want.size())).max_abs <= kTol);
  // OpenAI's error shape, and token arrays refused by name
  const serve::Reply r = service.handle("POST", "/v1/embeddings", json{{"input", {{1, 2, 3}}}}.dump(), nullptr);
  CHECK(r.status == 422);
  const json e = json::parse(r.body);
  CHECK(e.at("code") == 422);
  CHECK(e.at("message").get<std::string>().find("input") != std::string::npos);
}

TEST_CASE("serve /predict: transformers' probabilities, every label sorted, single and batch forms", "[serve]") {
  auto engine = load_fixture("tiny");
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  serve::Service service(*engine, small_options());
  std::vector<std::string> texts;
  std::vector<const GoldenCase*> cases;
  for (const auto& c : g.cases)
    if (!c.truncated && texts.size() < 8) {
      texts.push_back(c.text);
      cases.push_back(&c);
    }
  REQUIRE(texts.size() >= 3);
  json batch = json::array();
  for (const auto& t : texts) batch.push_back({t});
  for (bool raw : {false, true}) {
    const json got = parse(service.handle("POST", "/predict", json{{"inputs", batch}, {"raw_scores", raw}}.dump(), nullptr));
    REQUIRE(got.size() == texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto& want = raw ? cases[i]->logits : cases[i]->probs;
      REQUIRE(got[i].size() == size_t(g.num_labels));
      for (size_t k = 0; k < got[i].size(); ++k) {
        const std::string label = got[i][k].at("label");
        const size_t at = size_t(std::find(g.labels.begin(), g.labels.end(), label) - g.labels.begin());
        REQUIRE(at < g.labels.size());
        CHECK(std::abs(got[i][k].at("score").get<double>() - want[at]) <= kTol);
        if (k) CHECK(got[i][k - 1].at("score").get<double>() >= got[i][k].at("score").get<double>());
      }
    }
  }
  // "a" and ["a"] are one input: a flat list of predictions
  for (const json& in : {json(texts[0]), json::array({texts[0]})}) {
    const json one = parse(service.handle("POST", "/predict", json{{"inputs", in}}.dump(), nullptr));
    REQUIRE(one.is_array());
    REQUIRE(one[0].is_object());
    CHECK(one.size() == size_t(g.num_labels));
  }
  // [a, b] is one pair, [[a, b, c]] is no sequence
  CHECK(service.handle("POST", "/predict", json{{"inputs", {texts[0], texts[1]}}}.dump(), nullptr).status == 200);
  const serve::Reply r = service.handle("POST", "/predict", json{{"inputs", {{"a", "b", "c"}}}}.dump(), nullptr);
  CHECK(r.status == 422);
  CHECK(r.body.find("inputs[0]") != std::string::npos);
  // an embedding model has no head to predict with
  auto st = load_fixture("st_mean");
  serve::Service emb(*st, small_options());
  CHECK(emb.handle("POST", "/predict", json{{"inputs", "a"}}.dump(), nullptr).status == 400);
  CHECK(emb.handle("POST", "/rerank", json{{"query", "a"}, {"texts", {"b"}}}.dump(), nullptr).status == 400);
}

TEST_CASE("serve /rerank: CrossEncoder's scores, best first, with the texts when asked", "[serve]") {
  auto engine = load_fixture("rerank_tiny");
  serve::Service service(*engine, small_options());
  const json fx = json::parse(read_file(data_path("golden/rerank_tiny/expected.json")));
  // The documents of the first query
  const std::string query = fx.at("cases")[0].at("query");
  std::vector<std::string> docs;
  std::vector<double> want, want_logit;
  for (const auto& c : fx.at("cases"))
    if (c.at("query") == query) {
      docs.push_back(c.at("document"));
      want.push_back(c.at("cross_encoder_score"));
      want_logit.push_back(c.at("cross_encoder_logit"));
    }
  REQUIRE(docs.size() >= 2);
  for (bool raw : {false, true}) {
    const json got = parse(service.handle("POST", "/rerank", 
        json{{"query", query}, {"texts", docs}, {"raw_scores", raw}, {"return_text", true}, {"truncate", true}}.dump(),
        nullptr));
    REQUIRE(got.size() == docs.size());
    for (size_t k = 0; k < got.size(); ++k) {
      const size_t i = got[k].at("index");
      CHECK(std::abs(got[k].at("score").get<double>() - (raw ? want_logit[i] : want[i])) <= kTol);
      CHECK(got[k].at("text") == docs[i]);
      if (k) CHECK(got[k - 1].at("score").get<double>() >= got[k].at("score").get<double>());
    }
  }
  const json plain = parse(service.handle("POST", "/rerank", json{{"query", query}, {"texts", docs}, {"truncate", true}}.dump(), nullptr));
  CHECK_FALSE(plain[0].contains("text"));
}

TEST_CASE("serve /tokenize: the Hugging Face tokenizer's ids, with offsets into the text", "[serve]") {
  auto engine = load_fixture("tiny");
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  serve::Service service(*engine, small_options());
  int checked = 0;
  for (const auto& c : g.cases) {
    if (c.truncated || checked == 6) continue;
    ++checked;
    const json got = parse(service.handle("POST", "/tokenize", json{{"inputs", c.text}}.dump()));
    REQUIRE(got.size() == 1);
    std::vector<int32_t> ids;
    for (const auto& t : got[0]) {
      ids.push_back(t.at("id"));
      if (!t.at("special").get<bool>()) {
        const size_t a = t.at("start"), b = t.at("stop");
        CHECK(t.at("text") == c.text.substr(a, b - a));
      }
    }
    CHECK(ids == c.ids);
    const json bare = parse(service.handle("POST", "/tokenize", json{{"inputs", {c.text}}, {"add_special_tokens", false}}.dump()));
    CHECK(bare[0].size() == c.ids.size() - 2);
  }
  CHECK(checked > 0);
}

TEST_CASE("serve: every malformed request is refused with its status and the field's name", "[serve]") {
  auto engine = load_fixture("tiny");
  serve::ServiceOptions o = small_options();
  o.max_client_batch_size = 2;
  serve::Service service(*engine, o);
  struct Bad {
    const char* method;
    const char* path;
    std::string body;
    int status;
    const char* names;
  };
  const std::vector<Bad> cases = {
      {"POST", "/embed", "{\"inputs\": ", 422, "JSON"},
      {"POST", "/embed", "[1, 2]", 422, "object"},
      {"POST", "/embed", "{}", 422, "inputs"},
      {"POST", "/embed", "{\"inputs\": 5}", 422, "inputs"},
      {"POST", "/embed", "{\"inputs\": [\"a\", 5]}", 422, "inputs[1]"},
      {"POST", "/embed", "{\"inputs\": []}", 422, "inputs"},
      {"POST", "/embed", "{\"inputs\": [\"a\", \"b\", \"c\"]}", 413, "batch size 3"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"normalize\": \"yes\"}", 422, "normalize"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"truncate\": 1}", 422, "truncate"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"prompt_name\": 3}", 422, "prompt_name"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"dimensions\": 0}", 422, "dimensions"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"dimensions\": 100000}", 422, "dimensions"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"truncation_direction\": \"Left\"}", 422, "truncation_direction"},
      {"POST", "/predict", "{\"inputs\": 5}", 422, "inputs"},
      {"POST", "/predict", "{\"inputs\": \"a\", \"raw_scores\": null, \"truncate\": \"no\"}", 422, "truncate"},
      {"POST", "/predict", "{\"inputs\": [[\"a\"], [\"b\"], [\"c\"]]}", 413, "batch size 3"},
      {"POST", "/rerank", "{\"texts\": [\"a\"]}", 422, "query"},
      {"POST", "/rerank", "{\"query\": \"q\", \"texts\": \"a\"}", 422, "texts"},
      {"POST", "/tokenize", "{\"inputs\": {}}", 422, "inputs"},
      {"POST", "/tokenize", "{\"inputs\": \"a\", \"add_special_tokens\": 0}", 422, "add_special_tokens"},
      {"POST", "/v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"hex\"}", 422, "encoding_format"},
      {"POST", "/nope", "{}", 404, "/nope"},
      {"GET", "/embed", "", 404, "/embed"},
  };
  for (const Bad& b : cases) {
    INFO(b.method << " " << b.path << " " << b.body);
    const serve::Reply r = service.handle(b.method, b.path, b.body);
    CHECK(r.status == b.status);
    const json e = json::parse(r.body);
    const std::string msg = e.contains("error") ? e.at("error") : e.at("message");
    CHECK(msg.find(b.names) != std::string::npos);
  }
}

TEST_CASE("serve: requests beyond max-concurrent-requests answer 429 at once; a client that leaves gives up its work",
          "[serve]") {
  auto engine = load_fixture("tiny");
  serve::ServiceOptions o = small_options();
  o.max_concurrent_requests = 1;
  serve::Service service(*engine, o);
  // A's request is in flight (counted) while its client check blocks on B.
  std::promise<void> a_in_flight, b_done;
  std::shared_future<void> b_done_f = b_done.get_future().share();
  std::atomic<bool> first{true};
  auto a = std::async(std::launch::async, [&] {
    return service.handle("POST", "/embed", json{{"inputs", {"one", "two"}}}.dump(), [&] {
      if (first.exchange(false)) {
        a_in_flight.set_value();
        b_done_f.wait();
      }
      return false;
    });
  });
  REQUIRE(a_in_flight.get_future().wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  const auto t0 = std::chrono::steady_clock::now();
  const serve::Reply b = service.handle("POST", "/embed", json{{"inputs", "three"}}.dump(), nullptr);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  b_done.set_value();
  CHECK(b.status == 429);
  CHECK(json::parse(b.body).at("error_type") == "Overloaded");
  CHECK(waited < 1.0);  // answered at once, not queued (generous bound: a sanitizer build is slow)
  CHECK(a.get().status == 200);
  CHECK(service.in_flight() == 0);
  // A client gone before its work ran: cancelled, and the service goes on.
  const serve::Reply gone = service.handle("POST", "/embed", json{{"inputs", {"x", "y"}}}.dump(), [] { return true; });
  CHECK(gone.status == 499);
  CHECK(service.handle("POST", "/embed", json{{"inputs", "after"}}.dump(), nullptr).status == 200);
  // A batch of texts and pairs runs as two jobs but counts as one request.
  const serve::Reply mixed = service.handle("POST", "/predict", json{{"inputs", {{"a"}, {"b", "c"}}}}.dump(), nullptr);
  CHECK(mixed.status == 200);
  CHECK(json::parse(mixed.body).size() == 2);
  CHECK(service.in_flight() == 0);
}

TEST_CASE("serve batcher: requests batched together get their own rows; cancelled work never runs", "[serve]") {
  auto engine = load_fixture("st_mean");
  const ModelConfig& c = engine->config();
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  std::vector<std::string> texts;
  for (const auto& k : g.cases) texts.push_back(k.text);
  // Alone: each text in its own engine run.
  RunRequest req;
  req.outputs.mean = true;
  std::vector<std::vector<float>> alone;
  for (const auto& t : texts) {
    const RunOutputs out = engine->run(engine->encode({t}), Mode::Packed, req);
    alone.push_back(out.mean);
  }
  serve::BatcherOptions bo;
  bo.outputs.mean = true;
  bo.max_batch_tokens = 40;
  bo.token_buckets = serve::token_buckets(40);
  std::atomic<int64_t> sequences_run{0};
  serve::Batcher batcher(*engine, bo, [&](const serve::BatchReport& r) { sequences_run += r.sequences; });
  // A job cancelled before it is queued never runs.
  auto dropped = std::make_shared<serve::Job>(engine->encode(texts));
  dropped->cancel();
  REQUIRE(batcher.submit(dropped));
  // Many requests at once, from many threads, of 1-3 texts each.
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  const int n_threads = full_or_quick(8, 4);
  for (int t = 0; t < n_threads; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = size_t(t); i < texts.size(); i += size_t(n_threads)) {
        std::vector<std::string> mine;
        for (size_t k = i; k < std::min(texts.size(), i + 1 + i % 3); ++k) mine.push_back(texts[k]);
        auto job = std::make_shared<serve::Job>(engine->encode(mine));
        if (!batcher.submit(job)) { ++bad; continue; }
        while (!job->wait_for(std::chrono::milliseconds(50))) {}
        if (!job->error().empty()) { ++bad; continue; }
        for (size_t k = 0; k < mine.size(); ++k) {
          const Diff d = compare(job->pooled(int(k)), alone[i + k].data(), c.hidden);
          if (d.max_abs > 1e-5) ++bad;
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
  REQUIRE(dropped->wait_for(std::chrono::seconds(10)));
  CHECK(dropped->error() == "cancelled");
  batcher.stop();  // every batch's report is in
  int64_t expected = 0;
  for (size_t i = 0; i < texts.size(); ++i) expected += int64_t(std::min(texts.size(), i + 1 + i % 3) - i);
  CHECK(sequences_run == expected);  // none of the cancelled job's
  // Buckets: sorted, well under the 64 shapes a layer keeps, up to 512
  // tokens (or the budget, when smaller).
  const auto b = serve::token_buckets(16384);
  CHECK(b.size() <= 32);
  CHECK(std::is_sorted(b.begin(), b.end()));
  CHECK(b.back() == 512);
  CHECK(serve::token_buckets(40).back() == 40);
  for (size_t i = 1; i < b.size(); ++i) CHECK(double(b[i]) <= double(b[i - 1]) * 1.0906 + 16);  // 2^(1/8) steps
}

TEST_CASE("serve over HTTP: TEI's routes, JSON errors, body cap, API key", "[serve]") {
  auto engine = load_fixture("tiny");
  serve::Service service(*engine, small_options());
  serve::HttpOptions ho;
  ho.threads = 4;
  ho.payload_limit = 4096;
  ho.api_key = "s3cret";
  LiveServer live(service, ho);
  httplib::Client cli = live.client();
  httplib::Headers auth{{"Authorization", "Bearer s3cret"}};
  const std::string body = json{{"inputs", {"Hello world", "How are you!"}}}.dump();
  // The same bytes as the service answers directly
  auto r = cli.Post("/embed", auth, body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == service.handle("POST", "/embed", body, nullptr).body);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  for (const char* p : {"/predict", "/tokenize"}) {
    r = cli.Post(p, auth, json{{"inputs", "Hello"}}.dump(), "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  r = cli.Get("/info", auth);
  REQUIRE(r);
  const json info = json::parse(r->body);
  CHECK(info.at("model_id") == "test-model");
  CHECK(info.at("model_type").contains("classifier"));
  CHECK(info.at("max_client_batch_size") == 32);
  // API key: missing or wrong -> 401; /health stays open for load balancers
  r = cli.Post("/embed", body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 401);
  r = cli.Post("/embed", {{"Authorization", "Bearer s3creT"}}, body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(json::parse(r->body).at("error").get<std::string>().find("API key") != std::string::npos);
  r = cli.Get("/health");
  REQUIRE(r);
  CHECK(r->status == 200);
  {
    // A 401 answers before reading the body, so it closes the connection: a
    // client that then sends another request on it must not get a 400 made
    // from the unread body (it reconnects, as "Connection: close" says).
    const int fd = connect_to(live.port);
    const std::string wrong = "POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string next = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string both = wrong + next;
    REQUIRE(::send(fd, both.data(), both.size(), MSG_NOSIGNAL) == ssize_t(both.size()));
    const std::string got = read_all(fd, 5.0);  // returns when the server closes
    ::close(fd);
    INFO(got);
    CHECK(got.rfind("HTTP/1.1 401", 0) == 0);
    CHECK(got.find("Connection: close") != std::string::npos);
    CHECK(got.find("HTTP/1.1 400") == std::string::npos);
    CHECK(got.find("HTTP/1.1", 1) == std::string::npos);  // one answer, then closed
  }
  CHECK_FALSE(serve::equal_constant_time("s3cret", "s3cre"));
  CHECK(serve::equal_constant_time("s3cret", "s3cret"));
  // A body over the cap: 413 with a JSON body; malformed JSON: 422; unknown route: 404
  r = cli.Post("/embed", auth, std::string(5000, 'x'), "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(json::parse(r->body).contains("error"));
  r = cli.Post("/embed", auth, "{\"inputs\": [", "application/json");
  REQUIRE(r);
  CHECK(r->status == 422);
  r = cli.Get("/nowhere", auth);
  REQUIRE(r);
  CHECK(r->status == 404);
  {
    // The answer's write deadline runs from its first byte: a request that
    // waited for the engine longer than --write-timeout is still answered.
    serve::HttpOptions quick_write;
    quick_write.write_timeout_s = 0.001;
    LiveServer live2(service, quick_write);
    std::vector<std::string> many(32, "a text of some length, long enough to take the engine a while");
    const std::string big = json{{"inputs", many}, {"truncate", true}}.dump();
    auto r2 = live2.client().Post("/embed", big, "application/json");
    REQUIRE(r2);
    CHECK(r2->status == 200);
    CHECK(json::parse(r2->body).size() == 32);
  }
  // /metrics counts what happened, by route and status
  r = cli.Get("/metrics", auth);
  REQUIRE(r);
  CHECK(r->body.find("bte_requests_total{route=\"/embed\",status=\"401\"} 3") != std::string::npos);
  CHECK(r->body.find("bte_requests_total{route=\"/embed\",status=\"413\"} 1") != std::string::npos);
  CHECK(r->body.find("bte_request_duration_seconds_bucket{route=\"/embed\"") != std::string::npos);
  CHECK(r->body.find("bte_batch_tokens_bucket") != std::string::npos);
}

TEST_CASE("serve over HTTP: slow clients are cut at the deadline, leavers cost nothing, a full backlog answers 503",
          "[serve]") {
  auto engine = load_fixture("tiny");
  serve::Service service(*engine, small_options());
  serve::HttpOptions ho;
  ho.threads = 4;
  ho.max_pending_connections = 8;
  ho.read_timeout_s = 1;
  ho.keep_alive_timeout_s = 1;
  const std::string body = json{{"inputs", "Hello world"}}.dump();
  const std::string request = "POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;

  SECTION("a request trickled a byte at a time is cut at the read deadline; others are served meanwhile") {
    LiveServer live(service, ho);
    const int fd = connect_to(live.port);
    const auto t0 = std::chrono::steady_clock::now();
    std::atomic<bool> closed{false};
    std::thread trickle([&] {
      for (size_t i = 0; i < request.size() && !closed; ++i) {
        if (::send(fd, &request[i], 1, MSG_NOSIGNAL) != 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // under any per-read timeout
      }
    });
    httplib::Client cli = live.client();
    auto r = cli.Post("/embed", body, "application/json");  // the other thread serves it
    REQUIRE(r);
    CHECK(r->status == 200);
    const std::string got = read_all(fd, 5);  // the server closes the connection
    closed = true;
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    trickle.join();
    ::close(fd);
    CHECK(got.find("200 OK") == std::string::npos);
    CHECK(took < 4);  // the 1 s deadline, not the whole trickle (~30 s)
  }
  SECTION("clients that leave mid-body or before their answer cost nothing afterwards") {
    LiveServer live(service, ho);
    for (int i = 0; i < 4; ++i) {
      const int fd = connect_to(live.port);
      const std::string half = request.substr(0, request.size() - body.size() / 2);
      const std::string& what = i % 2 ? half : request;
      REQUIRE(::send(fd, what.data(), what.size(), MSG_NOSIGNAL) == ssize_t(what.size()));
      ::close(fd);
    }
    httplib::Client cli = live.client();
    for (int i = 0; i < 3; ++i) {
      auto r = cli.Post("/embed", body, "application/json");
      REQUIRE(r);
      CHECK(r->status == 200);
    }
    for (int i = 0; i < 100 && service.in_flight() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(service.in_flight() == 0);
  }
  SECTION("connections beyond the threads and the backlog are answered 503 at once") {
    ho.threads = 2;
    ho.max_pending_connections = 1;
    LiveServer live(service, ho);
    // Two idle connections hold both threads, a third waits in the backlog.
    std::vector<int> held;
    for (int i = 0; i < 3; ++i) held.push_back(connect_to(live.port));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int fd = connect_to(live.port);
    const std::string got = read_all(fd, 0.9);  // within the idle connections' 1 s
    CHECK(got.find("503") != std::string::npos);
    CHECK(got.find("Retry-After") != std::string::npos);
    ::close(fd);
    for (int h : held) ::close(h);
    // ... and once they are gone, the server serves again
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    httplib::Client cli = live.client();
    auto r = cli.Post("/embed", body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}

TEST_CASE("bte serve: SIGTERM under load answers every request it read and exits 0; bad flags exit 1", "[serve][cli]") {
  const std::string model = convert_checkpoint(data_path("golden/tiny"));
  const std::string dir = temp_dir();
  const std::string out = dir + "/out", err = dir + "/err";
  const std::string bin = bte_binary();
  std::vector<std::string> args = {bin, "serve", "-m", model, "--port", "0", "--threads", "1", "--http-threads", "16"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  int port = 0;
  for (int i = 0; i < 300 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::smatch m;
    const std::string s = read_file(out);
    if (std::regex_search(s, m, std::regex("127\\.0\\.0\\.1:([0-9]+)"))) port = std::stoi(m[1]);
  }
  REQUIRE(port > 0);
  const std::string body = json{{"inputs", {"Hello world", "How are you!", "a third text"}}}.dump();
  std::atomic<int64_t> ok{0}, wrong{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c)
    clients.emplace_back([&] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_read_timeout(30, 0);
      while (!stop) {
        auto r = cli.Post("/embed", body, "application/json");
        if (!r) {  // refused or closed before a request was read: not one the server took
          if (stop) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        if (r->status == 200 && json::parse(r->body).size() == 3) ++ok;
        else ++wrong;
      }
    });
  for (int i = 0; i < 6000 && ok < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(ok >= 50);
  REQUIRE(::kill(pid, SIGTERM) == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  stop = true;
  for (auto& t : clients) t.join();
  INFO(read_file(err));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(wrong == 0);
  // Every request the server answered 200 reached a client: nothing read was lost.
  std::smatch m;
  const std::string e = read_file(err);
  REQUIRE(std::regex_search(e, m, std::regex("([0-9]+) requests answered 2xx, 0 4xx, 0 5xx")));
  CHECK(std::stoll(m[1]) == ok.load());

  // Flags a user can get wrong
  const CommandResult no_model = run_command(shell_quote(bin) + " serve");
  CHECK(no_model.exit_code == 1);
  CHECK(no_model.err.find("-m") != std::string::npos);
  const CommandResult bad_port = run_command(shell_quote(bin) + " serve -m " + shell_quote(model) + " --port 70000");
  CHECK(bad_port.exit_code == 1);
  CHECK(bad_port.err.find("--port") != std::string::npos);
  const CommandResult bad_buckets =
      run_command(shell_quote(bin) + " serve -m " + shell_quote(model) + " --shape-buckets maybe");
  CHECK(bad_buckets.exit_code == 1);
  // A port already taken: a clear message, exit 1
  serve::ServiceOptions so;
  auto engine = Engine::load(model, {});
  serve::Service service(*engine, so);
  LiveServer live(service, {});
  const CommandResult taken =
      run_command(shell_quote(bin) + " serve -m " + shell_quote(model) + " --port " + std::to_string(live.port));
  CHECK(taken.exit_code == 1);
  CHECK(taken.err.find("cannot listen") != std::string::npos);
}
