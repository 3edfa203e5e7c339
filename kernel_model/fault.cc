#include "kernel_model/fault.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace uringsim {

namespace {
std::string vformat(const char* fmt, va_list ap) {
  char small[256];
  va_list copy;
  va_copy(copy, ap);
  int n = std::vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) return std::string(fmt);
  if (static_cast<size_t>(n) < sizeof small) return std::string(small, n);
  std::string out(static_cast<size_t>(n), '\0');
  std::vsnprintf(out.data(), out.size() + 1, fmt, ap);
  return out;
}
}  // namespace

std::string strprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = vformat(fmt, ap);
  va_end(ap);
  return s;
}

Fault make_fault(int err, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Fault f{err, vformat(fmt, ap)};
  va_end(ap);
  return f;
}

const char* errno_name(int err) {
  switch (err) {
#define URINGSIM_ERRNO(e) \
  case e:                 \
    return #e;
    URINGSIM_ERRNO(EPERM) URINGSIM_ERRNO(ENOENT) URINGSIM_ERRNO(ESRCH) URINGSIM_ERRNO(EINTR)
    URINGSIM_ERRNO(EIO) URINGSIM_ERRNO(ENXIO) URINGSIM_ERRNO(E2BIG) URINGSIM_ERRNO(EBADF)
    URINGSIM_ERRNO(EAGAIN) URINGSIM_ERRNO(ENOMEM) URINGSIM_ERRNO(EACCES) URINGSIM_ERRNO(EFAULT)
    URINGSIM_ERRNO(EBUSY) URINGSIM_ERRNO(EEXIST) URINGSIM_ERRNO(ENODEV) URINGSIM_ERRNO(ENOTDIR)
    URINGSIM_ERRNO(EISDIR) URINGSIM_ERRNO(EINVAL) URINGSIM_ERRNO(ENFILE) URINGSIM_ERRNO(EMFILE)
    URINGSIM_ERRNO(EFBIG) URINGSIM_ERRNO(ENOSPC) URINGSIM_ERRNO(ESPIPE) URINGSIM_ERRNO(EROFS)
    URINGSIM_ERRNO(EPIPE) URINGSIM_ERRNO(ERANGE) URINGSIM_ERRNO(ENOSYS) URINGSIM_ERRNO(EOPNOTSUPP)
    URINGSIM_ERRNO(ENOBUFS) URINGSIM_ERRNO(ETIME) URINGSIM_ERRNO(EOVERFLOW)
    URINGSIM_ERRNO(EBADFD) URINGSIM_ERRNO(EBADR) URINGSIM_ERRNO(ENOTSOCK)
    URINGSIM_ERRNO(ECANCELED) URINGSIM_ERRNO(EOWNERDEAD) URINGSIM_ERRNO(EALREADY)
    URINGSIM_ERRNO(ETIMEDOUT) URINGSIM_ERRNO(ECONNRESET) URINGSIM_ERRNO(ENOTCONN)
    URINGSIM_ERRNO(EMSGSIZE) URINGSIM_ERRNO(ETXTBSY) URINGSIM_ERRNO(ENOTTY)
#undef URINGSIM_ERRNO
    default:
      return nullptr;
  }
}

std::string describe_result(int64_t res) {
  if (res >= 0) return std::to_string(res);
  const char* name = errno_name(static_cast<int>(-res));
  if (name == nullptr) return std::to_string(res);
  return std::to_string(res) + " (" + name + ")";
}

}  // namespace uringsim
