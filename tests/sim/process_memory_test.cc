// sim::ProcessMemory: copy_from_user/copy_to_user through process_vm_readv/writev, and
// VMA classification from /proc/PID/smaps, on this process's own address space.
#include "sim/process_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/shm.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace uringsim::sim {
namespace {

constexpr size_t kPage = 4096;

uint64_t addr_of(const void* p) { return reinterpret_cast<uint64_t>(p); }

// Two pages, the second unmapped: a range crossing the boundary must fail as a whole.
struct HalfMapped {
  char* base;
  HalfMapped() {
    base = static_cast<char*>(mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    munmap(base + kPage, kPage);
  }
  ~HalfMapped() { munmap(base, kPage); }
};

// A scratch file in a directory on a disk filesystem (not tmpfs).
std::string disk_file(size_t size) {
  char path[] = "/var/tmp/uringsim-pm-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
  close(fd);
  return path;
}

bool is_tmpfs(const char* dir);

Vma vma_at(ProcessMemory& pm, const void* p, size_t len = 1) {
  std::vector<Vma> v;
  EXPECT_TRUE(pm.vmas(addr_of(p), len, v));
  return v.empty() ? Vma{} : v[0];
}

TEST(ProcessMemory, ReadsAndWritesOwnMemory) {
  ProcessMemory pm(getpid());
  std::string src = "hello, copy_from_user";
  std::vector<char> dst(src.size());
  ASSERT_TRUE(pm.read(addr_of(src.data()), dst.data(), dst.size()));
  EXPECT_EQ(std::string(dst.begin(), dst.end()), src);

  char target[8] = {};
  ASSERT_TRUE(pm.write(addr_of(target), "abcdefg", 8));
  EXPECT_STREQ(target, "abcdefg");
  EXPECT_TRUE(pm.read(0, nullptr, 0)) << "a zero-length copy touches nothing";
}

TEST(ProcessMemory, UnmappedAddressIsEFAULTNotACrash) {
  ProcessMemory pm(getpid());
  char buf[16];
  EXPECT_FALSE(pm.read(0, buf, sizeof buf));
  EXPECT_FALSE(pm.write(8, buf, sizeof buf));
  EXPECT_FALSE(pm.read(0xffffffffffff0000ull, buf, sizeof buf));
  EXPECT_FALSE(pm.read(~uint64_t{0} - 4, buf, sizeof buf)) << "range wraps around";
}

TEST(ProcessMemory, RangeCrossingIntoUnmappedPageFailsAsAWhole) {
  HalfMapped m;
  ProcessMemory pm(getpid());
  std::vector<char> buf(64);
  EXPECT_TRUE(pm.read(addr_of(m.base + kPage - 32), buf.data(), 32));
  EXPECT_FALSE(pm.read(addr_of(m.base + kPage - 32), buf.data(), 64));
  EXPECT_FALSE(pm.write(addr_of(m.base + kPage - 32), buf.data(), 64));
  std::vector<Vma> v;
  EXPECT_TRUE(pm.vmas(addr_of(m.base), kPage, v));
  EXPECT_FALSE(pm.vmas(addr_of(m.base), kPage + 1, v)) << "hole after the first page";
}

TEST(ProcessMemory, WriteToReadOnlyMappingFails) {
  void* p = mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  ProcessMemory pm(getpid());
  char c = 1;
  char out;
  EXPECT_TRUE(pm.read(addr_of(p), &out, 1));
  EXPECT_FALSE(pm.write(addr_of(p), &c, 1));
  Vma v = vma_at(pm, p);
  EXPECT_TRUE(v.readable);
  EXPECT_FALSE(v.writable);
  munmap(p, kPage);
}

TEST(ProcessMemory, ClassifiesPrivateAnonymousAsAnonymous) {
  void* p = mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  ProcessMemory pm(getpid());
  Vma v = vma_at(pm, p, 4 * kPage);
  EXPECT_EQ(v.backing, Backing::kAnonymous);
  EXPECT_EQ(v.page_size, 4096u);
  EXPECT_LE(v.start, addr_of(p));
  EXPECT_GE(v.end, addr_of(p) + 4 * kPage);
  munmap(p, 4 * kPage);
}

TEST(ProcessMemory, ClassifiesSharedAnonymousAndMemfdAsShmem) {
  ProcessMemory pm(getpid());
  void* shared_anon = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared_anon, MAP_FAILED);
  EXPECT_EQ(vma_at(pm, shared_anon).backing, Backing::kShmem);

