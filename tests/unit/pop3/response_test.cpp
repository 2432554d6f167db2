// What a POP3 server says is untrusted: the parsers accept what RFC 1939/2449 allow and
// refuse the rest with Error(Protocol) or Error(Limit), never anything worse.
#include <gtest/gtest.h>

#include "pop3/response.h"
#include "smimekit/error.h"

namespace smimekit::pop3::detail {
namespace {

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::Internal;  // "did not throw"
}

TEST(StatusLine, OkAndErrWithAndWithoutText) {
  EXPECT_TRUE(parse_status("+OK").ok);
  EXPECT_TRUE(parse_status("+OK Dovecot ready.").ok);
  EXPECT_EQ(parse_status("+OK Dovecot ready.").text, "Dovecot ready.");
  EXPECT_FALSE(parse_status("-ERR").ok);
  EXPECT_EQ(parse_status("-ERR [AUTH] no").text, "[AUTH] no");
}

TEST(StatusLine, AnythingElseIsAProtocolError) {
  for (const char* line : {"", "+", "OK", "+OKAY", "-ERROR x", "* OK imap", "+ challenge"}) {
    EXPECT_EQ(code_of([&] { (void)parse_status(line); }), ErrorCode::Protocol) << line;
  }
}

TEST(Greeting, ApopTimestampOnlyWhenWellFormed) {
  EXPECT_EQ(apop_timestamp("POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
            "<1896.697170952@dbc.mtview.ca.us>");
  EXPECT_FALSE(apop_timestamp("Dovecot ready.").has_value());
  EXPECT_FALSE(apop_timestamp("ready <no-at-sign>").has_value());
  EXPECT_FALSE(apop_timestamp("ready <a b@c>").has_value());
  EXPECT_FALSE(apop_timestamp("ready <unclosed@x").has_value());
}

TEST(Capabilities, ReadsTheOnesThatMatter) {
  Capabilities caps;
  for (const char* line : {"CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE",
                           "user", "SASL PLAIN login SCRAM-SHA-256", "STLS",
                           "IMPLEMENTATION Dovecot\x01"}) {
    add_capability(line, caps);
  }
  EXPECT_TRUE(caps.top && caps.uidl && caps.pipelining && caps.user && caps.stls);
  EXPECT_EQ(caps.sasl, (std::vector<std::string>{"PLAIN", "LOGIN", "SCRAM-SHA-256"}));
  EXPECT_EQ(caps.implementation, "Dovecot?");
}

TEST(UidlLine, AcceptsRfc1939Ids) {
  const auto [n, uidl] = parse_uidl_line("2 QhdPYR:00WBw1Ph7x7");
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(uidl, "QhdPYR:00WBw1Ph7x7");
  EXPECT_EQ(parse_uidl_line(std::string("1 ") + std::string(70, '~')).second.size(), 70u);
}

TEST(UidlLine, RefusesWhatCouldConfuseTheState) {
  for (const std::string line :
       {std::string("0 abc"), std::string("x abc"), std::string("1"), std::string("1 "),
        std::string("1 ") + std::string(71, 'a'), std::string("1 a\x7f"), std::string("1 a\x01"),
        std::string("-1 abc"), std::string("99999999999 abc")}) {
    EXPECT_EQ(code_of([&] { (void)parse_uidl_line(line); }), ErrorCode::Protocol) << line;
  }
}

TEST(ListLine, SizeAndTrailingWords) {
  EXPECT_EQ(parse_list_line("3 120"), (std::pair<std::uint32_t, std::uint64_t>{3, 120}));
  EXPECT_EQ(parse_list_line("3 120 extra"), (std::pair<std::uint32_t, std::uint64_t>{3, 120}));
  for (const char* line : {"3", "3 x", "0 5", "3 -5", ""}) {
    EXPECT_EQ(code_of([&] { (void)parse_list_line(line); }), ErrorCode::Protocol) << line;
  }
}

TEST(MultilineBody, UnstuffsDotsAndStopsAtTheTerminator) {
  MultilineBody body(1000);
  EXPECT_FALSE(body.add("Subject: x"));
  EXPECT_FALSE(body.add(""));
  EXPECT_FALSE(body.add("..leading dot"));
  EXPECT_FALSE(body.add(". not the end"));
  EXPECT_TRUE(body.add("."));
  EXPECT_EQ(body.text(), "Subject: x\r\n\r\n.leading dot\r\n not the end\r\n");
}

TEST(MultilineBody, RefusesMoreThanItsBound) {
  MultilineBody body(10);
  EXPECT_FALSE(body.add("12345678"));
  EXPECT_EQ(code_of([&] { (void)body.add("1"); }), ErrorCode::Limit);
}

TEST(Printable, ServerTextCannotDriveTheTerminal) {
  EXPECT_EQ(printable("bad\x1b[2Jthing\r\n"), "bad?[2Jthing??");
  EXPECT_EQ(printable(std::string(300, 'a')).size(), 203u);
}

}  // namespace
}  // namespace smimekit::pop3::detail
