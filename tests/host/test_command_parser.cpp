#include <catch2/catch.hpp>

#include <userland/shell/command_parser.h>

#include <memory>
#include <string>
#include <vector>

using shell::Command;
using shell::ParseError;

namespace {

struct Parsed {
    ParseError error;
    std::vector<std::string> words;
    std::string output; // empty when there is no redirection
    bool has_output = false;
    bool append = false;
};

Parsed parse(const std::string& line, int status = 0) {
    auto command = std::make_unique<Command>();
    Parsed parsed;
    parsed.error = shell::parse_command(line.c_str(), status, *command);
    if (parsed.error != ParseError::None)
        return parsed;
    for (size_t i = 0; i < command->argc; ++i)
        parsed.words.emplace_back(command->argv[i]);
    REQUIRE(command->argv[command->argc] == nullptr);
    parsed.has_output = command->output != nullptr;
    if (parsed.has_output)
        parsed.output = command->output;
    parsed.append = command->append;
    return parsed;
}

using Words = std::vector<std::string>;

} // namespace

TEST_CASE("parser: blanks separate words", "[shell_parser]") {
    auto p = parse("  ls\t-l   /bin  ");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words == Words{"ls", "-l", "/bin"});
    CHECK_FALSE(p.has_output);
    CHECK(parse("").words.empty());
    CHECK(parse("   \t ").words.empty());
}

TEST_CASE("parser: single quotes are literal", "[shell_parser]") {
    auto p = parse(R"(echo 'a  b' 'x"y\z $?' it''s)");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words == Words{"echo", "a  b", R"(x"y\z $?)", "its"});
}

TEST_CASE("parser: double quotes keep blanks and honour \\\" \\\\ \\$ and $?", "[shell_parser]") {
    auto p = parse(R"(echo "a  b" "say \"hi\"" "back\\slash" "\$? is $?" "keep \n")", 3);
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words ==
          Words{"echo", "a  b", R"(say "hi")", R"(back\slash)", "$? is 3", R"(keep \n)"});
}

TEST_CASE("parser: quoted empty strings are words, quotes join with their neighbours",
          "[shell_parser]") {
    auto p = parse(R"(write f '' "" a"b c"'d e'f)");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words == Words{"write", "f", "", "", "ab cd ef"});
}

TEST_CASE("parser: backslash makes the next character literal", "[shell_parser]") {
    auto p = parse(R"(echo a\ b \'q\' \\ \> \$? \|)");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words == Words{"echo", "a b", "'q'", "\\", ">", "$?", "|"});
}

TEST_CASE("parser: $? expands to the last status", "[shell_parser]") {
    CHECK(parse("echo $?", 127).words == Words{"echo", "127"});
    CHECK(parse("echo x$?y", 0).words == Words{"echo", "x0y"});
    CHECK(parse("echo $? $", 142).words == Words{"echo", "142", "$"});
    CHECK(parse("echo $x $$", 1).words == Words{"echo", "$x", "$$"});
    CHECK(parse("echo $?", -1).words == Words{"echo", "-1"});
}

TEST_CASE("parser: > and >> redirect, with or without a space", "[shell_parser]") {
    auto p = parse("echo hi > out.txt");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words == Words{"echo", "hi"});
    CHECK(p.output == "out.txt");
    CHECK_FALSE(p.append);

    p = parse("echo hi >>log");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.output == "log");
    CHECK(p.append);

    p = parse("echo a>b c");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words == Words{"echo", "a", "c"});
    CHECK(p.output == "b");

    p = parse(">'my file' ls");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words == Words{"ls"});
    CHECK(p.output == "my file");

    p = parse("echo '>' \">>\"");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words == Words{"echo", ">", ">>"});
    CHECK_FALSE(p.has_output);

    p = parse("> empty");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words.empty());
    CHECK(p.output == "empty");
}

TEST_CASE("parser: redirection mistakes are reported", "[shell_parser]") {
    CHECK(parse("echo hi >").error == ParseError::MissingRedirectionTarget);
    CHECK(parse("echo hi >>   ").error == ParseError::MissingRedirectionTarget);
    CHECK(parse("echo hi > > x").error == ParseError::MissingRedirectionTarget);
    CHECK(parse("echo hi >>>x").error == ParseError::MissingRedirectionTarget);
    CHECK(parse("echo >a >b").error == ParseError::TwoRedirections);
}

TEST_CASE("parser: unterminated quotes and a trailing backslash are errors", "[shell_parser]") {
    CHECK(parse("echo 'abc").error == ParseError::UnterminatedSingleQuote);
    CHECK(parse("echo \"abc").error == ParseError::UnterminatedDoubleQuote);
    CHECK(parse("echo \"abc\\\"").error == ParseError::UnterminatedDoubleQuote);
    CHECK(parse("echo abc\\").error == ParseError::TrailingBackslash);
    CHECK(parse("echo > 'x").error == ParseError::UnterminatedSingleQuote);
}

TEST_CASE("parser: unsupported operators are refused unless quoted", "[shell_parser]") {
    CHECK(parse("ls | cat").error == ParseError::Pipe);
    CHECK(parse("ls; pwd").error == ParseError::Sequence);
    CHECK(parse("hello &").error == ParseError::Background);
    CHECK(parse("cat < f").error == ParseError::InputRedirection);
    CHECK(parse("echo '|;&<'").words == Words{"echo", "|;&<"});
}

TEST_CASE("parser: word length and count limits", "[shell_parser]") {
    std::string longest(Command::MAX_WORD, 'w');
    auto p = parse("echo " + longest);
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words[1] == longest);
    CHECK(parse("echo " + longest + "w").error == ParseError::WordTooLong);
    CHECK(parse("echo '" + longest + "w'").error == ParseError::WordTooLong);
    CHECK(parse("echo \"" + longest + "w\"").error == ParseError::WordTooLong);
    CHECK(parse("echo > " + longest + "w").error == ParseError::WordTooLong);
    // $? expansion counts too.
    CHECK(parse("echo " + std::string(Command::MAX_WORD - 2, 'w') + "$?", 100).error ==
          ParseError::WordTooLong);

    std::string line;
    for (size_t i = 0; i < Command::MAX_WORDS; ++i)
        line += "w ";
    p = parse(line + "> out");
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words.size() == Command::MAX_WORDS);
    CHECK(parse(line + "one-more").error == ParseError::TooManyWords);

    // The most the storage can be asked to hold.
    std::string full;
    for (size_t i = 0; i < Command::MAX_WORDS; ++i)
        full += longest + " ";
    p = parse(full + ">" + longest);
    REQUIRE(p.error == ParseError::None);
    CHECK(p.words.back() == longest);
    CHECK(p.output == longest);
}

TEST_CASE("parser: every error has a message", "[shell_parser]") {
    for (int e = int(ParseError::None); e <= int(ParseError::InputRedirection); ++e) {
        std::string message = shell::parse_error_message(static_cast<ParseError>(e));
        CHECK_FALSE(message.empty());
        CHECK(message != "unknown error");
    }
}
