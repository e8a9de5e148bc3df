// A counted reference to an object with ref()/unref() (an Inode or a File): copying takes a
// reference, destruction drops it, so an early error return cannot leak one.
#pragma once

#include <nk/utility.h>

namespace kernel::fs {

template <typename T>
class RefPtr {
public:
    RefPtr() = default;
    // Takes a new reference to `object`.
    explicit RefPtr(T& object) : m_object(&object) { object.ref(); }
    // Takes over a reference the caller already holds (e.g. one a lookup returned).
    static RefPtr adopt(T* object) {
        RefPtr pointer;
        pointer.m_object = object;
        return pointer;
    }

    RefPtr(const RefPtr& other) : m_object(other.m_object) {
        if (m_object)
            m_object->ref();
    }
    RefPtr(RefPtr&& other) : m_object(other.m_object) { other.m_object = nullptr; }
    RefPtr& operator=(RefPtr other) {
        nk::swap(m_object, other.m_object);
        return *this;
    }
    ~RefPtr() { clear(); }

    void clear() {
        T* object = m_object;
        m_object = nullptr;
        if (object)
            object->unref();
    }
    // Hands the reference to the caller.
    [[nodiscard]] T* leak() {
        T* object = m_object;
        m_object = nullptr;
        return object;
    }

    T* get() const { return m_object; }
    T* operator->() const { return m_object; }
    T& operator*() const { return *m_object; }
    explicit operator bool() const { return m_object != nullptr; }

private:
    T* m_object = nullptr;
};

} // namespace kernel::fs
