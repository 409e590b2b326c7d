#include <doctest/doctest.h>

#include <string>

#include "lib/result.h"

TEST_CASE("kern_return_name names every Mach code") {
  CHECK(std::string(mk::kern_return_name(KERN_SUCCESS)) == "KERN_SUCCESS");
  CHECK(std::string(mk::kern_return_name(KERN_INVALID_ADDRESS)) == "KERN_INVALID_ADDRESS");
  CHECK(std::string(mk::kern_return_name(KERN_RESOURCE_SHORTAGE)) == "KERN_RESOURCE_SHORTAGE");
  CHECK(std::string(mk::kern_return_name(KERN_INVALID_VALUE)) == "KERN_INVALID_VALUE");
  CHECK(std::string(mk::kern_return_name(KERN_OPERATION_TIMED_OUT)) == "KERN_OPERATION_TIMED_OUT");
  for (kern_return_t kr = KERN_SUCCESS; kr <= KERN_OPERATION_TIMED_OUT; ++kr) {
    CAPTURE(kr);
    std::string name = mk::kern_return_name(kr);
    CHECK(name.rfind("KERN_", 0) == 0);
    CHECK(name != "KERN_(unknown)");
  }
  CHECK(std::string(mk::kern_return_name(-1)) == "KERN_(unknown)");
  CHECK(std::string(mk::kern_return_name(50)) == "KERN_(unknown)");
}

TEST_CASE("TRY returns the first error") {
  auto step = [](kern_return_t kr, int* calls) {
    ++*calls;
    return kr;
  };
  int calls = 0;
  auto run = [&]() -> kern_return_t {
    TRY(step(KERN_SUCCESS, &calls));
    TRY(step(KERN_NO_SPACE, &calls));
    TRY(step(KERN_SUCCESS, &calls));
    return KERN_SUCCESS;
  };
  CHECK(run() == KERN_NO_SPACE);
  CHECK(calls == 2);
}
