// The C boundary: bte::Error and every other exception become a status code
// and a thread-local message here; nothing crosses into C.
#include <cmath>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "base/check.h"
#include "bte/bte.h"
#include "engine/batched_run.h"
#include "engine/embedding.h"
#include "engine/engine.h"

struct bte_model {
  std::unique_ptr<bte::Engine> engine;
  bte::Mode mode;
  bte::Truncation truncation;
  int64_t max_batch_tokens;
  std::string path_taken;  // Engine::describe(mode), kept for bte_model_describe
};

namespace {

thread_local std::string g_last_error;

bte_status fail(bte_status s, const std::string& message) {
  g_last_error = message;
  return s;
}

bte_status from_error(const bte::Error& e) {
  switch (e.kind()) {
    case bte::ErrorKind::BadInput: return fail(BTE_ERROR_BAD_INPUT, e.what());
    case bte::ErrorKind::BadModel: return fail(BTE_ERROR_BAD_MODEL, e.what());
    case bte::ErrorKind::Device: return fail(BTE_ERROR_DEVICE, e.what());
    case bte::ErrorKind::Unsupported: return fail(BTE_ERROR_UNSUPPORTED, e.what());
    case bte::ErrorKind::OutOfMemory: return fail(BTE_ERROR_OUT_OF_MEMORY, e.what());
    case bte::ErrorKind::Internal: break;
  }
  return fail(BTE_ERROR_INTERNAL, e.what());
}

// Runs f, turning whatever it throws into a status.
// A C caller may put any int in an enum field or argument; in C++ reading
// such a value as the enum type is undefined (UBSan flags it), so its bytes
// are read as the int they are.
template <typename E>
int enum_value(const E& e) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized on our ABIs");
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

template <typename F>
bte_status guarded(F&& f) {
  try {
    g_last_error.clear();
    return f();
  } catch (const bte::Error& e) {
    return from_error(e);
  } catch (const std::bad_alloc&) {
    return fail(BTE_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(BTE_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(BTE_ERROR_INTERNAL, "internal error: unknown exception");
  }
}

// The arguments every text call shares, checked without reading a text
// pointer: n may be garbage, so the capacity checks come before texts[i].
bte_status check_call(const bte_model* m, const char* const* texts, size_t n,
                      const std::string& name = "texts") {
  if (!m) return fail(BTE_ERROR_INVALID_ARGUMENT, "model is NULL");
  if (n == 0) return fail(BTE_ERROR_INVALID_ARGUMENT, "no " + name + " (n == 0)");
  if (n > size_t(BTE_MAX_TEXTS))
    return fail(BTE_ERROR_INVALID_ARGUMENT, "n = " + std::to_string(n) + " " + name +
                                                " is more than BTE_MAX_TEXTS (" +
                                                std::to_string(BTE_MAX_TEXTS) + ") in one call");
  if (!texts) return fail(BTE_ERROR_INVALID_ARGUMENT, name + " is NULL");
  return BTE_OK;
}

bte_status check_text_pointers(const char* const* texts, size_t n, const std::string& name = "texts") {
  for (size_t i = 0; i < n; ++i)
    if (!texts[i]) return fail(BTE_ERROR_INVALID_ARGUMENT, name + "[" + std::to_string(i) + "] is NULL");
  return BTE_OK;
}

// n rows of `width` floats into a buffer of `capacity` floats, without overflow.
bte_status check_capacity(const char* buffer, size_t capacity, size_t n, size_t width, const char* rows) {
  if (width == 0 || n <= capacity / width) return BTE_OK;
  return fail(BTE_ERROR_CAPACITY, std::string(buffer) + " holds " + std::to_string(capacity) + " floats; " +
                                      std::to_string(n) + " " + rows + " of " + std::to_string(width) +
                                      " need more");
}

const char* device_field(int v) { return v == BTE_DEVICE_CUDA ? "BTE_DEVICE_CUDA" : "BTE_DEVICE_CPU"; }
const char* dtype_field(int v) {
  return v == BTE_DTYPE_BF16   ? "BTE_DTYPE_BF16"
         : v == BTE_DTYPE_FP16 ? "BTE_DTYPE_FP16"
         : v == BTE_DTYPE_INT8 ? "BTE_DTYPE_INT8"
         : v == BTE_DTYPE_AUTO ? "BTE_DTYPE_AUTO"
                               : "BTE_DTYPE_FP32";
}

bte::PackedBatch encode(const bte_model* m, const char* const* texts, size_t n) {
  return m->engine->encode(std::vector<std::string>(texts, texts + n), m->truncation);
}

// Runs the encoded texts in length-sorted batches; emit(text index, outputs, row, batch).
void run_texts(bte_model* m, const bte::PackedBatch& packed, const bte::RunRequest& req,
               const bte::BatchedEmit& emit) {
  bte::BatchLimits limits;
  limits.max_batch = 256;
  limits.max_tokens = m->max_batch_tokens;
  bte::run_batched(*m->engine, packed, m->mode, req, limits, emit);
}

}  // namespace

extern "C" {

const char* bte_version(void) { return "0.1.0"; }

const char* bte_status_string(bte_status s) {
  switch (enum_value(s)) {
    case BTE_OK: return "ok";
    case BTE_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case BTE_ERROR_BAD_INPUT: return "bad input";
    case BTE_ERROR_CAPACITY: return "output buffer too small";
    case BTE_ERROR_BAD_MODEL: return "bad model";
    case BTE_ERROR_DEVICE: return "device error";
    case BTE_ERROR_OUT_OF_MEMORY: return "out of memory";
    case BTE_ERROR_INTERNAL: return "internal error";
    case BTE_ERROR_UNSUPPORTED: return "not supported on this device";
  }
  return "unknown status";
}

const char* bte_last_error(void) { return g_last_error.c_str(); }

bte_model_options bte_model_default_options(void) {
  bte_model_options o;
  o.device = BTE_DEVICE_CPU;
  o.threads = 0;
  o.dtype = BTE_DTYPE_AUTO;
  o.mode = BTE_MODE_PACKED;
  o.truncate = 1;
  o.max_batch_tokens = 0;
  return o;
}

bte_status bte_model_load(const char* path, const bte_model_options* options, bte_model** model) {
  return guarded([&]() -> bte_status {
    if (!model) return fail(BTE_ERROR_INVALID_ARGUMENT, "model (the output pointer) is NULL");
    *model = nullptr;
    if (!path) return fail(BTE_ERROR_INVALID_ARGUMENT, "path is NULL");
    const bte_model_options o = options ? *options : bte_model_default_options();
    const int device = enum_value(o.device), mode = enum_value(o.mode), dtype = enum_value(o.dtype);
    const auto bad = [](const std::string& message) { return fail(BTE_ERROR_INVALID_ARGUMENT, message); };
    if (device != BTE_DEVICE_CPU && device != BTE_DEVICE_CUDA)
      return bad("options.device = " + std::to_string(device) +
                 " is not a bte_device (BTE_DEVICE_CPU or BTE_DEVICE_CUDA)");
    if (mode != BTE_MODE_PACKED && mode != BTE_MODE_FUSED && mode != BTE_MODE_REFERENCE)
      return bad("options.mode = " + std::to_string(mode) +
                 " is not a bte_mode (BTE_MODE_PACKED, BTE_MODE_FUSED or BTE_MODE_REFERENCE)");
    if (dtype != BTE_DTYPE_FP32 && dtype != BTE_DTYPE_BF16 && dtype != BTE_DTYPE_FP16 &&
        dtype != BTE_DTYPE_INT8 && dtype != BTE_DTYPE_AUTO)
      return bad("options.dtype = " + std::to_string(dtype) +
                 " is not a bte_dtype (BTE_DTYPE_FP32, BTE_DTYPE_BF16, BTE_DTYPE_FP16, "
                 "BTE_DTYPE_INT8 or BTE_DTYPE_AUTO)");
    if (o.threads < 0 || o.threads > BTE_MAX_THREADS)
      return bad("options.threads = " + std::to_string(o.threads) + " is outside [0, BTE_MAX_THREADS = " +
                 std::to_string(BTE_MAX_THREADS) + "] (0: all cores)");
    if (o.max_batch_tokens < 0 || o.max_batch_tokens > BTE_MAX_BATCH_TOKENS)
      return bad("options.max_batch_tokens = " + std::to_string(o.max_batch_tokens) +
                 " is outside [0, BTE_MAX_BATCH_TOKENS = " + std::to_string(BTE_MAX_BATCH_TOKENS) +
                 "] (0: the default, 16384)");
    if (o.truncate != 0 && o.truncate != 1)
      return bad("options.truncate = " + std::to_string(o.truncate) + " is neither 0 (refuse) nor 1 (truncate)");
    static_assert(BTE_MAX_THREADS == bte::EngineOptions::kMaxThreads, "one thread limit for every front end");
    bte::EngineOptions eo;
    eo.device = device == BTE_DEVICE_CUDA ? bte::Device::Cuda : bte::Device::Cpu;
    eo.threads = o.threads;
    eo.dtype = dtype == BTE_DTYPE_BF16   ? bte::DType::BF16
               : dtype == BTE_DTYPE_FP16 ? bte::DType::F16
               : dtype == BTE_DTYPE_INT8 ? bte::DType::I8
                                         : bte::DType::F32;
    eo.dtype_from_file = dtype == BTE_DTYPE_AUTO;
    auto m = std::make_unique<bte_model>();
    try {
      m->engine = bte::Engine::load(path, eo);
    } catch (const bte::Error& e) {
      if (e.kind() != bte::ErrorKind::Unsupported && e.kind() != bte::ErrorKind::Device) throw;
      throw bte::Error(e.kind(), std::string("options.device = ") + device_field(device) +
                                     ", options.dtype = " + dtype_field(dtype) + ": " + e.what());
    }
    m->mode = mode == BTE_MODE_PACKED  ? bte::Mode::Packed
              : mode == BTE_MODE_FUSED ? bte::Mode::Fused
                                       : bte::Mode::Reference;
    m->engine->prepare(m->mode);  // the weights' one-time preparation here, not in the first call
    m->path_taken = m->engine->describe(m->mode);
    m->truncation = o.truncate ? bte::Truncation::Truncate : bte::Truncation::Refuse;
    m->max_batch_tokens = o.max_batch_tokens > 0 ? o.max_batch_tokens : 16384;
    *model = m.release();
    return BTE_OK;
  });
}

void bte_model_free(bte_model* model) { delete model; }

int bte_model_hidden_size(const bte_model* m) { return m ? m->engine->config().hidden : -1; }
const char* bte_model_architecture(const bte_model* m) {
  return m ? m->engine->config().architecture.c_str() : nullptr;
}
const char* bte_model_family(const bte_model* m) {
  return m ? m->engine->config().family.c_str() : nullptr;
}
const char* bte_model_describe(const bte_model* m) { return m ? m->path_taken.c_str() : nullptr; }

int bte_model_dtype(const bte_model* m) {
  if (!m) return -1;
  if (m->mode == bte::Mode::Reference) return BTE_DTYPE_FP32;  // the reference mode is always fp32
  switch (m->engine->options().dtype) {
    case bte::DType::BF16: return BTE_DTYPE_BF16;
    case bte::DType::F16: return BTE_DTYPE_FP16;
    case bte::DType::I8: return BTE_DTYPE_INT8;
    case bte::DType::F32: break;
  }
  return BTE_DTYPE_FP32;
}
int bte_model_num_labels(const bte_model* m) { return m ? m->engine->config().num_labels : -1; }
const char* bte_model_label(const bte_model* m, int i) {
  if (!m || i < 0 || i >= int(m->engine->config().labels.size())) return nullptr;
  return m->engine->config().labels[i].c_str();
}
int bte_model_max_tokens(const bte_model* m) { return m ? m->engine->config().max_tokens() : -1; }

bte_pooling bte_model_pooling(const bte_model* m) {
  if (!m) return BTE_POOLING_MODEL;
  switch (m->engine->config().embedding.pooling) {
    case bte::Pooling::Cls: return BTE_POOLING_CLS;
    case bte::Pooling::Mean: return BTE_POOLING_MEAN;
    case bte::Pooling::Max: return BTE_POOLING_MAX;
  }
  return BTE_POOLING_MODEL;
}
int bte_model_normalizes(const bte_model* m) {
  return m ? int(m->engine->config().embedding.normalize) : -1;
}
int bte_model_embedding_max_tokens(const bte_model* m) {
  return m ? m->engine->config().embedding_max_tokens() : -1;
}
int bte_model_num_prompts(const bte_model* m) {
  return m ? int(m->engine->config().embedding.prompts.size()) : -1;
}
const char* bte_model_prompt_name(const bte_model* m, int i) {
  if (!m || i < 0 || size_t(i) >= m->engine->config().embedding.prompts.size()) return nullptr;
  return m->engine->config().embedding.prompts[size_t(i)].name.c_str();
}
const char* bte_model_prompt_text(const bte_model* m, int i) {
  if (!m || i < 0 || size_t(i) >= m->engine->config().embedding.prompts.size()) return nullptr;
  return m->engine->config().embedding.prompts[size_t(i)].text.c_str();
}
const char* bte_model_default_prompt(const bte_model* m) {
  return m ? m->engine->config().embedding.default_prompt.c_str() : nullptr;
}

bte_embed_options bte_embed_default_options(void) {
  bte_embed_options o;
  o.pooling = BTE_POOLING_MODEL;
  o.normalize = -1;
  o.prompt_name = nullptr;
  o.prompt_text = nullptr;
  return o;
}

bte_status bte_embed_with(bte_model* m, const char* const* texts, size_t n,
                          const bte_embed_options* options, float* out, size_t capacity) {
  return guarded([&]() -> bte_status {
    if (bte_status s = check_call(m, texts, n); s != BTE_OK) return s;
    const bte_embed_options o = options ? *options : bte_embed_default_options();
    bte::EmbeddingOverrides over;
    switch (o.pooling) {
      case BTE_POOLING_MODEL: break;
      case BTE_POOLING_CLS: over.pooling = bte::Pooling::Cls; break;
      case BTE_POOLING_MEAN: over.pooling = bte::Pooling::Mean; break;
      case BTE_POOLING_MAX: over.pooling = bte::Pooling::Max; break;
      default:
        return fail(BTE_ERROR_INVALID_ARGUMENT,
                    "pooling = " + std::to_string(o.pooling) +
                        " is not a bte_pooling (BTE_POOLING_CLS, _MEAN, _MAX or _MODEL)");
    }
    if (o.normalize != -1 && o.normalize != 0 && o.normalize != 1)
      return fail(BTE_ERROR_INVALID_ARGUMENT,
                  "normalize = " + std::to_string(o.normalize) + " is neither -1 (the model's), 0 nor 1");
    if (o.prompt_name && o.prompt_text)
      return fail(BTE_ERROR_INVALID_ARGUMENT, "set prompt_name or prompt_text, not both");
    if (o.normalize != -1) over.normalize = o.normalize == 1;
    if (o.prompt_name) over.prompt_name = std::string(o.prompt_name);
    if (o.prompt_text) over.prompt_text = std::string(o.prompt_text);
    if (!out) return fail(BTE_ERROR_INVALID_ARGUMENT, "out is NULL");
    const size_t d = size_t(m->engine->config().hidden);
    if (bte_status s = check_capacity("out", capacity, n, d, "embeddings"); s != BTE_OK) return s;
    if (bte_status s = check_text_pointers(texts, n); s != BTE_OK) return s;
    const bte::EmbeddingPlan plan = bte::plan_embedding(m->engine->config(), over);
    bte::RunRequest req;
    req.outputs = bte::embedding_outputs(plan);
    std::vector<float> result(n * d);  // written to out only on success
    const bte::PackedBatch all = m->engine->encode(std::vector<std::string>(texts, texts + n),
                                                   m->truncation, nullptr, plan.prefix, plan.max_tokens);
    run_texts(m, all, req, [&](int i, const bte::RunOutputs& r, int row, const bte::PackedBatch&) {
      const std::vector<float>& src = bte::pooled_rows(r, plan.pooling);
      std::memcpy(&result[size_t(i) * d], src.data() + size_t(row) * d, sizeof(float) * d);
    });
    std::memcpy(out, result.data(), sizeof(float) * result.size());
    return BTE_OK;
  });
}

bte_status bte_embed(bte_model* m, const char* const* texts, size_t n, bte_pooling pooling,
                     int normalize, float* out, size_t capacity) {
  const int pool = enum_value(pooling);
  if (pool != BTE_POOLING_CLS && pool != BTE_POOLING_MEAN && pool != BTE_POOLING_MAX)
    return fail(BTE_ERROR_INVALID_ARGUMENT,
                "pooling = " + std::to_string(pool) +
                    " is not a bte_pooling (BTE_POOLING_CLS, BTE_POOLING_MEAN or BTE_POOLING_MAX)");
  if (normalize != 0 && normalize != 1)
    return fail(BTE_ERROR_INVALID_ARGUMENT, "normalize = " + std::to_string(normalize) + " is neither 0 nor 1");
  bte_embed_options o = bte_embed_default_options();
  o.pooling = pool;
  o.normalize = normalize;
  return bte_embed_with(m, texts, n, &o, out, capacity);
}

namespace {

// bte_classify / bte_classify_logits: n rows of the head's scores or logits.
bte_status classify(bte_model* m, const char* const* texts, size_t n, float* dst, size_t capacity,
                    const char* name, bool logits) {
  return guarded([&]() -> bte_status {
    if (bte_status s = check_call(m, texts, n); s != BTE_OK) return s;
    if (!dst) return fail(BTE_ERROR_INVALID_ARGUMENT, std::string(name) + " is NULL");
    const size_t C = size_t(m->engine->config().num_labels);
    if (C == 0)
      return fail(BTE_ERROR_INVALID_ARGUMENT, "this model has no classification head (a bare encoder)");
    if (bte_status s = check_capacity(name, capacity, n, C, "texts"); s != BTE_OK) return s;
    if (bte_status s = check_text_pointers(texts, n); s != BTE_OK) return s;
    bte::RunRequest req;
    req.outputs.logits = true;
    std::vector<float> result(n * C);
    run_texts(m, encode(m, texts, n), req, [&](int i, const bte::RunOutputs& o, int row, const bte::PackedBatch&) {
      const std::vector<float>& src = logits ? o.logits : o.probs;
      std::memcpy(&result[size_t(i) * C], src.data() + size_t(row) * C, sizeof(float) * C);
    });
    std::memcpy(dst, result.data(), sizeof(float) * result.size());
    return BTE_OK;
  });
}

}  // namespace

bte_status bte_classify(bte_model* m, const char* const* texts, size_t n, float* probs,
                        size_t capacity) {
  return classify(m, texts, n, probs, capacity, "probs", false);
}

bte_status bte_classify_logits(bte_model* m, const char* const* texts, size_t n, float* logits,
                               size_t capacity) {
  return classify(m, texts, n, logits, capacity, "logits", true);
}

const char* bte_model_head_activation(const bte_model* m) {
  return m ? head_activation_name(m->engine->config().head_activation) : nullptr;
}

bte_status bte_rerank(bte_model* m, const char* query, const char* const* docs, size_t n,
                      int raw_scores, float* scores, size_t capacity) {
  return guarded([&]() -> bte_status {
    if (bte_status s = check_call(m, docs, n, "documents"); s != BTE_OK) return s;
    if (!query) return fail(BTE_ERROR_INVALID_ARGUMENT, "query is NULL");
    if (raw_scores != 0 && raw_scores != 1)
      return fail(BTE_ERROR_INVALID_ARGUMENT, "raw_scores = " + std::to_string(raw_scores) + " is neither 0 nor 1");
    if (!scores) return fail(BTE_ERROR_INVALID_ARGUMENT, "scores is NULL");
    if (m->engine->config().num_labels != 1)
      return fail(BTE_ERROR_INVALID_ARGUMENT,
                  "this model has " + std::to_string(m->engine->config().num_labels) +
                      " labels; reranking needs a cross-encoder with a one-label head");
    if (bte_status s = check_capacity("scores", capacity, n, 1, "documents"); s != BTE_OK) return s;
    if (bte_status s = check_text_pointers(docs, n, "documents"); s != BTE_OK) return s;
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(n);
    for (size_t i = 0; i < n; ++i) pairs.emplace_back(query, docs[i]);
    bte::RunRequest req;
    req.outputs.logits = true;
    std::vector<float> result(n);
    run_texts(m, m->engine->encode_pairs(pairs, m->truncation), req,
              [&](int i, const bte::RunOutputs& o, int row, const bte::PackedBatch&) {
                const double logit = o.logits[size_t(row)];
                result[size_t(i)] = raw_scores ? float(logit) : float(1.0 / (1.0 + std::exp(-logit)));
              });
    std::memcpy(scores, result.data(), sizeof(float) * n);
    return BTE_OK;
  });
}

bte_status bte_tag_tokens(bte_model* m, const char* const* texts, size_t n, int* label_ids,
                          float* scores, size_t capacity, size_t* offsets) {
  return guarded([&]() -> bte_status {
    if (bte_status s = check_call(m, texts, n); s != BTE_OK) return s;
    if (!label_ids || !scores || !offsets)
      return fail(BTE_ERROR_INVALID_ARGUMENT, "label_ids, scores or offsets is NULL");
    const bte::ModelConfig& c = m->engine->config();
    if (!c.token_head())
      return fail(BTE_ERROR_INVALID_ARGUMENT, "this model has no token classification head (" +
                                                  c.architecture + ")");
    if (bte_status s = check_capacity("label_ids", capacity, n, 2, "texts (2 tokens at least)"); s != BTE_OK)
      return s;
    if (bte_status s = check_text_pointers(texts, n); s != BTE_OK) return s;
    const bte::PackedBatch all = encode(m, texts, n);
    const size_t T = size_t(all.total_tokens()), C = size_t(c.num_labels);
    if (capacity < T)
      return fail(BTE_ERROR_CAPACITY, "label_ids and scores hold " + std::to_string(capacity) +
                                          " entries; the texts make " + std::to_string(T) + " tokens");
    bte::RunRequest req;
    req.outputs.token_logits = true;
    std::vector<int> ids(T);
    std::vector<float> best(T);
    run_texts(m, all, req, [&](int i, const bte::RunOutputs& o, int row, const bte::PackedBatch& b) {
      const size_t len = size_t(b.cu_seqlens[row + 1] - b.cu_seqlens[row]);
      for (size_t t = 0; t < len; ++t) {
        const float* p = o.token_probs.data() + (size_t(b.cu_seqlens[row]) + t) * C;
        size_t k = 0;
        for (size_t j = 1; j < C; ++j)
          if (p[j] > p[k]) k = j;
        ids[size_t(all.cu_seqlens[i]) + t] = int(k);
        best[size_t(all.cu_seqlens[i]) + t] = p[k];
      }
    });
    std::memcpy(label_ids, ids.data(), sizeof(int) * T);
    std::memcpy(scores, best.data(), sizeof(float) * T);
    for (size_t i = 0; i <= n; ++i) offsets[i] = size_t(all.cu_seqlens[i]);
    return BTE_OK;
  });
}

bte_status bte_tokenize(bte_model* m, const char* const* texts, size_t n, int* ids,
                        size_t capacity, size_t* offsets) {
  return guarded([&]() -> bte_status {
    if (bte_status s = check_call(m, texts, n); s != BTE_OK) return s;
    if (!ids || !offsets) return fail(BTE_ERROR_INVALID_ARGUMENT, "ids or offsets is NULL");
    if (bte_status s = check_capacity("ids", capacity, n, 2, "texts (2 tokens at least)"); s != BTE_OK)
      return s;
    if (bte_status s = check_text_pointers(texts, n); s != BTE_OK) return s;
    const bte::PackedBatch all = encode(m, texts, n);
    const size_t T = size_t(all.total_tokens());
    if (capacity < T)
      return fail(BTE_ERROR_CAPACITY, "ids holds " + std::to_string(capacity) + " entries; the texts make " +
                                          std::to_string(T) + " tokens");
    for (size_t t = 0; t < T; ++t) ids[t] = all.ids[t];
    for (size_t i = 0; i <= n; ++i) offsets[i] = size_t(all.cu_seqlens[i]);
    return BTE_OK;
  });
}

bte_status bte_count_tokens(bte_model* m, const char* const* texts, size_t n, size_t* total) {
  return guarded([&]() -> bte_status {
    if (bte_status s = check_call(m, texts, n); s != BTE_OK) return s;
    if (!total) return fail(BTE_ERROR_INVALID_ARGUMENT, "total_tokens is NULL");
    if (bte_status s = check_text_pointers(texts, n); s != BTE_OK) return s;
    const bte::PackedBatch b = encode(m, texts, n);
    *total = size_t(b.total_tokens());
    return BTE_OK;
  });
}

bte_status bte_embed_tokens(bte_model* m, const char* const* texts, size_t n, float* out,
                            size_t capacity, size_t* offsets) {
  return guarded([&]() -> bte_status {
    if (bte_status s = check_call(m, texts, n); s != BTE_OK) return s;
    if (!out || !offsets) return fail(BTE_ERROR_INVALID_ARGUMENT, "out or offsets is NULL");
    const size_t d = size_t(m->engine->config().hidden);
    // Every text makes at least 2 tokens (<s> and </s>): a capacity short of
    // that is refused before a text pointer is read.
    if (bte_status s = check_capacity("out", capacity, n, 2 * d, "texts (2 tokens at least)"); s != BTE_OK)
      return s;
    if (bte_status s = check_text_pointers(texts, n); s != BTE_OK) return s;
    const bte::PackedBatch all = encode(m, texts, n);
    const size_t need = size_t(all.total_tokens()) * d;
    if (capacity < need)
      return fail(BTE_ERROR_CAPACITY, "out holds " + std::to_string(capacity) + " floats; " +
                                          std::to_string(all.total_tokens()) + " tokens need " +
                                          std::to_string(need));
    bte::RunRequest req;
    req.hidden_states = true;
    std::vector<float> result(need);
    run_texts(m, all, req, [&](int i, const bte::RunOutputs& o, int row, const bte::PackedBatch& b) {
      const size_t len = size_t(b.cu_seqlens[row + 1] - b.cu_seqlens[row]);
      std::memcpy(&result[size_t(all.cu_seqlens[i]) * d], o.hidden_states.data() + size_t(b.cu_seqlens[row]) * d,
                  sizeof(float) * len * d);
    });
    std::memcpy(out, result.data(), sizeof(float) * need);
    for (size_t i = 0; i <= n; ++i) offsets[i] = size_t(all.cu_seqlens[i]);
    return BTE_OK;
  });
}

}  // extern "C"
