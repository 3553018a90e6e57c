// fault_off.cpp: the fault points of every real binary (rung/fault.hpp): a point does nothing,
// and no environment variable can make it do anything.
#include "rung/fault.hpp"

namespace rung::fault {

void point(std::string_view) {}

} // namespace rung::fault
