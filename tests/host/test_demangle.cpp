// The Itanium C++ ABI demangler (kernel/debug/demangle.cpp). The expected names are what
// binutils' c++filt (2.40, Debian 12) prints for them, hard-coded so that the test needs no
// c++filt: real names from the kernel and the test extension (`nm build/kernel.elf`,
// `nm build/drivers/test.ko`), then names g++ 12 made from small snippets, chosen to cover the
// grammar. The rest checks the contract on bad input: refusal, truncation, bounds.
#include <catch2/catch.hpp>

#include <kernel/debug/demangle.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using kernel::debug::demangle;

namespace {

struct Pair {
    const char* mangled;
    const char* readable;
};

const Pair KERNEL_NAMES[] = {
    {"_ZN5nooks8xpc_callERNS_9ExtensionEPFllllElll",
     "nooks::xpc_call(nooks::Extension&, long (*)(long, long, long), long, long, long)"},
    {"_ZN12_GLOBAL__N_114wait_for_timerEl", "(anonymous namespace)::wait_for_timer(long)"},
    {"_ZN12_GLOBAL__N_14fillEPhmh",
     "(anonymous namespace)::fill(unsigned char*, unsigned long, unsigned char)"},
    {"_ZN12_GLOBAL__N_15crashEll.cold", "(anonymous namespace)::crash(long, long) [clone .cold]"},
    {"_ZN12_GLOBAL__N_18on_timerEPv", "(anonymous namespace)::on_timer(void*)"},
    {"_ZN12_GLOBAL__N_16g_seedE", "(anonymous namespace)::g_seed"},
    {"_ZN12_GLOBAL__N_1L5g_opsE", "(anonymous namespace)::g_ops"},
    {"_ZL31ktest_case_clock_tsc_calibrated", "ktest_case_clock_tsc_calibrated"},
    {"_ZN3x869PageTableC1EOS0_", "x86::PageTable::PageTable(x86::PageTable&&)"},
    {"_ZN6kernel2fs11DeviceInodeD0Ev", "kernel::fs::DeviceInode::~DeviceInode()"},
    {"_ZNK6kernel2fs4PatheqERKS1_", "kernel::fs::Path::operator==(kernel::fs::Path const&) const"},
    {"_ZNK6kernel2fs4Path9is_withinERKS1_",
     "kernel::fs::Path::is_within(kernel::fs::Path const&) const"},
    {"_ZN2nk6formatEPFvPvPKcmES0_S2_z",
     "nk::format(void (*)(void*, char const*, unsigned long), void*, char const*, ...)"},
    {"_ZN5nooks14decide_restartERA8_Kmm",
     "nooks::decide_restart(unsigned long const (&) [8], unsigned long)"},
    {"_ZN6kernel5Timer10start_onceEmPFvPvES1_",
     "kernel::Timer::start_once(unsigned long, void (*)(void*), void*)"},
    {"_ZN3x8621set_interrupt_handlerEhPFvRNS_14InterruptFrameEE",
     "x86::set_interrupt_handler(unsigned char, void (*)(x86::InterruptFrame&))"},
    {"_ZN5nooks11find_exportEN2nk4SpanIKNS_12KernelExportEEEPKc",
     "nooks::find_export(nk::Span<nooks::KernelExport const>, char const*)"},
    {"_ZN5nooks12DomainStringILm256EE5checkERNS_9ExtensionEPKc",
     "nooks::DomainString<256ul>::check(nooks::Extension&, char const*)"},
    {"_ZN2nk6ResultIPN5nooks9ExtensionEE5valueEv.part.0",
     "nk::Result<nooks::Extension*>::value() [clone .part.0]"},
    {"_ZN5nooks12_GLOBAL__N_17Problem4failIJA27_cEEEN2nk5ErrorES5_DpRKT_.part.0",
     "nk::Error nooks::(anonymous namespace)::Problem::fail<char [27]>(nk::Error, char const (&) "
     "[27]) [clone .part.0]"},
    {"_ZN5nooks12_GLOBAL__N_19is_loadedERKNS0_10ObjectFileERKNS_3elf10Elf64_ShdrE.isra.0",
     "nooks::(anonymous namespace)::is_loaded(nooks::(anonymous namespace)::ObjectFile const&, "
     "nooks::elf::Elf64_Shdr const&) [clone .isra.0]"},
    {"_ZN5shell8commands12_GLOBAL__N_110print_infoERNS_7ContextEiPKPKcN2nk3abi8InfoKindE.part.0",
     "shell::commands::(anonymous namespace)::print_info(shell::Context&, int, char const* const*, "
     "nk::abi::InfoKind) [clone .part.0]"},
    {"_ZN6kernel12_GLOBAL__N_15parseEPKhmRNS0_7FailureE.constprop.0",
     "kernel::(anonymous namespace)::parse(unsigned char const*, unsigned long, kernel::(anonymous "
     "namespace)::Failure&) [clone .constprop.0]"},
    {"_ZTVN6kernel2fs12_GLOBAL__N_17RamFileE",
     "vtable for kernel::fs::(anonymous namespace)::RamFile"},
    {"_ZGVZN5shell12execute_lineERNS_7ContextEPKciE7command",
     "guard variable for shell::execute_line(shell::Context&, char const*, int)::command"},
    {"_ZGVZN12_GLOBAL__N_14heapEvE4heap", "guard variable for (anonymous namespace)::heap()::heap"},
    {"_ZZ5kmainENUlRN3x8614InterruptFrameEE_4_FUNES1_",
     "kmain::{lambda(x86::InterruptFrame&)#1}::_FUN(x86::InterruptFrame&)"},
    {"_ZN5nooks7WrapperIXtlNS_11FixedStringILm7EEEtlA7_cLc110ELc107ELc95ELc105ELc110ELc98EEEEXadL_"
     "ZNS_12_GLOBAL__N_112isolated_inbERNS_9ExtensionEtEEJNS4_12ClaimedPortsILj1EEEEE5entryEt",
     "nooks::Wrapper<nooks::FixedString<7ul>{char [7]{(char)110, (char)107, (char)95, (char)105, "
     "(char)110, (char)98}}, &nooks::(anonymous namespace)::isolated_inb, nooks::(anonymous "
     "namespace)::ClaimedPorts<1u> >::entry(unsigned short)"},
    {"_ZN5nooks7WrapperIXtlNS_11FixedStringILm11EEEtlA11_"
     "cLc110ELc107ELc95ELc105ELc111ELc117ELc110ELc109ELc97ELc112EEEEXadL_ZNS_12_GLOBAL__N_"
     "114release_handleIP14nk_mmio_objectEEvRNS_9ExtensionET_EEJNS_11OwnedHandleILNS_"
     "10ObjectKindE3EEEEE5entryES7_",
     "nooks::Wrapper<nooks::FixedString<11ul>{char [11]{(char)110, (char)107, (char)95, (char)105, "
     "(char)111, (char)117, (char)110, (char)109, (char)97, (char)112}}, &(void nooks::(anonymous "
     "namespace)::release_handle<nk_mmio_object*>(nooks::Extension&, nk_mmio_object*)), "
     "nooks::OwnedHandle<(nooks::ObjectKind)3> >::entry(nk_mmio_object*)"},
    {"_ZN5nooks7WrapperIXtlNS_11FixedStringILm13EEEtlA13_"
     "cLc110ELc107ELc95ELc117ELc112ELc116ELc105ELc109ELc101ELc95ELc110ELc115EEEEXadL_ZNS_12_GLOBAL_"
     "_N_115isolated_uptimeERNS_9ExtensionEEEJEE5entryEv",
     "nooks::Wrapper<nooks::FixedString<13ul>{char [13]{(char)110, (char)107, (char)95, (char)117, "
     "(char)112, (char)116, (char)105, (char)109, (char)101, (char)95, (char)110, (char)115}}, "
     "&nooks::(anonymous namespace)::isolated_uptime>::entry()"},
    {"_ZTAXtlN5nooks11FixedStringILm7EEEtlA7_cLc110ELc107ELc95ELc105ELc110ELc98EEEE",
     "template parameter object for nooks::FixedString<7ul>{char [7]{(char)110, (char)107, "
     "(char)95, (char)105, (char)110, (char)98}}"},
};

const Pair GRAMMAR_NAMES[] = {
    // The shape of every extension-internal function in a fault report.
    {"_ZN12_GLOBAL__N_116crash_null_derefEv", "(anonymous namespace)::crash_null_deref()"},
    {"_ZN1AC1Ev", "A::A()"},
    {"_ZN1AD0Ev", "A::~A()"},
    {"_ZNK1A1fEv", "A::f() const"},
    {"_ZNVR1A1gEv", "A::g() volatile &"},
    {"_ZNO1A1hEv", "A::h() &&"},
    {"_ZNrVK1A1fEv", "A::f() const volatile restrict"},
    {"_ZN1AclEi", "A::operator()(int)"},
    {"_ZN1AixEm", "A::operator[](unsigned long)"},
    {"_ZNK1AltERKS_", "A::operator<(A const&) const"},
    {"_ZNK1AcviEv", "A::operator int() const"},
    {"_ZN1AnwEm", "A::operator new(unsigned long)"},
    {"_ZN1AdlEPv", "A::operator delete(void*)"},
    {"_ZN1AaSERKS_", "A::operator=(A const&)"},
    {"_Zli2_xy", "operator\"\" _x(unsigned long long)"},
    {"_ZN1AIiEC1IcEET_", "A<int>::A<char>(char)"},
    {"_Z2tfIiET_S0_PS0_", "int tf<int>(int, int*)"},
    {"_ZN2TcIiE4convIcEET_iS2_", "char Tc<int>::conv<char>(int, char)"},
    {"_Z4packIJiPKcEEvDpOT_", "void pack<int, char const*>(int&&, char const*&&)"},
    {"_Z4packIJRiEEvDpOT_", "void pack<int&>(int&)"},
    {"_Z4packIJEEvDpOT_", "void pack<>()"},
    {"_Z1fIJEEvDpT_i", "void f<>(, int)"},
    {"_Z1fIJEJiEEvv", "void f<, int>()"},
    {"_Z1fIiJEEvv", "void f<int>()"},
    {"_Z1fIJiEEvDpT_S0_", "void f<int>(int, int)"},
    {"_Z1fIRiEvOT_", "void f<int&>(int&)"},
    {"_Z3arrILi5EEiRAT__c", "int arr<5>(char (&) [5])"},
    {"_Z2fpPFviERKPFicEPA4_cM1AiMS7_KFviE",
     "fp(void (*)(int), int (* const&)(char), char (*) [4], int A::*, void (A::*)(int) const)"},
    {"_Z1fM1AVKFvvE", "f(void (A::*)() const volatile)"},
    {"_Z1fFviRE", "f(void (int) &)"},
    {"_Z1fPA2_A3_i", "f(int (*) [2][3])"},
    {"_Z1fRKA2_i", "f(int const (&) [2])"},
    {"_Z1fA_i", "f(int [])"},
    {"_Z1fIiEvPFT_vE", "void f<int>(int (*)())"},
    {"_Z3lit1LILln5EE3LitILb1ELc97ELj7ELy9ELs3EE",
     "lit(L<-5l>, Lit<true, (char)97, 7u, 9ull, (short)3>)"},
    {"_Z1fILo5EEvv", "void f<(unsigned __int128)5>()"},
    {"_Z1fIDnLDn0EEvv", "void f<decltype(nullptr), (decltype(nullptr))0>()"},
    {"_Z3nulDnz", "nul(decltype(nullptr), ...)"},
    {"_Z4f128noewDsDiDuahbfdst",
     "f128(__int128, unsigned __int128, long double, wchar_t, char16_t, char32_t, char8_t, signed "
     "char, unsigned char, bool, float, double, short, unsigned short)"},
    {"_Z1fDF16_", "f(_Float16)"},
    {"_Z4volsPViPVKcPi", "vols(int volatile*, char const volatile*, int*)"},
    {"_ZNK3lamMUliE_clEi", "lam::{lambda(int)#1}::operator()(int) const"},
    {"_ZZ4mainENKUlvE_clEv", "main::{lambda()#1}::operator()() const"},
    {"_ZZ3locvE7counter", "loc()::counter"},
    {"_ZZ3locvEN5Local1mEv", "loc()::Local::m()"},
    {"_ZZ4mainE1x__12_", "main::x"},
    {"_ZZ3fooIiEvvE1x", "foo<int>()::x"},
    {"_ZN5OuterIiE5Inner2goEv", "Outer<int>::Inner::go()"},
    {"_ZltIiEvv", "void operator< <int>()"},
    {"_ZlsIiEvv", "void operator<< <int>()"},
    {"_Z1fIXadL_Z1gvEEEvv", "void f<&(g())>()"},
    {"_Z1fIXadL_ZN1A1gEvEEEvv", "void f<&A::g>()"},
    {"_Z1fIXadL_Z1xEEEvv", "void f<&x>()"},
    {"_Z1fIL_Z1gvEEvv", "void f<g()>()"},
    {"_Z3fooB5cxx11v", "foo[abi:cxx11]()"},
    {"_ZNSaIcEC1Ev", "std::allocator<char>::allocator()"},
    {"_ZNSsC1Ev",
     "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string()"},
    {"_Z1fSaIcESs", "f(std::allocator<char>, std::basic_string<char, std::char_traits<char>, "
                    "std::allocator<char> >)"},
    {"_ZNSt6vectorIiSaIiEE9push_backEOi",
     "std::vector<int, std::allocator<int> >::push_back(int&&)"},
    {"_ZTV1A", "vtable for A"},
    {"_ZTI1A", "typeinfo for A"},
    {"_ZThn8_N1A1fEv", "non-virtual thunk to A::f()"},
    {"_ZTv0_n24_N1A1fEv", "virtual thunk to A::f()"},
    {"_Z3foov.constprop.0.isra.0", "foo() [clone .constprop.0] [clone .isra.0]"},
    {"_Z3foov.lto_priv.0", "foo() [clone .lto_priv.0]"},
    {"_ZN1A1BUt_E", "A::B::{unnamed type#1}"},
    {"_Z3foo", "foo"},
};

// c++filt reads these; the demangler declines them (nested declarators, vendor qualifiers,
// template conversion operators, floating-point literals, decltype expressions, transaction
// clones, decimal floating point).
const char* const REFUSED[] = {
    "_Z1fPFPFvvEvE",
    "_Z1fIiEPFvvEv",
    "_Z1fA2_PA3_i",
    "_Z1fU3fooi",
    "_ZN1AcvT_IiEEv",
    "_Z1fILf3f800000EEvv",
    "_ZSt12construct_atIiJiEEDTgsnwcvPvLi0E_T_pispcl7declvalIT0_EEEEPS1_DpOS2_",
    "_ZGTtNKSt9exception4whatEv",
    "_ZTIDd",
};

std::vector<const char*> all_names() {
    std::vector<const char*> names;
    for (const Pair& pair : KERNEL_NAMES)
        names.push_back(pair.mangled);
    for (const Pair& pair : GRAMMAR_NAMES)
        names.push_back(pair.mangled);
    for (const char* name : REFUSED)
        names.push_back(name);
    return names;
}

// Runs demangle() on an exactly sized heap copy of `input` (so that ASan sees any read past the
// NUL) into an exactly sized heap buffer with guard bytes after it; checks that it wrote no
// guard byte and terminated the output.
struct Result {
    bool ok;
    std::string text;
};
Result run(const std::string& input, size_t out_size) {
    std::vector<char> name(input.begin(), input.end());
    name.push_back('\0');
    constexpr size_t GUARD = 16;
    std::vector<char> out(out_size + GUARD, '\x5a');
    bool ok = demangle(name.data(), out.data(), out_size);
    for (size_t i = out_size; i < out.size(); ++i)
        REQUIRE(out[i] == '\x5a');
    if (out_size == 0)
        return {ok, ""};
    REQUIRE(std::memchr(out.data(), '\0', out_size) != nullptr);
    return {ok, out.data()};
}

} // namespace

