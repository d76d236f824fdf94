#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace rapport::testing {

http_reply http_call(std::uint16_t port,
                     const std::string& method,
                     const std::string& target,
                     const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
    http_reply reply;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return reply;
    }
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        return reply;
    }
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          "Connection: close\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n";
    for (const auto& [name, value] : headers) {
        request += name + ": " + value + "\r\n";
    }
    request += "\r\n" + body;
    for (std::size_t sent = 0; sent < request.size();) {
        const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            break; // the server may answer early (413) and stop reading
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string answer;
    char buffer[65536];
    for (;;) {
        const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            break;
        }
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    close(fd);
    if (answer.rfind("HTTP/1.1 ", 0) == 0 && answer.size() > 12) {
        reply.status = std::stoi(answer.substr(9, 3));
    }
    const auto header_end = answer.find("\r\n\r\n");
    if (header_end != std::string::npos) {
        reply.body = answer.substr(header_end + 4);
    }
    return reply;
}

} // namespace rapport::testing
