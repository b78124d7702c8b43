// FV_CHECK messages name the expression and operand values; error kinds map to distinct exit codes.
#include "core/check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace fv {
namespace {

TEST(Check, PassingCheckDoesNothing) { EXPECT_NO_THROW(FV_CHECK_EQ(2 + 2, 4, DataError, "math")); }

TEST(Check, MessageNamesExpressionAndValues) {
  const int batch = 3;
  const int expected = 4;
  try {
    FV_CHECK_EQ(batch, expected, FormatError, "file '{}' line {}: wrong batch", "a.txt", 12);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(),
                 "file 'a.txt' line 12: wrong batch (check failed: batch == expected with batch = 3, expected = 4)");
  }
}

TEST(Check, PlainCheckNamesExpression) {
  try {
    FV_CHECK(1 > 2, ConfigError, "key 'x' must be positive");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "key 'x' must be positive (check failed: 1 > 2)");
  }
}

TEST(Check, OperandsAreEvaluatedOnce) {
  int calls = 0;
  auto f = [&] { return ++calls; };
  FV_CHECK_LT(f(), 10, DataError, "");
  EXPECT_EQ(calls, 1);
}

TEST(ExitCodes, FilesystemErrorsAreIoErrors) {
  // e.g. "File name too long" from std::filesystem::status: the input, not the program, is at fault.
  const std::filesystem::filesystem_error e("status", "/x", std::make_error_code(std::errc::filename_too_long));
  EXPECT_EQ(exit_code_for(e), kExitIo);
}

TEST(ExitCodes, EachErrorKindHasItsOwnCode) {
  EXPECT_EQ(exit_code_for(ConfigError("x")), kExitConfig);
  EXPECT_EQ(exit_code_for(IoError("x")), kExitIo);
  EXPECT_EQ(exit_code_for(FormatError("x")), kExitData);
  EXPECT_EQ(exit_code_for(DataError("x")), kExitData);
  EXPECT_EQ(exit_code_for(std::runtime_error("x")), kExitInternal);
  EXPECT_NE(kExitConfig, kExitIo);
  EXPECT_NE(kExitIo, kExitData);
}

}  // namespace
}  // namespace fv