TEST_CASE("demangle matches c++filt on the kernel's names", "[demangle]") {
    for (const Pair& pair : KERNEL_NAMES) {
        INFO(pair.mangled);
        Result result = run(pair.mangled, 1024);
        CHECK(result.ok);
        CHECK(result.text == pair.readable);
    }
}

TEST_CASE("demangle matches c++filt across the supported grammar", "[demangle]") {
    for (const Pair& pair : GRAMMAR_NAMES) {
        INFO(pair.mangled);
        Result result = run(pair.mangled, 1024);
        CHECK(result.ok);
        CHECK(result.text == pair.readable);
    }
}

TEST_CASE("demangle copies names it does not understand", "[demangle]") {
    const char* plain[] = {
        "nk_malloc", "main", "", "_", "_Z", "Z3foov", "__Z3foov", "_Z3foov ", "_Z3foov.",
        "foo.part.0", "_Zv", "_Z1f_",
        // Miscounted: "crash_null_deref" has 16 letters (c++filt refuses it too).
        "_ZN12_GLOBAL__N_115crash_null_derefEv"};
    for (const char* name : plain) {
        INFO(name);
        Result result = run(name, 256);
        CHECK_FALSE(result.ok);
        CHECK(result.text == name);
    }
    for (const char* name : REFUSED) {
        INFO(name);
        Result result = run(name, 256);
        CHECK_FALSE(result.ok);
        CHECK(result.text == name);
    }
    // A copied name is cut to the buffer too.
    CHECK_FALSE(run("nk_malloc", 4).ok);
    CHECK(run("nk_malloc", 4).text == "nk_");
}

