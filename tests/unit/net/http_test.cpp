// The HTTP client of lib/net against a real server on 127.0.0.1 that sends exactly the bytes
// each case needs: framing (Content-Length, chunked, end of stream), limits, redirects,
// errors and a server that never answers.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "net/http.h"
#include "smimekit/error.h"
#include "support/http_server.h"

namespace smimekit::net {
namespace {

using test::HttpServer;

HttpServer raw_server(std::string raw) {
  return HttpServer([raw](const HttpServer::Request&) {
    HttpServer::Response r;
    r.raw = raw;
    return r;
  });
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::Internal;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

const HttpLimits kLimits{std::chrono::seconds(2), 1024};

TEST(HttpUrl, ParsesHostPortAndTarget) {
  auto u = parse_http_url("http://127.0.0.1:8080/ca/root.crl?x=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/ca/root.crl?x=1");
  u = parse_http_url("HTTP://ocsp.example.org");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
  u = parse_http_url("http://[::1]:81/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 81);
}

TEST(HttpUrl, RefusesOtherSchemesAndOddForms) {
  for (const char* bad : {"https://ca.example/crl", "ldap://ca.example/cn=x", "http://",
                          "http://user@host/", "http://host:0/", "http://host:70000/",
                          "http://host/a b", "http://host/\r\nX: y", "http://host:x/"}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

TEST(Http, GetSendsARequestAndReadsContentLength) {
  std::string seen;
  HttpServer server([&](const HttpServer::Request& r) {
    seen = r.method + " " + r.target;
    HttpServer::Response out;
    out.body = "CRL bytes";
    return out;
  });
  EXPECT_EQ(http_get(server.url("/root.crl"), kLimits), "CRL bytes");
  EXPECT_EQ(seen, "GET /root.crl");
}

TEST(Http, PostSendsTheBodyWithItsContentType) {
  HttpServer::Request seen;
  HttpServer server([&](const HttpServer::Request& r) {
    seen = r;
    HttpServer::Response out;
    out.body = "answer";
    return out;
  });
  EXPECT_EQ(
      http_post(server.url("/"), "application/ocsp-request", std::string("\x30\x00", 2), kLimits),
      "answer");
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.content_type, "application/ocsp-request");
  EXPECT_EQ(seen.body, std::string("\x30\x00", 2));
}

TEST(Http, DecodesChunkedBodies) {
  auto server = raw_server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\n"
      "Trailer: x\r\n\r\n");
  EXPECT_EQ(http_get(server.url("/"), kLimits), "Wikipedia");
}

TEST(Http, ReadsToTheEndWithoutALength) {
  auto server = raw_server("HTTP/1.0 200 OK\r\n\r\nuntil close");
  EXPECT_EQ(http_get(server.url("/"), kLimits), "until close");
}

TEST(Http, SkipsInterimResponses) {
  auto server =
      raw_server("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(http_get(server.url("/"), kLimits), "ok");
}

TEST(Http, BoundsTheBodyWhateverTheFraming) {
  auto announced = raw_server("HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n");
  EXPECT_EQ(code_of([&] { (void)http_get(announced.url("/"), kLimits); }), ErrorCode::Limit);
  auto chunked = raw_server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" +
                            std::string(1024, 'a') + "\r\n1\r\nb\r\n0\r\n\r\n");
  EXPECT_EQ(code_of([&] { (void)http_get(chunked.url("/"), kLimits); }), ErrorCode::Limit);
  auto unframed = raw_server("HTTP/1.1 200 OK\r\n\r\n" + std::string(2000, 'a'));
  EXPECT_EQ(code_of([&] { (void)http_get(unframed.url("/"), kLimits); }), ErrorCode::Limit);
}

TEST(Http, RefusesRedirectsAndErrorStatuses) {
  auto redirect =
      raw_server("HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n");
  const std::string why = message_of([&] { (void)http_get(redirect.url("/"), kLimits); });
  EXPECT_NE(why.find("redirects are not followed"), std::string::npos) << why;
  EXPECT_EQ(code_of([&] { (void)http_get(redirect.url("/"), kLimits); }), ErrorCode::Protocol);
  auto missing = raw_server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  EXPECT_NE(message_of([&] { (void)http_get(missing.url("/"), kLimits); }).find("404"),
            std::string::npos);
}

TEST(Http, MalformedResponsesAreProtocolErrors) {
  std::string many_fields = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 101; ++i) many_fields += "X-Field: 1\r\n";
  const std::string long_line = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(9000, 'a') + "\r\n\r\n";
  for (const std::string& raw : {many_fields + "\r\n", long_line}) {
    auto server = raw_server(raw);
    EXPECT_EQ(code_of([&] { (void)http_get(server.url("/"), kLimits); }), ErrorCode::Protocol);
  }
  for (const char* raw : {"SSH-2.0-OpenSSH\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                          "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"}) {
    auto server = raw_server(raw);
    EXPECT_EQ(code_of([&] { (void)http_get(server.url("/"), kLimits); }), ErrorCode::Protocol)
        << raw;
  }
}

TEST(Http, UnreachableAndSilentServersAreNetworkErrorsWithinTheTimeout) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(test::unused_port()) + "/";
  EXPECT_EQ(code_of([&] { (void)http_get(dead, kLimits); }), ErrorCode::Network);
  test::SilentServer silent;
  const auto start = std::chrono::steady_clock::now();
  const std::string why = message_of([&] {
    (void)http_get("http://127.0.0.1:" + std::to_string(silent.port()) + "/",
                   {std::chrono::milliseconds(500), 1024});
  });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(why.find("did not answer within 500 ms"), std::string::npos) << why;
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(Http, ASlowAnswerIsCutAtTheTimeout) {
  HttpServer slow([](const HttpServer::Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    HttpServer::Response r;
    r.raw = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    return r;
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of([&] {
              (void)http_get(slow.url("/"), {std::chrono::milliseconds(500), 1024});
            }),
            ErrorCode::Network);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
}

}  // namespace
}  // namespace smimekit::net
