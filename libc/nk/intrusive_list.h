// A doubly linked intrusive list: the element embeds its IntrusiveListNode, so inserting and
// removing never allocates (the recovery manager must be able to walk and clean lists without
// memory). Usage:
//   struct Frame { IntrusiveListNode node; };
//   IntrusiveList<Frame, &Frame::node> list;
#pragma once

#include <nk/types.h>

namespace nk {

struct IntrusiveListNode {
    IntrusiveListNode* prev = nullptr;
    IntrusiveListNode* next = nullptr;

    bool is_linked() const { return next != nullptr; }
};

template <typename T, IntrusiveListNode T::*Member>
class IntrusiveList {
public:
    constexpr IntrusiveList() { m_head.prev = m_head.next = &m_head; }
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    bool is_empty() const { return m_head.next == &m_head; }
    usize size() const { return m_size; }

    void push_back(T& item) { insert_before(&m_head, node_of(item)); }
    void push_front(T& item) { insert_before(m_head.next, node_of(item)); }

    // Inserts `item` just before `position`, which must be on this list.
    void insert_before(T& position, T& item) { insert_before(node_of(position), node_of(item)); }

    T* first() const { return is_empty() ? nullptr : owner_of(m_head.next); }
    T* last() const { return is_empty() ? nullptr : owner_of(m_head.prev); }

    T* pop_front() {
        T* item = first();
        if (item)
            remove(*item);
        return item;
    }

    // The item must be on this list.
    void remove(T& item) {
        IntrusiveListNode* node = node_of(item);
        node->prev->next = node->next;
        node->next->prev = node->prev;
        node->prev = node->next = nullptr;
        --m_size;
    }

    bool contains(const T& item) const {
        for (auto* node = m_head.next; node != &m_head; node = node->next) {
            if (owner_of(node) == &item)
                return true;
        }
        return false;
    }

    class Iterator {
    public:
        Iterator(IntrusiveListNode* node) : m_node(node), m_next(node->next) {}
        T& operator*() const { return *owner_of(m_node); }
        T* operator->() const { return owner_of(m_node); }
        // The successor is read before the body runs, so the body may remove the current item.
        Iterator& operator++() {
            m_node = m_next;
            m_next = m_node->next;
            return *this;
        }
        bool operator!=(const Iterator& other) const { return m_node != other.m_node; }

    private:
        IntrusiveListNode* m_node;
        IntrusiveListNode* m_next;
    };

    Iterator begin() const { return Iterator(m_head.next); }
    Iterator end() const { return Iterator(const_cast<IntrusiveListNode*>(&m_head)); }

private:
    static IntrusiveListNode* node_of(T& item) { return &(item.*Member); }
    static T* owner_of(IntrusiveListNode* node) {
        // Offset of the member within T, computed without offsetof on a pointer-to-member.
        auto offset = reinterpret_cast<uptr>(&(static_cast<T*>(nullptr)->*Member));
        return reinterpret_cast<T*>(reinterpret_cast<uptr>(node) - offset);
    }

    void insert_before(IntrusiveListNode* position, IntrusiveListNode* node) {
        node->next = position;
        node->prev = position->prev;
        position->prev->next = node;
        position->prev = node;
        ++m_size;
    }

    IntrusiveListNode m_head;
    usize m_size = 0;
};

} // namespace nk
