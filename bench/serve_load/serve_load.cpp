// bte_serve_load: a bounded load test for `bte serve` (or any server with
// text-embeddings-inference's routes), on this machine only.
//
//   bte_serve_load --port 8080 -f texts.txt [--route /embed] [--texts-per-request 1]
//                  [--clients 1,8,64] [--seconds 20] [--max-requests N] [--json out.json]
//
// For each concurrency level, that many clients (one thread and one
// keep-alive connection each) send requests back to back for the given
// time: each request the next texts of the file, in turn. It prints per
// level: requests, errors, texts/s, tokens/s (the server's
// bte_tokens_total before and after, when it has /metrics), latency
// p50 / p90 / p99 and the server's texts per engine batch. Traffic goes to 127.0.0.1 only; every run is bounded in
// time and, with --max-requests, in count. Exit status 1 when any request
// failed.
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <mutex>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "bte_serve_load: error: %s\n", why.c_str());
  std::exit(2);
}

struct Options {
  int port = 8080;
  std::string file, route = "/embed", json_out, api_key;
  int texts_per_request = 1;
  std::vector<int> clients = {1, 8, 64};
  double seconds = 20;
  long max_requests = 0;  // per level; 0 = only the time bound
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port") o.port = std::atoi(value().c_str());
    else if (a == "-f" || a == "--file") o.file = value();
    else if (a == "--route") o.route = value();
    else if (a == "--texts-per-request") o.texts_per_request = std::atoi(value().c_str());
    else if (a == "--seconds") o.seconds = std::atof(value().c_str());
    else if (a == "--max-requests") o.max_requests = std::atol(value().c_str());
    else if (a == "--json") o.json_out = value();
    else if (a == "--api-key") o.api_key = value();
    else if (a == "--clients") {
      o.clients.clear();
      std::stringstream ss(value());
      for (std::string c; std::getline(ss, c, ',');) o.clients.push_back(std::atoi(c.c_str()));
    } else if (a == "--help") {
      std::printf("usage: bte_serve_load --port N -f TEXTS [--route /embed|/predict|/v1/embeddings]\n"
                  "       [--texts-per-request K] [--clients 1,8,64] [--seconds S] [--max-requests N]\n"
                  "       [--api-key KEY] [--json FILE]\n");
      std::exit(0);
    } else {
      die("unknown option " + a);
    }
  }
  if (o.file.empty()) die("no texts: -f FILE (one text per line)");
  if (o.port < 1 || o.port > 65535) die("--port must be 1..65535");
  if (o.texts_per_request < 1 || o.seconds <= 0 || o.seconds > 3600) die("bad --texts-per-request or --seconds");
  for (int c : o.clients)
    if (c < 1 || c > 1024) die("--clients: each level must be 1..1024");
  return o;
}

// One keep-alive HTTP/1.1 connection to 127.0.0.1, written plainly (POST with
// Content-Length, answers with Content-Length): the load test measures the
// server, so its client does nothing but send and read. (httplib 0.11's
// client reported read errors on a few answers at 64 clients, 2-31 a run,
// where Python's http.client, on the same server, got every answer.)
class Connection {
 public:
  explicit Connection(int port) : port_(port) {}
  ~Connection() { close_fd(); }
  // The status, or -1 on a connection error (*why says which).
  int post(const std::string& path, const std::string& body, const std::string& auth, std::string* why) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool fresh = fd_ < 0;
      if (fresh && !open_fd(why)) return -1;
      std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
                        (auth.empty() ? "" : "Authorization: Bearer " + auth + "\r\n") +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      if (!send_all(req)) {
        close_fd();
        if (fresh) return fail(why, "send");
        continue;  // a kept connection the server closed while idle: once more on a new one
      }
      int status = 0;
      const int r = read_answer(&status);
      if (r > 0) return status;
      close_fd();
      if (r == 0 && !fresh && got_ == 0) continue;  // closed before any byte: idle close, retry once
      return fail(why, r == 0 ? "closed mid-answer" : "read");
    }
    return fail(why, "closed twice");
  }

 private:
  int fail(std::string* why, const char* what) {
    *why = what;
    return -1;
  }
  bool open_fd(std::string* why) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      *why = std::string("connect: ") + std::strerror(errno);
      close_fd();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    buf_.clear();
    return true;
  }
  void close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool send_all(const std::string& s) {
    for (size_t off = 0; off < s.size();) {
      const ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += size_t(n);
    }
    return true;
  }
  // 1: a whole answer read; 0: the server closed; -1: an error.
  int read_answer(int* status) {
    got_ = 0;
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (int r = fill(); r <= 0) return r;
    *status = std::atoi(buf_.c_str() + buf_.find(' ') + 1);
    size_t length = 0;
    std::string head = buf_.substr(0, header_end);
    for (char& c : head) c = char(std::tolower(static_cast<unsigned char>(c)));
    const size_t at = head.find("content-length:");
    if (at != std::string::npos) length = std::strtoul(head.c_str() + at + 15, nullptr, 10);
    const bool close_after = head.find("connection: close") != std::string::npos;
    while (buf_.size() < header_end + 4 + length)
      if (int r = fill(); r <= 0) return r < 0 ? r : -1;
    buf_.erase(0, header_end + 4 + length);
    if (close_after) close_fd();
    return 1;
  }
  int fill() {
    char tmp[65536];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, size_t(n));
      got_ += size_t(n);
      return 1;
    }
    return n == 0 ? 0 : -1;
  }
  int port_;
  int fd_ = -1;
  std::string buf_;
  size_t got_ = 0;
};