  int mfd = memfd_create("pm-test", MFD_CLOEXEC);
  ASSERT_GE(mfd, 0);
  ASSERT_EQ(ftruncate(mfd, kPage), 0);
  void* mem = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  ASSERT_NE(mem, MAP_FAILED);
  Vma v = vma_at(pm, mem);
  EXPECT_EQ(v.backing, Backing::kShmem) << v.path;
  EXPECT_NE(v.path.find("memfd:pm-test"), std::string::npos) << v.path;

  int shmid = shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600);
  if (shmid >= 0) {
    void* sysv = shmat(shmid, nullptr, 0);
    shmctl(shmid, IPC_RMID, nullptr);
    ASSERT_NE(sysv, reinterpret_cast<void*>(-1));
    EXPECT_EQ(vma_at(pm, sysv).backing, Backing::kShmem);
    shmdt(sysv);
  }
  munmap(mem, kPage);
  close(mfd);
  munmap(shared_anon, kPage);
}

TEST(ProcessMemory, ClassifiesSharedAndPrivateDiskFileMappings) {
  std::string path = disk_file(2 * kPage);
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ProcessMemory pm(getpid());
  void* shared = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  void* priv = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, kPage);
  ASSERT_NE(shared, MAP_FAILED);
  ASSERT_NE(priv, MAP_FAILED);
  if (is_tmpfs("/var/tmp")) {
    EXPECT_EQ(vma_at(pm, shared).backing, Backing::kShmem) << "/var/tmp is tmpfs here";
  } else {
    EXPECT_EQ(vma_at(pm, shared).backing, Backing::kSharedFile);
  }
  Vma p = vma_at(pm, priv);
  EXPECT_EQ(p.backing, Backing::kPrivateFile);
  EXPECT_EQ(p.path, path);
  munmap(shared, kPage);
  munmap(priv, kPage);
  close(fd);
  unlink(path.c_str());
}

TEST(ProcessMemory, ClassifiesDevShmFileAsShmem) {
  std::string path = "/dev/shm/uringsim-pm-" + std::to_string(getpid());
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) GTEST_SKIP() << "cannot create a file in /dev/shm: " << strerror(errno);
  ASSERT_EQ(ftruncate(fd, kPage), 0);
  void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  ProcessMemory pm(getpid());
  EXPECT_EQ(vma_at(pm, p).backing, Backing::kShmem);
  munmap(p, kPage);
  close(fd);
  unlink(path.c_str());
}

TEST(ProcessMemory, ClassifiesHugetlbWithItsPageSize) {
  const size_t huge = 2u << 20;
  void* p = mmap(nullptr, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
                 -1, 0);
  if (p == MAP_FAILED) {
    GTEST_SKIP() << "no 2 MiB hugetlb pages available (vm.nr_hugepages is 0?): "
                 << strerror(errno);
  }
  ProcessMemory pm(getpid());
  Vma v = vma_at(pm, p);
  EXPECT_EQ(v.backing, Backing::kHugetlb);
  EXPECT_EQ(v.page_size, huge);
  munmap(p, huge);
}

