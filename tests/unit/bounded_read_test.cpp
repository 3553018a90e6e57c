// Untrusted files are read bounded: regular files only (a FIFO must not hang, /dev/zero must
// not be read forever), at most kMaxFileSize, JSON nested at most kMaxJsonDepth, no NUL bytes.
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/json.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace rung;

namespace {

std::string nested(size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

} // namespace

TEST_CASE("read_json_file reads a regular file, and follows a symlink to one") {
    TempDir dir;
    std::string f = dir.path + "/real.json";
    write_file(f, "{\"ociVersion\": \"1.2.0\", \"process\": {\"args\": [\"sh\"]}}");
    REQUIRE(::symlink(f.c_str(), (dir.path + "/config.json").c_str()) == 0);
    CHECK(read_json_file(dir.path + "/config.json", "config.json")["process"]["args"][0] == "sh");
}

TEST_CASE("a FIFO is refused at once instead of waiting for a writer") {
    TempDir dir;
    std::string f = dir.path + "/config.json";
    REQUIRE(::mkfifo(f.c_str(), 0600) == 0);
    CHECK_THROWS_WITH_AS(
        read_json_file(f, "config.json"),
        ("config.json: cannot read \"" + f + "\": a FIFO, not a regular file").c_str(), Error);
}

TEST_CASE("a device such as /dev/zero is refused, not read without end") {
    CHECK_THROWS_WITH_AS(
        read_json_file("/dev/zero", "config.json"),
        "config.json: cannot read \"/dev/zero\": a character device, not a regular file", Error);
    CHECK_THROWS_WITH_AS(read_regular_file("/tmp"),
                         "cannot read \"/tmp\": a directory, not a regular file", Error);
}

TEST_CASE("a file over the size limit is refused, naming the limit") {
    TempDir dir;
    std::string f = dir.path + "/config.json";
    {
        unique_fd fd = open_file(f, O_WRONLY | O_CREAT, 0600);
        REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(kMaxFileSize) + 1) == 0); // sparse
    }
    CHECK_THROWS_WITH_AS(read_json_file(f, "config.json"),
                         ("config.json: cannot read \"" + f + "\": larger than 16 MiB").c_str(),
                         Error);
    // Exactly at the limit is read; so is a small limit, and one byte over it is not.
    write_file(f, "12345");
    CHECK(read_regular_file(f, 5) == "12345");
    CHECK_THROWS_WITH_AS(read_regular_file(f, 4),
                         ("cannot read \"" + f + "\": larger than 4 bytes").c_str(), Error);
}

TEST_CASE("a missing file names the file, the path and the errno") {
    TempDir dir;
    CHECK_THROWS_WITH_AS(
        read_json_file(dir.path + "/nope.json", "config.json"),
        ("config.json: cannot read \"" + dir.path + "/nope.json\": No such file or directory")
            .c_str(),
        Error);
}

TEST_CASE("JSON nested deeper than the limit is one clear error, not a crash") {
    TempDir dir;
    std::string f = dir.path + "/config.json";
    write_file(f, "{\"unknown\": " + nested(100000) + "}");
    CHECK_THROWS_WITH_AS(read_json_file(f, "config.json"),
                         "config.json: nested deeper than 1000 levels", Error);
    // The limit counts the top level as 0: kMaxJsonDepth levels inside it are fine.
    write_file(f, "{\"unknown\": " + nested(kMaxJsonDepth) + "}");
    CHECK_NOTHROW(read_json_file(f, "config.json"));
    write_file(f, "{\"unknown\": " + nested(kMaxJsonDepth + 1) + "}");
    CHECK_THROWS_AS(read_json_file(f, "config.json"), Error);
}

TEST_CASE("a NUL byte in any string or key is refused, naming where") {
    TempDir dir;
    std::string f = dir.path + "/config.json";
    write_file(f, R"({"process": {"args": ["sh", "-c\u0000rm"]}})");
    CHECK_THROWS_WITH_AS(read_json_file(f, "config.json"),
                         "config.json: .process.args[1]: a string holds a NUL byte", Error);
    write_file(f, R"({"process": {"env": {"A\u0000B": "1"}}})");
    CHECK_THROWS_WITH_AS(read_json_file(f, "config.json"),
                         "config.json: .process.env: a key holds a NUL byte", Error);
}

TEST_CASE(
    "a stream (update -r -) is read to EOF within the bound, and parsed with the same checks") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    unique_fd r(fds[0]), w(fds[1]);
    write_full(w.get(), R"({"pids": {"limit": 5}})");
    w.reset();
    std::string text = read_stream(r.get(), "standard input");
    CHECK(parse_json(text, "standard input")["pids"]["limit"] == 5);
    CHECK_THROWS_WITH_AS(parse_json("{\"a\": ", "standard input"),
                         doctest::Contains("standard input: parse error"), Error);
    CHECK_THROWS_WITH_AS(parse_json(nested(kMaxJsonDepth + 2), "standard input"),
                         "standard input: nested deeper than 1000 levels", Error);
    // Found by tests/fuzz/state.cpp: a number beyond a double escaped as nlohmann's own
    // out_of_range, "rung: create: [json.exception.out_of_range.406] number overflow ...", with
    // no file named.
    CHECK_THROWS_WITH_AS(parse_json(R"({"a": 1e999})", "config.json"),
                         "config.json: number overflow parsing '1e999'", Error);
    // The bytes nlohmann quotes from the input come out escaped, never raw: 0xff (by rung), or an
    // escape sequence that would drive the terminal (by nlohmann itself).
    CHECK_THROWS_WITH_AS(parse_json("{\"x\": \xff}", "config.json"),
                         doctest::Contains("last read: '\"x\": \\xff'"), Error);
    CHECK_THROWS_WITH_AS(parse_json("{\"x\": \x1b[2J}", "config.json"),
                         doctest::Contains("last read: '\"x\": <U+001B>'"), Error);

    REQUIRE(::pipe(fds) == 0);
    unique_fd r2(fds[0]), w2(fds[1]);
    write_full(w2.get(), std::string(11, 'x'));
    w2.reset();
    CHECK_THROWS_WITH_AS(read_stream(r2.get(), "standard input", 10),
                         "cannot read standard input: larger than 10 bytes", Error);
}