TEST_CASE("demangle cuts its output to the buffer and always terminates it", "[demangle]") {
    for (const Pair& pair : GRAMMAR_NAMES) {
        INFO(pair.mangled);
        std::string full = pair.readable;
        for (size_t size = 0; size <= full.size() + 2; ++size) {
            Result result = run(pair.mangled, size);
            CHECK(result.ok); // a readable name cut short still counts as understood
            CHECK(result.text == full.substr(0, size == 0 ? 0 : size - 1));
        }
    }
    // No buffer at all: the answer alone.
    CHECK(demangle("_ZN1AC1Ev", nullptr, 16));
    CHECK_FALSE(demangle("nk_malloc", nullptr, 16));
    char out[8] = "x";
    CHECK_FALSE(demangle(nullptr, out, sizeof out));
    CHECK(out[0] == '\0');
}

TEST_CASE("demangle survives every truncation of every test name", "[demangle]") {
    for (const char* name : all_names()) {
        std::string full = name;
        for (size_t length = 0; length < full.size(); ++length) {
            std::string prefix = full.substr(0, length);
            INFO(prefix);
            Result result = run(prefix, 128);
            if (!result.ok)
                CHECK(result.text == prefix.substr(0, 127));
        }
    }
}

TEST_CASE("demangle survives random garbage after _Z", "[demangle]") {
    std::mt19937 random(20240607);
    // Mostly letters the grammar gives meaning to, so that parses get deep before failing.
    const std::string alphabet = "_ZNESIJTLXDpPRKVOFAMvicsljmCDUltaddl0123456789Ut.";
    for (int i = 0; i < 4000; ++i) {
        std::string name = "_Z";
        size_t length = random() % 96;
        for (size_t j = 0; j < length; ++j) {
            if (random() % 16 == 0)
                name += char(1 + random() % 255); // any byte but NUL
            else
                name += alphabet[random() % alphabet.size()];
        }
        INFO(name);
        Result result = run(name, 1 + random() % 96);
        (void)result;
    }
    // Real names with a few bytes changed, inserted or removed.
    std::vector<const char*> names = all_names();
    for (int i = 0; i < 4000; ++i) {
        std::string name = names[random() % names.size()];
        for (int edits = 1 + random() % 3; edits > 0 && name.size() > 2; --edits) {
            size_t at = 2 + random() % (name.size() - 2);
            char c = alphabet[random() % alphabet.size()];
            switch (random() % 3) {
            case 0:
                name[at] = c;
                break;
            case 1:
                name.insert(name.begin() + at, c);
                break;
            default:
                name.erase(at, 1);
                break;
            }
        }
        INFO(name);
        Result result = run(name, 1 + random() % 256);
        (void)result;
    }
}

