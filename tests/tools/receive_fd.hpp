// receive_fd: one unix(7) message with one fd attached (SCM_RIGHTS), for the test tools that
// stand on the other end of rung's sockets (recvtty, seccomp_agent).
#pragma once

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/types.h>

// Reads the message from `conn` into `buf` (its length in `len`) and returns the fd, or -1 with
// errno set (EBADMSG: the message carried no fd).
inline int receive_fd(int conn, char* buf, size_t size, ssize_t& len) {
    iovec iov{buf, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    len = ::recvmsg(conn, &msg, 0);
    if (len < 0) return -1;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
        errno = EBADMSG;
        return -1;
    }
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}
