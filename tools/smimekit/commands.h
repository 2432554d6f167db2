// One function per verb: it declares the verb's options on the parent app and returns how to
// run it. main() only wires them together.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace smimekit::cli {

struct Verb {
  CLI::App* app;
  std::function<int()> run;  ///< returns the exit status
};

Verb setup_sign(CLI::App& parent);
Verb setup_verify(CLI::App& parent);
Verb setup_encrypt(CLI::App& parent);
Verb setup_decrypt(CLI::App& parent);
Verb setup_fetch(CLI::App& parent);
Verb setup_demo(CLI::App& parent);
Verb setup_audit(CLI::App& parent);
Verb setup_certs(CLI::App& parent);
Verb setup_anchors(CLI::App& parent);
Verb setup_crl(CLI::App& parent);

}  // namespace smimekit::cli
