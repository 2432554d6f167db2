// The demo hierarchy of certs/demo, compiled in. The keys are public: for the demo only.
#pragma once

namespace smimekit::cli::demo {
extern const char* const kAliceKey;
extern const char* const kAliceCert;
extern const char* const kBobCert;
extern const char* const kBobKey;
/// The demo POP3 server's certificate (localhost, 127.0.0.1) with its chain, and its key.
extern const char* const kServerChain;
extern const char* const kServerKey;
extern const char* const kIntermediate;
extern const char* const kRoot;
}  // namespace smimekit::cli::demo
