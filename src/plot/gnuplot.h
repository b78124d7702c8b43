// Running gnuplot: finding the program, quoting text for its scripts, drawing a script into a PNG atomically.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace fv::plot {

// `text` as a gnuplot string literal that reads back as `text`: single-quoted, a quote doubled. Single quotes
// because gnuplot runs `backquoted` commands and expands @macros inside double quotes; a control character
// (a newline would end the command) becomes a space.
std::string gnuplot_quoted(std::string_view text);

// The gnuplot program for the setting `name` (eval.gnuplot, train.gnuplot, plot.gnuplot): `name` itself when it
// holds a '/', else the first executable `name` in PATH; for the default "gnuplot" also Debian's gnuplot-nox,
// gnuplot-qt and gnuplot-x11, whose `gnuplot` alternative a container may lack. Empty when there is none.
std::filesystem::path find_gnuplot(const std::string& name);

struct PngSize {
  int width = 800;
  int height = 600;
};

// The script lines that send the plot to `png`: pngcairo of `size`, noenhanced (labels drawn as written).
std::string png_preamble(const std::filesystem::path& png, PngSize size);

// Draws `body` (gnuplot commands without terminal or output) into `png`. The script goes to a ScratchDir,
// removed afterwards; gnuplot draws into a temporary file beside `png` (AtomicOutput, which creates missing
// folders), renamed to `png` only when gnuplot exited with 0 and wrote a non-empty file, so `png` is never a
// half-drawn plot. Throws IoError naming `png` when the program is not found (see find_gnuplot) and, with
// gnuplot's own error lines, when it fails.
void render_png(const std::string& body, const std::filesystem::path& png, PngSize size, const std::string& gnuplot);

}  // namespace fv::plot
