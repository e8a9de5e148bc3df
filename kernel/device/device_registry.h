// What the kernel's device classes (kernel::block, kernel::net) share: a named, reference-counted
// device, and the registry of one class that finds devices by name.
//
// Lifetime: a new device holds one reference, its creator's; a successful add() hands it to the
// registry, find() hands the caller another. remove() takes the device out of the registry at
// once (is_registered() turns false, so its operations fail from then on) and drops the
// registry's reference; the device is destroyed when the last user lets go.
#pragma once

#include <arch/x86/interrupt_state.h>
#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nk/types.h>

#include <string.h>

namespace kernel {

class RegisteredDevice {
public:
    static constexpr nk::usize MAX_NAME = 16;

    RegisteredDevice(const RegisteredDevice&) = delete;
    RegisteredDevice& operator=(const RegisteredDevice&) = delete;

    const char* name() const { return m_name; }
    bool is_registered() const { return m_registered; }
    void ref() { __atomic_add_fetch(&m_references, 1, __ATOMIC_SEQ_CST); }
    void unref() {
        if (__atomic_sub_fetch(&m_references, 1, __ATOMIC_SEQ_CST) == 0)
            destroy();
    }

    nk::IntrusiveListNode node; // the registry

protected:
    explicit RegisteredDevice(const char* name) { strncpy(m_name, name, sizeof m_name - 1); }
    virtual ~RegisteredDevice() = default;
    // Frees the object (the last reference is gone).
    virtual void destroy() = 0;

private:
    template <typename Device>
    friend class DeviceRegistry;

    char m_name[MAX_NAME] = {};
    nk::u32 m_references = 1;
    bool m_registered = false;
};

// The devices of one class. Every operation runs with interrupts off (drivers register from
// their init, users look devices up from anywhere).
template <typename Device>
class DeviceRegistry {
public:
    // Error::Invalid for an empty or overlong name, Error::Exists when the name is taken.
    nk::ErrorOr add(Device& device) {
        RegisteredDevice& entry = device;
        nk::usize length = strnlen(entry.m_name, RegisteredDevice::MAX_NAME);
        if (length == 0 || length >= RegisteredDevice::MAX_NAME - 1)
            return nk::Error::Invalid;
        x86::InterruptGuard guard;
        if (find_locked(entry.m_name))
            return nk::Error::Exists;
        entry.m_registered = true;
        m_devices.push_back(entry);
        return {};
    }

    void remove(Device& device) {
        RegisteredDevice& entry = device;
        {
            x86::InterruptGuard guard;
            if (!entry.m_registered)
                return;
            entry.m_registered = false;
            m_devices.remove(entry);
        }
        entry.unref();
    }

    // A reference to the device of that name (unref() it), or nullptr.
    Device* find(const char* name) {
        x86::InterruptGuard guard;
        Device* device = find_locked(name);
        if (device)
            device->ref();
        return device;
    }

    void for_each(void (*visit)(Device& device, void* context), void* context) {
        x86::InterruptGuard guard;
        for (auto& entry : m_devices)
            visit(static_cast<Device&>(entry), context);
    }

    nk::usize count() {
        x86::InterruptGuard guard;
        return m_devices.size();
    }

private:
    Device* find_locked(const char* name) {
        for (auto& entry : m_devices) {
            if (strcmp(entry.name(), name) == 0)
                return static_cast<Device*>(&entry);
        }
        return nullptr;
    }

    nk::IntrusiveList<RegisteredDevice, &RegisteredDevice::node> m_devices;
};

} // namespace kernel
