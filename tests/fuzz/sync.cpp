// fuzz_sync: the sync frame reader (rung/sync.hpp), fed what a compromised or confused child
// could send: one datagram on the SOCK_SEQPACKET socket create uses, and the same bytes as a
// stream on a pipe, as the exec FIFO carries frames after start. Frames read must be whole
// (no message longer than kMaxMessage) and the stream must end in EOF or an Error.
#include "rung/sync.hpp"
#include "fuzz.hpp"
#include "rung/fd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

void read_all(int fd) {
    // At most one frame per 16 bytes (the header): the loop ends even if receive() never
    // reported EOF.
    for (int frames = 0; frames < 512; ++frames) {
        std::optional<rung::sync::Frame> f = rung::sync::receive(fd);
        if (!f) return;
        FUZZ_CHECK(f->message.size() <= rung::sync::kMaxMessage);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A pipe holds 64 KiB before write() would block; a datagram of this size always fits.
    if (size > 4096) return 0;
    int sv[2];
    FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    rung::unique_fd reader(sv[0]), writer(sv[1]);
    FUZZ_CHECK(::send(writer.get(), data, size, 0) == static_cast<ssize_t>(size));
    writer.reset();
    rung::fuzz::refusal_ok([&] { read_all(reader.get()); });

    int p[2];
    FUZZ_CHECK(::pipe2(p, O_CLOEXEC) == 0);
    rung::unique_fd out(p[0]), in(p[1]);
    FUZZ_CHECK(::write(in.get(), data, size) == static_cast<ssize_t>(size));
    in.reset();
    rung::fuzz::refusal_ok([&] { read_all(out.get()); });
    return 0;
}
