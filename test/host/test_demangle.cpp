#include <doctest/doctest.h>

#include <string>

#include "lib/demangle.h"

static std::string dm(const char* m) {
  char buf[128];
  return mk::demangle(m, buf, sizeof buf) ? std::string(buf) : std::string("<fail>");
}

TEST_CASE("demangle names kernel code has") {
  CHECK(dm("_ZN2mk8selftest9run_casesEv") == "mk::selftest::run_cases");
  CHECK(dm("_ZN2mk12_GLOBAL__N_118provoke_page_faultEv") == "mk::(anonymous namespace)::provoke_page_fault");
  CHECK(dm("_Z3fooi") == "foo");
  CHECK(dm("_ZN2mk4ZoneC2Ev") == "mk::Zone::Zone");
  CHECK(dm("_ZN2mk4ZoneD1Ev") == "mk::Zone::~Zone");
  CHECK(dm("_ZNK2mk10ElfSymbols6lookupEmPPKcPm") == "mk::ElfSymbols::lookup");
  CHECK(dm("_ZN2mk9TypedZoneINS_4TaskEE6createIJEEEPS1_DpOT_") == "mk::TypedZone<...>::create<...>");
  CHECK(dm("_ZNSt6vector4sizeEv") == "std::vector::size");
}

TEST_CASE("demangle refuses what it does not understand") {
  CHECK(dm("kernel_main") == "<fail>");
  CHECK(dm("_Z") == "<fail>");
  CHECK(dm("_ZN2mk") == "<fail>");           // unterminated nested name
  CHECK(dm("_ZN99mkE") == "<fail>");         // length past the end
  CHECK(dm("_ZN2mk9TypedZoneIE") == "<fail>");
  char tiny[8];
  CHECK_FALSE(mk::demangle("_ZN2mk8selftest9run_casesEv", tiny, sizeof tiny));
  CHECK_FALSE(mk::demangle(nullptr, tiny, sizeof tiny));
}
