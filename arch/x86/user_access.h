// Bracketing deliberate kernel accesses to user memory. With SMAP on (CR4.SMAP), a supervisor
// access to a user page faults unless EFLAGS.AC is set; STAC/CLAC set and clear it (SDM Vol. 3A,
// 4.6.1). On CPUs without SMAP the instructions do not exist, so they are skipped.
#pragma once

#include <arch/x86/cpu_features.h>

namespace x86 {

class UserAccessWindow {
public:
    UserAccessWindow() : m_smap(enabled_features().smap) {
        if (m_smap)
            asm volatile("stac" ::: "memory");
    }
    ~UserAccessWindow() {
        if (m_smap)
            asm volatile("clac" ::: "memory");
    }
    UserAccessWindow(const UserAccessWindow&) = delete;
    UserAccessWindow& operator=(const UserAccessWindow&) = delete;

private:
    bool m_smap;
};

} // namespace x86
