#include <arch/x86/cpu.h>
#include <arch/x86/cpu_features.h>

extern "C" nk::u64 x86_cr3_keep_tlb;

namespace x86 {

namespace {

CpuFeatures g_features;
EnabledFeatures g_enabled;
bool g_detected = false;

void copy_register_text(char* out, nk::u32 value) {
    for (int i = 0; i < 4; ++i)
        out[i] = char(value >> (8 * i));
}

void detect() {
    CpuidResult leaf0 = cpuid(0);
    copy_register_text(g_features.vendor + 0, leaf0.ebx);
    copy_register_text(g_features.vendor + 4, leaf0.edx);
    copy_register_text(g_features.vendor + 8, leaf0.ecx);
    g_features.vendor[12] = 0;
    nk::u32 max_basic = leaf0.eax;

    CpuidResult leaf1 = cpuid(1);
    g_features.pcid = leaf1.ecx & (1u << 17);
    g_features.hypervisor = leaf1.ecx & (1u << 31);
    g_features.pge = leaf1.edx & (1u << 13);

    if (max_basic >= 7) {
        CpuidResult leaf7 = cpuid(7, 0);
        g_features.smep = leaf7.ebx & (1u << 7);
        g_features.invpcid = leaf7.ebx & (1u << 10);
        g_features.smap = leaf7.ebx & (1u << 20);
        g_features.pku = leaf7.ecx & (1u << 3);
    }

    nk::u32 max_extended = cpuid(0x80000000).eax;
    if (max_extended >= 0x80000001) {
        CpuidResult ext1 = cpuid(0x80000001);
        g_features.nx = ext1.edx & (1u << 20);
        g_features.huge_1g = ext1.edx & (1u << 26);
        g_features.syscall = ext1.edx & (1u << 11);
    }
    g_features.brand[0] = 0;
    if (max_extended >= 0x80000004) {
        for (nk::u32 i = 0; i < 3; ++i) {
            CpuidResult r = cpuid(0x80000002 + i);
            copy_register_text(g_features.brand + 16 * i + 0, r.eax);
            copy_register_text(g_features.brand + 16 * i + 4, r.ebx);
            copy_register_text(g_features.brand + 16 * i + 8, r.ecx);
            copy_register_text(g_features.brand + 16 * i + 12, r.edx);
        }
        g_features.brand[48] = 0;
    }
    if (max_extended >= 0x80000007)
        g_features.invariant_tsc = cpuid(0x80000007).edx & (1u << 8);
    if (max_extended >= 0x80000008) {
        nk::u32 sizes = cpuid(0x80000008).eax;
        g_features.physical_address_bits = nk::u8(sizes);
        g_features.linear_address_bits = nk::u8(sizes >> 8);
    } else {
        g_features.physical_address_bits = 36;
        g_features.linear_address_bits = 48;
    }
    g_detected = true;
}

} // namespace

const CpuFeatures& cpu_features() {
    if (!g_detected)
        detect();
    return g_features;
}

EnabledFeatures enable_cpu_features(bool allow_pcid, bool allow_smep_smap) {
    const CpuFeatures& features = cpu_features();
    if (features.nx) {
        wrmsr(msr::EFER, rdmsr(msr::EFER) | efer::NXE);
        g_enabled.nx = true;
    }
    // Supervisor writes to read-only pages fault: without WP a Nooks domain's read-only view of
    // the kernel would not protect anything (SDM 4.6.1).
    write_cr0(read_cr0() | cr0::WP);
    g_enabled.write_protect = true;

    nk::u64 cr4_value = read_cr4();
    if (features.pge) {
        cr4_value |= cr4::PGE;
        g_enabled.pge = true;
    }
    if (allow_smep_smap && features.smep) {
        cr4_value |= cr4::SMEP;
        g_enabled.smep = true;
    }
    if (allow_smep_smap && features.smap) {
        cr4_value |= cr4::SMAP;
        g_enabled.smap = true;
    }
    write_cr4(cr4_value);
    if (allow_pcid && features.pcid && (read_cr3() & 0xfff) == 0) {
        write_cr4(read_cr4() | cr4::PCIDE);
        g_enabled.pcid = true;
        x86_cr3_keep_tlb = 1ull << 63;
    }
    return g_enabled;
}

const EnabledFeatures& enabled_features() {
    return g_enabled;
}

} // namespace x86
