// `uringsim serve` / `uringsim attach` / libiouringsim.so with URINGSIM_SOCKET: several
// programs served at once by one standalone kernel process, each with exactly the
// output it has under `uringsim run`; memlock shared per uid across them; garbage on
// the channel refused with one line while the others keep being served.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sim/channel.h"
#include "tests/sim/run_helpers.h"

namespace {

using uringsim::simtest::Background;
using uringsim::simtest::Outcome;
using uringsim::simtest::slurp_fd;

const std::string kCli = URINGSIM_CLI;
const std::string kExamples = URINGSIM_EXAMPLES_DIR;
const std::string kShim = URINGSIM_SHIM;

// Test programs built beside sim_stress_client (bin/tests).
std::string test_client(const std::string& name) {
  const std::string stress = URINGSIM_STRESS_CLIENT;
  return stress.substr(0, stress.rfind('/')) + "/" + name;
}
std::string example(const std::string& name) { return kExamples + "/" + name; }

// Hang guards, not timings: a test that waits this long has failed anyway.
constexpr unsigned kClientTimeLimitS = 60;
constexpr int kWaitLimitMs = 20000;

// Starts argv in the background with a hang guard (SIGALRM survives exec) unless
// time_limit_s is 0.
void launch(Background* b, const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
           bool with_stdin_pipe = false, unsigned time_limit_s = kClientTimeLimitS) {
  uringsim::simtest::RunOptions opts;
  opts.env = env;
  opts.time_limit_s = time_limit_s;
  uringsim::simtest::start(b, argv, opts, with_stdin_pipe);
}

// Polls `fd`'s whole content (a memfd the program writes) until it contains `needle`.
bool wait_for_text(int fd, const std::string& needle) {
  for (int waited = 0; waited < kWaitLimitMs; waited += 10) {
    if (slurp_fd(fd).find(needle) != std::string::npos) return true;
    usleep(10000);
  }
  return false;
}

// `uringsim serve --socket PATH [options]` in the background for one test.
class Server {
 public:
  explicit Server(std::vector<std::string> options = {}) {
    static int counter = 0;
    path_ = "/tmp/uringsim-serve-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + ".sock";
    std::vector<std::string> argv{kCli, "serve", "--socket", path_};
    argv.insert(argv.end(), options.begin(), options.end());
    // No alarm: the server uses SIGALRM itself. The destructor kills it if need be.
    launch(&proc_, argv, {}, false, 0);
  }
  ~Server() { unlink(path_.c_str()); }

  // Waits until the server says it is listening; false (with its stderr) if it died.
  bool ready(std::string* why) {
    if (wait_for_text(proc_.err, "uringsim serve: listening on")) return true;
    *why = slurp_fd(proc_.err);
    return false;
  }
  const std::string& path() const { return path_; }
  std::string err() const { return slurp_fd(proc_.err); }
  int err_fd() const { return proc_.err; }

  // SIGTERM, then its outcome. The socket must be gone afterwards.
  Outcome stop() {
    kill(proc_.pid, SIGTERM);
    return proc_.wait();
  }

 private:
  std::string path_;
  Background proc_;
};

std::vector<std::string> attach(const Server& s, std::vector<std::string> argv) {
  std::vector<std::string> a{kCli, "attach", "--socket", s.path(), "--"};
  a.insert(a.end(), argv.begin(), argv.end());
  return a;
}

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, example("uring_cat"), example("uring_nop_ping"),
                                   example("uring_raw_nop"), test_client("memlock_holder")}) {
      if (access(bin.c_str(), X_OK) != 0) {
        GTEST_SKIP() << bin << " is not built (build the uringsim, examples and sim_tests targets)";
      }
    }
    Outcome probe = uringsim::simtest::run(uringsim::simtest::under_sim({example("uring_nop_ping"), "1"}),
                                           {.time_limit_s = kClientTimeLimitS});
    if (probe.status != 0) GTEST_SKIP() << "`uringsim run` does not work here: " << probe.err;
  }
};

// A data file whose bytes are not all alike, for uring_cat.
std::string make_data_file(size_t size) {
  char path[] = "/tmp/uringsim-serve-data-XXXXXX";
  const int fd = mkstemp(path);
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  EXPECT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  close(fd);
  return path;
}

