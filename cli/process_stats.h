// What the process itself has cost so far, for reports on stderr and in
// `bte bench`.
#pragma once

namespace bte::cli {

// Peak resident memory of this program, in MiB: VmHWM of /proc/self/status.
// (getrusage's ru_maxrss is not used where /proc is there: Linux carries the
// peak of whatever process exec'd us into it, e.g. a large test harness.)
double peak_rss_mib();

}  // namespace bte::cli
