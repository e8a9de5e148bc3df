// What the CPU offers and what the kernel switched on.
#pragma once

#include <nk/types.h>

namespace x86 {

struct CpuFeatures {
    char vendor[13];
    char brand[49];
    bool nx;            // CPUID 80000001h:EDX[20]
    bool pcid;          // CPUID 01h:ECX[17]
    bool invpcid;       // CPUID 07h:EBX[10]
    bool smep;          // CPUID 07h:EBX[7]
    bool smap;          // CPUID 07h:EBX[20]
    bool pku;           // CPUID 07h:ECX[3]
    bool pge;           // CPUID 01h:EDX[13]
    bool huge_1g;       // CPUID 80000001h:EDX[26]
    bool syscall;       // CPUID 80000001h:EDX[11]
    bool invariant_tsc; // CPUID 80000007h:EDX[8]
    bool hypervisor;    // CPUID 01h:ECX[31]
    nk::u8 physical_address_bits;
    nk::u8 linear_address_bits;
};

struct EnabledFeatures {
    bool nx, pcid, smep, smap, pge, write_protect;
};

// Reads CPUID.
const CpuFeatures& cpu_features();
// Turns on what the CPU has: EFER.NXE, CR0.WP, CR4.PGE, CR4.SMEP, CR4.SMAP, CR4.PCIDE.
// PCIDE needs CR3[11:0] == 0 at the time it is set (SDM Vol. 3A, 4.10.1), which holds for the
// kernel's own tables (PCID 0). `allow` lets the command line turn features off.
EnabledFeatures enable_cpu_features(bool allow_pcid, bool allow_smep_smap);
const EnabledFeatures& enabled_features();

} // namespace x86