TEST_F(Serve, TwoAttachedClientsAtOnceEachPrintExactlyWhatTheyPrintUnderRun) {
  Server server;
  std::string why;
  ASSERT_TRUE(server.ready(&why)) << why;
  const std::string data = make_data_file(50000);
  const std::vector<std::string> cat{example("uring_cat"), data};
  const std::vector<std::string> ping{example("uring_nop_ping"), "2000"};
  Background a, b;
  launch(&a, attach(server, cat));
  launch(&b, attach(server, ping));
  Outcome oa = a.wait();
  Outcome ob = b.wait();
  Outcome ra = uringsim::simtest::run(uringsim::simtest::under_sim(cat), {.time_limit_s = kClientTimeLimitS});
  Outcome rb = uringsim::simtest::run(uringsim::simtest::under_sim(ping), {.time_limit_s = kClientTimeLimitS});
  unlink(data.c_str());
  EXPECT_EQ(oa.status, 0) << oa.err;
  EXPECT_EQ(ob.status, 0) << ob.err;
  EXPECT_EQ(oa.out.size(), 50000u);
  EXPECT_EQ(oa.out, ra.out);
  EXPECT_EQ(ob.out, rb.out);
  EXPECT_NE(ob.out.find("2000 NOPs submitted, 2000 completed, 0 errors"), std::string::npos) << ob.out;
  Outcome s = server.stop();
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_NE(access(server.path().c_str(), F_OK), 0) << "the socket outlived the server";
}

