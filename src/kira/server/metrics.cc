#include "kira/server/metrics.h"

#include <cstdio>

namespace kira::server {

namespace {
std::string Num(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", d);
  return buf;
}
}  // namespace

void Metrics::Observe(std::string_view route, std::string_view method, int code, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = requests_.find(RequestKeyView{route, method, code});
  if (r == requests_.end()) r = requests_.emplace(RequestKey{std::string(route), std::string(method), code}, 0).first;
  ++r->second;
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(std::string(route), Latency{}).first;
  Latency& l = it->second;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++l.buckets[i];
  }
  ++l.count;
  l.sum += seconds;
}

std::string Metrics::Render(const std::map<std::string, double>& gauges) const {
  std::string out;
  out += "# HELP kira_http_requests_total HTTP requests by route template, method and status code.\n";
  out += "# TYPE kira_http_requests_total counter\n";
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, code] = key;  // a RequestKey
    out += "kira_http_requests_total{route=\"" + route + "\",method=\"" + method + "\",code=\"" +
           std::to_string(code) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP kira_http_request_duration_seconds Time from routing to response, by route template.\n";
  out += "# TYPE kira_http_request_duration_seconds histogram\n";
  for (const auto& [route, l] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += "kira_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + Num(kBuckets[i]) +
             "\"} " + std::to_string(l.buckets[i]) + "\n";
    }
    out += "kira_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"+Inf\"} " +
           std::to_string(l.count) + "\n";
    out += "kira_http_request_duration_seconds_sum{route=\"" + route + "\"} " + Num(l.sum) + "\n";
    out += "kira_http_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(l.count) + "\n";
  }
  for (const auto& [name, value] : gauges) {
    out += "# TYPE " + name + " gauge\n" + name + " " + Num(value) + "\n";
  }
  return out;
}

}  // namespace kira::server
