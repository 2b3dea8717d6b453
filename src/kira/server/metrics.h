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
#include <tuple>

namespace kira::server {

class Metrics {
 public:
  // Upper bounds of the latency buckets, seconds.
  static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,  0.1,    0.5,   1.0};

  void Observe(const std::string& route, const std::string& method, int code, double seconds);
  // `gauges` are appended as-is (name -> value), e.g. active sessions.
  std::string Render(const std::map<std::string, double>& gauges) const;

 private:
  struct Latency {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;  // GUARDED_BY(mu_)
  std::map<std::string, Latency> latency_;                                       // GUARDED_BY(mu_)
};

}  // namespace kira::server

#endif  // KIRA_SERVER_METRICS_H_
