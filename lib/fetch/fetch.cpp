// fetch(): a POP3 maildrop into a Maildir, every message opened on arrival.
//
// The order of things is what makes it safe: a message is deleted on the server only after
// its batch is on disk and its UIDL recorded (maildir.h); a broken connection or a full disk
// stops the run after keeping what arrived whole, and deletes nothing.
#include "smimekit/fetch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "smimekit/error.h"
#include "smimekit/maildir.h"

namespace smimekit {

namespace {

using Clock = std::chrono::steady_clock;

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

/// The JSON-lines report: opened for appending, private to its owner.
class ReportFile {
 public:
  explicit ReportFile(const std::filesystem::path& path) : m_path(path) {
    if (path.empty()) return;
    m_fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (m_fd < 0) {
      throw Error(ErrorCode::Io, fmt::format("cannot open the report file {}: {}", path.string(),
                                             std::strerror(errno)));
    }
  }
  ~ReportFile() {
    if (m_fd >= 0) ::close(m_fd);
  }
  ReportFile(const ReportFile&) = delete;
  ReportFile& operator=(const ReportFile&) = delete;

  /// Appends LINES in one write, so that a crash leaves whole lines.
  void append(const std::string& lines) {
    if (m_fd < 0 || lines.empty()) return;
    std::string_view rest = lines;
    while (!rest.empty()) {
      const ssize_t n = ::write(m_fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        throw Error(ErrorCode::Io, fmt::format("cannot write the report file {}: {}",
                                               m_path.string(), std::strerror(errno)));
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }

 private:
  std::filesystem::path m_path;
  int m_fd = -1;
};

struct Pending {
  pop3::MessageInfo info;
  Report report;
};

/// Thrown inside the receiving callback when the worker has stopped, to end the session.
struct WorkerStopped {};

struct Received {
  std::size_t sequence = 0;  ///< the order of arrival, which is the order of delivery
  pop3::MessageInfo info;
  std::string message;
};

/// Received messages on their way from the network thread to the workers. push() waits
/// while more than MAX_BYTES are queued (one message is always let in, however large).
class MessageQueue {
 public:
  explicit MessageQueue(std::size_t max_bytes) : m_max_bytes(max_bytes) {}

  /// False when the worker has failed and wants no more.
  bool push(const pop3::MessageInfo& info, std::string&& message) {
    std::unique_lock lock(m_mutex);
    m_space.wait(lock, [&] { return m_failed || m_items.empty() || m_bytes + message.size() <= m_max_bytes; });
    if (m_failed) return false;
    m_bytes += message.size();
    m_items.push_back({m_pushed++, info, std::move(message)});
    m_ready.notify_one();
    return true;
  }

  /// The next message, or nothing once the queue is closed and empty.
  std::optional<Received> pop() {
    std::unique_lock lock(m_mutex);
    m_ready.wait(lock, [&] { return m_closed || !m_items.empty(); });
    if (m_items.empty()) return std::nullopt;
    auto item = std::move(m_items.front());
    m_items.pop_front();
    m_bytes -= item.message.size();
    m_space.notify_one();
    return item;
  }

  void close() {
    const std::lock_guard lock(m_mutex);
    m_closed = true;
    m_ready.notify_all();
  }

  void fail() {
    const std::lock_guard lock(m_mutex);
    m_failed = true;
    m_space.notify_all();
  }

 private:
  std::size_t m_max_bytes;
  std::mutex m_mutex;
  std::condition_variable m_ready, m_space;
  std::deque<Received> m_items;
  std::size_t m_bytes = 0, m_pushed = 0;
  bool m_closed = false, m_failed = false;
};

}  // namespace

std::string FetchSummary::text() const {
  std::string out;
  if (fetched == 0) {
    out = fmt::format("no new messages ({} on the server)", on_server);
  } else {
    out = fmt::format("fetched {} message{}: {} valid, {} invalid, {} unsigned", fetched,
                      fetched == 1 ? "" : "s", valid, invalid, unsigned_);
    if (errors > 0) out += fmt::format(", {} unreadable", errors);
    out += fmt::format("; {} decrypted", decrypted);
  }
  if (removed > 0) out += fmt::format("; {} deleted on the server", removed);
  return out;
}

std::string FetchSummary::json() const {
  using seconds = std::chrono::duration<double>;
  const nlohmann::json j{
      {"on_server", on_server},
      {"fetched", fetched},
      {"valid", valid},
      {"invalid", invalid},
      {"unsigned", unsigned_},
      {"unreadable", errors},
      {"decrypted", decrypted},
      {"deleted", removed},
      {"bytes", bytes},
      {"mechanism", mechanism},
      {"seconds", {{"total", seconds(total).count()},
                   {"opening", seconds(opening).count()},
                   {"delivering", seconds(delivering).count()}}},
  };
  return j.dump();
}

FetchSummary fetch(const FetchOptions& options,
                   const std::function<void(const FetchProgress&)>& progress,
                   const std::function<void(const FetchedMessage&)>& on_message) {
  const auto started = Clock::now();
  FetchSummary summary;
  const std::string account = fmt::format("{}@{}:{}", options.credentials.user, options.server.host,
                                          options.server.effective_port());
  MaildirDelivery delivery(options.maildir, account);
  ReportFile report_file(options.report);
  const Opener opener(options.open);
  const std::string authserv_id = options.authserv_id.empty() ? host_name() : options.authserv_id;

  pop3::Session session = pop3::Session::connect(options.server, options.limits);
  session.login(options.credentials);
  summary.mechanism = session.mechanism();
  const std::vector<pop3::MessageInfo> listed = session.list();
  summary.on_server = listed.size();

  std::vector<pop3::MessageInfo> wanted;
  std::vector<std::uint32_t> removable;  // delivered and recorded: safe to delete
  std::set<std::string> on_server;
  FetchProgress state;
  for (const auto& m : listed) {
    on_server.insert(m.uidl);
    if (delivery.delivered(m.uidl)) {
      removable.push_back(m.number);
    } else {
      wanted.push_back(m);
      state.bytes_total += m.size;
    }
  }
  state.messages_total = wanted.size();

  std::vector<Pending> pending;
  auto commit = [&] {
    if (pending.empty()) return;
    const auto t = Clock::now();
    const std::vector<std::filesystem::path> files = delivery.commit();
    summary.delivering += Clock::now() - t;
    std::string lines;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      Pending& p = pending[i];
      nlohmann::json line = nlohmann::json::parse(to_json(p.report, files[i].string()));
      line["uidl"] = p.info.uidl;
      lines += line.dump() + "\n";
      removable.push_back(p.info.number);
      if (on_message) on_message(FetchedMessage{p.info.uidl, files[i], std::move(p.report)});
    }
    pending.clear();
    report_file.append(lines);
  };