double metric(httplib::Client& cli, const std::string& name) {
  auto r = cli.Get("/metrics");
  if (!r || r->status != 200) return -1;
  std::stringstream ss(r->body);
  for (std::string line; std::getline(ss, line);)
    if (line.rfind(name + " ", 0) == 0) return std::atof(line.c_str() + name.size() + 1);
  return -1;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::vector<std::string> texts;
  {
    std::ifstream in(o.file);
    if (!in) die("cannot open " + o.file);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) texts.push_back(line);
  }
  if (texts.empty()) die(o.file + " has no texts");
  // The request bodies, made up front: the clients only send.
  std::vector<std::string> bodies;
  for (size_t i = 0; i < texts.size(); i += size_t(o.texts_per_request)) {
    json in = json::array();
    for (size_t k = i; k < std::min(texts.size(), i + size_t(o.texts_per_request)); ++k) in.push_back(texts[k]);
    json body;
    if (o.route == "/v1/embeddings") body["input"] = in;
    else body["inputs"] = in;
    if (o.route == "/embed" || o.route == "/predict") body["truncate"] = true;
    bodies.push_back(body.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  httplib::Headers headers;
  if (!o.api_key.empty()) headers.emplace("Authorization", "Bearer " + o.api_key);

  json report = json::array();
  bool any_error = false;
  std::printf("%8s %9s %7s %10s %10s %9s %9s %9s %11s\n", "clients", "requests", "errors", "texts/s", "tokens/s",
              "p50 ms", "p90 ms", "p99 ms", "texts/batch");
  for (int level : o.clients) {
    httplib::Client probe("127.0.0.1", o.port);
    probe.set_default_headers(headers);
    const double tokens0 = metric(probe, "bte_tokens_total");
    const double seqs0 = metric(probe, "bte_batch_sequences_sum"), batches0 = metric(probe, "bte_batch_sequences_count");
    std::atomic<long> next{0}, sent{0}, errors{0}, texts_done{0};
    std::vector<std::vector<double>> lat(static_cast<size_t>(level));
    std::string first_error;
    std::mutex err_mu;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
    std::vector<std::thread> threads;
    for (int c = 0; c < level; ++c) {
      threads.emplace_back([&, c] {
        Connection conn(o.port);
        std::string why;
        while (Clock::now() < end) {
          const long n = sent.fetch_add(1);
          if (o.max_requests > 0 && n >= o.max_requests) break;
          const size_t b = size_t(next.fetch_add(1)) % bodies.size();
          const auto s = Clock::now();
          const int status = conn.post(o.route, bodies[b], o.api_key, &why);
          const double ms = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
          if (status != 200) {
            ++errors;
            std::lock_guard<std::mutex> lock(err_mu);
            if (first_error.empty())
              first_error = (status > 0 ? "HTTP " + std::to_string(status) : "connection: " + why) + " after " +
                            std::to_string(int(ms)) + " ms";
            continue;
          }
          lat[size_t(c)].push_back(ms);
          texts_done += long(std::min(size_t(o.texts_per_request), texts.size() - b * size_t(o.texts_per_request)));
        }
      });
    }
    for (auto& t : threads) t.join();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const double tokens1 = metric(probe, "bte_tokens_total");
    const double seqs1 = metric(probe, "bte_batch_sequences_sum"), batches1 = metric(probe, "bte_batch_sequences_count");
    const double per_batch = batches1 > batches0 && seqs0 >= 0 ? (seqs1 - seqs0) / (batches1 - batches0) : -1;
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    const double tps = tokens0 >= 0 && tokens1 >= 0 ? (tokens1 - tokens0) / secs : -1;
    std::printf("%8d %9zu %7ld %10.1f %10.0f %9.1f %9.1f %9.1f %11.1f\n", level, all.size(), errors.load(),
                double(texts_done) / secs, tps, percentile(all, 0.5), percentile(all, 0.9), percentile(all, 0.99),
                per_batch);
    if (!first_error.empty()) std::fprintf(stderr, "bte_serve_load: first error: %s\n", first_error.c_str());
    any_error |= errors > 0;
    report.push_back({{"clients", level}, {"requests", all.size()}, {"errors", errors.load()},
                      {"seconds", secs}, {"texts_per_s", double(texts_done) / secs}, {"tokens_per_s", tps},
                      {"p50_ms", percentile(all, 0.5)}, {"p90_ms", percentile(all, 0.9)},
                      {"p99_ms", percentile(all, 0.99)}, {"texts_per_batch", per_batch}});
    std::fflush(stdout);
  }
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    out << json{{"route", o.route}, {"file", o.file}, {"texts_per_request", o.texts_per_request},
                {"levels", report}}.dump(2)
        << "\n";
    if (!out) die("cannot write " + o.json_out);
  }
  return any_error ? 1 : 0;
}
