// Dropping a mapped range's resident pages must not change what it reads:
// the engine drops each weight matrix's pages after repacking it and may
// read them again (another backend built later).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <vector>

#include "tests/test_util.h"
#include "weights/mapped_file.h"

TEST_CASE("mapped file: dropped pages read back unchanged", "[weights]") {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const std::string path = bte::test::temp_dir() + "/pages.bin";
  std::vector<unsigned char> bytes(page * 5 + 123);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 131 + 7);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const auto m = bte::MappedFile::open(path, "test file");
  REQUIRE(m.size() == bytes.size());
  volatile unsigned sum = 0;
  for (size_t i = 0; i < m.size(); ++i) sum += m.data()[i];  // make every page resident
  m.drop_pages(m.data() + 100, page * 3);                     // an unaligned range
  m.drop_pages(m.data(), m.size());                           // everything
  m.drop_pages(m.data() + m.size() - 10, 100);                // past the end: ignored
  m.drop_pages(nullptr, 10);                                  // not in the mapping: ignored
  CHECK(std::equal(bytes.begin(), bytes.end(), m.data()));
}
