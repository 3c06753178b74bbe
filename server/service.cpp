#include "server/service.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/check.h"
#include "engine/embedding.h"
#include "weights/bte_format.h"

namespace bte::serve {
namespace {

using nlohmann::json;

// A request the service refuses: its status, TEI's error type and why.
struct ApiError {
  int status;
  std::string type, message;
};

[[noreturn]] void refuse(int status, const std::string& type, const std::string& message) {
  throw ApiError{status, type, message};
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json parse_object(const std::string& body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    refuse(422, "Validation", std::string("the request body is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) refuse(422, "Validation", "the request body must be a JSON object");
  return j;
}

const json* field(const json& j, const char* name) {
  auto it = j.find(name);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

bool bool_field(const json& j, const char* name, bool fallback) {
  const json* f = field(j, name);
  if (!f) return fallback;
  if (!f->is_boolean()) refuse(422, "Validation", std::string("`") + name + "` must be true or false");
  return f->get<bool>();
}

std::optional<std::string> string_field(const json& j, const char* name) {
  const json* f = field(j, name);
  if (!f) return std::nullopt;
  if (!f->is_string()) refuse(422, "Validation", std::string("`") + name + "` must be a string");
  return f->get<std::string>();
}

std::optional<int> positive_int_field(const json& j, const char* name) {
  const json* f = field(j, name);
  if (!f) return std::nullopt;
  if (!f->is_number_integer() || f->get<int64_t>() < 1 || f->get<int64_t>() > (1 << 30))
    refuse(422, "Validation", std::string("`") + name + "` must be a positive integer");
  return int(f->get<int64_t>());
}

void check_count(size_t n, const char* name, int max_items) {
  if (n == 0) refuse(422, "Validation", std::string("`") + name + "` cannot be empty");
  if (n > size_t(max_items))
    refuse(413, "Validation", std::string("batch size ") + std::to_string(n) + " > maximum allowed batch size " +
                                  std::to_string(max_items) + " (`" + name + "`)");
}

// A string or a non-empty list of strings, at most max_items of them.
std::vector<std::string> texts_field(const json& j, const char* name, int max_items) {
  const json* f = field(j, name);
  if (!f) refuse(422, "Validation", std::string("missing field `") + name + "`");
  std::vector<std::string> texts;
  if (f->is_string()) {
    texts.push_back(f->get<std::string>());
  } else if (f->is_array()) {
    for (size_t i = 0; i < f->size(); ++i) {
      if (!(*f)[i].is_string())
        refuse(422, "Validation", std::string("`") + name + "[" + std::to_string(i) + "]` must be a string");
    }
    check_count(f->size(), name, max_items);
    for (const json& t : *f) texts.push_back(t.get<std::string>());
  } else {
    refuse(422, "Validation", std::string("`") + name + "` must be a string or a list of strings");
  }
  return texts;
}

// "dimensions": how many leading values of a d-wide embedding to keep.
int dimensions_field(const json& j, int d) {
  const int dims = positive_int_field(j, "dimensions").value_or(d);
  if (dims > d)
    refuse(422, "Validation", "`dimensions` is " + std::to_string(dims) + " but the model's embeddings have " +
                                  std::to_string(d));
  return dims;
}

void append_float(std::string& out, float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void check_finite(const float* v, int n) {
  for (int i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) refuse(424, "Backend", "the model produced a non-finite value");
}

// An embedding as the request asks: its first `dims` values, scaled to unit
// length (as torch.nn.functional.normalize: a zero vector stays zero).
std::vector<float> shape_embedding(const float* row, int d, int dims, bool normalize) {
  std::vector<float> e(row, row + std::min(d, dims));
  if (normalize) {
    double ss = 0;
    for (float v : e) ss += double(v) * v;
    const double norm = std::max(std::sqrt(ss), 1e-12);
    for (float& v : e) v = float(v / norm);
  }
  return e;
}

}  // namespace

std::string error_body(const std::string& message, const std::string& type) {
  return dump(json{{"error", message}, {"error_type", type}});
}

Service::Service(Engine& engine, ServiceOptions options) : engine_(engine), options_(std::move(options)) {
  const ModelConfig& c = engine_.config();
  pooling_ = options_.pooling.value_or(c.embedding.pooling);
  BatcherOptions& b = options_.batcher;
  b.outputs = GraphOutputs{};
  b.outputs.cls = pooling_ == Pooling::Cls;
  b.outputs.mean = pooling_ == Pooling::Mean;
  b.outputs.max = pooling_ == Pooling::Max;
  b.outputs.logits = c.has_head();
  batcher_ = std::make_unique<Batcher>(engine_, b, [this](const BatchReport& r) { metrics_.batch(r); });
}

Service::~Service() { stop(); }

void Service::stop() {
  if (batcher_) batcher_->stop();
}

// Queues a request's sequences (one or more batches of them: /predict's
// texts and pairs) and waits for their rows; one request counts once against
// max_concurrent_requests. A client that leaves gives up its sequences not
// yet run.
std::vector<std::shared_ptr<Job>> Service::run_jobs(std::vector<PackedBatch> batches, const ClientGone& gone) {
  if (in_flight_.fetch_add(1) >= options_.max_concurrent_requests) {
    in_flight_.fetch_sub(1);
    refuse(429, "Overloaded", "model is overloaded: " + std::to_string(options_.max_concurrent_requests) +
                                  " requests are already in progress");
  }
  struct Release {
    std::atomic<int64_t>& n;
    ~Release() { n.fetch_sub(1); }
  } release{in_flight_};
  std::vector<std::shared_ptr<Job>> jobs;
  for (PackedBatch& b : batches) jobs.push_back(std::make_shared<Job>(std::move(b)));
  auto cancel_all = [&] {
    for (auto& j : jobs) j->cancel();
  };
  for (auto& j : jobs)
    if (!batcher_->submit(j)) {
      cancel_all();
      refuse(429, "Overloaded", "model is overloaded: the batch queue is full");
    }
  // The client is asked once before the first wait, then every 20 ms.
  for (auto& j : jobs)
    for (bool first = true; first || !j->wait_for(std::chrono::milliseconds(20)); first = false) {
      if (gone && gone()) {
        cancel_all();
        refuse(499, "Validation", "the client closed the connection");
      }
    }
  for (auto& j : jobs)
    if (!j->error().empty()) refuse(424, "Backend", "the engine failed: " + j->error());
  return jobs;
}

std::shared_ptr<Job> Service::run_job(PackedBatch batch, const ClientGone& gone) {
  std::vector<PackedBatch> one;
  one.push_back(std::move(batch));
  return run_jobs(std::move(one), gone).front();
}

namespace {

// Texts -> sequences, cut to the model's length or refused (413) as asked.
PackedBatch encode_texts(const Engine& engine, const std::vector<std::string>& texts, bool truncate,
                         const std::string& prefix, int max_tokens) {
  std::vector<int> cut;
  PackedBatch b;
  try {
    b = engine.encode(texts, Truncation::Truncate, &cut, prefix, max_tokens);
  } catch (const Error& e) {
    refuse(422, "Tokenizer", e.what());
  }
  if (!truncate && !cut.empty())
    refuse(413, "Validation", "input " + std::to_string(cut.front()) + " is longer than the " +
                                  std::to_string(max_tokens > 0 ? max_tokens : engine.config().max_tokens()) +
                                  " tokens the model takes; send \"truncate\": true to cut it");
  return b;
}

PackedBatch encode_pairs(const Engine& engine, const std::vector<std::pair<std::string, std::string>>& pairs,
                         bool truncate) {
  std::vector<int> cut;
  PackedBatch b;
  try {
    b = engine.encode_pairs(pairs, Truncation::Truncate, &cut);
  } catch (const Error& e) {
    refuse(422, "Tokenizer", e.what());
  }
  if (!truncate && !cut.empty())
    refuse(413, "Validation", "pair " + std::to_string(cut.front()) + " is longer than the " +
                                  std::to_string(engine.config().max_tokens()) +
                                  " tokens the model takes; send \"truncate\": true to cut it");
  return b;
}

}  // namespace

Reply Service::embed(const std::string& body, const ClientGone& gone) {
  const json j = parse_object(body);
  const std::vector<std::string> texts = texts_field(j, "inputs", options_.max_client_batch_size);
  const bool normalize = bool_field(j, "normalize", true);
  const bool truncate = bool_field(j, "truncate", false) || options_.auto_truncate;
  const int d = engine_.config().hidden;
  const int dims = dimensions_field(j, d);
  if (auto dir = string_field(j, "truncation_direction"); dir && *dir != "Right" && *dir != "right")
    refuse(422, "Validation", "`truncation_direction`: only \"Right\" is supported");
  EmbeddingOverrides over;
  over.pooling = pooling_;
  over.prompt_name = string_field(j, "prompt_name");
  EmbeddingPlan plan;
  try {
    plan = plan_embedding(engine_.config(), over);
  } catch (const Error& e) {
    refuse(422, "Validation", std::string("`prompt_name`: ") + e.what());
  }
  auto job = run_job(encode_texts(engine_, texts, truncate, plan.prefix, plan.max_tokens), gone);
  std::string out = "[";
  for (int i = 0; i < job->size(); ++i) {
    check_finite(job->pooled(i), d);
    const std::vector<float> e = shape_embedding(job->pooled(i), d, dims, normalize);
    out += i ? ",[" : "[";
    for (size_t k = 0; k < e.size(); ++k) {
      if (k) out += ',';
      append_float(out, e[k]);
    }
    out += ']';
  }
  out += ']';
  return {200, std::move(out)};
}

Reply Service::openai_embeddings(const std::string& body, const ClientGone& gone) {
  const json j = parse_object(body);
  const json* in = field(j, "input");
  if (in && in->is_array() && !in->empty() && !(*in)[0].is_string())
    refuse(422, "Validation", "`input` must be a string or a list of strings (token arrays are not taken)");
  const std::vector<std::string> texts = texts_field(j, "input", options_.max_client_batch_size);
  const std::string format = string_field(j, "encoding_format").value_or("float");
  if (format != "float" && format != "base64")
    refuse(422, "Validation", "`encoding_format` must be \"float\" or \"base64\"");
  const int d = engine_.config().hidden;
  const int dims = dimensions_field(j, d);
  EmbeddingOverrides over;
  over.pooling = pooling_;
  const EmbeddingPlan plan = plan_embedding(engine_.config(), over);
  auto job = run_job(encode_texts(engine_, texts, options_.auto_truncate, plan.prefix, plan.max_tokens), gone);
  json data = json::array();
  for (int i = 0; i < job->size(); ++i) {
    check_finite(job->pooled(i), d);
    const std::vector<float> e = shape_embedding(job->pooled(i), d, dims, true);
    json item{{"object", "embedding"}, {"index", i}};
    if (format == "base64") {
      static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const auto* bytes = reinterpret_cast<const unsigned char*>(e.data());  // little-endian float32
      const size_t n = e.size() * sizeof(float);
      std::string s;
      for (size_t p = 0; p < n; p += 3) {
        const uint32_t v = uint32_t(bytes[p]) << 16 | (p + 1 < n ? uint32_t(bytes[p + 1]) << 8 : 0) |
                           (p + 2 < n ? bytes[p + 2] : 0);
        s += k[v >> 18 & 63];
        s += k[v >> 12 & 63];
        s += p + 1 < n ? k[v >> 6 & 63] : '=';
        s += p + 2 < n ? k[v & 63] : '=';
      }
      item["embedding"] = s;
    } else {
      item["embedding"] = e;
    }
    data.push_back(std::move(item));
  }
  const int64_t tokens = job->tokens();
  const json reply{{"object", "list"},
                   {"data", std::move(data)},
                   {"model", string_field(j, "model").value_or(options_.model_id)},
                   {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
  return {200, dump(reply)};
}

Reply Service::predict(const std::string& body, const ClientGone& gone) {
  const ModelConfig& c = engine_.config();
  const json j = parse_object(body);
  const json* in = field(j, "inputs");
  if (!in) refuse(422, "Validation", "missing field `inputs`");
  const bool raw = bool_field(j, "raw_scores", false);
  const bool truncate = bool_field(j, "truncate", false) || options_.auto_truncate;
  // TEI's forms: "a" (one text), ["a"] or ["a", "b"] (one text or one pair),
  // [["a"], ["a", "b"], ...] (a batch of texts and pairs).
  struct Input {
    std::string first, second;
    bool pair = false;
  };
  auto sequence = [&](const json& s, const std::string& where) {
    if (!s.is_array() || s.empty() || s.size() > 2)
      refuse(422, "Validation", "`" + where + "` must be a string, [string] or a pair [string, string]");
    for (const json& x : s)
      if (!x.is_string()) refuse(422, "Validation", "`" + where + "` must hold strings");
    return Input{s[0].get<std::string>(), s.size() == 2 ? s[1].get<std::string>() : "", s.size() == 2};
  };
  std::vector<Input> inputs;
  bool batch = false;
  if (in->is_string()) {
    inputs.push_back({in->get<std::string>(), "", false});
  } else if (in->is_array() && !in->empty() && (*in)[0].is_array()) {
    batch = true;
    check_count(in->size(), "inputs", options_.max_client_batch_size);
    for (size_t i = 0; i < in->size(); ++i) inputs.push_back(sequence((*in)[i], "inputs[" + std::to_string(i) + "]"));
  } else {
    inputs.push_back(sequence(*in, "inputs"));
  }
  if (!c.has_head()) refuse(400, "Validation", "this model has no classification head: /predict needs one (use /embed)");
  // Texts and pairs are encoded apart and run as two jobs.
  std::vector<std::string> singles;
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::pair<bool, int>> where;  // per input: (is a pair, index in its job)
  for (const Input& x : inputs) {
    if (x.pair) {
      where.emplace_back(true, int(pairs.size()));
      pairs.emplace_back(x.first, x.second);
    } else {
      where.emplace_back(false, int(singles.size()));
      singles.push_back(x.first);
    }
  }
  std::vector<PackedBatch> batches;
  if (!singles.empty()) batches.push_back(encode_texts(engine_, singles, truncate, "", 0));
  if (!pairs.empty()) batches.push_back(encode_pairs(engine_, pairs, truncate));
  const auto jobs = run_jobs(std::move(batches), gone);
  const std::shared_ptr<Job> sj = singles.empty() ? nullptr : jobs.front();
  const std::shared_ptr<Job> pj = pairs.empty() ? nullptr : jobs.back();

  const int C = c.num_labels;
  std::vector<int> order(static_cast<size_t>(C));
  std::string out = batch ? "[" : "";
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Job& job = where[i].first ? *pj : *sj;
    const int r = where[i].second;
    const float* s = raw ? job.logits(r) : job.probs(r);
    check_finite(job.logits(r), C);
    check_finite(s, C);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return s[a] > s[b]; });
    json list = json::array();
    for (int k : order) list.push_back({{"score", s[k]}, {"label", c.labels[size_t(k)]}});
    if (i) out += ',';
    out += dump(list);
  }
  if (batch) out += ']';
  return {200, std::move(out)};
}

Reply Service::rerank(const std::string& body, const ClientGone& gone) {
  const ModelConfig& c = engine_.config();
  const json j = parse_object(body);
  const std::optional<std::string> query = string_field(j, "query");
  if (!query) refuse(422, "Validation", "missing field `query`");
  const json* t = field(j, "texts");
  if (!t || !t->is_array()) refuse(422, "Validation", "`texts` must be a list of strings");
  const std::vector<std::string> texts = texts_field(j, "texts", options_.max_client_batch_size);
  const bool raw = bool_field(j, "raw_scores", false);
  const bool return_text = bool_field(j, "return_text", false);
  const bool truncate = bool_field(j, "truncate", false) || options_.auto_truncate;
  if (c.num_labels != 1)
    refuse(400, "Validation", "this model is not a reranker (a cross-encoder with one label): /rerank needs one");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& text : texts) pairs.emplace_back(*query, text);
  auto job = run_job(encode_pairs(engine_, pairs, truncate), gone);
  std::vector<double> score(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const float logit = *job->logits(int(i));
    check_finite(&logit, 1);
    score[i] = raw ? double(logit) : 1.0 / (1.0 + std::exp(-double(logit)));  // as `bte rerank`
  }
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  json list = json::array();
  for (size_t i : order) {
    json r{{"index", i}, {"score", score[i]}};
    if (return_text) r["text"] = texts[i];
    list.push_back(std::move(r));
  }
  return {200, dump(list)};
}

Reply Service::tokenize(const std::string& body) {
  const json j = parse_object(body);
  const std::vector<std::string> texts = texts_field(j, "inputs", options_.max_client_batch_size);
  const bool specials = bool_field(j, "add_special_tokens", true);
  const Tokenizer& tok = engine_.tokenizer();
  json all = json::array();
  for (const std::string& text : texts) {
    Encoding e;
    try {
      e = tok.encode_with_offsets(text, 1 << 30);
    } catch (const Error& err) {
      refuse(422, "Tokenizer", err.what());
    }
    json list = json::array();
    for (size_t k = 0; k < e.ids.size(); ++k) {
      const auto [a, b] = e.offsets[k];
      const bool special = a == 0 && b == 0;  // the tokenizer's mark for a special (tokenizer.h)
      if (special && !specials) continue;
      json t{{"id", e.ids[k]}, {"special", special}};
      if (special) {
        t["text"] = tok.id_to_piece(e.ids[k]);
        t["start"] = nullptr;
        t["stop"] = nullptr;
      } else {
        t["text"] = text.substr(size_t(a), size_t(b - a));
        t["start"] = a;
        t["stop"] = b;
      }
      list.push_back(std::move(t));
    }
    all.push_back(std::move(list));
  }
  return {200, dump(all)};
}

namespace {

// TEI's names for the compute type.
const char* model_dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::BF16: return "bfloat16";
    case DType::F16: return "float16";
    case DType::I8: return "int8";
  }
  return "unknown";
}

}  // namespace

Reply Service::info() const {
  const ModelConfig& c = engine_.config();
  json model_type;
  if (c.has_head()) {
    json id2label = json::object(), label2id = json::object();
    for (int i = 0; i < c.num_labels; ++i) {
      id2label[std::to_string(i)] = c.labels[size_t(i)];
      label2id[c.labels[size_t(i)]] = i;
    }
    model_type[c.num_labels == 1 ? "reranker" : "classifier"] = {{"id2label", id2label}, {"label2id", label2id}};
  } else {
    model_type["embedding"] = {{"pooling", pooling_name(pooling_)}};
  }
  json prompts = json::object();
  for (const Prompt& p : c.embedding.prompts) prompts[p.name] = p.text;
  const BatcherOptions& b = options_.batcher;
  const DType dt = engine_.options().dtype;
  const json reply{
      {"model_id", options_.model_id},
      {"model_sha", nullptr},
      {"model_dtype", model_dtype_name(dt)},
      {"model_type", model_type},
      {"max_concurrent_requests", options_.max_concurrent_requests},
      {"max_input_length", c.embedding_max_tokens()},
      {"max_batch_tokens", b.max_batch_tokens},
      {"max_batch_requests", b.max_batch_requests > 0 ? json(b.max_batch_requests) : json(nullptr)},
      {"max_client_batch_size", options_.max_client_batch_size},
      {"auto_truncate", options_.auto_truncate},
      {"tokenization_workers", options_.http_threads},
      {"version", std::string("bte ") + bte_version()},
      {"sha", nullptr},
      {"docker_label", nullptr},
      {"bte",
       {{"family", c.family},
        {"hidden_size", c.hidden},
        {"num_layers", c.layers},
        {"pooling", pooling_name(pooling_)},
        {"model_normalize", c.embedding.normalize},
        {"prompts", prompts},
        {"default_prompt", c.embedding.default_prompt},
        {"labels", c.labels},
        {"head_activation", c.has_head() ? head_activation_name(c.head_activation) : "none"},
        {"device", device_name(engine_.options().device)},
        {"dtype", dtype_name(dt)},
        {"mode", mode_name(b.mode)},
        {"engine", options_.engine_path},
        {"concurrent_batches", b.concurrent_batches},
        {"shape_buckets", b.token_buckets.size()}}}};
  return {200, dump(reply)};
}

Reply Service::metrics_text() {
  return {200, metrics_.prometheus(batcher_->queued_sequences(), in_flight_.load()),
          "text/plain; version=0.0.4"};
}

Reply Service::handle(const std::string& method, const std::string& path, const std::string& body,
                      const ClientGone& gone) {
  const bool openai = path == "/v1/embeddings" || path == "/embeddings";
  try {
    if (method == "POST") {
      if (path == "/embed") return embed(body, gone);
      if (path == "/predict") return predict(body, gone);
      if (path == "/rerank") return rerank(body, gone);
      if (path == "/tokenize") return tokenize(body);
      if (openai) return openai_embeddings(body, gone);
    } else if (method == "GET") {
      if (path == "/health") return {200, "", "text/plain"};
      if (path == "/info") return info();
      if (path == "/metrics") return metrics_text();
    }
    refuse(404, "Validation", "no route " + method + " " + path);
  } catch (const ApiError& e) {
    if (openai) return {e.status, dump(json{{"message", e.message}, {"code", e.status}, {"type", e.type}})};
    return {e.status, error_body(e.message, e.type)};
  } catch (const std::exception& e) {
    return {500, error_body(std::string("internal error: ") + e.what(), "Backend")};
  }
}

}  // namespace bte::serve
