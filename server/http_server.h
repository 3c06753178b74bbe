// `bte serve`'s HTTP side: cpp-httplib (Debian's libcpp-httplib) carries
// requests to the Service, with the limits a server facing many clients
// needs:
//  - a connection pool of fixed size with a bounded backlog: connections
//    beyond it are answered 503 at once and closed, never queued without end;
//  - a deadline for reading a whole request (headers and body) and one for
//    writing a whole response, so a client sending or reading a byte at a
//    time cannot hold a connection thread (httplib's own timeouts are per
//    read call);
//  - a body-size cap (413), an optional API key (Bearer, compared in
//    constant time; 401 otherwise; /health stays open for load balancers);
//  - a request whose client disconnects gives up its work not yet run;
//  - stop(): the listening socket closes, every request already read is
//    answered (idle keep-alive connections close), then run() returns.
// Every error answered is logged to stderr with its route and status.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "server/service.h"

namespace bte::serve {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                    // 0: any free port (bind() says which)
  int threads = 64;                   // connections served at once
  int max_pending_connections = 256;  // accepted connections waiting for a thread
  size_t payload_limit = 2000000;     // request body bytes (TEI's default)
  double read_timeout_s = 10;         // a whole request: headers and body
  double write_timeout_s = 10;        // a whole response
  double keep_alive_timeout_s = 5;    // an idle keep-alive connection
  std::string api_key;                // "" = none
  bool log_requests = false;          // one line per request, not only errors
};

class HttpServer {
 public:
  HttpServer(Service& service, HttpOptions options);
  ~HttpServer();
  // Binds the address; returns the port. Throws Error(BadInput) when it cannot.
  int bind();
  // Serves until stop(); returns when every accepted request is answered.
  void run();
  // Safe from any thread, any number of times.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Compares without an early exit, so the time taken says nothing of where
// the strings differ.
bool equal_constant_time(const std::string& a, const std::string& b);

}  // namespace bte::serve
