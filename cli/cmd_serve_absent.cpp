// `bte serve` in a build without cpp-httplib (BTE_HAVE_SERVER off): says so
// and how to get it.
#include "base/check.h"
#include "cli/commands.h"

namespace bte::cli {

int cmd_serve(int, char**) {
  BTE_FAIL(ErrorKind::Unsupported, "this bte was built without the server: install libcpp-httplib-dev and "
                                   "pkg-config, then configure and build again");
}

}  // namespace bte::cli
