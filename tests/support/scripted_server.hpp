// A plain-HTTP server on 127.0.0.1 in a thread, for the adapters' sender tests: it answers one
// request per answer given, in order, one connection each (https_client closes after each
// response), and keeps what it read so a test can check the request line, headers and body.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace rapport::testing {

class scripted_server {
public:
    /// `answers` are whole HTTP responses, status line to body.
    explicit scripted_server(std::vector<std::string> answers)
        : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          answers_(std::move(answers)) {
        thread_ = std::thread([this] {
            namespace net = boost::asio;
            for (const auto& answer : answers_) {
                try {
                    net::ip::tcp::socket socket(ioc_);
                    acceptor_.accept(socket);
                    std::string data;
                    auto buffer = net::dynamic_buffer(data);
                    const std::size_t head = net::read_until(socket, buffer, "\r\n\r\n");
                    const auto at = data.find("Content-Length: ");
                    const std::size_t length =
                        at == std::string::npos ? 0 : std::stoul(data.substr(at + 16));
                    boost::system::error_code ec;
                    if (data.size() < head + length) {
                        net::read(socket, buffer,
                                  net::transfer_exactly(head + length - data.size()), ec);
                    }
                    requests_.push_back(data);
                    net::write(socket, net::buffer(answer), ec);
                } catch (const std::exception&) {
                    return;
                }
            }
        });
    }
    scripted_server(const scripted_server&) = delete;
    scripted_server& operator=(const scripted_server&) = delete;
    ~scripted_server() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    /// What was read, one entry a request; waits until every answer has been given.
    std::vector<std::string> requests() {
        thread_.join();
        return requests_;
    }

private:
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<std::string> answers_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

/// A server for one request, answering `answer`.
class one_shot_server : public scripted_server {
public:
    explicit one_shot_server(std::string answer) : scripted_server({std::move(answer)}) {}

    /// The request it read, empty if none came; waits for it.
    std::string request() {
        auto all = requests();
        return all.empty() ? std::string{} : std::move(all.front());
    }
};

/// A 200 response carrying the JSON `body`, as the closing connection the server makes it.
inline std::string json_answer(std::string_view body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

} // namespace rapport::testing
