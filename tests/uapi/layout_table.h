// Layout tables for comparing uapi/io_uring.h with the host's <linux/io_uring.h>.
//
// The two headers define the same names, so they cannot meet in one
// translation unit. host_layout.cc and our_layout.cc each describe one header
// as plain data (names, offsets, sizes, constant values) and layout_test.cc
// compares the two descriptions by name.
#ifndef URINGSIM_TESTS_UAPI_LAYOUT_TABLE_H
#define URINGSIM_TESTS_UAPI_LAYOUT_TABLE_H

#include <cstddef>
#include <vector>

namespace uringsim::uapi_test {

// One struct member, or a whole struct when `field` is "(sizeof)" or
// "(alignof)" (then `offset` is 0 and `size` holds the struct's size or
// alignment).
struct FieldEntry {
  const char* strct;
  const char* field;
  std::size_t offset;
  std::size_t size;
};

// One named constant (macro or enumerator), widened to long long so that
// negative values (IORING_REGISTER_FILES_SKIP) and 64-bit mmap offsets both fit.
struct ConstEntry {
  const char* name;
  long long value;
};

struct LayoutTable {
  std::vector<FieldEntry> fields;
  std::vector<ConstEntry> constants;
};

// Everything the host header (Debian 12: linux-libc-dev 6.1) has in common
// with ours. Fields the host spells differently (renamed since 6.1) are listed
// under our name.
LayoutTable HostLayout();

// Every struct member and constant of uapi/io_uring.h.
LayoutTable OurLayout();

}  // namespace uringsim::uapi_test

#endif  // URINGSIM_TESTS_UAPI_LAYOUT_TABLE_H
