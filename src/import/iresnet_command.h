// The `iresnet` subcommand of fv-import (called by fv-import's dispatcher in main.cpp).
#pragma once

namespace fv {

// argv[0] is the subcommand name ("iresnet"); the rest are its options (--import.state_dict, --import.depth,
// --import.embedding_dim, --import.output, --config, --help). Returns the exit code; throws fv::Error on
// failure (the caller's run_main maps it to an exit code).
int run_iresnet_import(int argc, char** argv);

}  // namespace fv
