// cli/demo_command: `orderguard demo`, the newcomer's first run. Starts a real `serve` (this
// binary, as a child process) on a fresh data directory, drives the simulated closed-loop day
// into it over HTTP (loop/closed_loop through client/http_link: the world answers the
// commands the server's event stream carries, simulated agents work the cases it escalates),
// shows a progress line, prints the handling measures the server computed (GET /v1/kpis)
// against the seed targets, and keeps the server running until Ctrl-C (--exit: stops).
//
// The server runs with --quiet-after 3650d: the simulated day owns event time (it runs about a
// thousand times faster than the wall clock, and the wall clock must not move it while the
// demo prepares a batch), so the server's incidents are exactly those of a replay of the
// events the demo sent (--events-out writes them; tests/demo checks it).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "client/api_reads.h"
#include "client/http_link.h"
#include "loop/closed_loop.h"
#include "rules/config.h"
#include "sim/simulator.h"

namespace og::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kMarker = ".orderguard-demo";  // a data directory the demo made (and may wipe)

// A data directory to start from scratch: created, or emptied when a previous demo made it.
bool prepare_data_dir(const std::string& dir, std::string& error) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      error = "--data " + dir + " is a file, not a directory";
      return false;
    }
    if (!fs::is_empty(dir, ec)) {
      if (!fs::exists(fs::path(dir) / kMarker, ec)) {
        error = "--data " + dir + " holds something the demo did not make; give an empty or new directory";
        return false;
      }
      fs::remove_all(dir, ec);
      if (ec) {
        error = "cannot empty " + dir + ": " + ec.message();
        return false;
      }
    }
  }
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  std::ofstream(fs::path(dir) / kMarker) << "made by `orderguard demo`: the next demo run empties this directory\n";
  return true;
}

// Signals: one thread takes SIGINT, SIGTERM (stop) and SIGCHLD (the server ended).
struct Signals {
  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<bool> stop = false;
  std::atomic<bool> child_ended = false;
  std::thread thread;
  sigset_t set{};

  void block() {
    sigemptyset(&set);
    for (int s : {SIGINT, SIGTERM, SIGCHLD, SIGUSR1}) {
      // A shell starts background jobs with SIGINT ignored, and an ignored signal never
      // reaches sigwait: the default disposition is restored (the mask keeps it from acting).
      ::signal(s, SIG_DFL);
      sigaddset(&set, s);
    }
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }
  void start() {
    thread = std::thread([this] {
      for (;;) {
        int signal = 0;
        if (sigwait(&set, &signal) != 0) continue;
        if (signal == SIGUSR1) return;  // our own: the demo is over
        std::lock_guard lock(mutex);
        if (signal == SIGCHLD) child_ended = true;
        else stop = true;
        changed.notify_all();
      }
    });
  }
  void end() {
    if (!thread.joinable()) return;
    pthread_kill(thread.native_handle(), SIGUSR1);
    thread.join();
  }
};

// `orderguard serve` as a child process: its log goes to DATA/serve.log, its port comes back
// through a pipe the moment it listens.
struct ServeChild {
  pid_t pid = -1;
  std::uint16_t port = 0;

