#include <doctest/doctest.h>

#include <string>

#include "kern/boot_args.h"

using mk::boot_arg;
using mk::boot_flag;

TEST_CASE("boot_arg finds key=value words") {
  char v[16];
  CHECK(boot_arg("selftest=memory timer=pit", "selftest", v, sizeof v));
  CHECK(std::string(v) == "memory");
  CHECK(boot_arg("selftest=memory timer=pit", "timer", v, sizeof v));
  CHECK(std::string(v) == "pit");
  CHECK(boot_arg("  a=1\t b=22  ", "b", v, sizeof v));
  CHECK(std::string(v) == "22");
}

TEST_CASE("boot_arg does not match prefixes or substrings") {
  char v[16];
  CHECK_FALSE(boot_arg("selftests=x", "selftest", v, sizeof v));
  CHECK_FALSE(boot_arg("xselftest=x", "selftest", v, sizeof v));
  CHECK_FALSE(boot_arg("", "selftest", v, sizeof v));
  CHECK_FALSE(boot_arg(nullptr, "selftest", v, sizeof v));
  CHECK_FALSE(boot_arg("a=1", "", v, sizeof v));
}

TEST_CASE("boot_arg truncates values and handles flags") {
  char v[4];
  CHECK(boot_arg("name=abcdefgh", "name", v, sizeof v));
  CHECK(std::string(v) == "abc");
  CHECK(boot_arg("verbose quiet=", "quiet", v, sizeof v));
  CHECK(std::string(v) == "");
  CHECK(boot_flag("verbose quiet", "verbose"));
  CHECK(boot_flag("verbose=1", "verbose"));
  CHECK_FALSE(boot_flag("verbosity", "verbose"));
}
