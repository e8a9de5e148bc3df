// Result<T>: a value or an Error, never both. Errors are values and are propagated with TRY;
// MUST is for calls whose failure would be a kernel bug.
#pragma once

#include <nk/error.h>
#include <nk/utility.h>

namespace nk {

// Called by MUST() and by Result misuse; the kernel panics, host tests abort.
[[noreturn]] void result_failed(const char* what, const char* file, int line);

template <typename T>
class [[nodiscard]] Result {
public:
    Result(const T& value) : m_has_value(true) { new (&m_value) T(value); }
    Result(T&& value) : m_has_value(true) { new (&m_value) T(move(value)); }
    Result(Error error) : m_error(error), m_has_value(false) {}

    Result(Result&& other) : m_has_value(other.m_has_value) {
        if (m_has_value)
            new (&m_value) T(move(other.m_value));
        else
            m_error = other.m_error;
    }
    Result(const Result& other) : m_has_value(other.m_has_value) {
        if (m_has_value)
            new (&m_value) T(other.m_value);
        else
            m_error = other.m_error;
    }
    Result& operator=(Result&& other) {
        if (this != &other) {
            this->~Result();
            new (this) Result(move(other));
        }
        return *this;
    }
    Result& operator=(const Result& other) {
        if (this != &other) {
            this->~Result();
            new (this) Result(other);
        }
        return *this;
    }
    ~Result() {
        if (m_has_value)
            m_value.~T();
    }

    bool is_error() const { return !m_has_value; }
    bool has_value() const { return m_has_value; }

    Error error() const {
        if (m_has_value)
            result_failed("error() on a value", __FILE__, __LINE__);
        return m_error;
    }
    T& value() {
        if (!m_has_value)
            result_failed("value() on an error", __FILE__, __LINE__);
        return m_value;
    }
    const T& value() const {
        if (!m_has_value)
            result_failed("value() on an error", __FILE__, __LINE__);
        return m_value;
    }
    T release_value() { return move(value()); }
    T value_or(T fallback) const { return m_has_value ? m_value : fallback; }

private:
    union {
        T m_value;
        Error m_error;
    };
    bool m_has_value;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() : m_error(Error(0)), m_has_value(true) {}
    Result(Error error) : m_error(error), m_has_value(false) {}

    bool is_error() const { return !m_has_value; }
    bool has_value() const { return m_has_value; }
    Error error() const {
        if (m_has_value)
            result_failed("error() on a value", __FILE__, __LINE__);
        return m_error;
    }
    void release_value() {}

private:
    Error m_error;
    bool m_has_value;
};

using ErrorOr = Result<void>;

} // namespace nk

// Evaluates a Result; on error returns the error from the enclosing function, otherwise yields
// the value (a GCC/Clang statement expression).
#define TRY(expression)                                                                            \
    ({                                                                                             \
        auto _nk_try_result = (expression);                                                        \
        if (_nk_try_result.is_error())                                                             \
            return _nk_try_result.error();                                                         \
        _nk_try_result.release_value();                                                            \
    })

// Evaluates a Result whose failure is a bug.
#define MUST(expression)                                                                           \
    ({                                                                                             \
        auto _nk_must_result = (expression);                                                       \
        if (_nk_must_result.is_error())                                                            \
            ::nk::result_failed("MUST(" #expression ") failed", __FILE__, __LINE__);               \
        _nk_must_result.release_value();                                                           \
    })
