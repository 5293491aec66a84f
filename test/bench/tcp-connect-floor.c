/*
 * The kernel's floor for tcp health checks: RATE connects a second to
 * 127.0.0.1 ports given on the command line (round robin), each closed once
 * connected, with no event loop or language runtime around them. The
 * announcer benchmark compiles it when a C compiler is there and prints its
 * CPU beside the announcer's. Usage: tcp-connect-floor SECONDS RATE PORT…
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  double secs = atof(argv[1]);
  int rate = atoi(argv[2]), nports = argc - 3;
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  double t0 = now();
  long n = 0, ok = 0;
  while (now() - t0 < secs) {
    /* a batch every 50 ms, as the announcer's scheduler grid */
    for (int i = 0; i < rate / 20; i++, n++) {
      a.sin_port = htons(atoi(argv[3 + n % nports]));
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      connect(fd, (struct sockaddr *)&a, sizeof a);
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, 1000);
      int err = 0;
      socklen_t l = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
      if (!err) ok++;
      close(fd);
    }
    double d = t0 + n / (double)rate - now();
    if (d > 0) usleep((useconds_t)(d * 1e6));
  }
  printf("%ld %ld\n", n, ok);
  return 0;
}
