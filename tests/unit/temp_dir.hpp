// temp_dir.hpp: a private temporary directory for unit tests, removed with its files at scope
// exit.
#pragma once

#include <doctest/doctest.h>
#include <filesystem>
#include <stdlib.h>
#include <string>
#include <system_error>

struct TempDir {
    std::string path;

    TempDir() {
        char tmpl[] = "/tmp/rung-unit-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ignored; // a cleanup failure must not hide the test's result
        std::filesystem::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};