  bool start(const DemoArgs& args, std::string& error) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
      error = std::string("pipe: ") + std::strerror(errno);
      return false;
    }
    const std::string log = (fs::path(args.data) / "serve.log").string();
    const pid_t parent = ::getpid();
    pid = ::fork();
    if (pid < 0) {
      error = std::string("fork: ") + std::strerror(errno);
      return false;
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the demo gone (even killed): the server goes too
      if (::getppid() != parent) ::_exit(1);
      sigset_t all;
      sigfillset(&all);
      ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
      ::dup2(pipe_fds[1], 3);  // dup2 clears close-on-exec: serve writes the port to /dev/fd/3
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (out >= 0) {
        ::dup2(out, 1);
        ::dup2(out, 2);
      }
      std::vector<std::string> argv = {"orderguard", "serve", "--data", args.data, "--listen", args.listen,
                                       "--port-file", "/dev/fd/3", "--quiet-after", "3650d"};
      std::vector<char*> raw;
      for (std::string& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      ::execv("/proc/self/exe", raw.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    // Blocks until serve listens (it writes the port) or ends (the pipe closes).
    std::string text;
    char c = 0;
    while (::read(pipe_fds[0], &c, 1) == 1 && c != '\n') text.push_back(c);
    ::close(pipe_fds[0]);
    try {
      port = static_cast<std::uint16_t>(std::stoul(text));
    } catch (const std::exception&) {
      std::ifstream in(log);
      std::string said, line;
      while (std::getline(in, line)) said += "\n  " + line;
      error = "the server did not start; its log (" + log + ") says:" + said;
      wait();
      return false;
    }
    return true;
  }

  void terminate() {
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  int wait() {
    if (pid <= 0) return 0;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return status;
  }
};

std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// The progress line on stderr: a bar redrawn in place on a terminal, a line every few seconds
// otherwise (logs, CI).
class Progress {
 public:
  Progress(const client::LinkCounters& counters, TimeMs start, TimeMs end)
      : counters_(counters), start_(start), end_(end), tty_(::isatty(2) == 1) {
    thread_ = std::thread([this] { run(); });
  }
  ~Progress() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (tty_) std::fputs("\n", stderr);
  }

 private:
  void run() {
    const auto every = tty_ ? std::chrono::milliseconds(250) : std::chrono::seconds(5);
    std::uint64_t last_lines = 0;
    auto last = Clock::now();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, every, [this] { return stopping_; });
      const auto now = Clock::now();
      const std::uint64_t lines = counters_.lines;
      const double seconds = std::chrono::duration<double>(now - last).count();
      const double rate = seconds > 0 ? static_cast<double>(lines - last_lines) / seconds : 0;
      last_lines = lines;
      last = now;
      draw(lines, rate);
    }
  }

  void draw(std::uint64_t lines, double rate) {
    const TimeMs at = counters_.event_time;
    const double done = at <= start_ ? 0.0 : std::min(1.0, static_cast<double>(at - start_) / static_cast<double>(end_ - start_));
    // The simulated clock, in the platform's time zone (UTC+8).
    const TimeMs local = std::max(at, start_) - start_;
    const TimeMs into_day = local % (24 * kHourMs);
    const std::string clock = fmt::format("{} {:02}:{:02}", at < end_ ? fmt::format("day {}", local / (24 * kHourMs) + 1) : std::string("after the day"),
                                          into_day / kHourMs, into_day % kHourMs / kMinuteMs);
    const std::string figures = fmt::format("{} | {} events ({}/s) | {} open incidents | {} commands | {} escalations", clock,
                                            thousands(lines), thousands(static_cast<std::uint64_t>(rate)),
                                            thousands(static_cast<std::uint64_t>(std::max<std::int64_t>(0, counters_.open_incidents))),
                                            thousands(counters_.commands), thousands(counters_.escalations));
    if (tty_) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(done * kWidth);
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.append(static_cast<std::size_t>(kWidth - filled), '.');
      std::fprintf(stderr, "\r[%s] %3.0f%% %s\x1b[K", bar.c_str(), done * 100, figures.c_str());
    } else {
      std::fprintf(stderr, "orderguard demo: %3.0f%% %s\n", done * 100, figures.c_str());
    }
    std::fflush(stderr);
  }

  const client::LinkCounters& counters_;
  TimeMs start_, end_;
  bool tty_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    spdlog::error("orderguard demo: cannot write {}", path);
    return false;
  }
  return true;
}

}  // namespace

