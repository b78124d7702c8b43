// fv-verify: 1:1 decisions and 1:N rankings from embeddings or images.
#include <iostream>

#include "core/cli.h"
#include "core/options.h"
#include "model/torch_runtime.h"
#include "verify/verify_config.h"
#include "verify/verify_run.h"

int main(int argc, char** argv) {
  return fv::run_main("fv-verify", [&] {
    fv::VerifyConfig config;
    fv::OptionSet options("fv-verify",
                          "1:1 verification of two images or ids, or 1:N ranking of probes against a gallery");
    config.bind(options);
    if (!options.parse(argc, argv)) return 0;
    config.validate();
    fv::configure_torch_threads(config.threads);
    if (config.search_mode()) {
      const auto rankings = fv::search(config);
      std::cout << (config.json ? fv::format_json(rankings) : fv::format_text(rankings));
    } else {
      const auto decision = fv::verify_pair(config);
      std::cout << (config.json ? fv::format_json(decision) : fv::format_text(decision));
    }
    return 0;
  });
}
