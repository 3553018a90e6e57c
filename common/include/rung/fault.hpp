// rung/fault.hpp: fault points, for the tests only (issue 13, "fault injection at every step").
//
// A step of create, start, exec or delete that has just been done is marked with a point:
//
//     fault::point("create:cgroup");
//
// Which implementation a binary has is chosen when it is linked, as rung_sys or the fake sys is
// (common/CMakeLists.txt). Every `rung` links rung_fault_off: a point is a call to an empty
// function (a few nanoseconds beside the system calls of its step), and the binary has no way to
// be told to fail. Its twin, faults/phaseN-NAME/rung in the same build tree, is the same objects
// linked with rung_fault (tests only, never installed): it reads RUNG_FAULT=<point>[:exit|:kill]
// once, and at the point named there the runtime (or init, or a hook runner: whichever process
// reaches it) fails as a real step would:
//   :exit (the default)  throws Error("injected fault at <point>"), which takes the error path;
//   :kill                SIGKILLs itself, which nothing can catch: what a crash or an OOM kill
//                        leaves behind.
// Linking, not a compile switch, so the twin costs one link instead of a second build of the
// phase, and the suite tests the very objects `rung` is made of.
// tests/oci/05-faults.bats finds every point by its name in the phase's sources, injects each
// both ways, and checks that `delete --force` then leaves nothing behind.
#pragma once

#include <string_view>

namespace rung::fault {

void point(std::string_view name);

} // namespace rung::fault
