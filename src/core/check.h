// FV_CHECK macros: validate inputs and throw a typed fv::Error naming the failed expression and values.
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>

#include "core/error.h"

namespace fv::detail {

template <class E>
[[noreturn]] void check_failed(const char* expression, const std::string& values, const std::string& message) {
  std::string text = message;
  if (!text.empty()) text += " ";
  text += fmt::format("(check failed: {}", expression);
  if (!values.empty()) text += fmt::format(" with {}", values);
  text += ")";
  throw E(text);
}

template <class T>
std::string show(const T& value) {
  if constexpr (fmt::is_formattable<T>::value) {
    return fmt::format("{}", value);
  } else {
    return "<value>";
  }
}

}  // namespace fv::detail

// FV_CHECK(cond, ErrorType, "format", args...): throws ErrorType("message (check failed: cond)").
#define FV_CHECK(cond, ErrorType, ...)                                                  \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      ::fv::detail::check_failed<ErrorType>(#cond, std::string(), ::fmt::format(__VA_ARGS__)); \
    }                                                                                   \
  } while (0)

// FV_CHECK_OP(a, op, b, ErrorType, "format", args...): also prints both operands' values.
#define FV_CHECK_OP(a, op, b, ErrorType, ...)                                                   \
  do {                                                                                          \
    const auto& fv_check_a_ = (a);                                                              \
    const auto& fv_check_b_ = (b);                                                              \
    if (!(fv_check_a_ op fv_check_b_)) {                                                        \
      ::fv::detail::check_failed<ErrorType>(                                                    \
          #a " " #op " " #b,                                                                    \
          ::fmt::format("{} = {}, {} = {}", #a, ::fv::detail::show(fv_check_a_), #b,            \
                        ::fv::detail::show(fv_check_b_)),                                       \
          ::fmt::format(__VA_ARGS__));                                                          \
    }                                                                                           \
  } while (0)

#define FV_CHECK_EQ(a, b, E, ...) FV_CHECK_OP(a, ==, b, E, __VA_ARGS__)
#define FV_CHECK_NE(a, b, E, ...) FV_CHECK_OP(a, !=, b, E, __VA_ARGS__)
#define FV_CHECK_LT(a, b, E, ...) FV_CHECK_OP(a, <, b, E, __VA_ARGS__)
#define FV_CHECK_LE(a, b, E, ...) FV_CHECK_OP(a, <=, b, E, __VA_ARGS__)
#define FV_CHECK_GT(a, b, E, ...) FV_CHECK_OP(a, >, b, E, __VA_ARGS__)
#define FV_CHECK_GE(a, b, E, ...) FV_CHECK_OP(a, >=, b, E, __VA_ARGS__)