TEST(ProcessMemory, ThpBackedAnonymousMemoryDeclaresThpSize) {
  const size_t huge = 2u << 20;
  char* raw = static_cast<char*>(mmap(nullptr, 2 * huge, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(raw, MAP_FAILED);
  char* aligned = reinterpret_cast<char*>((addr_of(raw) + huge - 1) & ~uint64_t{huge - 1});
  madvise(aligned, huge, MADV_HUGEPAGE);
  std::memset(aligned, 1, huge);  // fault in: a huge page if THP is available
  ProcessMemory pm(getpid());
  Vma v = vma_at(pm, aligned);
  EXPECT_EQ(v.backing, Backing::kAnonymous);
  if (v.thp_size == 0) {
    munmap(raw, 2 * huge);
    GTEST_SKIP() << "the kernel gave no transparent huge page (THP disabled or no free 2 MiB page)";
  }
  EXPECT_EQ(v.thp_size, huge);
  EXPECT_EQ(v.page_size, 4096u) << "THP is not hugetlb: the VMA's base page size stays 4 KiB";
  munmap(raw, 2 * huge);
}

TEST(ProcessMemory, SpecialMappingsAreSpecial) {
  ProcessMemory pm(getpid());
  ASSERT_TRUE(pm.refresh());
  bool saw_vdso = false;
  for (const Vma& v : pm.cached_vmas()) {
    if (v.path == "[vdso]" || v.path == "[vvar]") {
      saw_vdso = true;
      EXPECT_EQ(v.backing, Backing::kSpecial) << v.path;
    }
  }
  if (!saw_vdso) GTEST_SKIP() << "this process has no [vdso]/[vvar] mapping";
}

TEST(ProcessMemory, CachesMapsAndRereadsOnMissOrInvalidate) {
  ProcessMemory pm(getpid());
  std::vector<Vma> v;
  int on_stack = 0;
  ASSERT_TRUE(pm.vmas(addr_of(&on_stack), 4, v));
  const uint64_t parses = pm.parse_count();
  ASSERT_TRUE(pm.vmas(addr_of(&on_stack), 4, v));
  EXPECT_EQ(pm.parse_count(), parses) << "a hit must not re-read smaps";

  void* fresh = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_TRUE(pm.vmas(addr_of(fresh), kPage, v)) << "a mapping made after the parse is found";
  EXPECT_EQ(pm.parse_count(), parses + 1);
  pm.invalidate();
  ASSERT_TRUE(pm.vmas(addr_of(&on_stack), 4, v));
  EXPECT_EQ(pm.parse_count(), parses + 2);
  munmap(fresh, kPage);
}

TEST(ProcessMemory, ClassifyBackingRules) {
  EXPECT_EQ(classify_backing("rw-p", "", 0, "", "rd wr mr mw me ac", 4096), Backing::kAnonymous);
  EXPECT_EQ(classify_backing("rw-p", "[heap]", 0, "", "rd wr", 4096), Backing::kAnonymous);
  EXPECT_EQ(classify_backing("rw-s", "/dev/zero (deleted)", 5, "", "rd wr sh", 4096),
            Backing::kShmem);
  EXPECT_EQ(classify_backing("rw-s", "/SYSV00000000 (deleted)", 7, "", "rd wr sh", 4096),
            Backing::kShmem);
  EXPECT_EQ(classify_backing("rw-s", "/tmp/x", 7, "tmpfs", "rd wr sh", 4096), Backing::kShmem);
  EXPECT_EQ(classify_backing("rw-s", "[anon_shmem:pool]", 9, "", "rd wr sh", 4096), Backing::kShmem);
  EXPECT_EQ(classify_backing("rw-s", "/data/x", 7, "ext4", "rd wr sh", 4096),
            Backing::kSharedFile);
  EXPECT_EQ(classify_backing("rw-p", "/data/x", 7, "ext4", "rd wr", 4096), Backing::kPrivateFile);
  EXPECT_EQ(classify_backing("rw-s", "/mnt/huge/x", 7, "hugetlbfs", "rd wr sh ht", 2 << 20),
            Backing::kHugetlb);
  EXPECT_EQ(classify_backing("rw-p", "", 0, "", "rd wr ht", 1 << 30), Backing::kHugetlb);
  EXPECT_EQ(classify_backing("rw-s", "/dev/mem", 9, "devtmpfs", "rd wr sh io pf", 4096),
            Backing::kSpecial);
  EXPECT_EQ(classify_backing("r--p", "[vvar]", 0, "", "rd mr pf io de dd", 4096),
            Backing::kSpecial);
}

bool is_tmpfs(const char* dir) {
  struct statfs sf;
  return statfs(dir, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
}

}  // namespace
}  // namespace uringsim::sim
