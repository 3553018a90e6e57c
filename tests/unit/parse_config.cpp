// parse_config FILE: what create does with a config.json before it makes anything, in phase 5:
// parse it into the model (spec.cpp) and compile its linux.seccomp to BPF (seccomp.cpp), as on a
// cache miss (the cache itself is not used: seccomp_cache.cpp). Nothing is
// loaded or created. parse_budget.sh counts the instructions of both under callgrind.
#include "rung/error.hpp"
#include "rung/json.hpp"
#include "seccomp.hpp"
#include "spec.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: parse_config FILE\n";
        return 2;
    }
    try {
        rung::Spec spec = rung::parse_spec(rung::read_json_file(argv[1], "config.json"));
        // As compile_seccomp() in preflight.cpp does it.
        if (spec.linux.seccomp) rung::seccomp::Filter filter(*spec.linux.seccomp);
        std::cout << spec.mounts.size() << " mounts, "
                  << (spec.linux.seccomp ? spec.linux.seccomp->syscalls.size() : 0)
                  << " seccomp rules\n";
    } catch (const std::exception& e) {
        std::cerr << "parse_config: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
