// bte serve -m model.bte [--host 127.0.0.1] [--port 8080] [limits] [model options]
// An HTTP server with text-embeddings-inference's routes (server/service.h)
// and cross-request batching (server/batcher.h). SIGTERM / SIGINT: stop
// accepting, answer every request already read, exit 0.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "base/check.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_args.h"
#include "server/http_server.h"
#include "server/service.h"
#include "server/shape_buckets.h"

namespace bte::cli {

int cmd_serve(int argc, char** argv) {
  std::set<std::string> valued = kModelValued, flags = kModelFlags;
  valued.insert({"--host", "--port", "--max-batch-tokens", "--max-batch-requests", "--max-client-batch-size",
                 "--max-concurrent-requests", "--concurrent-batches", "--payload-limit", "--api-key",
                 "--read-timeout", "--write-timeout", "--keep-alive-timeout", "--http-threads",
                 "--max-pending-connections", "--model-id", "--pooling", "--shape-buckets"});
  flags.insert({"--auto-truncate", "--log-requests", "--help"});
  const Args args(argc, argv, 2, valued, flags, {{"-m", "--model"}, {"-p", "--port"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte serve -m model.bte [--host 127.0.0.1] [--port 8080] [options]\n"
        "An HTTP server with text-embeddings-inference's JSON routes: POST /embed, /predict,\n"
        "/rerank, /tokenize, /v1/embeddings (OpenAI); GET /health, /info, /metrics. Requests are\n"
        "batched together by token budget. SIGTERM or SIGINT: stop accepting, answer every\n"
        "request already received, exit 0.\n\n%s"
        "  --host ADDR           address to listen on (default 127.0.0.1: this machine only)\n"
        "  -p, --port N          port (default 8080; 0 = any free port, printed at start)\n"
        "  --max-batch-tokens N  real tokens per engine batch (default 16384)\n"
        "  --max-batch-requests N  texts per engine batch (default: only the token budget)\n"
        "  --max-client-batch-size N  inputs per request; more answer 413 (default 32)\n"
        "  --max-concurrent-requests N  requests in progress; more answer 429 (default 512)\n"
        "  --concurrent-batches N  engine batches run at once (default 1: a batch uses every core)\n"
        "  --shape-buckets on|off  round batches under 512 tokens up to 24 fixed sizes, so they do\n"
        "                        not wait for oneDNN to build a kernel for a new shape (default on\n"
        "                        for the CPU packed mode)\n"
        "  --payload-limit BYTES request body cap; larger answer 413 (default 2000000)\n"
        "  --api-key KEY         require 'Authorization: Bearer KEY' (401 otherwise; /health is\n"
        "                        open). The environment's BTE_API_KEY is read when not given.\n"
        "  --read-timeout S      seconds to receive a whole request, headers and body (default 10)\n"
        "  --write-timeout S     seconds to send a whole response (default 10)\n"
        "  --keep-alive-timeout S  idle seconds before a keep-alive connection closes (default 5)\n"
        "  --http-threads N      connections served at once (default: max-concurrent-requests + 8,\n"
        "                        at most 1024)\n"
        "  --max-pending-connections N  connections waiting for a thread; more answer 503 (default 256)\n"
        "  --model-id NAME       the name /info and /v1/embeddings give (default: the file name)\n"
        "  --pooling cls|mean|max  the embedding's pooling (default: the model's)\n"
        "  --auto-truncate       cut over-long inputs even when a request says \"truncate\": false\n"
        "  --log-requests        a line per request on stderr (errors are always logged)\n",
        kModelHelp);
    return 0;
  }
  // Signals are taken by one thread (sigwait), so they must be blocked
  // before any other thread exists.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  serve::ServiceOptions so;
  serve::HttpOptions ho;
  ho.host = args.get_or("--host", "127.0.0.1");
  ho.port = args.get_int("--port", 8080, 0, 65535);
  so.batcher.max_batch_tokens = args.get_int("--max-batch-tokens", 16384, 16, 1 << 24);
  so.batcher.max_batch_requests = args.get_int("--max-batch-requests", 0, 1, 1 << 20);
  so.max_client_batch_size = args.get_int("--max-client-batch-size", 32, 1, 1 << 20);
  so.max_concurrent_requests = args.get_int("--max-concurrent-requests", 512, 1, 1 << 20);
  so.batcher.concurrent_batches = args.get_int("--concurrent-batches", 1, 1, 64);
  so.auto_truncate = args.flag("--auto-truncate");
  ho.payload_limit = size_t(args.get_int("--payload-limit", 2000000, 1, 1 << 30));
  ho.read_timeout_s = args.get_int("--read-timeout", 10, 1, 3600);
  ho.write_timeout_s = args.get_int("--write-timeout", 10, 1, 3600);
  ho.keep_alive_timeout_s = args.get_int("--keep-alive-timeout", 5, 1, 3600);
  ho.threads = args.get_int("--http-threads", std::min(so.max_concurrent_requests + 8, 1024), 1, 4096);
  ho.max_pending_connections = args.get_int("--max-pending-connections", 256, 0, 1 << 20);
  ho.log_requests = args.flag("--log-requests");
  if (auto k = args.get("--api-key")) {
    ho.api_key = *k;
  } else if (const char* env = std::getenv("BTE_API_KEY")) {
    ho.api_key = env;
  }
  BTE_REQUIRE(!(args.get("--api-key") && ho.api_key.empty()), ErrorKind::BadInput, "--api-key is empty");
  if (auto p = args.get("--pooling")) {
    Pooling pooling;
    BTE_REQUIRE(parse_pooling(*p, &pooling), ErrorKind::BadInput, "--pooling must be cls, mean or max, got '", *p, "'");
    so.pooling = pooling;
  }
  const std::string buckets = args.get_or("--shape-buckets", "on");
  BTE_REQUIRE(buckets == "on" || buckets == "off", ErrorKind::BadInput, "--shape-buckets must be on or off, got '",
              buckets, "'");

  OpenedModel m = open_model(args);
  const std::string path = *args.get("--model");
  so.model_id = args.get_or("--model-id", path.substr(path.find_last_of('/') + 1));
  so.batcher.mode = m.mode;
  if (buckets == "on" && m.mode == Mode::Packed && m.engine->options().device == Device::Cpu)
    so.batcher.token_buckets = serve::token_buckets(so.batcher.max_batch_tokens);
  so.http_threads = ho.threads;
  m.engine->prepare(m.mode);  // the weights' layout now: the first request is not the slow one
  so.engine_path = m.engine->describe(m.mode);

  serve::Service service(*m.engine, so);
  serve::HttpServer http(service, ho);
  const int port = http.bind();
  std::atomic<bool> serving{true};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (serving.exchange(false))  // a signal from outside, not main's wake-up below
      std::fprintf(stderr, "bte serve: %s: no new connections; answering the requests already received\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
    http.stop();
  });
  std::printf("bte serve: listening on http://%s:%d (model %s, %s)\n", ho.host.c_str(), port,
              so.model_id.c_str(), so.engine_path.c_str());
  std::fflush(stdout);
  http.run();
  // A run() that ended for another reason wakes the signal thread itself.
  if (serving.exchange(false)) pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  service.stop();
  std::fprintf(stderr, "bte serve: stopped; %llu requests answered 2xx, %llu 4xx, %llu 5xx\n",
               (unsigned long long)service.metrics().requests_answered(2),
               (unsigned long long)service.metrics().requests_answered(4),
               (unsigned long long)service.metrics().requests_answered(5));
  return 0;
}

}  // namespace bte::cli
