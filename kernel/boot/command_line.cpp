#include <kernel/boot/command_line.h>

#include <string.h>

namespace kernel::command_line {

namespace {
char g_text[512];
char g_value[64];

// Finds `key` as a whole word (followed by '=', ' ' or the end); returns where it starts.
const char* find(const char* key) {
    nk::usize key_length = strlen(key);
    for (const char* word = g_text; *word;) {
        while (*word == ' ')
            ++word;
        if (!*word)
            break;
        if (strncmp(word, key, key_length) == 0 &&
            (word[key_length] == 0 || word[key_length] == ' ' || word[key_length] == '='))
            return word;
        while (*word && *word != ' ')
            ++word;
    }
    return nullptr;
}
} // namespace

void init(const char* line) {
    strncpy(g_text, line ? line : "", sizeof g_text - 1);
    g_text[sizeof g_text - 1] = 0;
}

const char* text() {
    return g_text;
}

bool has(const char* key) {
    return find(key) != nullptr;
}

const char* value(const char* key) {
    const char* word = find(key);
    if (!word || word[strlen(key)] != '=')
        return nullptr;
    const char* start = word + strlen(key) + 1;
    nk::usize length = 0;
    while (start[length] && start[length] != ' ' && length < sizeof g_value - 1)
        ++length;
    memcpy(g_value, start, length);
    g_value[length] = 0;
    return g_value;
}

} // namespace kernel::command_line