TEST_CASE("demangle refuses nesting past its depth cap", "[demangle]") {
    auto repeat = [](const std::string& piece, int count) {
        std::string text;
        for (int i = 0; i < count; ++i)
            text += piece;
        return text;
    };
    // Shallow nesting is fine...
    CHECK(run("_Z1f" + repeat("1aI", 3) + "i" + repeat("E", 3), 256).text == "f(a<a<a<int> > >)");
    CHECK(run("_Z1fPPPKc", 256).text == "f(char const***)");
    // ...deep nesting is refused, whatever the construct.
    CHECK_FALSE(run("_Z1f" + repeat("1aI", 40) + "i" + repeat("E", 40), 256).ok);
    CHECK_FALSE(run("_Z1f" + repeat("P", 1000) + "i", 256).ok);
    CHECK_FALSE(run("_Z" + repeat("N", 1000) + "1fEv", 256).ok);
    CHECK_FALSE(run("_Z1f" + repeat("PF", 500) + "v" + repeat("E", 500), 256).ok);
    CHECK_FALSE(run("_Z" + repeat("Z", 500) + "1fv" + repeat("E1x", 500), 256).ok);
    CHECK_FALSE(
        run("_Z1fI" + repeat("XadL_Z1gI", 100) + "i" + repeat("EvvEE", 100) + "Evv", 256).ok);
    // Substitutions that double at each step (a<a, a>, then that<that, that>...) would print
    // gigabytes; the work bound stops them.
    std::string doubling = "_Z1f1a";
    std::string previous = "S_";
    for (int i = 0; i < 40; ++i) {
        doubling += previous + "I" + previous + previous + "E";
        previous = "S" + std::to_string(i) + "_";
    }
    CHECK_FALSE(run(doubling, 256).ok);
    // Names longer than the input cap are not read to their end.
    CHECK_FALSE(run("_Z1f" + repeat("i", 5000), 64).ok);
}