int run_demo(const DemoArgs& args) {
  sim::SimConfig sim_config;
  sim_config.orders = args.orders;
  sim_config.seed = args.seed;
  const auto platform = sim::platform_from_name(args.platform);
  if (!platform) {
    spdlog::error("orderguard demo: --platform must be grocery, errand, mall or mixed (got '{}')", args.platform);
    return kExitUsage;
  }
  sim_config.platform = *platform;
  sim_config.start_ms = *parse_rfc3339_ms("2026-11-21T00:00:00+08:00");
  if (const auto valid = sim::validate(sim_config); !valid) {
    spdlog::error("orderguard demo: {}", valid.error());
    return kExitUsage;
  }
  std::string error;
  if (!prepare_data_dir(args.data, error)) {
    spdlog::error("orderguard demo: {}", error);
    return kExitUsage;
  }
  std::FILE* events_out = nullptr;
  if (!args.events_out.empty()) {
    events_out = std::fopen(args.events_out.c_str(), "wb");
    if (events_out == nullptr) {
      spdlog::error("orderguard demo: cannot write {}: {}", args.events_out, std::strerror(errno));
      return kExitUsage;
    }
  }

  Signals signals;
  signals.block();  // before any thread exists, so that every thread inherits the mask
  ServeChild serve;
  if (!serve.start(args, error)) {
    spdlog::error("orderguard demo: {}", error);
    return kExitFailure;
  }
  signals.start();
  const std::string host = args.listen.substr(0, args.listen.rfind(':'));
  const std::string url = fmt::format("http://{}:{}", host, serve.port);
  const std::string token_file = (fs::path(args.data) / "admin.token").string();
  std::string token;
  std::getline(std::ifstream(token_file), token);
  spdlog::info("orderguard demo: serve is up at {} (data {}, log {}/serve.log); simulating {} {} orders, seed {}", url,
               args.data, args.data, thousands(args.orders), args.platform, args.seed);

  int exit_code = kExitOk;
  const auto stop_server = [&] {
    signals.end();
    serve.terminate();
    serve.wait();
  };

  client::HttpLinkOptions options;
  options.endpoint = client::Endpoint{host, serve.port};
  options.token = token;
  options.out_of_orderness = RulesConfig{}.max_out_of_orderness_ms;
  options.batch_span_ms = args.batch_span_ms;
  options.events_out = events_out;
  options.stop = &signals.stop;
  auto link = client::HttpLink::open(options);
  if (!link) {
    spdlog::error("orderguard demo: {}", link.error());
    stop_server();
    return kExitFailure;
  }
  // The dashboard (web/, when built) is served by the same server: watch the day live.
  const bool dashboard = (*link)->client().get("/").status == 200;
  const std::string dashboard_url = url + "/#token=" + token;
  if (dashboard) spdlog::info("orderguard demo: the dashboard, signed in: {}", dashboard_url);

  loop::ClosedLoopConfig config;
  config.sim = sim_config;
  const std::uint64_t days = (args.orders + sim_config.orders_per_day - 1) / sim_config.orders_per_day;
  const auto started = Clock::now();
  loop::ClosedLoopStats stats;
  bool finished = false;
  {
    // 100% at the end of the simulated day(s); refunds, late deliveries and the people's last
    // cases go on a while after it.
    Progress progress((*link)->counters(), sim_config.start_ms, sim_config.start_ms + static_cast<TimeMs>(days) * 24 * kHourMs);
    try {
      stats = loop::run_closed_loop(config, **link, nullptr, nullptr);
      (*link)->flush();
      finished = true;
    } catch (const client::Stopped&) {
      progress.stop();
      spdlog::info("orderguard demo: stopped");
    } catch (const std::exception& failure) {
      progress.stop();
      spdlog::error("orderguard demo: {}", failure.what());
      exit_code = kExitFailure;
    }
  }
  if (events_out != nullptr) std::fclose(events_out);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (!finished) {
    stop_server();
    return exit_code;
  }

  client::HttpClient& api = (*link)->client();
  const client::HttpAnswer kpis = api.get("/v1/kpis");
  tl::expected<MeasuresSummary, std::string> summary = tl::unexpected(kpis.error.empty() ? kpis.body : kpis.error);
  if (kpis.ok()) summary = client::summary_from_json(kpis.body);
  if (!summary) {
    spdlog::error("orderguard demo: GET /v1/kpis: {}", summary.error());
    stop_server();
    return kExitFailure;
  }
  const client::LinkCounters& c = (*link)->counters();
  fmt::print("{} orders, {} events sent in {:.1f} s ({} events/s, {} POSTs): {} accepted, {} duplicates, {} rejected, {} late\n",
             thousands(stats.sim.orders), thousands(c.lines), seconds, thousands(static_cast<std::uint64_t>(static_cast<double>(c.lines) / seconds)),
             thousands(c.batches), thousands(c.accepted), thousands(c.duplicates), thousands(c.rejected), thousands(c.late));
  fmt::print("the server sent {} commands ({} answered by the simulated world with {} events) and escalated {} incidents "
             "to {} simulated agents ({} agent events)\n",
             thousands(c.commands), thousands(stats.commands_answered), thousands(stats.world_events), thousands(c.escalations),
             stats.agents, thousands(stats.agent_events));
  fmt::print("handling measures, from {}/v1/kpis:\n{}", url, measures_table(*summary));
  std::fflush(stdout);
  if (!args.report.empty() && !write_file(args.report, kpis.body)) exit_code = kExitFailure;
  if (!args.incidents_out.empty()) {
    auto incidents = client::fetch_incidents(api);
    if (!incidents) {
      spdlog::error("orderguard demo: {}", incidents.error());
      exit_code = kExitFailure;
    } else {
      std::string text;
      for (const std::string& incident : *incidents) text.append(incident).push_back('\n');
      if (!write_file(args.incidents_out, text)) exit_code = kExitFailure;
    }
  }
  if (args.exit) {
    link->reset();
    stop_server();
    return exit_code;
  }

  fmt::print("\nThe server keeps running at {} with everything the day left behind (Ctrl-C stops it).\n", url);
  if (dashboard) fmt::print("The dashboard, signed in as admin: {}\n", dashboard_url);
  fmt::print("The API:\n"
             "  curl -H \"Authorization: Bearer $(cat {})\" {}/v1/kpis\n"
             "  curl -H \"Authorization: Bearer $(cat {})\" '{}/v1/incidents?status=escalated&limit=5'\n"
             "  curl -N -H \"Authorization: Bearer $(cat {})\" {}/v1/stream\n",
             token_file, url, token_file, url, token_file, url);
  std::fflush(stdout);
  link->reset();
  {
    std::unique_lock lock(signals.mutex);
    signals.changed.wait(lock, [&] { return signals.stop.load() || signals.child_ended.load(); });
  }
  if (signals.child_ended && !signals.stop) {
    spdlog::error("orderguard demo: the server ended by itself; see {}/serve.log", args.data);
    exit_code = kExitFailure;
  }
  stop_server();
  return exit_code;
}

}  // namespace og::cli
