// features: the Features structure (features.hpp). features.md: it says what the runtime
// recognizes, "irrelevant to the actual availability of the features in the host": so only
// seccomp's supportedFlags looks at anything outside rung, and at libseccomp only.
#include "features.hpp"

#include "mount_options.hpp"
#include "namespaces.hpp"
#include "preflight.hpp"
#include "rung/cli.hpp"
#include "spec.hpp"

#include <algorithm>
#include <linux/capability.h>
#include <seccomp.h>
#include <string>
#include <sys/capability.h>
#include <vector>

namespace rung {
namespace {

// Every capability libcap can name, as config.json spells them: "CAP_CHOWN".
std::vector<std::string> capability_names() {
    std::vector<std::string> out;
    for (cap_value_t c = 0; c <= CAP_LAST_CAP; ++c) {
        char* name = cap_to_name(c);
        std::string upper = name ? name : "";
        cap_free(name);
        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
        if (upper.rfind("CAP_", 0) == 0) out.push_back(upper); // unnamed ones come as numbers
    }
    return out;
}

// The flags this libseccomp can set (seccomp_api_get(3): the API level says which).
std::vector<std::string> supported_seccomp_flags(const std::vector<std::string>& known) {
    const unsigned level = seccomp_api_get();
    auto needs = [](const std::string& flag) -> unsigned {
        if (flag == "SECCOMP_FILTER_FLAG_TSYNC") return 2;
        if (flag == "SECCOMP_FILTER_FLAG_LOG") return 3;
        if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") return 4;
        return 7; // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    };
    std::vector<std::string> out;
    for (const auto& f : known)
        if (level >= needs(f)) out.push_back(f);
    return out;
}

} // namespace

nlohmann::ordered_json features(const std::string& phase) {
    RecognizedNames names = recognized_names();
    std::vector<std::string> namespaces = namespace_type_names();
    nlohmann::ordered_json linux = {
        {"namespaces", namespaces},
        {"capabilities", capability_names()},
        // cgroups.hpp: cgroup v2 through cgroupfs, rdma.max included; no v1, no systemd driver.
        {"cgroup",
         {{"v1", false}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", true}}},
        {"seccomp",
         {{"enabled", true},
          {"actions", names.seccomp_actions},
          {"operators", names.seccomp_operators},
          {"archs", names.seccomp_archs},
          {"knownFlags", names.seccomp_flags},
          {"supportedFlags", supported_seccomp_flags(names.seccomp_flags)}}},
        // lsm.cpp applies both where the host has that LSM (features.md: what the runtime
        // supports, not what this host has); unapplied.cpp: no resctrl, no idmapped mounts yet.
        {"apparmor", {{"enabled", true}}},
        {"selinux", {{"enabled", true}}},
        {"intelRdt", {{"enabled", false}}},
        {"mountExtensions", {{"idmap", {{"enabled", false}}}}},
    };
    return {
        {"ociVersionMin", "1.0.0"}, // spec.cpp accepts every 1.x
        {"ociVersionMax", spec_version()},
        {"hooks", names.hooks},
        {"mountOptions", mount_option_names()},
        {"linux", linux},
        {"annotations",
         {{"io.github.rung.version", rung_version()}, {"io.github.rung.phase", phase}}},
    };
}

} // namespace rung
