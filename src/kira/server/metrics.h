// Request metrics in the Prometheus text exposition format (version 0.0.4):
// kira_http_requests_total{route,method,code} and a latency histogram
// kira_http_request_duration_seconds{route}. Thread-safe; the hot path takes
// one short lock.
#ifndef KIRA_SERVER_METRICS_H_
#define KIRA_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace kira::server {

class Metrics {
 public:
  // Upper bounds of the latency buckets, seconds.
  static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,  0.1,    0.5,   1.0};

  void Observe(std::string_view route, std::string_view method, int code, double seconds);
  // `gauges` are appended as-is (name -> value), e.g. active sessions.
  std::string Render(const std::map<std::string, double>& gauges) const;

 private:
  struct Latency {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct RequestKey {
    std::string route, method;
    int code;
  };
  struct RequestKeyView {
    std::string_view route, method;
    int code;
  };
  // Orders keys and their views alike, so a lookup allocates nothing.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::tuple<std::string_view, std::string_view, int>(a.route, a.method, a.code) <
             std::tuple<std::string_view, std::string_view, int>(b.route, b.method, b.code);
    }
  };
  mutable std::mutex mu_;
  std::map<RequestKey, std::uint64_t, KeyLess> requests_;  // GUARDED_BY(mu_)
  std::map<std::string, Latency, std::less<>> latency_;   // GUARDED_BY(mu_)
};

}  // namespace kira::server

#endif  // KIRA_SERVER_METRICS_H_
