// The machine's HTTP ceiling for scripts/bench-server: a minimal epoll
// responder that answers every request on a keep-alive connection with a
// fixed 200 and does nothing else (no parsing beyond the blank line that ends
// a request head; request bodies are not supported). Its throughput, run
// side by side with `kira serve`, is the denominator of the bench's ratios.
//   http_ceiling PORT [THREADS]   (prints "listening on 127.0.0.1:PORT")
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

constexpr char kReply[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";

int Listen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0) {
    std::perror("http_ceiling: bind/listen");
    std::exit(1);
  }
  return fd;
}

void Serve(int port) {
  const int lfd = Listen(port);
  const int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::unordered_map<int, std::string> pending;  // bytes of an unfinished request head
  std::vector<epoll_event> events(256);
  char buf[16384];
  for (;;) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          const int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          const int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      const ssize_t got = read(fd, buf, sizeof buf);
      if (got <= 0) {
        pending.erase(fd);
        close(fd);
        continue;
      }
      std::string& p = pending[fd];
      p.append(buf, static_cast<std::size_t>(got));
      std::string out;
      std::size_t pos;
      while ((pos = p.find("\r\n\r\n")) != std::string::npos) {
        out += kReply;
        p.erase(0, pos + 4);
      }
      if (!out.empty() && write(fd, out.data(), out.size()) < 0) {
        pending.erase(fd);
        close(fd);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: http_ceiling PORT [THREADS]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  std::printf("listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(Serve, port);
  Serve(port);
}
