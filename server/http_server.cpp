#include "server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <httplib.h>

#include "base/check.h"

namespace bte::serve {
namespace {

using Clock = std::chrono::steady_clock;

// The connection this thread serves (for the client-gone check) and whether
// the connection being handed over is to be refused (the backlog is full).
thread_local int tl_socket = -1;
thread_local bool tl_refuse = false;
thread_local Clock::time_point tl_request_start;
// Set when a response leaves the request's body unread (a 401 answers before
// reading it): the connection then closes, since the next "request" on it
// would start inside that body.
thread_local bool tl_close_after = false;

// The routes, registered and counted by name in /metrics.
constexpr const char* kPostRoutes[] = {"/embed", "/predict", "/rerank", "/tokenize", "/v1/embeddings",
                                       "/embeddings"};
constexpr const char* kGetRoutes[] = {"/health", "/info", "/metrics"};

int millis_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : int(std::min<int64_t>(left, 1 << 30));
}

// Waits for `events` on fd until the deadline; false when it passed or the
// socket failed.
bool wait_socket(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ms = millis_until(deadline);
    const int r = ::poll(&p, 1, ms);
    if (r > 0) return true;  // ready, or an error the next call reports
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool peer_gone(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

std::string address_of(const sockaddr_storage& a, int* port) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
    *port = ntohs(s->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
    *port = ntohs(s->sin6_port);
  }
  return buf;
}

// A socket stream whose reads of one request share one deadline, and whose
// writes of one response share another.
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int fd, double read_s, double write_s) : fd_(fd), read_s_(read_s), write_s_(write_s) {}

  void begin_request() {
    read_deadline_ = from_now(read_s_);
    write_deadline_.reset();
  }
  bool has_buffered() const { return pos_ < len_; }

  bool is_readable() const override { return has_buffered() || wait_socket(fd_, POLLIN, read_deadline_); }
  bool is_writable() const override {
    return wait_socket(fd_, POLLOUT, write_deadline_ ? *write_deadline_ : from_now(write_s_));
  }

  ssize_t read(char* ptr, size_t size) override {
    write_deadline_.reset();  // reading again (a body after "100 Continue"): the answer is not begun
    if (!has_buffered()) {
      if (!wait_socket(fd_, POLLIN, read_deadline_)) return -1;
      if (size >= sizeof buf_) return recv_some(ptr, size);  // a large body read: straight in
      const ssize_t n = recv_some(buf_, sizeof buf_);
      if (n <= 0) return n;
      pos_ = 0;
      len_ = size_t(n);
    }
    const size_t n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    return ssize_t(n);
  }

  // The answer's deadline runs from its first byte, however long the
  // request waited for the engine.
  ssize_t write(const char* ptr, size_t size) override {
    if (!write_deadline_) write_deadline_ = from_now(write_s_);
    if (!wait_socket(fd_, POLLOUT, *write_deadline_)) {
      std::fprintf(stderr, "bte serve: an answer was cut: the client did not read it within the write timeout\n");
      return -1;
    }
    for (;;) {
      const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0 || errno != EINTR) {
        if (n < 0) std::fprintf(stderr, "bte serve: an answer was cut: %s\n", std::strerror(errno));
        return n;
      }
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    port = 0;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) ip = address_of(a, &port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    port = 0;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) ip = address_of(a, &port);
  }
  socket_t socket() const override { return fd_; }

 private:
  ssize_t recv_some(char* p, size_t n) {
    for (;;) {
      const ssize_t r = ::recv(fd_, p, n, 0);
      if (r >= 0 || errno != EINTR) return r;
    }
  }
  static Clock::time_point from_now(double seconds) {
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  int fd_;
  double read_s_, write_s_;
  Clock::time_point read_deadline_ = Clock::now();
  std::optional<Clock::time_point> write_deadline_;
  char buf_[4096];
  size_t pos_ = 0, len_ = 0;
};

