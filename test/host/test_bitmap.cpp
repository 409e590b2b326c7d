#include <doctest/doctest.h>

#include <cstdint>

#include "lib/bitmap.h"

namespace bm = mk::bitmap;

TEST_CASE("bitmap: set, clear, ranges and searches across word boundaries") {
  uint64_t w[4] = {};
  bm::set_range(w, 60, 130);
  CHECK(bm::count_range(w, 0, 256) == 70);
  CHECK(!bm::test(w, 59));
  CHECK(bm::test(w, 60));
  CHECK(bm::test(w, 129));
  CHECK(!bm::test(w, 130));
  CHECK(bm::find_first_set(w, 0, 256) == 60);
  CHECK(bm::find_first_set(w, 130, 256) == 256);
  CHECK(bm::find_first_clear(w, 60, 256) == 130);
  CHECK(bm::find_first_clear(w, 60, 100) == 100);  // none in range: end
  CHECK(bm::find_first_set(w, 0, 50) == 50);
  bm::clear_range(w, 64, 128);
  CHECK(bm::count_range(w, 0, 256) == 6);
  CHECK(bm::find_first_set(w, 64, 256) == 128);
  bm::clear(w, 128);
  bm::set(w, 255);
  CHECK(bm::find_first_set(w, 64, 256) == 129);
  CHECK(bm::find_first_set(w, 130, 256) == 255);
  CHECK(bm::popcount(~uint64_t(0)) == 64);
  CHECK(bm::popcount(0x8000000000000001ull) == 2);
  CHECK(bm::words_for(0) == 0);
  CHECK(bm::words_for(65) == 2);
}