  // The network thread (this one) only receives; a worker opens, stages and commits, so a
  // message is checked while the next ones arrive. The queue between them is bounded in
  // bytes, so memory stays flat however large the maildrop.
  // Opening is the costly part and each message is independent: several workers open at
  // once. Delivery stays in the order of arrival, one message at a time (DELIVER_TURN).
  std::mutex deliver_mutex;
  std::condition_variable deliver_turn;
  std::size_t next_to_deliver = 0;
  bool stopped = false;  // a worker failed: the others stop too

  auto deliver = [&](const Received& item, Report&& report, const std::string& stored,
                     Clock::duration opening) {
    summary.opening += opening;
    const auto t = Clock::now();
    delivery.stage(item.info.uidl, stored);
    summary.delivering += Clock::now() - t;

    ++summary.fetched;
    summary.bytes += item.message.size();
    switch (report.verdict) {
      case Verdict::Valid: ++summary.valid; break;
      case Verdict::Invalid: ++summary.invalid; break;
      case Verdict::Unsigned: ++summary.unsigned_; break;
      case Verdict::Error: ++summary.errors; break;
    }
    if (report.encrypted && !report.decrypted_message.empty()) ++summary.decrypted;
    report.decrypted_message.clear();  // the report line and callback need no plaintext copy
    pending.push_back({item.info, std::move(report)});

    ++state.messages_done;
    state.bytes_done += item.info.size;
    state.elapsed = Clock::now() - started;
    if (progress) progress(state);
    if (delivery.staged_count() >= options.batch_messages ||
        delivery.staged_bytes() >= options.batch_bytes) {
      commit();
    }
  };

  auto process = [&](Received& item) {
    const auto t = Clock::now();
    Report report = opener.open(item.message);
    const Clock::duration opening = Clock::now() - t;
    const bool decrypted = report.encrypted && !report.decrypted_message.empty();
    const std::string& body =
        options.store_decrypted && decrypted ? report.decrypted_message : item.message;
    std::string stored = authentication_results(report, authserv_id);
    stored += "\r\n";
    stored += body;

    std::unique_lock lock(deliver_mutex);
    deliver_turn.wait(lock, [&] { return stopped || next_to_deliver == item.sequence; });
    if (stopped) return false;
    deliver(item, std::move(report), stored, opening);
    ++next_to_deliver;
    deliver_turn.notify_all();
    return true;
  };

  MessageQueue queue(options.queue_bytes);
  std::exception_ptr worker_failure;
  const std::size_t worker_count =
      options.open_threads != 0 ? options.open_threads
                                : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < worker_count; ++i) {
    workers.emplace_back([&] {
      try {
        while (auto item = queue.pop()) {
          if (!process(*item)) return;
        }
      } catch (...) {
        const std::lock_guard lock(deliver_mutex);
        if (!worker_failure) worker_failure = std::current_exception();
        stopped = true;
        deliver_turn.notify_all();
        queue.fail();  // the receiver stops at its next message
      }
    });
  }
  std::exception_ptr network_failure;
  try {
    session.retrieve(wanted, [&](const pop3::MessageInfo& info, std::string&& message) {
      if (!queue.push(info, std::move(message))) throw WorkerStopped{};
    });
  } catch (const WorkerStopped&) {
  } catch (...) {
    network_failure = std::current_exception();
  }
  queue.close();
  for (auto& w : workers) w.join();
  // Keep whatever arrived whole before the connection broke or the disk filled; a failure
  // of the disk is the one reported, as it is the one to fix first.
  if (worker_failure) {
    try {
      commit();
    } catch (const Error&) {
    }
    std::rethrow_exception(worker_failure);
  }
  if (network_failure) {
    commit();
    std::rethrow_exception(network_failure);
  }
  commit();
  delivery.forget_except(on_server);

  if (options.remove_after_delivery && !removable.empty()) {
    session.remove(removable);
  }
  session.quit();
  if (options.remove_after_delivery) summary.removed = removable.size();

  summary.total = Clock::now() - started;
  state.elapsed = summary.total;
  if (progress) progress(state);
  return summary;
}

}  // namespace smimekit
