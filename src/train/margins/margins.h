// The factories of the losses, one per file of this folder; the table of names (margin_table.cpp) maps each
// train.loss name to one of them. Each constructor validates the keys of its loss (ConfigError naming the key).
#pragma once

#include <memory>

#include "train/margin.h"

namespace fv {

std::shared_ptr<Margin> make_softmax_margin(const HeadOptions& options);    // softmax.cpp
std::shared_ptr<Margin> make_lsoftmax_margin(const HeadOptions& options);   // lsoftmax.cpp
std::shared_ptr<Margin> make_asoftmax_margin(const HeadOptions& options);   // lsoftmax.cpp
std::shared_ptr<Margin> make_l2softmax_margin(const HeadOptions& options);  // l2softmax.cpp
std::shared_ptr<Margin> make_smsoftmax_margin(const HeadOptions& options);  // smsoftmax.cpp
std::shared_ptr<Margin> make_cosface_margin(const HeadOptions& options);    // cosine_margins.cpp
std::shared_ptr<Margin> make_arcface_margin(const HeadOptions& options);    // cosine_margins.cpp

}  // namespace fv
