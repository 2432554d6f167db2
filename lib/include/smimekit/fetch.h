// smimekit — fetch a POP3 maildrop into a Maildir and open every message on arrival.
//
// fetch() logs in (pop3.h), asks for the UIDLs once, retrieves every message not yet
// delivered (pipelined), opens each with an Opener, and delivers it (maildir.h) with an
// Authentication-Results header (RFC 8601, method "smime" of RFC 7281) added on top. With
// remove_after_delivery, DELE is sent only for messages that are delivered and recorded.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "smimekit/mail.h"
#include "smimekit/pop3.h"
#include "smimekit/report.h"

namespace smimekit {

struct FetchOptions {
  pop3::ServerOptions server;
  pop3::Credentials credentials;
  pop3::Limits limits;
  std::filesystem::path maildir;
  /// Each message's report is appended here as one JSON line; empty for none.
  std::filesystem::path report;
  /// DELE the messages once they are delivered and recorded (and those delivered before).
  bool remove_after_delivery = false;
  /// Store the decrypted message (with the header) instead of the encrypted one.
  bool store_decrypted = false;
  /// How messages are opened: trust anchors, CRLs, decryption keys.
  OpenOptions open;
  /// The authserv-id of the Authentication-Results header; empty for this host's name.
  std::string authserv_id;
  /// A batch is committed to disk when it holds this many messages or bytes.
  std::size_t batch_messages = 512;
  std::size_t batch_bytes = 32 * 1024 * 1024;
  /// Received messages waiting to be opened are bounded by this many bytes (one message is
  /// always let through): the network is never waiting for the checks, and memory is flat.
  std::size_t queue_bytes = 16 * 1024 * 1024;
  /// How many messages are opened at once; 0 for one per core (at most 4). Delivery stays
  /// in the order the messages arrived.
  std::size_t open_threads = 0;
};

/// Where a fetch stands, for a progress line.
struct FetchProgress {
  std::size_t messages_done = 0, messages_total = 0;
  std::uint64_t bytes_done = 0, bytes_total = 0;
  std::chrono::steady_clock::duration elapsed{};
};

/// What one fetched message turned out to be.
struct FetchedMessage {
  std::string uidl;
  std::filesystem::path file;  ///< where it was delivered
  Report report;
};

struct FetchSummary {
  std::size_t on_server = 0;  ///< messages in the maildrop
  std::size_t fetched = 0;    ///< new messages delivered in this run
  std::size_t valid = 0, invalid = 0, unsigned_ = 0, errors = 0;
  std::size_t decrypted = 0;
  std::size_t removed = 0;  ///< DELE sent and committed by QUIT
  std::uint64_t bytes = 0;
  std::string mechanism;  ///< how the login went ("SCRAM-SHA-256")
  /// Where the time went: total (wall clock), opening (summed over the workers, so it can
  /// exceed the total), and delivering to disk.
  std::chrono::steady_clock::duration total{}, opening{}, delivering{};

  /// "fetched 120 messages: 97 valid, 3 invalid, 20 unsigned; 12 decrypted"
  [[nodiscard]] std::string text() const;
  [[nodiscard]] std::string json() const;
};

/// Runs one fetch. Messages are received on the calling thread and opened and delivered on
/// worker threads, which also call PROGRESS (after each message; once more at the end from
/// the calling thread) and ON_MESSAGE (each message after it was delivered), never two at once.
/// Throws Error(Network/Insecure/Authentication/Protocol) for the server, Error(Io) for
/// delivery; what was delivered and recorded before the error stays so.
FetchSummary fetch(const FetchOptions& options,
                   const std::function<void(const FetchProgress&)>& progress = {},
                   const std::function<void(const FetchedMessage&)>& on_message = {});

/// The Authentication-Results field (name, colon and value, no line end) for REPORT:
/// "Authentication-Results: AUTHSERV_ID; smime=pass body.smime-identifier=... ..."
[[nodiscard]] std::string authentication_results(const Report& report,
                                                 std::string_view authserv_id);

}  // namespace smimekit