// A fixed pool of connection threads with a bounded backlog: beyond it, the
// connection is handed straight back (on the accepting thread) marked to be
// refused, which answers 503 and closes without reading.
class BoundedPool : public httplib::TaskQueue {
 public:
  // A thread counts as idle from its creation, before it first waits.
  BoundedPool(int threads, int max_pending) : max_pending_(size_t(max_pending)), idle_(size_t(threads)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Connections idle threads are about to take do not count as waiting.
      if (jobs_.size() < idle_ + max_pending_) {
        jobs_.push_back(std::move(fn));
        cv_.notify_one();
        return;
      }
    }
    tl_refuse = true;
    fn();
    tl_refuse = false;
  }
  void shutdown() override {  // runs what is queued, then joins
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void work() {
    for (bool first = true;; first = false) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (!first) ++idle_;
        cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
    }
  }
  const size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  size_t idle_;  // threads waiting for a connection
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// httplib's Server with our own connection loop (process_request is
// httplib's): DeadlineStream's deadlines, the refusal of connections beyond
// the backlog, and a close of idle keep-alive connections on stop.
class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(const HttpOptions& o) : o_(o) {}

 private:
  bool process_and_close_socket(socket_t sock) override {
    if (tl_refuse) {
      static const std::string body = error_body("the server has too many connections; retry later", "Overloaded");
      const std::string reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
      ::send(sock, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      std::fprintf(stderr, "bte serve: connection refused with 503: %d connections are waiting already\n",
                   o_.max_pending_connections);
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
      return true;
    }
    DeadlineStream strm(sock, o_.read_timeout_s, o_.write_timeout_s);
    tl_socket = sock;
    bool ok = true;
    for (size_t left = keep_alive_max_count_; left > 0; --left) {
      if (!next_request_arrives(sock, strm, left == keep_alive_max_count_)) break;
      strm.begin_request();
      tl_request_start = Clock::now();
      tl_close_after = false;
      bool closed = false;
      const bool last = left == 1 || svr_sock_ == INVALID_SOCKET;
      ok = process_request(strm, last, closed, nullptr);
      if (!ok || closed || last || tl_close_after) break;
    }
    tl_socket = -1;
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  // The first byte of a request: within the read timeout on a new
  // connection, the keep-alive timeout after a response. Once stop() has
  // begun, only a request already sent is served.
  bool next_request_arrives(int sock, const DeadlineStream& strm, bool first) {
    if (strm.has_buffered()) return true;  // pipelined
    const double wait_s = first ? o_.read_timeout_s : o_.keep_alive_timeout_s;
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait_s));
    for (;;) {
      const bool stopping = svr_sock_ == INVALID_SOCKET;
      const auto slice = stopping ? Clock::now() : std::min(deadline, Clock::now() + std::chrono::milliseconds(100));
      if (wait_socket(sock, POLLIN, slice)) {
        char c;
        return ::recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;  // 0: the client closed
      }
      if (stopping || Clock::now() >= deadline) return false;
    }
  }

  const HttpOptions& o_;
};

std::string route_of(const httplib::Request& req) { return req.method + " " + req.path; }

}  // namespace

bool equal_constant_time(const std::string& a, const std::string& b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= unsigned(x ^ y);
  }
  return diff == 0;
}

struct HttpServer::Impl {
  Service& service;
  HttpOptions o;
  GuardedServer server;
  std::atomic<bool> bound{false};
  // stop() and run() may race (a signal right at start); httplib's stop()
  // must be called once, and only once listening has begun.
  std::atomic<bool> run_called{false}, run_returned{false}, stop_requested{false}, stop_done{false};

  Impl(Service& s, HttpOptions opts) : service(s), o(std::move(opts)), server(o) {}

