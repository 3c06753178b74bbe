// The routes of `bte serve` as plain functions: a request body in, a status
// and a JSON body out. Field names, shapes and defaults follow Hugging Face's
// text-embeddings-inference (TEI), so its clients work unchanged:
//
//   POST /embed     {"inputs": str | [str], "normalize": true, "truncate": false,
//                    "prompt_name": null, "dimensions": null}      -> [[float]]
//   POST /predict   {"inputs": str | [str, str] | [[str] | [str, str], ...],
//                    "raw_scores": false, "truncate": false}      -> [{"score","label"}] (or a list per input)
//   POST /rerank    {"query", "texts": [str], "raw_scores", "return_text", "truncate"}
//                                                    -> [{"index","score"[,"text"]}], best first
//   POST /tokenize  {"inputs", "add_special_tokens": true}
//                          -> [[{"id","text","special","start","stop"}]]
//   POST /v1/embeddings  OpenAI's shape: {"input", "model", "encoding_format", "dimensions"}
//   GET  /info, /metrics (Prometheus), /health
//
// Errors: {"error": message, "error_type": Validation | Tokenizer | Overloaded |
// Backend | Unhealthy} with TEI's statuses (413 too many inputs or a text too
// long, 422 a malformed body or a wrong field, 429 the queue is full, 424 the
// engine failed); /v1/embeddings answers {"message", "code", "type"}.
// Knows nothing of HTTP connections: server/http_server.h carries requests here.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/batcher.h"
#include "server/metrics.h"

namespace bte::serve {

struct ServiceOptions {
  std::string model_id;                // what /info and /v1/embeddings call the model
  int max_client_batch_size = 32;      // inputs per request (413 beyond)
  int max_concurrent_requests = 512;   // requests in the batcher at once (429 beyond)
  bool auto_truncate = false;          // truncate over-long inputs even when a request says not to
  std::optional<Pooling> pooling;      // the embedding's pooling (default: the model's)
  BatcherOptions batcher;              // token budget, runners, shape buckets (outputs are set here)
  int http_threads = 0;                // reported by /info
  std::string engine_path;             // Engine::describe, reported by /info
};

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// True once the client that sent the request has gone away.
using ClientGone = std::function<bool()>;

class Service {
 public:
  Service(Engine& engine, ServiceOptions options);
  ~Service();

  // One entry for every route; unknown routes answer 404.
  Reply handle(const std::string& method, const std::string& path, const std::string& body,
               const ClientGone& gone = nullptr);

  Metrics& metrics() { return metrics_; }
  int64_t in_flight() const { return in_flight_.load(); }
  // Finishes the queued work and stops the batcher (after the HTTP side drained).
  void stop();

 private:
  // The routes; each throws its refusals, which handle() answers.
  Reply embed(const std::string& body, const ClientGone& gone);
  Reply predict(const std::string& body, const ClientGone& gone);
  Reply rerank(const std::string& body, const ClientGone& gone);
  Reply tokenize(const std::string& body);
  Reply openai_embeddings(const std::string& body, const ClientGone& gone);
  Reply info() const;
  Reply metrics_text();
  std::vector<std::shared_ptr<Job>> run_jobs(std::vector<PackedBatch> batches, const ClientGone& gone);
  std::shared_ptr<Job> run_job(PackedBatch batch, const ClientGone& gone);

  Engine& engine_;
  ServiceOptions options_;
  Pooling pooling_;
  Metrics metrics_;
  std::unique_ptr<Batcher> batcher_;
  std::atomic<int64_t> in_flight_{0};
};

// A TEI error body, {"error": message, "error_type": type}.
std::string error_body(const std::string& message, const std::string& type);

}  // namespace bte::serve
