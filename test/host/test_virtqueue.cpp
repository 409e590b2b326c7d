// The legacy split virtqueue of drivers/virtio_blk (virtqueue.h): layout and
// ring indices, with the test playing the device.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../drivers/virtio_blk/virtqueue.h"

TEST_CASE("virtqueue: the legacy layout") {
  // QEMU's sizes; the used ring starts on a page boundary.
  CHECK(virtio::avail_offset(128) == 2048);
  CHECK(virtio::used_offset(128) == 4096);
  CHECK(virtio::vring_bytes(128) == 8192);
  CHECK(virtio::used_offset(256) == 8192);
  CHECK(virtio::vring_bytes(256) == 12288);
  CHECK(virtio::vring_bytes(1024) == 16384 + 4096 + 12288);
}

TEST_CASE("virtqueue: offered chains come back in used order, indices wrap") {
  constexpr uint16_t kSize = 8;
  std::vector<uint8_t> mem(virtio::vring_bytes(kSize));
  virtio::Virtqueue vq;
  vq.init(mem.data(), kSize);
  uint16_t device_seen = 0, device_used = 0;
  uint16_t head;
  uint32_t len;
  CHECK_FALSE(vq.pop_used(&head, &len));
  for (int round = 0; round < 20000; ++round) {  // past 65536 ring entries: the 16-bit indices wrap
    for (uint16_t i = 0; i < 3; ++i) {
      vq.desc(uint16_t(i * 2)) = {0x1000u * i, 512, virtio::kDescNext, uint16_t(i * 2 + 1)};
      vq.push(uint16_t(i * 2));
    }
    CHECK(vq.outstanding() == 3);
    // The device: takes what the available ring offers, finishes it backwards.
    uint16_t avail = *vq.avail_idx();
    REQUIRE(uint16_t(avail - device_seen) == 3);
    uint16_t heads[3];
    for (int k = 0; k < 3; ++k) heads[k] = vq.avail_ring()[(device_seen + k) % kSize];
    device_seen = avail;
    CHECK(heads[0] == 0);
    CHECK(heads[2] == 4);
    for (int k = 2; k >= 0; --k) {
      vq.used_ring()[device_used % kSize].id = heads[k];
      vq.used_ring()[device_used % kSize].len = 100u + uint32_t(k);
      ++device_used;
      *vq.used_idx() = device_used;
    }
    for (int k = 2; k >= 0; --k) {
      REQUIRE(vq.pop_used(&head, &len));
      CHECK(head == heads[k]);
      CHECK(len == 100u + uint32_t(k));
    }
    CHECK_FALSE(vq.pop_used(&head, &len));
    CHECK(vq.outstanding() == 0);
  }
  // The descriptor table is at the start of the region.
  virtio::Desc d;
  std::memcpy(&d, mem.data() + 16 * 2, sizeof d);
  CHECK(d.addr == 0x1000u);
  CHECK(d.next == 3);
}
