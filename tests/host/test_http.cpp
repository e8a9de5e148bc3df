// The in-kernel web server's plain logic (drivers/khttpd): the request parser, ranges, HTTP
// dates, response heads, the bounded text buffer and the extension status page.
#include <drivers/khttpd/http_date.h>
#include <drivers/khttpd/http_request.h>
#include <drivers/khttpd/http_response.h>
#include <drivers/khttpd/status_page.h>
#include <drivers/khttpd/text_buffer.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace khttpd;

namespace {

// ---------------------------------------------------------------------------------------------
// Request helpers

struct Parsed {
    int status;
    size_t consumed;
    Request request;
};

// Parses an exact-size heap copy, so that AddressSanitizer catches any read past the bytes given.
Parsed parse(const std::string& text) {
    std::unique_ptr<char[]> copy(new char[text.size() ? text.size() : 1]);
    std::memcpy(copy.get(), text.data(), text.size());
    Parsed parsed{};
    ParseResult result = parse_request(copy.get(), text.size(), parsed.request);
    parsed.status = result.status;
    parsed.consumed = result.consumed;
    return parsed;
}

int status_of(const std::string& text) {
    return parse(text).status;
}

std::string request(const std::string& line, const std::string& fields = "Host: x\r\n") {
    return line + "\r\n" + fields + "\r\n";
}

std::string get(const std::string& target, const std::string& fields = "Host: x\r\n") {
    return request("GET " + target + " HTTP/1.1", fields);
}

std::string decoded(const std::string& target) {
    Parsed parsed = parse(get(target));
    INFO("target " << target);
    REQUIRE(parsed.status == 200);
    return parsed.request.path;
}

ByteRange range_of(const std::string& value) {
    Parsed parsed = parse(get("/f", "Host: x\r\nRange: " + value + "\r\n"));
    INFO("Range: " << value);
    REQUIRE(parsed.status == 200);
    return parsed.request.range;
}

// ---------------------------------------------------------------------------------------------
// Date helpers

// The host C library as the reference (C locale: English day and month names).
std::string reference_date(uint64_t seconds) {
    time_t time = time_t(seconds);
    struct tm fields;
    REQUIRE(gmtime_r(&time, &fields) != nullptr);
    char text[64];
    REQUIRE(std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &fields) == 29);
    return text;
}

std::string http_date(uint64_t seconds) {
    char out[HTTP_DATE_SIZE];
    std::memset(out, 'X', sizeof out);
    format_http_date(seconds, out);
    REQUIRE(std::memchr(out, 0, sizeof out) != nullptr);
    return out;
}

uint64_t civil_seconds(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
    struct tm fields = {};
    fields.tm_year = year - 1900;
    fields.tm_mon = month - 1;
    fields.tm_mday = day;
    fields.tm_hour = hour;
    fields.tm_min = minute;
    fields.tm_sec = second;
    time_t time = timegm(&fields);
    REQUIRE(time >= 0);
    return uint64_t(time);
}

// ---------------------------------------------------------------------------------------------
// Text buffer helpers

constexpr char CANARY = char(0xA5);
constexpr size_t CANARY_SIZE = 16;

// A buffer of `size` bytes followed by canary bytes that no write may reach.
struct Guarded {
    explicit Guarded(size_t size)
        : storage(size + CANARY_SIZE, CANARY), size(size), text(storage.data(), size) {}
    bool canary_intact() const {
        for (size_t i = size; i < storage.size(); ++i) {
            if (storage[i] != CANARY)
                return false;
        }
        return true;
    }
    std::string contents() const { return std::string(text.data(), text.length()); }
    bool terminated() const { return size == 0 || text.data()[text.length()] == 0; }

    std::vector<char> storage;
    size_t size;
    TextBuffer text;
};

std::string head_text(const ResponseHead& head, uint64_t now = 0) {
    char buffer[2048];
    TextBuffer out(buffer, sizeof buffer);
    write_head(out, head, now);
    REQUIRE_FALSE(out.overflowed());
    REQUIRE(std::strlen(buffer) == out.length());
    return std::string(out.data(), out.length());
}

ResponseHead plain_head(int status) {
    ResponseHead head = {};
    head.status = status;
    head.keep_alive = true;
    return head;
}

// ---------------------------------------------------------------------------------------------
// A strict little JSON reader for the status page: objects, arrays, strings, unsigned integers
// and null (all the page writes), no duplicate keys, nothing after the value.

struct Json {
    enum class Kind { Null, Number, String, Array, Object };
    Kind kind = Kind::Null;
    uint64_t number = 0;
    std::string text;
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> members;

    const Json* find(const std::string& key) const {
        for (const auto& member : members) {
            if (member.first == key)
                return &member.second;
        }
        return nullptr;
    }
    const Json& operator[](const std::string& key) const {
        const Json* value = find(key);
        INFO("key " << key);
        REQUIRE(value != nullptr);
        return *value;
    }
};

class JsonReader {
public:
    explicit JsonReader(const std::string& text) : m_text(text) {}

    bool read(Json& out) {
        skip_space();
        if (!value(out))
            return false;
        skip_space();
        return m_at == m_text.size();
    }

private:
    void skip_space() {
        while (m_at < m_text.size() && (m_text[m_at] == ' ' || m_text[m_at] == '\n' ||
                                        m_text[m_at] == '\r' || m_text[m_at] == '\t'))
            ++m_at;
    }
    bool eat(char c) {
        skip_space();
        if (m_at < m_text.size() && m_text[m_at] == c) {
            ++m_at;
            return true;
        }
        return false;
    }
    bool value(Json& out) {
        skip_space();
        if (m_at >= m_text.size())
            return false;
        char c = m_text[m_at];
        if (c == '{')
            return object(out);
        if (c == '[')
            return array(out);
        if (c == '"') {
            out.kind = Json::Kind::String;
            return string(out.text);
        }
        if (c >= '0' && c <= '9')
            return number(out);
        if (m_text.compare(m_at, 4, "null") == 0) {
            m_at += 4;
            out.kind = Json::Kind::Null;
            return true;
        }
        return false;
    }
    bool object(Json& out) {
        out.kind = Json::Kind::Object;
        ++m_at; // '{'
        if (eat('}'))
            return true;
        do {
            skip_space();
            std::string key;
            if (!string(key) || out.find(key) || !eat(':'))
                return false;
            Json member;
            if (!value(member))
                return false;
            out.members.emplace_back(std::move(key), std::move(member));
        } while (eat(','));
        return eat('}');
    }
    bool array(Json& out) {
        out.kind = Json::Kind::Array;
        ++m_at; // '['
        if (eat(']'))
            return true;
        do {
            Json item;
            if (!value(item))
                return false;
            out.items.push_back(std::move(item));
        } while (eat(','));
        return eat(']');
    }
    bool number(Json& out) {
        out.kind = Json::Kind::Number;
        size_t start = m_at;
        while (m_at < m_text.size() && m_text[m_at] >= '0' && m_text[m_at] <= '9')
            ++m_at;
        if (m_at - start > 1 && m_text[start] == '0')
            return false; // no leading zeros
        if (m_at - start > 20)
            return false;
        out.number = std::stoull(m_text.substr(start, m_at - start));
        return true;
    }
    bool string(std::string& out) {
        if (m_at >= m_text.size() || m_text[m_at] != '"')
            return false;
        ++m_at;
        while (m_at < m_text.size()) {
            unsigned char c = (unsigned char)m_text[m_at++];
            if (c == '"')
                return true;
            if (c < 0x20)
                return false; // a raw control character
            if (c != '\\') {
                out += char(c);
                continue;
            }
            if (m_at >= m_text.size())
                return false;
            char escape = m_text[m_at++];
            switch (escape) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                if (m_at + 4 > m_text.size())
                    return false;
                unsigned code = 0;
                for (int i = 0; i < 4; ++i) {
                    char h = m_text[m_at++];
                    code <<= 4;
                    if (h >= '0' && h <= '9')
                        code |= unsigned(h - '0');
                    else if (h >= 'a' && h <= 'f')
                        code |= unsigned(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F')
                        code |= unsigned(h - 'A' + 10);
                    else
                        return false;
                }
                if (code >= 0x80)
                    return false; // the page only escapes control characters
                out += char(code);
                break;
            }
            default:
                return false;
            }
        }
        return false;
    }

    const std::string& m_text;
    size_t m_at = 0;
};