TEST_F(Serve, AttachExitsWithTheProgramsStatusAndPassesItsStdioThrough) {
  Server server;
  std::string why;
  ASSERT_TRUE(server.ready(&why)) << why;
  Outcome o = uringsim::simtest::run(
      attach(server, {"/bin/sh", "-c", example("uring_nop_ping") + " 3 && echo to-stderr >&2 && exit 3"}),
      {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(o.status, 3) << o.err;
  EXPECT_NE(o.out.find("uring_nop_ping: 3 NOPs submitted, 3 completed, 0 errors, 0 out of order\n"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.err.find("to-stderr\n"), std::string::npos) << o.err;
  // Killed by a signal: 128 + N, as from the shell.
  Outcome killed = uringsim::simtest::run(attach(server, {"/bin/sh", "-c", "kill -USR1 $$"}),
                                          {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(killed.status, 128 + SIGUSR1);
  // A program that does not exist: 127, the shell's answer.
  Outcome missing = uringsim::simtest::run(attach(server, {"/nonexistent/prog"}), {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(missing.status, 127);
  EXPECT_NE(missing.err.find("uringsim attach: cannot run /nonexistent/prog: No such file or directory"),
            std::string::npos)
      << missing.err;
}

// Connects to the server and sends one raw record with `fds` attached; returns the
// server's ack error (EPROTO for a refused hello) or -1 if none came.
int send_raw(const Server& s, const void* data, size_t len, const std::vector<int>& fds) {
  std::string error;
  const int sock = uringsim::sim::connect_to_server(s.path(), &error);
  EXPECT_GE(sock, 0) << error;
  if (sock < 0) return -1;
  iovec iov{const_cast<void*>(data), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
  }
  if (len > 0 || !fds.empty()) {
    EXPECT_EQ(sendmsg(sock, &msg, 0), static_cast<ssize_t>(len));
  } else {
    shutdown(sock, SHUT_WR);  // hang up without a word
  }
  pollfd p{sock, POLLIN, 0};
  int ack_error = -1;
  if (poll(&p, 1, kWaitLimitMs) == 1) {
    uringsim::sim::AttachAck ack{};
    if (recv(sock, &ack, sizeof ack, 0) == static_cast<ssize_t>(sizeof ack) &&
        ack.magic == uringsim::sim::kAttachMagic) {
      ack_error = ack.error;
    }
  }
  close(sock);
  return ack_error;
}

TEST_F(Serve, GarbageOnTheChannelGetsOneLinePerClientAndTheServerKeepsServing) {
  Server server;
  std::string why;
  ASSERT_TRUE(server.ready(&why)) << why;
  // 0: a connection that never says anything stays open throughout.
  std::string error;
  const int silent = uringsim::sim::connect_to_server(server.path(), &error);
  ASSERT_GE(silent, 0) << error;
  // 1: 37 bytes of noise.
  unsigned char noise[37];
  uint32_t x = 12345;
  for (unsigned char& c : noise) c = static_cast<unsigned char>((x = x * 1103515245u + 12345u) >> 24);
  EXPECT_EQ(send_raw(server, noise, sizeof noise, {}), EPROTO);
  // 2: a hello-sized record with the wrong magic.
  uringsim::sim::AttachHello hello;
  hello.magic = 0xdeadbeef;
  hello.attach_pid = getpid();
  hello.prog_pid = getpid();
  EXPECT_EQ(send_raw(server, &hello, sizeof hello, {}), EPROTO);
  // 3: a good hello without the listener fd.
  hello.magic = uringsim::sim::kAttachMagic;
  EXPECT_EQ(send_raw(server, &hello, sizeof hello, {}), EPROTO);
  // 4: a good hello with a pipe instead of a seccomp listener.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_EQ(send_raw(server, &hello, sizeof hello, {p[0]}), EPROTO);
  // 5: two fds.
  EXPECT_EQ(send_raw(server, &hello, sizeof hello, {p[0], p[1]}), EPROTO);
  close(p[0]);
  close(p[1]);
  // 6: a future protocol version.
  hello.version = 99;
  EXPECT_EQ(send_raw(server, &hello, sizeof hello, {}), EPROTO);
  hello.version = uringsim::sim::kAttachVersion;
  // 7: a hello that lies about who sent it.
  hello.attach_pid = 1;
  EXPECT_EQ(send_raw(server, &hello, sizeof hello, {}), EPROTO);
  // 8: connect and hang up without a word.
  EXPECT_EQ(send_raw(server, nullptr, 0, {}), EPROTO);

  const std::string err = server.err();
  EXPECT_NE(err.find("uringsim serve: client 2: sent a 37-byte message; a hello is 16 bytes\n"), std::string::npos) << err;
  EXPECT_NE(err.find("uringsim serve: client 3: bad magic 0xdeadbeef (not a uringsim hello)\n"), std::string::npos) << err;
  EXPECT_NE(err.find("uringsim serve: client 4: hello carries no seccomp listener fd (SCM_RIGHTS)\n"), std::string::npos) << err;
  EXPECT_NE(err.find("uringsim serve: client 5: the fd in the hello is not a seccomp listener\n"), std::string::npos) << err;
  EXPECT_NE(err.find("uringsim serve: client 6: hello carries 2 fds, expected exactly 1\n"), std::string::npos) << err;
  EXPECT_NE(err.find("uringsim serve: client 7: protocol version 99, this server speaks 1\n"), std::string::npos) << err;
  EXPECT_NE(err.find("uringsim serve: client 8: hello names attach pid 1 but was sent by pid " +
                     std::to_string(getpid()) + "\n"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("uringsim serve: client 9: closed the connection without sending a hello\n"), std::string::npos) << err;
  EXPECT_EQ(err.find("client 1:"), std::string::npos) << "the silent client was judged early: " << err;

  // And a real client is served as if nothing had happened.
  Outcome o = uringsim::simtest::run(attach(server, {example("uring_nop_ping"), "10"}), {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("10 NOPs submitted, 10 completed, 0 errors"), std::string::npos) << o.out;
  close(silent);
  Outcome s = server.stop();
  EXPECT_EQ(s.status, 0) << s.err;
  // Hung up before the server stopped, or still waiting when it did: no verdict either way
  // but the one for hanging up.
  const size_t verdict = s.err.find("uringsim serve: client 1: ");
  if (verdict != std::string::npos) {
    EXPECT_EQ(s.err.substr(verdict, s.err.find('\n', verdict) - verdict),
              "uringsim serve: client 1: closed the connection without sending a hello");
  }
}

TEST_F(Serve, ASilentConnectionIsDisconnectedAfterTheHelloTimeout) {
  Server server({"--hello-timeout", "0.2"});
  std::string why;
  ASSERT_TRUE(server.ready(&why)) << why;
  std::string error;
  const int silent = uringsim::sim::connect_to_server(server.path(), &error);
  ASSERT_GE(silent, 0) << error;
  ASSERT_TRUE(wait_for_text(server.err_fd(), "uringsim serve: client 1: sent no hello within 0.2 s; disconnected\n"))
      << server.err();
  // The server's end is closed: the silent client reads end-of-file.
  char byte;
  EXPECT_EQ(recv(silent, &byte, 1, 0), 0);
  close(silent);
  // And the next client is served.
  Outcome o = uringsim::simtest::run(attach(server, {example("uring_nop_ping"), "3"}), {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("3 NOPs submitted, 3 completed, 0 errors"), std::string::npos) << o.out;
  Outcome s = server.stop();
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.err.find("client 2:"), std::string::npos) << s.err;
}

// A client that keeps a copy of the listener it handed over and takes notifications
// off it itself. Every call is answered by one of the two, and the server goes on
// serving others. (The worst case -- the thief taking the last notification between
// the server's poll and its receive -- cannot be forced from here; the receive is
// bounded for it, see Supervisor::receive.)
TEST_F(Serve, AClientRacingTheServerForItsOwnListenerCannotHangIt) {
  const std::string thief = test_client("listener_thief");
  if (access(thief.c_str(), X_OK) != 0) GTEST_SKIP() << thief << " is not built";
  Server server;
  std::string why;
  ASSERT_TRUE(server.ready(&why)) << why;
  Outcome o = uringsim::simtest::run({thief, server.path(), "2000"}, {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "listener_thief: 2000 setups answered\n");
  Outcome after = uringsim::simtest::run(attach(server, {example("uring_nop_ping"), "10"}),
                                         {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(after.status, 0) << after.err;
  EXPECT_NE(after.out.find("10 NOPs submitted, 10 completed, 0 errors"), std::string::npos) << after.out;
  Outcome s = server.stop();
  EXPECT_EQ(s.status, 0) << s.err;
}

// Two clients of one uid share one locked_vm: A's held registration counts against
// B's. And B cannot reach A's ring through A's fd number.
TEST_F(Serve, MemlockIsChargedPerUidAcrossClientsAndRingsStayPrivate) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop CAP_IPC_LOCK from the clients";
  if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv";
  const std::vector<std::string> no_ipc_lock{"/usr/bin/setpriv", "--inh-caps=-ipc_lock",
                                             "--bounding-set=-ipc_lock", "--"};
  auto holder = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = no_ipc_lock;
    argv.push_back(test_client("memlock_holder"));
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  Server server({"--memlock", std::to_string(32 * 4096)});
  std::string why;
  ASSERT_TRUE(server.ready(&why)) << why;

  Background a;
  launch(&a, attach(server, holder({"16", "hold"})), {}, /*with_stdin_pipe=*/true);
  ASSERT_TRUE(wait_for_text(a.out, "register 16 pages:")) << slurp_fd(a.err);
  const std::string a_line = slurp_fd(a.out);
  ASSERT_EQ(a_line.rfind("register 16 pages: 0 (ok), ring fd ", 0), 0u) << a_line;
  const std::string a_ring_fd = a_line.substr(a_line.rfind(' ') + 1, a_line.size() - a_line.rfind(' ') - 2);

  // B: its own ring fits, 16 more pages do not (A holds 16 plus its ring).
  Outcome b = uringsim::simtest::run(attach(server, holder({"16", "once"})), {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(b.status, 1) << b.err;
  EXPECT_EQ(b.out.rfind("register 16 pages: -12 (Cannot allocate memory), ring fd ", 0), 0u) << b.out;

  // A's ring fd number means nothing in B.
  Outcome c = uringsim::simtest::run(attach(server, holder({"enter", a_ring_fd})), {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(c.status, 1);
  EXPECT_EQ(c.out, "enter fd " + a_ring_fd + ": -1 (Bad file descriptor)\n");

  // A lets go (its ring and buffer return their charge): now the same registration fits.
  Outcome oa = a.wait();
  EXPECT_EQ(oa.status, 0) << oa.err;
  Outcome d = uringsim::simtest::run(attach(server, holder({"16", "once"})), {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_EQ(d.out.rfind("register 16 pages: 0 (ok), ring fd ", 0), 0u) << d.out;
  Outcome s = server.stop();
  EXPECT_EQ(s.status, 0) << s.err;
}

// Stopping the server while a client waits in io_uring_enter: the wait ends with
// ENOSYS (seccomp's answer once nobody listens), nobody hangs, the socket is removed.
TEST_F(Serve, StoppingTheServerEndsAParkedWaitWithEnosys) {
  Server server;
  std::string why;
  ASSERT_TRUE(server.ready(&why)) << why;
  Background cat;
  launch(&cat, attach(server, {example("uring_cat"), "/dev/stdin"}), {}, /*with_stdin_pipe=*/true);
  ASSERT_EQ(write(cat.stdin_writer, "hello\n", 6), 6);
  ASSERT_TRUE(wait_for_text(cat.out, "hello\n")) << slurp_fd(cat.err);
  // The next READV waits on the empty pipe (parked in the server), or is about to.
  Outcome s = server.stop();
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_NE(access(server.path().c_str(), F_OK), 0) << "the socket outlived the server";
  Outcome o = cat.wait();
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_EQ(o.err, "uring_cat: io_uring_submit_and_wait: Function not implemented\n");
}

TEST_F(Serve, ShimWithUringsimSocketIsServedByTheServer) {
  if (access(kShim.c_str(), R_OK) != 0) GTEST_SKIP() << kShim << " is not built";
  Server server({"--trace"});
  std::string why;
  ASSERT_TRUE(server.ready(&why)) << why;
  // Preloaded into a raw-syscall program (the CQ ring mapped separately).
  Outcome o = uringsim::simtest::run({example("uring_raw_nop"), "50"},
                                     {.time_limit_s = kClientTimeLimitS,
                                      .env = {"LD_PRELOAD=" + kShim, "URINGSIM_SOCKET=" + server.path()}});
  Outcome r = uringsim::simtest::run(uringsim::simtest::under_sim({example("uring_raw_nop"), "50"}),
                                     {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("50/50 NOPs ok"), std::string::npos) << o.out << o.err;
  EXPECT_EQ(o.out, r.out);
  // The server, not an in-process kernel, answered: it traced the program's calls.
  const std::string err = server.err();
  EXPECT_NE(err.find("io_uring_setup("), std::string::npos) << err;
  EXPECT_NE(err.find("attached pid "), std::string::npos) << err;

  // Linked with the shim: libc conventions, errors from the server's model.
  const std::string direct = test_client("shim_direct_client");
  if (access(direct.c_str(), X_OK) == 0) {
    Outcome d = uringsim::simtest::run({direct}, {.time_limit_s = kClientTimeLimitS,
                                                  .env = {"URINGSIM_SOCKET=" + server.path()}});
    EXPECT_EQ(d.status, 0) << d.err;
    EXPECT_EQ(d.out,
              "setup with params=16: -1 (Bad address)\n"
              "probe: 0, NOP supported: 1\n"
              "enter: 1, cqe user_data 42 res 0\n")
        << d.err;
  }
  Outcome s = server.stop();
  EXPECT_EQ(s.status, 0) << s.err;
}

TEST_F(Serve, ShimWithUringsimSocketPointingNowhereFailsWithEnosysAndSaysWhy) {
  if (access(kShim.c_str(), R_OK) != 0) GTEST_SKIP() << kShim << " is not built";
  const std::string nowhere = "/tmp/uringsim-serve-test-nowhere-" + std::to_string(getpid()) + ".sock";
  Outcome o = uringsim::simtest::run({example("uring_raw_nop"), "5"},
                                     {.time_limit_s = kClientTimeLimitS,
                                      .env = {"LD_PRELOAD=" + kShim, "URINGSIM_SOCKET=" + nowhere}});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "libiouringsim: URINGSIM_SOCKET=" + nowhere + ": cannot connect to uringsim serve at " +
                       nowhere + ": No such file or directory; io_uring calls fail with ENOSYS\n"
                       "io_uring_setup: Function not implemented\n");
}

TEST_F(Serve, AttachWithoutAServerExitsTwoAndNamesTheSocket) {
  const std::string nowhere = "/tmp/uringsim-serve-test-nowhere-" + std::to_string(getpid()) + ".sock";
  Outcome o = uringsim::simtest::run({kCli, "attach", "--socket", nowhere, "--", example("uring_nop_ping"), "1"},
                                     {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "uringsim attach: cannot connect to uringsim serve at " + nowhere +
                       ": No such file or directory\n");
}

TEST_F(Serve, ASecondServerOnALiveSocketRefusesAndAStaleSocketIsReplaced) {
  Server first;
  std::string why;
  ASSERT_TRUE(first.ready(&why)) << why;
  Outcome second = uringsim::simtest::run({kCli, "serve", "--socket", first.path()}, {.time_limit_s = kClientTimeLimitS});
  EXPECT_EQ(second.status, 2);
  EXPECT_EQ(second.err, "uringsim serve: another uringsim serve is already listening on " + first.path() + "\n");
  // A plain file is never replaced.
  const std::string file = first.path() + ".file";
  close(open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  Outcome not_socket = uringsim::simtest::run({kCli, "serve", "--socket", file}, {.time_limit_s = kClientTimeLimitS});
  unlink(file.c_str());
  EXPECT_EQ(not_socket.status, 2);
  EXPECT_EQ(not_socket.err, "uringsim serve: " + file + " exists and is not a socket; not replacing it\n");
  Outcome s = first.stop();
  EXPECT_EQ(s.status, 0) << s.err;
}

}  // namespace
