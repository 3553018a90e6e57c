// rung/fault.hpp: fault points, for the tests only (issue 13, "fault injection at every step").
//
// A step of create, start, exec or delete that has just been done is marked with a point:
//
//     fault::point("create:cgroup");
//
// In an ordinary build a point is an empty inline function: it costs nothing, and the binary has
// no way to be told to fail. A build configured with -DRUNG_FAULT_INJECTION=ON (the test build,
// never a release) reads RUNG_FAULT=<point>[:exit|:kill] once; at the point named there the
// runtime (or init, or a hook runner: whichever process reaches it) fails as a real step would:
//   :exit (the default)  throws Error("injected fault at <point>"), which takes the error path;
//   :kill                SIGKILLs itself, which nothing can catch: what a crash or an OOM kill
//                        leaves behind.
// tests/oci/05-faults.bats finds every point by its name in the phase's sources, injects each
// both ways, and checks that `delete --force` then leaves nothing behind.
#pragma once

#include <string_view>

namespace rung::fault {

#ifdef RUNG_FAULT_INJECTION
void point(std::string_view name);
#else
inline void point(std::string_view) {}
#endif

} // namespace rung::fault