// ---------------------------------------------------------------------------------------------
// Status page helpers

template <size_t N>
void set_text(char (&field)[N], const std::string& text) {
    REQUIRE(text.size() < N);
    std::memcpy(field, text.data(), text.size());
    field[text.size()] = 0;
}

nk_extension_info extension(const std::string& name, const std::string& class_name,
                            const std::string& mode, const std::string& state) {
    nk_extension_info info;
    std::memset(&info, 0, sizeof info);
    set_text(info.name, name);
    set_text(info.class_name, class_name);
    set_text(info.mode, mode);
    set_text(info.state, state);
    return info;
}

void add_held(nk_extension_info& info, const std::string& kind, uint32_t count) {
    REQUIRE(info.held_count < NK_EXTENSION_HELD_KINDS);
    set_text(info.held[info.held_count].kind, kind);
    info.held[info.held_count].count = count;
    ++info.held_count;
}

std::vector<nk_extension_info> sample_extensions() {
    std::vector<nk_extension_info> list;
    nk_extension_info e1000 = extension("e1000", "net", "isolated", "running");
    e1000.restarts = 2;
    e1000.faults = 3;
    e1000.crossings = 123456789012ull;
    e1000.last_recovery_us = 1500;
    add_held(e1000, "irq", 1);
    add_held(e1000, "dma", 4);
    set_text(e1000.last_fault, "page fault at e1000_transmit+0x1a");
    list.push_back(e1000);

    nk_extension_info odd = extension("we\"ird\\name", "fs", "native", "failed");
    odd.restarts = 7;
    odd.faults = 8;
    odd.crossings = 9;
    odd.last_recovery_us = 42;
    add_held(odd, "socket", 2);
    set_text(odd.last_fault, "bad \"quote\" and \\ back\tslash\n");
    list.push_back(odd);

    nk_extension_info html = extension("<script>&'", "service", "native", "recovering");
    list.push_back(html); // no fault, no recovery, nothing held
    return list;
}

std::string render_json(const std::vector<nk_extension_info>& list, const ServerFigures& figures,
                        size_t size = 64 * 1024) {
    Guarded out(size);
    render_status_json(out.text, list.data(), list.size(), figures);
    REQUIRE(out.canary_intact());
    REQUIRE_FALSE(out.text.overflowed());
    REQUIRE(out.terminated());
    return out.contents();
}

