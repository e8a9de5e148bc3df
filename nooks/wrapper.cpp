#include <nooks/protection_domain.h>
#include <nooks/recovery.h>
#include <nooks/wrapper.h>

#include <stdio.h>

namespace nooks {

namespace {
bool g_fail_on_check = true;
} // namespace

bool fail_extension_on_check() {
    return g_fail_on_check;
}
void set_fail_extension_on_check(bool fail) {
    g_fail_on_check = fail;
}

void wrapper_check_failed(Extension& extension, const char* function, unsigned argument,
                          nk::u64 value) {
    ++extension.check_failures;
    char cause[112];
    snprintf(cause, sizeof cause, "wrapper check: %s argument %u = 0x%llx", function, argument,
             (unsigned long long)value);
    if (!g_fail_on_check) {
        kprintf("nooks: extension '%s': %s refused\n", extension.name, cause);
        return;
    }
    record_failure(extension, cause, 0);
    abort_current_crossing();
}

bool check_buffer(Extension& extension, const char* function, unsigned argument, const void* buffer,
                  nk::u64 length, bool write) {
    if (domain_range_ok(extension, reinterpret_cast<nk::u64>(buffer), length, write))
        return true;
    wrapper_check_failed(extension, function, argument, reinterpret_cast<nk::u64>(buffer));
    return false;
}

bool domain_range_ok(Extension& extension, nk::u64 address, nk::u64 length, bool write) {
    if (length == 0)
        return true;
    if (address + length < address)
        return false;
    for (nk::u64 page = nk::align_down(address, 4096); page < address + length; page += 4096) {
        if (!extension.domain->allows(page, write))
            return false;
    }
    return true;
}

} // namespace nooks