  void setup() {
    const int threads = o.threads, pending = o.max_pending_connections;
    server.new_task_queue = [threads, pending] { return new BoundedPool(threads, pending); };
    server.set_payload_max_length(o.payload_limit);
    server.set_keep_alive_max_count(1000);
    server.set_tcp_nodelay(true);
    // SO_REUSEADDR alone: a restart binds at once, but a second server on a
    // port in use fails (httplib's default adds SO_REUSEPORT, with which two
    // servers would silently share the port's connections).
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });

    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (o.api_key.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
      const std::string auth = req.get_header_value("Authorization");
      const std::string prefix = "Bearer ";
      const std::string given = auth.compare(0, prefix.size(), prefix) == 0 ? auth.substr(prefix.size()) : "";
      if (equal_constant_time(given, o.api_key)) return httplib::Server::HandlerResponse::Unhandled;
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer");
      res.set_header("Connection", "close");  // its body is not read: see tl_close_after
      tl_close_after = true;
      res.set_content(error_body("a valid API key is needed: Authorization: Bearer <key>", "Unauthorized"),
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    });

    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      const int fd = tl_socket;
      Reply r = service.handle(req.method, req.path, req.body, [fd] { return peer_gone(fd); });
      res.status = r.status;
      res.set_content(std::move(r.body), r.content_type.c_str());
    };
    for (const char* p : kPostRoutes) server.Post(p, handler);
    for (const char* p : kGetRoutes) server.Get(p, handler);

    // Statuses httplib sets itself (404, 400, 413 for a body over the cap,
    // 414, ...) get a JSON body too.
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string why = res.status == 404 ? "no route " + route_of(req)
                        : res.status == 413 ? "the request body is larger than the server takes (--payload-limit)"
                                            : std::string("bad request (HTTP ") + std::to_string(res.status) + ")";
      res.set_content(error_body(why, "Validation"), "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      res.status = 500;
      res.set_content(error_body("internal error: " + what, "Backend"), "application/json");
    });
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      const double s = std::chrono::duration<double>(Clock::now() - tl_request_start).count();
      bool known = false;  // metrics label other paths "other" (their number is the client's to choose)
      for (const char* p : kPostRoutes) known |= req.path == p;
      for (const char* p : kGetRoutes) known |= req.path == p;
      service.metrics().request(known ? req.path : "other", res.status, s);
      if (res.status >= 400 || o.log_requests) {
        std::string why = res.status >= 400 ? ": " + res.body.substr(0, 300) : "";
        std::fprintf(stderr, "bte serve: %s %s %d %.1f ms%s\n", req.method.c_str(), req.path.c_str(), res.status,
                     s * 1e3, why.c_str());
      }
    });
  }
};

HttpServer::HttpServer(Service& service, HttpOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {
  BTE_REQUIRE(impl_->o.threads >= 1 && impl_->o.max_pending_connections >= 0, ErrorKind::BadInput,
              "the server needs at least one connection thread");
  impl_->setup();
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind() {
  Impl& m = *impl_;
  int port = m.o.port;
  if (port == 0) {
    port = m.server.bind_to_any_port(m.o.host);
    BTE_REQUIRE(port > 0, ErrorKind::BadInput, "cannot listen on ", m.o.host, " (any port)");
  } else {
    BTE_REQUIRE(m.server.bind_to_port(m.o.host, port), ErrorKind::BadInput, "cannot listen on ", m.o.host, ":",
                port, ": ", std::strerror(errno), " (is the port in use, or the address not this machine's?)");
  }
  m.bound = true;
  return port;
}

void HttpServer::run() {
  Impl& m = *impl_;
  BTE_REQUIRE(m.bound, ErrorKind::Internal, "HttpServer::run before bind");
  m.run_called = true;  // before the check below: stop() sees one or the other
  if (!m.stop_requested) m.server.listen_after_bind();
  m.run_returned = true;
}

void HttpServer::stop() {
  Impl& m = *impl_;
  m.stop_requested = true;
  if (m.stop_done.exchange(true)) return;
  if (!m.run_called) return;  // run() will see stop_requested and not listen
  while (!m.server.is_running()) {
    if (m.run_returned) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  m.server.stop();
}

}  // namespace bte::serve