std::string render_html(const std::vector<nk_extension_info>& list, const ServerFigures& figures,
                        size_t size = 64 * 1024) {
    Guarded out(size);
    render_status_html(out.text, list.data(), list.size(), figures);
    REQUIRE(out.canary_intact());
    REQUIRE_FALSE(out.text.overflowed());
    REQUIRE(out.terminated());
    return out.contents();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

// =============================================================================================
// Requests

TEST_CASE("khttpd: a complete GET with Host", "[http]") {
    std::string text = "GET /docs/read%20me.txt HTTP/1.1\r\nHost: example.com\r\n"
                       "User-Agent: test\r\nAccept: */*\r\n\r\n";
    Parsed parsed = parse(text);
    CHECK(parsed.status == 200);
    CHECK(parsed.consumed == text.size());
    CHECK(parsed.request.method == Method::Get);
    CHECK(std::string(parsed.request.method_name) == "GET");
    CHECK(parsed.request.minor_version == 1);
    CHECK(std::string(parsed.request.path) == "/docs/read me.txt");
    CHECK(parsed.request.has_host);
    CHECK(parsed.request.keep_alive);
    CHECK(parsed.request.content_length == 0);
    CHECK_FALSE(parsed.request.range.present);
    CHECK(parsed.request.if_modified_since == 0);

    // Field names are case-insensitive, values have their whitespace trimmed.
    Parsed lower = parse("GET / HTTP/1.1\r\nhOsT:example.com\r\ncontent-LENGTH: \t 12 \t\r\n\r\n");
    CHECK(lower.status == 200);
    CHECK(lower.request.has_host);
    CHECK(lower.request.content_length == 12);
    CHECK(std::string(lower.request.path) == "/");

    // An empty Host is a valid Host.
    CHECK(status_of("GET / HTTP/1.1\r\nHost:\r\n\r\n") == 200);
}

TEST_CASE("khttpd: keep-alive from the version and the Connection field", "[http]") {
    CHECK(parse(get("/")).request.keep_alive);
    CHECK_FALSE(parse(get("/", "Host: x\r\nConnection: close\r\n")).request.keep_alive);
    CHECK_FALSE(parse(get("/", "Host: x\r\nConnection: CLOSE\r\n")).request.keep_alive);
    CHECK_FALSE(parse(get("/", "Host: x\r\nConnection: Upgrade, close\r\n")).request.keep_alive);
    CHECK(parse(get("/", "Host: x\r\nConnection: keep-alive\r\n")).request.keep_alive);
    CHECK(parse(get("/", "Host: x\r\nConnection: closed\r\n")).request.keep_alive);

    Parsed old = parse(request("GET / HTTP/1.0", ""));
    CHECK(old.status == 200); // no Host needed before 1.1
    CHECK(old.request.minor_version == 0);
    CHECK_FALSE(old.request.keep_alive);
    CHECK(parse(request("GET / HTTP/1.0", "Connection: keep-alive\r\n")).request.keep_alive);
    CHECK(parse(request("GET / HTTP/1.0", "Connection: Keep-Alive\r\n")).request.keep_alive);
    CHECK_FALSE(
        parse(request("GET / HTTP/1.0", "Connection: keep-alive, close\r\n")).request.keep_alive);
}

TEST_CASE("khttpd: an incomplete head asks for more, wherever it is cut", "[http]") {
    const std::string heads[] = {
        "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-9\r\n\r\n",
        "GET /a HTTP/1.1\nHost: x\nConnection: close\n\n",
        "HEAD / HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\n\r\n",
    };
    for (const std::string& head : heads) {
        for (size_t cut = 0; cut < head.size(); ++cut) {
            INFO("head " << head << " cut at " << cut);
            Parsed part = parse(head.substr(0, cut));
            CHECK(part.status == 0);
            CHECK(part.consumed == 0);
        }
        Parsed whole = parse(head);
        INFO("head " << head);
        CHECK(whole.status == 200);
        CHECK(whole.consumed == head.size());
    }
}

TEST_CASE("khttpd: bare LF line ends", "[http]") {
    std::string text = "GET /x HTTP/1.1\nHost: x\nConnection: close\n\n";
    Parsed parsed = parse(text);
    CHECK(parsed.status == 200);
    CHECK(parsed.consumed == text.size());
    CHECK(std::string(parsed.request.path) == "/x");
    CHECK_FALSE(parsed.request.keep_alive);

    // Mixed line ends, ending with a bare LF after CRLF lines.
    std::string mixed = "GET /y HTTP/1.1\r\nHost: x\r\n\n";
    Parsed both = parse(mixed);
    CHECK(both.status == 200);
    CHECK(both.consumed == mixed.size());
    CHECK(std::string(both.request.path) == "/y");
}

TEST_CASE("khttpd: pipelined requests are taken one at a time", "[http]") {
    std::string first = get("/one");
    std::string second = "HEAD /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::string both = first + second;
    Parsed a = parse(both);
    CHECK(a.status == 200);
    CHECK(a.consumed == first.size());
    CHECK(std::string(a.request.path) == "/one");
    CHECK(a.request.keep_alive);
    Parsed b = parse(both.substr(a.consumed));
    CHECK(b.status == 200);
    CHECK(b.consumed == second.size());
    CHECK(b.request.method == Method::Head);
    CHECK(std::string(b.request.path) == "/two");
    CHECK_FALSE(b.request.keep_alive);

    // The first is complete even when only part of the second has come.
    Parsed partial = parse(first + "GET /thr");
    CHECK(partial.status == 200);
    CHECK(partial.consumed == first.size());

    // A body is left for the caller to skip.
    std::string with_body = get("/b", "Host: x\r\nContent-Length: 5\r\n");
    Parsed body = parse(with_body + "hello" + first);
    CHECK(body.status == 200);
    CHECK(body.consumed == with_body.size());
    CHECK(body.request.content_length == 5);
}

TEST_CASE("khttpd: HEAD, and other methods are 405", "[http]") {
    Parsed head = parse(request("HEAD /index.html HTTP/1.1"));
    CHECK(head.status == 200);
    CHECK(head.request.method == Method::Head);
    CHECK(std::string(head.request.method_name) == "HEAD");
    CHECK(std::string(head.request.path) == "/index.html");

    for (const char* method : {"POST", "DELETE", "PUT", "OPTIONS", "BREW", "get", "Head"}) {
        INFO("method " << method);
        std::string text = request(std::string(method) + " / HTTP/1.1");
        Parsed parsed = parse(text);
        CHECK(parsed.status == 405);
        CHECK(parsed.consumed == text.size());
        CHECK(parsed.request.method == Method::Other);
        CHECK(std::string(parsed.request.method_name) == method);
    }
    // A method is a token; one longer than the 15 bytes kept is refused as malformed.
    CHECK(status_of(request("GE(T / HTTP/1.1")) == 400);
    CHECK(status_of(request("ABCDEFGHIJKLMNO / HTTP/1.1")) == 405);
    CHECK(status_of(request("ABCDEFGHIJKLMNOP / HTTP/1.1")) == 400);
}

TEST_CASE("khttpd: malformed requests are 400", "[http]") {
    struct Case {
        const char* what;
        std::string text;
    };
    const Case cases[] = {
        {"no Host on 1.1", "GET / HTTP/1.1\r\n\r\n"},
        {"two Hosts", get("/", "Host: a\r\nHost: a\r\n")},
        {"two Hosts, other case", get("/", "Host: a\r\nhost: b\r\n")},
        {"HTTP/2.0", request("GET / HTTP/2.0")},
        {"HTTP/1.2", request("GET / HTTP/1.2")},
        {"HTTP/1.10", request("GET / HTTP/1.10")},
        {"http/1.1", request("GET / http/1.1")},
        {"garbage version", request("GET / GARBAGE!")},
        {"no version", request("GET /")},
        {"trailing space", request("GET / HTTP/1.1 ")},
        {"two spaces", request("GET  / HTTP/1.1")},
        {"nothing but a method", request("GET")},
        {"empty request line", "\r\nHost: x\r\n\r\n"},
        {"space before the colon", get("/", "Host : x\r\n")},
        {"space in a field name", get("/", "Host: x\r\nX Y: z\r\n")},
        {"no colon", get("/", "Host: x\r\nJunk\r\n")},
        {"empty field name", get("/", "Host: x\r\n: value\r\n")},
        {"control char in the target", get("/a\x01z")},
        {"DEL in the target", get("/a\x7fz")},
        {"tab in the target", get("/a\tz")},
        {"8-bit byte in the target", get("/caf\xc3\xa9")},
        {"target not starting with /", get("index.html")},
        {"asterisk form", request("GET * HTTP/1.1")},
        {"absolute form without a path", get("http://example.com")},
        {"https absolute form", get("https://example.com/")},
        {"obs-fold with a space", get("/", "Host: x\r\nX-A: one\r\n two\r\n")},
        {"obs-fold with a tab", get("/", "Host: x\r\nX-A: one\r\n\ttwo\r\n")},
        {"whitespace before the first field", get("/", " Host: x\r\n")},
        {"Content-Length not a number", get("/", "Host: x\r\nContent-Length: abc\r\n")},
        {"Content-Length empty", get("/", "Host: x\r\nContent-Length:\r\n")},
        {"Content-Length negative", get("/", "Host: x\r\nContent-Length: -1\r\n")},
        {"Content-Length hex", get("/", "Host: x\r\nContent-Length: 0x10\r\n")},
        {"Content-Length two numbers", get("/", "Host: x\r\nContent-Length: 1 2\r\n")},
        {"Content-Length list", get("/", "Host: x\r\nContent-Length: 5, 5\r\n")},
        {"Content-Length overflowing",
         get("/", "Host: x\r\nContent-Length: 99999999999999999999\r\n")},
        {"conflicting Content-Lengths",
         get("/", "Host: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n")},
        {"%zz", get("/a%zzb")},
        {"%4 at the end", get("/a%4")},
        {"% at the end", get("/a%")},
        {"%4g", get("/a%4gb")},
        {"truncated escape before the query", get("/a%4?x=1")},
    };
    for (const Case& test : cases) {
        INFO(test.what << ": " << test.text);
        Parsed parsed = parse(test.text);
        CHECK(parsed.status == 400);
        CHECK(parsed.consumed == test.text.size());
    }
    // The same Content-Length twice is one Content-Length.
    Parsed same = parse(get("/", "Host: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n"));
    CHECK(same.status == 200);
    CHECK(same.request.content_length == 5);
}

TEST_CASE("khttpd: paths that climb or hide a separator are 403", "[http]") {
    const char* refused[] = {
        "/../x",    "/a/../../x", "/%2e%2e/x", "/%2E%2e/", "/a%2fb",  "/a%2Fb",
        "/a\\b",    "/a%5cb",     "/a%5Cb",    "/%00x",    "/..",     "/a/..",
        "/a/%2e./", "/.%2e",      "//../x",    "/..?q=1",  "/a/..#f",
    };
    for (const char* target : refused) {
        INFO("target " << target);
        std::string text = get(target);
        Parsed parsed = parse(text);
        CHECK(parsed.status == 403);
        CHECK(parsed.consumed == text.size());
    }
    // Dots that do not make a ".." segment are plain names.
    CHECK(decoded("/...") == "/...");
    CHECK(decoded("/a..b/..c/d..") == "/a..b/..c/d..");
    CHECK(decoded("/./x") == "/./x");
    CHECK(decoded("/%2e/x") == "/./x");
}

TEST_CASE("khttpd: bodies over MAX_BODY and any Transfer-Encoding are 413", "[http]") {
    std::string limit = std::to_string(MAX_BODY);
    std::string over = std::to_string(MAX_BODY + 1);
    Parsed at_limit = parse(get("/", "Host: x\r\nContent-Length: " + limit + "\r\n"));
    CHECK(at_limit.status == 200);
    CHECK(at_limit.request.content_length == MAX_BODY);

    std::string big = get("/", "Host: x\r\nContent-Length: " + over + "\r\n");
    Parsed too_big = parse(big);
    CHECK(too_big.status == 413);
    CHECK(too_big.consumed == big.size());
    CHECK(status_of(request("POST /upload HTTP/1.1", "Host: x\r\nContent-Length: 1000000\r\n")) ==
          413);

    for (const char* coding : {"chunked", "identity", "gzip, chunked"}) {
        INFO("Transfer-Encoding: " << coding);
        std::string text =
            get("/", "Host: x\r\nTransfer-Encoding: " + std::string(coding) + "\r\n");
        Parsed parsed = parse(text);
        CHECK(parsed.status == 413);
        CHECK(parsed.consumed == text.size());
    }
    CHECK(status_of(get("/", "Host: x\r\ntransfer-encoding: chunked\r\n")) == 413);
}

TEST_CASE("khttpd: long targets and request lines are 414", "[http]") {
    // The target limit counts the query too; a query is not part of the path.
    std::string longest = "/?" + std::string(MAX_TARGET - 2, 'q');
    Parsed fits = parse(get(longest));
    CHECK(fits.status == 200);
    CHECK(std::string(fits.request.path) == "/");
    std::string too_long = get(longest + "q");
    Parsed refused = parse(too_long);
    CHECK(refused.status == 414);
    CHECK(refused.consumed == too_long.size());

    // The decoded path has to fit NK_FILE_PATH_MAX with its NUL.
    std::string path = "/" + std::string(NK_FILE_PATH_MAX - 2, 'p');
    CHECK(decoded(path) == path);
    CHECK(status_of(get(path + "p")) == 414);
    // Escapes shrink when decoded: three bytes for one.
    std::string escaped = "/";
    for (size_t i = 0; i < NK_FILE_PATH_MAX - 2; ++i)
        escaped += "%41";
    CHECK(decoded(escaped) == "/" + std::string(NK_FILE_PATH_MAX - 2, 'A'));

    // A request line longer than MAX_REQUEST_LINE with no newline yet: no point waiting.
    std::string line = "GET /" + std::string(MAX_REQUEST_LINE, 'a');
    Parsed at_limit = parse(line.substr(0, MAX_REQUEST_LINE));
    CHECK(at_limit.status == 0);
    Parsed over = parse(line.substr(0, MAX_REQUEST_LINE + 1));
    CHECK(over.status == 414);
    CHECK(over.consumed == MAX_REQUEST_LINE + 1);
    // ...and one that ended, but too late.
    std::string ended = line + " HTTP/1.1\r\n";
    Parsed late = parse(ended);
    CHECK(late.status == 414);
    CHECK(late.consumed == ended.size());
}

TEST_CASE("khttpd: long field lines and heads are 431", "[http]") {
    std::string field = "X-Big: " + std::string(MAX_FIELD_LINE, 'b');
    std::string text = get("/", "Host: x\r\n" + field + "\r\n");
    REQUIRE(text.size() < MAX_HEAD);
    Parsed parsed = parse(text);
    CHECK(parsed.status == 431);
    CHECK(parsed.consumed == text.size());
    // A long line that is still under the limit is fine.
    std::string fine = "X-Big: " + std::string(MAX_FIELD_LINE - 100, 'b');
    CHECK(status_of(get("/", "Host: x\r\n" + fine + "\r\n")) == 200);

    // Many field lines that never end the head.
    std::string start = "GET / HTTP/1.1\r\nHost: x\r\n";
    while (start.size() < MAX_HEAD + 100)
        start += "X-Filler: " + std::string(50, 'f') + "\r\n";
    Parsed short_of = parse(start.substr(0, MAX_HEAD - 1));
    CHECK(short_of.status == 0);
    Parsed reached = parse(start.substr(0, MAX_HEAD));
    CHECK(reached.status == 431);
    CHECK(reached.consumed == MAX_HEAD);
    // And a complete head that is larger than MAX_HEAD.
    std::string complete = start + "\r\n";
    Parsed large = parse(complete);
    CHECK(large.status == 431);
    CHECK(large.consumed == complete.size());
}

TEST_CASE("khttpd: query, fragment and absolute form", "[http]") {
    CHECK(decoded("/a/b?x=1&y=2") == "/a/b");
    CHECK(decoded("/a#frag") == "/a");
    CHECK(decoded("/a?q#f") == "/a");
    CHECK(decoded("/?") == "/");
    CHECK(decoded("/a%3Fb?c") == "/a?b"); // an encoded '?' is part of the name
    CHECK(decoded("/%7e%7Euser/caf%C3%A9") == "/~~user/caf\xc3\xa9");
    CHECK(decoded("/a+b") == "/a+b"); // '+' is not a space in a path
    CHECK(decoded("http://example.com/path/x?q=1") == "/path/x");
    CHECK(decoded("HTTP://Example.COM:8080/p%20q") == "/p q");
    CHECK(decoded("http://example.com/") == "/");
    CHECK(status_of(get("http://example.com/../x")) == 403);
    // The path starts after the authority: a '/' in a query or fragment is not the path's.
    CHECK(decoded("http://example.com/p?a=/b") == "/p");
    CHECK(status_of(get("http://example.com?a=/b")) == 400);
    CHECK(status_of(get("http://example.com#/b")) == 400);
}

TEST_CASE("khttpd: decode_path directly", "[http]") {
    char out[8];
    std::memset(out, 'X', sizeof out);
    CHECK(decode_path("/a%41", 5, out, sizeof out) == 0);
    CHECK(std::string(out) == "/aA");
    CHECK(decode_path("/abcdef", 7, out, sizeof out) == 0); // 7 and the NUL
    CHECK(std::string(out) == "/abcdef");
    CHECK(decode_path("/abcdefg", 8, out, sizeof out) == 414);
    // The length bounds the input: what follows is not read.
    CHECK(decode_path("/ab%zz", 3, out, sizeof out) == 0);
    CHECK(std::string(out) == "/ab");
    CHECK(decode_path("/a%4", 4, out, sizeof out) == 400);
    CHECK(decode_path("/a%41", 4, out, sizeof out) == 400); // an escape cut by the length
    CHECK(decode_path("/a%41", 3, out, sizeof out) == 400);
    CHECK(decode_path("/a%2f", 5, out, sizeof out) == 403);
    CHECK(decode_path("/a%00", 5, out, sizeof out) == 403);
    CHECK(decode_path("/a\\", 3, out, sizeof out) == 403);
    CHECK(decode_path("/..", 3, out, sizeof out) == 403);
    CHECK(decode_path("", 0, out, sizeof out) == 0);
    CHECK(std::string(out).empty());
}

TEST_CASE("khttpd: the Range field", "[http]") {
    ByteRange both = range_of("bytes=0-9");
    CHECK(both.present);
    CHECK(both.has_first);
    CHECK(both.has_last);
    CHECK(both.first == 0);
    CHECK(both.last == 9);

    ByteRange open = range_of("bytes=10-");
    CHECK(open.present);
    CHECK(open.has_first);
    CHECK_FALSE(open.has_last);
    CHECK(open.first == 10);

    ByteRange suffix = range_of("bytes=-5");
    CHECK(suffix.present);
    CHECK_FALSE(suffix.has_first);
    CHECK_FALSE(suffix.has_last);
    CHECK(suffix.suffix == 5);

    ByteRange one = range_of("bytes=5-5");
    CHECK(one.present);
    CHECK(one.first == 5);
    CHECK(one.last == 5);

    ByteRange any_case = range_of("Bytes=3-4");
    CHECK(any_case.present);
    CHECK(any_case.first == 3);
    CHECK(any_case.last == 4);
    CHECK(range_of("BYTES=-1").present);
    CHECK(range_of("  bytes=0-1  ").present); // the value's own whitespace is trimmed

    // Ignored (the whole file is sent): lists, reversed, garbage, other units.
    for (const char* value :
         {"bytes=0-1,5-6", "bytes=0-1, 5-6", "bytes=5-2", "bytes=abc", "bytes=", "bytes=-",
          "bytes=1-2-3", "bytes=a-5", "bytes=5-a", "bytes=-a", "items=0-9", "bytes 0-9", "0-9",
          "bytes= 0-9", "bytes=0 -9", "bytes=99999999999999999999-"}) {
        ByteRange range = range_of(value);
        INFO("Range: " << value);
        CHECK_FALSE(range.present);
        CHECK(resolve_range(range, 100).status == 0);
    }
}

TEST_CASE("khttpd: resolve_range", "[http]") {
    auto check = [](const std::string& value, uint64_t size, int status, uint64_t first = 0,
                    uint64_t last = 0) {
        RangeAnswer answer = resolve_range(range_of(value), size);
        INFO("Range: " << value << " of " << size);
        CHECK(answer.status == status);
        if (status == 206) {
            CHECK(answer.first == first);
            CHECK(answer.last == last);
        }
    };
    check("bytes=0-9", 100, 206, 0, 9);
    check("bytes=0-9", 5, 206, 0, 4); // last clamped
    check("bytes=0-0", 1, 206, 0, 0);
    check("bytes=99-99", 100, 206, 99, 99);
    check("bytes=90-200", 100, 206, 90, 99);
    check("bytes=10-", 100, 206, 10, 99);
    check("bytes=0-", 100, 206, 0, 99);
    check("bytes=-5", 100, 206, 95, 99);
    check("bytes=-100", 100, 206, 0, 99);
    check("bytes=-500", 100, 206, 0, 99); // suffix larger than the file
    check("bytes=-1", 1, 206, 0, 0);
    check("bytes=100-", 100, 416);
    check("bytes=100-150", 100, 416);
    check("bytes=150-200", 100, 416);
    check("bytes=-0", 100, 416);
    check("bytes=0-", 0, 416);
    check("bytes=0-9", 0, 416);
    check("bytes=-5", 0, 416);
    check("bytes=5-2", 100, 0);

    CHECK(resolve_range(ByteRange{}, 100).status == 0);
    CHECK(resolve_range(ByteRange{}, 0).status == 0);
    ByteRange large;
    large.present = true;
    large.has_first = true;
    large.first = 5000000000ull;
    RangeAnswer answer = resolve_range(large, 6000000000ull);
    CHECK(answer.status == 206);
    CHECK(answer.first == 5000000000ull);
    CHECK(answer.last == 5999999999ull);
}

TEST_CASE("khttpd: If-Modified-Since", "[http]") {
    Parsed parsed =
        parse(get("/", "Host: x\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
    CHECK(parsed.status == 200);
    CHECK(parsed.request.if_modified_since == 784111777);
    CHECK(parse(get("/", "Host: x\r\nif-modified-since:Thu, 29 Feb 2024 12:00:01 GMT  \r\n"))
              .request.if_modified_since == 1709208001);
    // Forms the server does not read are ignored, not refused.
    for (const char* value : {"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                              "yesterday", "", "Sun, 06 Nov 1994 08:49:37 GMT and a lot more"}) {
        INFO("If-Modified-Since: " << value);
        Parsed ignored =
            parse(get("/", "Host: x\r\nIf-Modified-Since: " + std::string(value) + "\r\n"));
        CHECK(ignored.status == 200);
        CHECK(ignored.request.if_modified_since == 0);
    }
}

// =============================================================================================
// Dates

TEST_CASE("khttpd: format_http_date on known dates", "[http]") {
    CHECK(http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(http_date(68169600) == "Tue, 29 Feb 1972 00:00:00 GMT");
    CHECK(http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK(http_date(951868800) == "Wed, 01 Mar 2000 00:00:00 GMT");
    CHECK(http_date(1709164800) == "Thu, 29 Feb 2024 00:00:00 GMT");
    CHECK(http_date(1709251199) == "Thu, 29 Feb 2024 23:59:59 GMT");
    CHECK(http_date(1709251200) == "Fri, 01 Mar 2024 00:00:00 GMT");
    CHECK(http_date(1234567890) == "Fri, 13 Feb 2009 23:31:30 GMT");
    CHECK(http_date(4107542400ull) == "Mon, 01 Mar 2100 00:00:00 GMT"); // 2100 is not leap
    CHECK(http_date(4294967295ull) == "Sun, 07 Feb 2106 06:28:15 GMT");
    CHECK(http_date(253402300799ull) == "Fri, 31 Dec 9999 23:59:59 GMT");

    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
    CHECK(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT") == 1709164800);
    CHECK(parse_http_date("Wed, 01 Mar 2000 00:00:00 GMT") == 951868800);
    CHECK(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT") == 253402300799ull);
    CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:01 GMT") == 1);
}

TEST_CASE("khttpd: HTTP dates match the C library and round trip", "[http]") {
    std::vector<uint64_t> values = {
        0, 1, 59, 60, 3599, 3600, 86399, 86400, 2147483647ull, 2147483648ull, 4294967296ull};
    // Around every New Year and every end of February from 1970 to 2401.
    for (int year = 1970; year <= 2401; ++year) {
        uint64_t new_year = civil_seconds(year, 1, 1);
        uint64_t march = civil_seconds(year, 3, 1);
        for (uint64_t at : {new_year, march}) {
            values.push_back(at);
            values.push_back(at + 1);
            if (at)
                values.push_back(at - 1);
            values.push_back(at - (at ? 86400 : 0));
        }
    }
    // And spread values (a fixed linear congruential sequence) up to the year 2200.
    uint64_t state = 12345;
    for (int i = 0; i < 5000; ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        values.push_back((state >> 16) % 7258118400ull);
    }
    for (uint64_t seconds : values) {
        INFO("seconds " << seconds);
        std::string text = http_date(seconds);
        CHECK(text == reference_date(seconds));
        CHECK(parse_http_date(text.c_str()) == seconds);
    }
}

TEST_CASE("khttpd: parse_http_date takes the IMF-fixdate form only", "[http]") {
    for (const char* text : {
             "Sunday, 06-Nov-94 08:49:37 GMT", // RFC 850
             "Sun Nov  6 08:49:37 1994",       // asctime
             "Sun, 06 Foo 1994 08:49:37 GMT",  // no such month
             "Sun, 06 nov 1994 08:49:37 GMT",  // month names are case-sensitive
             "Fri, 30 Feb 2024 00:00:00 GMT",  // no February 30th
             "Wed, 29 Feb 2023 00:00:00 GMT",  // nor a 29th in a common year
             "Mon, 29 Feb 2100 00:00:00 GMT",  // nor in 2100
             "Thu, 31 Apr 2024 00:00:00 GMT",  // April has 30 days
             "Thu, 00 Jan 2024 00:00:00 GMT",  // day 0
             "Sun, 6 Nov 1994 08:49:37 GMT",   // too short
             "Sun, 06 Nov 1994 08:49:37 GMT ", // too long
             "Sun, 06 Nov 1994 08:49:37 UTC",  // not GMT
             "Sun, 06 Nov 1994 08:49:37 gmt",  // GMT is case-sensitive
             "Sun, 06 Nov 1994 24:00:00 GMT",  // hour 24
             "Sun, 06 Nov 1994 08:60:00 GMT",  // minute 60
             "Sun, 06 Nov 1994 08:49:61 GMT",  // second 61
             "Sun, 06 Nov 94xx 08:49:37 GMT",  // not digits
             "Sun, 06 Nov 1994 08-49-37 GMT",  // wrong separators
             "Sun 06 Nov 1994 08:49:37 GMT,",  // comma in the wrong place
             "Wed, 31 Dec 1969 23:59:59 GMT",  // before 1970
             "",
         }) {
        INFO("date " << text);
        CHECK(parse_http_date(text) == 0);
    }
}

// =============================================================================================
// Responses

TEST_CASE("khttpd: reason phrases", "[http]") {
    CHECK(std::string(reason_phrase(200)) == "OK");
    CHECK(std::string(reason_phrase(206)) == "Partial Content");
    CHECK(std::string(reason_phrase(301)) == "Moved Permanently");
    CHECK(std::string(reason_phrase(304)) == "Not Modified");
    CHECK(std::string(reason_phrase(400)) == "Bad Request");
    CHECK(std::string(reason_phrase(403)) == "Forbidden");
    CHECK(std::string(reason_phrase(404)) == "Not Found");
    CHECK(std::string(reason_phrase(405)) == "Method Not Allowed");
    CHECK(std::string(reason_phrase(408)) == "Request Timeout");
    CHECK(std::string(reason_phrase(413)) == "Content Too Large");
    CHECK(std::string(reason_phrase(414)) == "URI Too Long");
    CHECK(std::string(reason_phrase(416)) == "Range Not Satisfiable");
    CHECK(std::string(reason_phrase(431)) == "Request Header Fields Too Large");
    CHECK(std::string(reason_phrase(500)) == "Internal Server Error");
    CHECK(std::string(reason_phrase(503)) == "Service Unavailable");
    CHECK(std::string(reason_phrase(299)) == "Unknown");
    CHECK(std::string(reason_phrase(0)) == "Unknown");
}

TEST_CASE("khttpd: media types by extension", "[http]") {
    const std::string html = "text/html; charset=utf-8";
    const std::string octets = "application/octet-stream";
    CHECK(media_type("/index.html") == html);
    CHECK(media_type("/INDEX.HTML") == html);
    CHECK(media_type("/a.HtM") == html);
    CHECK(media_type("/notes.txt") == std::string("text/plain; charset=utf-8"));
    CHECK(media_type("/s/style.css") == std::string("text/css"));
    CHECK(media_type("/app.js") == std::string("text/javascript"));
    CHECK(media_type("/data.JSON") == std::string("application/json"));
    CHECK(media_type("/img.png") == std::string("image/png"));
    CHECK(media_type("/img.jpg") == std::string("image/jpeg"));
    CHECK(media_type("/img.Jpeg") == std::string("image/jpeg"));
    CHECK(media_type("/img.gif") == std::string("image/gif"));
    CHECK(media_type("/img.svg") == std::string("image/svg+xml"));
    CHECK(media_type("/favicon.ico") == std::string("image/x-icon"));
    CHECK(media_type("/doc.pdf") == std::string("application/pdf"));
    CHECK(media_type("/feed.xml") == std::string("application/xml"));
    CHECK(media_type("/m.wasm") == std::string("application/wasm"));
    CHECK(media_type("/blob.bin") == octets);
    CHECK(media_type("notes.txt") == std::string("text/plain; charset=utf-8")); // no slash
    CHECK(media_type("/archive.tar.gz") == octets); // the last extension counts
    CHECK(media_type("/page.html.bak") == octets);
    CHECK(media_type("/README") == octets);
    CHECK(media_type("/a.b/c") == octets); // a dot in a directory name only
    CHECK(media_type("/a.html/c") == octets);
    CHECK(media_type("/a.b/c.css") == std::string("text/css"));
    CHECK(media_type("/file.") == octets);
    CHECK(media_type("/a.htmlx") == octets);
    CHECK(media_type("/a.ht") == octets);
    CHECK(media_type("/a.h") == octets);
    CHECK(media_type("/") == octets);
    CHECK(media_type("") == octets);
}

TEST_CASE("khttpd: write_head", "[http]") {
    SECTION("a plain 200, no clock") {
        ResponseHead head = plain_head(200);
        head.content_type = "text/plain; charset=utf-8";
        head.content_length = 5;
        CHECK(head_text(head) == "HTTP/1.1 200 OK\r\n"
                                 "Server: khttpd (nooks)\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: 5\r\n"
                                 "Accept-Ranges: bytes\r\n"
                                 "Connection: keep-alive\r\n"
                                 "\r\n");
    }
    SECTION("Date and Last-Modified") {
        ResponseHead head = plain_head(200);
        head.content_length = 5000000000ull;
        head.last_modified = 1709164800;
        head.keep_alive = false;
        std::string text = head_text(head, 784111777);
        CHECK(text == "HTTP/1.1 200 OK\r\n"
                      "Server: khttpd (nooks)\r\n"
                      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                      "Content-Length: 5000000000\r\n"
                      "Last-Modified: Thu, 29 Feb 2024 00:00:00 GMT\r\n"
                      "Accept-Ranges: bytes\r\n"
                      "Connection: close\r\n"
                      "\r\n");
        CHECK_FALSE(contains(text, "Content-Type"));
        CHECK_FALSE(contains(head_text(head, 0), "Date:"));
    }
    SECTION("206 with Content-Range") {
        ResponseHead head = plain_head(206);
        head.content_type = "image/png";
        head.ranged = true;
        head.range_first = 10;
        head.range_last = 19;
        head.full_size = 100;
        head.content_length = 10;
        std::string text = head_text(head);
        CHECK(text.rfind("HTTP/1.1 206 Partial Content\r\n", 0) == 0);
        CHECK(contains(text, "\r\nContent-Range: bytes 10-19/100\r\n"));
        CHECK(contains(text, "\r\nContent-Length: 10\r\n"));
        CHECK(contains(text, "\r\nAccept-Ranges: bytes\r\n"));
    }
    SECTION("416 with Content-Range */size") {
        ResponseHead head = plain_head(416);
        head.unsatisfiable = true;
        head.full_size = 1234;
        std::string text = head_text(head);
        CHECK(text.rfind("HTTP/1.1 416 Range Not Satisfiable\r\n", 0) == 0);
        CHECK(contains(text, "\r\nContent-Range: bytes */1234\r\n"));
        CHECK(contains(text, "\r\nContent-Length: 0\r\n"));
        CHECK_FALSE(contains(text, "Content-Range: bytes 0"));
    }
    SECTION("405 with Allow") {
        ResponseHead head = plain_head(405);
        head.keep_alive = false;
        std::string text = head_text(head);
        CHECK(text.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0) == 0);
        CHECK(contains(text, "\r\nAllow: GET, HEAD\r\n"));
        CHECK_FALSE(contains(text, "Accept-Ranges"));
        CHECK(contains(text, "\r\nConnection: close\r\n\r\n"));
        CHECK_FALSE(contains(head_text(plain_head(200)), "Allow:"));
    }
    SECTION("301 with Location, and extra fields") {
        ResponseHead head = plain_head(301);
        head.content_type = "text/html; charset=utf-8";
        head.content_length = 42;
        head.location = "/docs/";
        head.extra = "Cache-Control: no-store\r\nX-Test: 1\r\n";
        std::string text = head_text(head);
        CHECK(text.rfind("HTTP/1.1 301 Moved Permanently\r\n", 0) == 0);
        CHECK(contains(text, "\r\nLocation: /docs/\r\n"));
        CHECK(contains(text, "\r\nCache-Control: no-store\r\nX-Test: 1\r\nConnection: keep-alive"));
        CHECK_FALSE(contains(text, "Accept-Ranges"));
        CHECK_FALSE(contains(head_text(plain_head(200)), "Location:"));
    }
    SECTION("304 has no Content-Length that could be taken for the file's") {
        // RFC 9110 8.6: a 304 may only carry the Content-Length a 200 would have had.
        ResponseHead head = plain_head(304);
        head.last_modified = 784111777;
        std::string text = head_text(head, 784111800);
        CHECK(text == "HTTP/1.1 304 Not Modified\r\n"
                      "Server: khttpd (nooks)\r\n"
                      "Date: Sun, 06 Nov 1994 08:50:00 GMT\r\n"
                      "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                      "Accept-Ranges: bytes\r\n"
                      "Connection: keep-alive\r\n"
                      "\r\n");
    }
    SECTION("every head ends with one empty line") {
        for (int status : {200, 206, 301, 304, 400, 403, 404, 405, 413, 414, 416, 431, 500, 503}) {
            for (bool keep_alive : {false, true}) {
                ResponseHead head = plain_head(status);
                head.keep_alive = keep_alive;
                std::string text = head_text(head, 1700000000);
                INFO("status " << status);
                REQUIRE(text.size() > 4);
                CHECK(text.compare(text.size() - 4, 4, "\r\n\r\n") == 0);
                CHECK(text.find("\r\n\r\n") == text.size() - 4);
                CHECK(text.rfind("HTTP/1.1 " + std::to_string(status) + " " +
                                     reason_phrase(status) + "\r\n",
                                 0) == 0);
                CHECK(contains(text, keep_alive ? "\r\nConnection: keep-alive\r\n"
                                                : "\r\nConnection: close\r\n"));
                CHECK(contains(text, "\r\nDate: "));
                // No bare LF: every LF follows a CR.
                for (size_t i = 0; i < text.size(); ++i) {
                    if (text[i] == '\n')
                        CHECK(text[i - 1] == '\r');
                }
            }
        }
    }
    SECTION("a redirect for the longest path fits the server's 1024-byte head buffer") {
        // http_connection.cpp: a Location is at most NK_FILE_PATH_MAX * 3 + 1 bytes (every byte
        // of the path escaped, and a '/').
        std::string location = "/" + std::string(NK_FILE_PATH_MAX * 3, '%');
        ResponseHead head = plain_head(301);
        head.content_type = "text/html; charset=utf-8";
        head.content_length = 999999;
        head.location = location.c_str();
        char buffer[1024];
        TextBuffer out(buffer, sizeof buffer);
        write_head(out, head, 253402300799ull);
        CHECK_FALSE(out.overflowed());
    }
    SECTION("a head that does not fit is flagged, not overrun") {
        Guarded out(64);
        ResponseHead head = plain_head(200);
        head.content_type = "text/html; charset=utf-8";
        write_head(out.text, head, 784111777);
        CHECK(out.text.overflowed());
        CHECK(out.text.length() == 63);
        CHECK(out.terminated());
        CHECK(out.canary_intact());
        CHECK(out.contents() == std::string("HTTP/1.1 200 OK\r\nServer: khttpd (nooks)\r\n"
                                            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n")
                                    .substr(0, 63));
    }
}

// =============================================================================================
// Text buffer

TEST_CASE("khttpd: TextBuffer appends and formats", "[http]") {
    Guarded out(32);
    CHECK(out.text.length() == 0);
    CHECK(std::string(out.text.data()) == "");
    out.text.append("hello");
    out.text.append(", ");
    out.text.append("world!xyz", 6);
    out.text.format(" %d-%s-%llu", 42, "x", 18446744073709551615ull);
    CHECK(out.contents() == "hello, world! 42-x-184467440737"); // 39 bytes cut to 31
    CHECK(out.text.overflowed());
    CHECK(out.text.length() == 31);
    CHECK(out.terminated());
    CHECK(out.canary_intact());

    Guarded fits(40);
    fits.text.append("hello, ");
    fits.text.format("%s%c %d-%s-%llu", "world", '!', 42, "x", 18446744073709551615ull);
    CHECK_FALSE(fits.text.overflowed());
    CHECK(fits.contents() == "hello, world! 42-x-18446744073709551615");
    CHECK(fits.text.length() == 39);
    CHECK(fits.terminated());
    CHECK(fits.canary_intact());
}

TEST_CASE("khttpd: TextBuffer overflow is flagged and never overruns", "[http]") {
    SECTION("append: exact fit, then one byte more") {
        Guarded out(6);
        out.text.append("hello");
        CHECK_FALSE(out.text.overflowed());
        out.text.append("");
        CHECK_FALSE(out.text.overflowed());
        CHECK(out.contents() == "hello");
        out.text.append("!");
        CHECK(out.text.overflowed());
        CHECK(out.contents() == "hello");
        CHECK(out.terminated());
        CHECK(out.canary_intact());
    }
    SECTION("append: cut at the end, later appends add nothing") {
        Guarded out(8);
        out.text.append("abcdefghijkl");
        CHECK(out.text.overflowed());
        CHECK(out.contents() == "abcdefg");
        out.text.append("more");
        out.text.format("%s", "and more");
        out.text.append_html("<&>");
        out.text.append_json("\"\x01");
        out.text.append_url(" /");
        CHECK(out.text.overflowed());
        CHECK(out.contents() == "abcdefg");
        CHECK(out.terminated());
        CHECK(out.canary_intact());
    }
    SECTION("format: exact fit, then one byte more") {
        Guarded out(6);
        out.text.format("%d", 12345);
        CHECK_FALSE(out.text.overflowed());
        CHECK(out.contents() == "12345");
        out.text.format("%s", "");
        CHECK_FALSE(out.text.overflowed());
        out.text.format("%d", 6);
        CHECK(out.text.overflowed());
        CHECK(out.contents() == "12345");
        CHECK(out.terminated());
        CHECK(out.canary_intact());
    }
    SECTION("format: cut in the middle") {
        Guarded out(10);
        out.text.append("ab");
        out.text.format("%s|%08x", "cdefgh", 0xdeadbeefu);
        CHECK(out.text.overflowed());
        CHECK(out.contents() == "abcdefgh|");
        CHECK(out.text.length() == 9);
        CHECK(out.terminated());
        CHECK(out.canary_intact());
    }
    SECTION("escapes cut at the end") {
        Guarded out(12);
        out.text.append_html("<<<<");
        CHECK(out.text.overflowed());
        CHECK(out.text.length() == 11);
        CHECK(out.contents() == "&lt;&lt;&lt");
        CHECK(out.canary_intact());

        Guarded json(8);
        json.text.append_json("\x01\x02");
        CHECK(json.text.overflowed());
        CHECK(json.contents() == "\\u0001\\");
        CHECK(json.canary_intact());

        Guarded url(5);
        url.text.append_url("  ");
        CHECK(url.text.overflowed());
        CHECK(url.contents() == "%20%");
        CHECK(url.canary_intact());
    }
    SECTION("a one-byte buffer holds only the NUL") {
        Guarded out(1);
        CHECK(out.storage[0] == 0);
        out.text.append("x");
        CHECK(out.text.overflowed());
        out.text.format("%d", 7);
        CHECK(out.text.length() == 0);
        CHECK(out.storage[0] == 0);
        CHECK(out.canary_intact());
    }
    SECTION("a zero-byte buffer is never written") {
        Guarded out(0);
        CHECK(out.storage[0] == CANARY);
        out.text.append("x");
        CHECK(out.text.overflowed());
        out.text.format("%s", "abc");
        out.text.append_html("<");
        out.text.append_json("\x01");
        CHECK(out.text.length() == 0);
        CHECK(out.canary_intact());
    }
}

TEST_CASE("khttpd: TextBuffer escapes", "[http]") {
    Guarded html(256);
    html.text.append_html("<a href=\"x?a=1&b=2\">Tom & Jerry's</a> plain");
    CHECK(html.contents() ==
          "&lt;a href=&quot;x?a=1&amp;b=2&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt; plain");
    CHECK_FALSE(html.text.overflowed());

    Guarded json(256);
    json.text.append_json("a\"b\\c/d\n\x01\t\x1f\x7f caf\xc3\xa9");
    CHECK(json.contents() == "a\\\"b\\\\c/d\\u000a\\u0001\\u0009\\u001f\x7f caf\xc3\xa9");
    CHECK_FALSE(json.text.overflowed());

    Guarded url(256);
    url.text.append_url("/a b/caf\xc3\xa9?x=1&y#~._-%AZaz09");
    CHECK(url.contents() == "/a%20b/caf%C3%A9%3Fx%3D1%26y%23~._-%25AZaz09");
    CHECK_FALSE(url.text.overflowed());
}

// =============================================================================================
// Status page

TEST_CASE("khttpd: the status page as JSON", "[http]") {
    std::vector<nk_extension_info> list = sample_extensions();
    ServerFigures figures = {12345, 7, 3, 1, 4321};
    std::string text = render_json(list, figures);
    INFO(text);
    Json document;
    REQUIRE(JsonReader(text).read(document));
    REQUIRE(document.kind == Json::Kind::Object);

    const Json& server = document["server"];
    CHECK(server["uptime_ms"].number == 12345);
    CHECK(server["requests"].number == 7);
    CHECK(server["connections"].number == 3);
    CHECK(server["refused"].number == 1);
    CHECK(server["cpu_busy_ms"].number == 4321);

    const Json& extensions = document["extensions"];
    REQUIRE(extensions.kind == Json::Kind::Array);
    REQUIRE(extensions.items.size() == list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        const nk_extension_info& info = list[i];
        const Json& record = extensions.items[i];
        INFO("extension " << info.name);
        CHECK(record["name"].text == info.name);
        CHECK(record["class"].text == info.class_name);
        CHECK(record["mode"].text == info.mode);
        CHECK(record["state"].text == info.state);
        CHECK(record["restarts"].number == info.restarts);
        CHECK(record["faults"].number == info.faults);
        CHECK(record["crossings"].number == info.crossings);
        const Json& objects = record["objects"];
        REQUIRE(objects.kind == Json::Kind::Object);
        REQUIRE(objects.members.size() == info.held_count);
        for (uint32_t k = 0; k < info.held_count; ++k) {
            CHECK(objects.members[k].first == info.held[k].kind);
            CHECK(objects.members[k].second.number == info.held[k].count);
        }
        if (info.last_fault[0]) {
            CHECK(record["last_fault"].kind == Json::Kind::String);
            CHECK(record["last_fault"].text == info.last_fault);
        } else {
            CHECK(record["last_fault"].kind == Json::Kind::Null);
        }
        if (info.last_recovery_us)
            CHECK(record["last_recovery_us"].number == info.last_recovery_us);
        else
            CHECK(record["last_recovery_us"].kind == Json::Kind::Null);
    }
    // The escapes as written.
    CHECK(contains(text, "\"name\":\"we\\\"ird\\\\name\""));
    CHECK(contains(text, "\"last_fault\":\"bad \\\"quote\\\" and \\\\ back\\u0009slash\\u000a\""));
    CHECK(contains(text, "\"objects\":{\"irq\":1,\"dma\":4}"));
    CHECK(contains(text, "\"objects\":{}"));
    CHECK(contains(text, "\"last_fault\":null"));

    // No extensions at all.
    Json empty;
    std::string none = render_json({}, figures);
    REQUIRE(JsonReader(none).read(empty));
    CHECK(empty["extensions"].items.empty());
    CHECK(empty["server"]["uptime_ms"].number == 12345);
}

TEST_CASE("khttpd: the status page as HTML", "[http]") {
    std::vector<nk_extension_info> list = sample_extensions();
    ServerFigures figures = {12999, 7, 3, 1, 0};
    std::string text = render_html(list, figures);
    INFO(text);
    CHECK(text.rfind("<!DOCTYPE html>\n", 0) == 0);
    CHECK(text.size() > 15);
    CHECK(text.compare(text.size() - 15, 15, "</body></html>\n") == 0);
    CHECK(contains(text, "<meta http-equiv=\"refresh\" content=\"1\">"));
    CHECK(contains(text, "<tr><td>e1000</td><td>net</td><td>isolated</td><td class=\"ok\">running"
                         "</td><td>2</td><td>3</td><td>123456789012</td><td>1 irq, 4 dma</td>"
                         "<td>page fault at e1000_transmit+0x1a</td><td>1.500 ms</td></tr>\n"));
    CHECK(contains(text, "<tr><td>we&quot;ird\\name</td><td>fs</td><td>native</td>"
                         "<td class=\"down\">failed</td><td>7</td><td>8</td><td>9</td>"
                         "<td>2 socket</td><td>bad &quot;quote&quot; and \\ back\tslash\n</td>"
                         "<td>0.042 ms</td></tr>\n"));
    CHECK(contains(text, "<tr><td>&lt;script&gt;&amp;&#39;</td><td>service</td><td>native</td>"
                         "<td class=\"busy\">recovering</td><td>0</td><td>0</td><td>0</td>"
                         "<td>-</td><td>-</td><td>-</td></tr>\n"));
    CHECK_FALSE(contains(text, "<script>"));
    CHECK(contains(text, "khttpd: up 12 s, 3 connections, 7 requests, 1 refused"));
    // One row per extension and the heading row.
    size_t rows = 0;
    for (size_t at = text.find("<tr>"); at != std::string::npos; at = text.find("<tr>", at + 1))
        ++rows;
    CHECK(rows == list.size() + 1);
}

TEST_CASE("khttpd: the status page at its largest", "[http]") {
    // Every field at its longest, every byte the most expensive to escape: '"' for HTML (6 bytes),
    // a control character for JSON (6 bytes), every number at its largest.
    auto worst = [](char c) {
        std::vector<nk_extension_info> list(NK_EXTENSION_LIST_MAX);
        for (nk_extension_info& info : list) {
            std::memset(&info, 0, sizeof info);
            set_text(info.name, std::string(sizeof info.name - 1, c));
            set_text(info.class_name, std::string(sizeof info.class_name - 1, c));
            set_text(info.mode, std::string(sizeof info.mode - 1, c));
            set_text(info.state, std::string(sizeof info.state - 1, c));
            set_text(info.last_fault, std::string(sizeof info.last_fault - 1, c));
            info.restarts = info.faults = info.crossings = info.last_recovery_us = UINT64_MAX;
            for (uint32_t k = 0; k < NK_EXTENSION_HELD_KINDS; ++k)
                add_held(info, std::string(sizeof info.held[k].kind - 1, char(c + k)), UINT32_MAX);
        }
        return list;
    };
    ServerFigures figures = {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX};
    // What http_connection.cpp gives a generated body: OUTPUT_SIZE (64 KiB) less HEAD_ROOM (1 KiB).
    const size_t body_room = 63 * 1024;

    std::vector<nk_extension_info> json_list = worst('\x01');
    std::string json = render_json(json_list, figures, body_room);
    Json document;
    REQUIRE(JsonReader(json).read(document));
    REQUIRE(document["extensions"].items.size() == NK_EXTENSION_LIST_MAX);
    const Json& last = document["extensions"].items.back();
    CHECK(last["name"].text == json_list.back().name);
    CHECK(last["objects"].members.size() == NK_EXTENSION_HELD_KINDS);
    CHECK(last["last_recovery_us"].number == UINT64_MAX);

    std::string html = render_html(worst('"'), figures, body_room);
    CHECK(contains(html, "</body></html>\n"));

    // held_count beyond the array is bounded by the array.
    std::vector<nk_extension_info> bad = worst('a');
    bad.resize(1);
    bad[0].held_count = 1000;
    Json bounded;
    REQUIRE(JsonReader(render_json(bad, figures)).read(bounded));
    CHECK(bounded["extensions"].items[0]["objects"].members.size() == NK_EXTENSION_HELD_KINDS);

    // And in a buffer that is too small, the page is flagged and the buffer not overrun.
    for (size_t size : {size_t(0), size_t(1), size_t(100), size_t(4096)}) {
        INFO("buffer " << size);
        Guarded small(size);
        render_status_json(small.text, json_list.data(), json_list.size(), figures);
        CHECK(small.text.overflowed());
        CHECK(small.canary_intact());
        CHECK(small.terminated());
        Guarded small_html(size);
        render_status_html(small_html.text, json_list.data(), json_list.size(), figures);
        CHECK(small_html.text.overflowed());
        CHECK(small_html.canary_intact());
        CHECK(small_html.terminated());
    }
}
