#include <catch2/catch.hpp>

#include <kernel/pci/bar.h>
#include <kernel/pci/class_names.h>
#include <kernel/pci/config_registers.h>
#include <kernel/pci/listing.h>
#include <kernel/pci/registry.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

using kernel::pci::Address;
using kernel::pci::Bar;
using kernel::pci::BarKind;
using kernel::pci::ConfigSpace;
using kernel::pci::PciDevice;
using kernel::pci::PciDriver;
using kernel::pci::PciId;
using kernel::pci::Registry;
using nk::u16;
using nk::u32;
using nk::u64;
using nk::u8;
namespace reg = kernel::pci::reg;

namespace {

// Configuration space of a few made-up functions. Absent functions read as all ones. A BAR
// keeps only its writable address bits on a write, as hardware does, so sizing by writing all
// ones reads back the size mask (PCI 3.0 §6.2.5.1). The fake also checks the rules the kernel
// must follow: no BAR is probed with decoding on, and the Command register is only written
// 16 bits wide.
class FakeConfigSpace final : public ConfigSpace {
public:
    struct Function {
        u8 bytes[256] = {};
        u32 writable[6] = {}; // per BAR register: the bits a write can change
    };

    Function& add(Address address, u16 vendor, u16 device, u8 class_code, u8 subclass,
                  u8 header_type = 0, u8 revision = 0) {
        Function& function = m_functions[key(address)];
        put16(function, reg::VENDOR_ID, vendor);
        put16(function, reg::DEVICE_ID, device);
        function.bytes[reg::CLASS_CODE] = class_code;
        function.bytes[reg::SUBCLASS] = subclass;
        function.bytes[reg::HEADER_TYPE] = header_type;
        function.bytes[reg::REVISION_ID] = revision;
        function.bytes[reg::INTERRUPT_LINE] = 0xff;
        return function;
    }

    Function& bridge(Address address, u8 secondary) {
        Function& function = add(address, 0x8086, 0x244e, 0x06, 0x04, reg::HEADER_BRIDGE);
        function.bytes[reg::PRIMARY_BUS] = address.bus;
        function.bytes[reg::SECONDARY_BUS] = secondary;
        function.bytes[reg::SUBORDINATE_BUS] = secondary;
        return function;
    }

    static void interrupt(Function& function, u8 line, u8 pin) {
        function.bytes[reg::INTERRUPT_LINE] = line;
        function.bytes[reg::INTERRUPT_PIN] = pin;
    }
    static void command(Function& function, u16 value) { put16(function, reg::COMMAND, value); }

    // size is a power of two; io16 models a device decoding only 16 I/O address bits.
    static void io_bar(Function& function, unsigned index, u32 base, u32 size, bool io16 = false) {
        u32 writable = ~(size - 1) & reg::BAR_IO_ADDRESS_MASK;
        if (io16)
            writable &= 0xffff;
        function.writable[index] = writable;
        put32(function, bar_offset(index), (base & writable) | reg::BAR_SPACE_IO);
    }
    static void memory32_bar(Function& function, unsigned index, u32 base, u32 size,
                             bool prefetchable = false) {
        u32 writable = ~(size - 1) & reg::BAR_MEMORY_ADDRESS_MASK;
        function.writable[index] = writable;
        put32(function, bar_offset(index),
              (base & writable) | (prefetchable ? reg::BAR_MEMORY_PREFETCHABLE : 0));
    }
    static void memory64_bar(Function& function, unsigned index, u64 base, u64 size,
                             bool prefetchable = false) {
        u64 writable = ~(size - 1) & ~u64(0xf);
        function.writable[index] = u32(writable);
        put32(function, bar_offset(index),
              u32(base & writable) | reg::BAR_MEMORY_TYPE_64 |
                  (prefetchable ? reg::BAR_MEMORY_PREFETCHABLE : 0));
        if (index + 1 < 6) {
            function.writable[index + 1] = u32(writable >> 32);
            put32(function, bar_offset(index + 1), u32(base >> 32));
        }
    }

    Function* find(Address address) {
        auto it = m_functions.find(key(address));
        return it == m_functions.end() ? nullptr : &it->second;
    }

    u8 read8(Address address, u8 offset) override {
        Function* function = find(address);
        return function ? function->bytes[offset] : 0xff;
    }
    u16 read16(Address address, u8 offset) override {
        REQUIRE(offset % 2 == 0);
        Function* function = find(address);
        return function ? u16(function->bytes[offset] | function->bytes[offset + 1] << 8) : 0xffff;
    }
    u32 read32(Address address, u8 offset) override {
        REQUIRE(offset % 4 == 0);
        Function* function = find(address);
        if (!function)
            return 0xffffffff;
        u32 value;
        std::memcpy(&value, &function->bytes[offset], 4);
        return value;
    }
    void write8(Address address, u8 offset, u8 value) override {
        if (Function* function = find(address))
            function->bytes[offset] = value;
    }
    void write16(Address address, u8 offset, u16 value) override {
        REQUIRE(offset % 2 == 0);
        if (Function* function = find(address))
            put16(*function, offset, value);
    }
    void write32(Address address, u8 offset, u32 value) override {
        REQUIRE(offset % 4 == 0);
        if (offset == reg::COMMAND)
            ++dword_command_writes;
        Function* function = find(address);
        if (!function)
            return;
        if (offset >= reg::BAR0 && offset < reg::BAR0 + 24) {
            unsigned index = (offset - reg::BAR0) / 4;
            u16 command =
                u16(function->bytes[reg::COMMAND] | function->bytes[reg::COMMAND + 1] << 8);
            if (value == 0xffffffff &&
                (command & (reg::COMMAND_IO_SPACE | reg::COMMAND_MEMORY_SPACE)))
                ++probes_while_decoding;
            u32 old_value;
            std::memcpy(&old_value, &function->bytes[offset], 4);
            u32 writable = function->writable[index];
            value = (old_value & ~writable) | (value & writable);
        }
        put32(*function, offset, value);
    }

    int probes_while_decoding = 0;
    int dword_command_writes = 0;

private:
    static u8 bar_offset(unsigned index) { return u8(reg::BAR0 + 4 * index); }
    static std::tuple<u8, u8, u8> key(Address address) {
        return {address.bus, address.device, address.function};
    }
    static void put16(Function& function, u8 offset, u16 value) {
        std::memcpy(&function.bytes[offset], &value, 2);
    }
    static void put32(Function& function, u8 offset, u32 value) {
        std::memcpy(&function.bytes[offset], &value, 4);
    }

    std::map<std::tuple<u8, u8, u8>, Function> m_functions;
};

// QEMU's e1000 as the pc machine shows it.
FakeConfigSpace::Function& add_e1000(FakeConfigSpace& config, Address address) {
    auto& nic = config.add(address, 0x8086, 0x100e, 0x02, 0x00, 0, 0x03);
    FakeConfigSpace::interrupt(nic, 11, 1);
    FakeConfigSpace::memory32_bar(nic, 0, 0xfebc0000, 128 * 1024);
    FakeConfigSpace::io_bar(nic, 1, 0xc000, 64);
    FakeConfigSpace::command(nic, reg::COMMAND_IO_SPACE | reg::COMMAND_MEMORY_SPACE);
    return nic;
}

std::vector<std::string> addresses_of(const Registry& registry) {
    std::vector<std::string> result;
    for (const PciDevice& device : registry.devices()) {
        char text[16];
        std::snprintf(text, sizeof text, "%02x:%02x.%u", device.address().bus,
                      device.address().device, unsigned(device.address().function));
        result.push_back(text);
    }
    return result;
}

std::string line_of(const PciDevice& device) {
    char line[512];
    kernel::pci::format_device_line(device, line, sizeof line);
    return line;
}

} // namespace

TEST_CASE("pci: a single device is found with its identity, interrupt and BARs", "[pci]") {
    FakeConfigSpace config;
    add_e1000(config, {0, 3, 0});
    Registry registry;
    registry.enumerate(config);

    REQUIRE(registry.devices().size() == 1);
    const PciDevice& nic = registry.devices()[0];
    CHECK(nic.address() == Address{0, 3, 0});
    CHECK(nic.vendor_id() == 0x8086);
    CHECK(nic.device_id() == 0x100e);
    CHECK(nic.class_code() == 0x02);
    CHECK(nic.subclass() == 0x00);
    CHECK(nic.revision() == 0x03);
    CHECK(nic.header_type() == 0);
    CHECK_FALSE(nic.is_multi_function());
    CHECK_FALSE(nic.is_bridge());
    CHECK(nic.interrupt_line() == 11);
    CHECK(nic.interrupt_pin() == 1);
    CHECK(nic.uses_interrupt());

    CHECK(nic.bar(0).kind == BarKind::Memory32);
    CHECK(nic.bar(0).address == 0xfebc0000);
    CHECK(nic.bar(0).size == 128 * 1024);
    CHECK_FALSE(nic.bar(0).prefetchable);
    CHECK(nic.bar(1).kind == BarKind::Io);
    CHECK(nic.bar(1).address == 0xc000);
    CHECK(nic.bar(1).size == 64);
    for (unsigned i = 2; i < kernel::pci::MAX_BARS; ++i)
        CHECK(nic.bar(i).kind == BarKind::None);

    // Sizing left no trace: BARs and Command as before, decoding was off while probing.
    CHECK(config.probes_while_decoding == 0);
    CHECK(config.dword_command_writes == 0);
    CHECK(config.read32({0, 3, 0}, reg::BAR0) == 0xfebc0000);
    CHECK(config.read32({0, 3, 0}, reg::BAR0 + 4) == (0xc000 | reg::BAR_SPACE_IO));
    CHECK(config.read16({0, 3, 0}, reg::COMMAND) ==
          (reg::COMMAND_IO_SPACE | reg::COMMAND_MEMORY_SPACE));
    CHECK(registry.dropped_devices() == 0);
}

TEST_CASE("pci: an empty bus gives an empty table and listing", "[pci]") {
    FakeConfigSpace config;
    Registry registry;
    registry.enumerate(config);
    CHECK(registry.devices().size() == 0);
    char buffer[16] = "x";
    CHECK(registry.format_listing(buffer, sizeof buffer) == 0);
    CHECK(std::string(buffer).empty());
}

TEST_CASE("pci: functions 1-7 are scanned only on multi-function devices", "[pci]") {
    FakeConfigSpace config;
    // PIIX3 style: ISA bridge, IDE, power management at 00:01.{0,1,3}.
    config.add({0, 1, 0}, 0x8086, 0x7000, 0x06, 0x01, reg::HEADER_MULTI_FUNCTION);
    config.add({0, 1, 1}, 0x8086, 0x7010, 0x01, 0x01);
    config.add({0, 1, 3}, 0x8086, 0x7113, 0x06, 0x80);
    // A single-function device whose function 1 decodes as an alias of function 0: not a device.
    config.add({0, 2, 0}, 0x1234, 0x1111, 0x03, 0x00);
    config.add({0, 2, 1}, 0x1234, 0x1111, 0x03, 0x00);
    // Function 0 absent: the slot is empty even though function 2 answers.
    config.add({0, 5, 2}, 0x1af4, 0x1000, 0x02, 0x00, reg::HEADER_MULTI_FUNCTION);

    Registry registry;
    registry.enumerate(config);
    CHECK(addresses_of(registry) ==
          std::vector<std::string>{"00:01.0", "00:01.1", "00:01.3", "00:02.0"});
    CHECK(registry.devices()[0].is_multi_function());
    CHECK(registry.devices()[0].header_type() == 0); // bit 7 stripped
    CHECK(registry.devices()[1].device_id() == 0x7010);
}

TEST_CASE("pci: a function reading vendor 0xffff or 0x0000 is absent", "[pci]") {
    FakeConfigSpace config;
    config.add({0, 0, 0}, 0x8086, 0x1237, 0x06, 0x00, reg::HEADER_MULTI_FUNCTION);
    config.add({0, 0, 1}, 0xffff, 0xffff, 0xff, 0xff);
    config.add({0, 0, 2}, 0x0000, 0x0000, 0x00, 0x00);
    config.add({0, 0, 4}, 0x8086, 0x1238, 0x06, 0x00);
    config.add({0, 7, 0}, 0xffff, 0x1234, 0x02, 0x00);
    Registry registry;
    registry.enumerate(config);
    CHECK(addresses_of(registry) == std::vector<std::string>{"00:00.0", "00:00.4"});
}

TEST_CASE("pci: bridges lead to their secondary buses", "[pci]") {
    FakeConfigSpace config;
    config.add({0, 0, 0}, 0x8086, 0x29c0, 0x06, 0x00);
    config.bridge({0, 4, 0}, 1);
    config.add({0, 6, 0}, 0x8086, 0x100e, 0x02, 0x00);
    config.add({1, 0, 0}, 0x10ec, 0x8139, 0x02, 0x00);
    config.bridge({1, 2, 0}, 2); // a bridge behind a bridge
    config.add({2, 31, 0}, 0x1af4, 0x1001, 0x01, 0x00);
    config.add({5, 0, 0}, 0x1af4, 0x1002, 0x01, 0x00); // no bridge leads here

    Registry registry;
    registry.enumerate(config);
    CHECK(addresses_of(registry) == std::vector<std::string>{"00:00.0", "00:04.0", "00:06.0",
                                                             "01:00.0", "01:02.0", "02:1f.0"});
    CHECK(registry.devices()[1].is_bridge());
    CHECK(registry.devices()[1].header_type() == reg::HEADER_BRIDGE);
}

TEST_CASE("pci: unconfigured and looping bridges end the walk", "[pci]") {
    FakeConfigSpace config;
    config.bridge({0, 1, 0}, 0); // secondary bus never assigned
    config.bridge({0, 2, 0}, 3);
    config.bridge({3, 0, 0}, 0); // unconfigured too
    config.bridge({3, 1, 0}, 3); // points at its own bus
    config.bridge({3, 2, 0}, 4);
    config.bridge({4, 0, 0}, 3); // loop 3 -> 4 -> 3
    Registry registry;
    registry.enumerate(config);
    CHECK(addresses_of(registry) == std::vector<std::string>{"00:01.0", "00:02.0", "03:00.0",
                                                             "03:01.0", "03:02.0", "04:00.0"});
}

TEST_CASE("pci: BAR decoding of I/O, 32-bit, 64-bit and unimplemented BARs", "[pci]") {
    FakeConfigSpace config;
    auto& function = config.add({0, 9, 0}, 0x1b36, 0x0010, 0x01, 0x08);
    FakeConfigSpace::memory64_bar(function, 0, 0x0000000800000000ull, 8 * nk::GiB, true);
    // bar2 unimplemented (reads zero, ignores writes)
    FakeConfigSpace::io_bar(function, 3, 0x1000, 256, /*io16=*/true);
    FakeConfigSpace::memory32_bar(function, 4, 0xe0000000, 16 * 1024 * 1024, true);
    FakeConfigSpace::memory64_bar(function, 5, 0xfe000000, 4096); // no room for the upper half
    FakeConfigSpace::command(function, reg::COMMAND_MEMORY_SPACE | reg::COMMAND_BUS_MASTER);

    Registry registry;
    registry.enumerate(config);
    REQUIRE(registry.devices().size() == 1);
    const PciDevice& device = registry.devices()[0];

    const Bar& bar0 = device.bar(0);
    CHECK(bar0.kind == BarKind::Memory64);
    CHECK(bar0.is_memory());
    CHECK(bar0.prefetchable);
    CHECK(bar0.address == 0x0000000800000000ull);
    CHECK(bar0.size == 8 * nk::GiB);
    CHECK(device.bar(1).kind == BarKind::None); // the upper half of bar0
    CHECK_FALSE(device.bar(2).is_present());
    CHECK(device.bar(3).is_io());
    CHECK(device.bar(3).address == 0x1000);
    CHECK(device.bar(3).size == 256);
    CHECK(device.bar(4).kind == BarKind::Memory32);
    CHECK(device.bar(4).prefetchable);
    CHECK(device.bar(4).address == 0xe0000000);
    CHECK(device.bar(4).size == 16 * 1024 * 1024);
    CHECK(device.bar(5).kind == BarKind::None);

    CHECK(config.probes_while_decoding == 0);
    CHECK(config.read16({0, 9, 0}, reg::COMMAND) ==
          (reg::COMMAND_MEMORY_SPACE | reg::COMMAND_BUS_MASTER));
    CHECK(config.read32({0, 9, 0}, reg::BAR0 + 4) == 0x8); // upper half restored
    CHECK(config.read32({0, 9, 0}, reg::BAR0 + 12) == (0x1000 | reg::BAR_SPACE_IO));
}

TEST_CASE("pci: a small 64-bit BAR below 4 GiB and a 32-bit I/O BAR", "[pci]") {
    FakeConfigSpace config;
    auto& function = config.add({0, 1, 0}, 0x8086, 0x10d3, 0x02, 0x00);
    FakeConfigSpace::memory64_bar(function, 0, 0xfebf0000, 16 * 1024);
    FakeConfigSpace::io_bar(function, 2, 0xd020, 32);
    Registry registry;
    registry.enumerate(config);
    const PciDevice& device = registry.devices()[0];
    CHECK(device.bar(0).kind == BarKind::Memory64);
    CHECK(device.bar(0).address == 0xfebf0000);
    CHECK(device.bar(0).size == 16 * 1024);
    CHECK(device.bar(2).kind == BarKind::Io);
    CHECK(device.bar(2).size == 32);
    CHECK(device.bar(2).address == 0xd020);
}

TEST_CASE("pci: bridges have two BARs and CardBus bridges none", "[pci]") {
    FakeConfigSpace config;
    auto& bridge = config.bridge({0, 1, 0}, 0);
    FakeConfigSpace::memory32_bar(bridge, 1, 0xfd000000, 4096);
    // Offset 0x18 in a type 1 header is the bus number register, not a third BAR.
    auto& cardbus = config.add({0, 2, 0}, 0x104c, 0xac50, 0x06, 0x07, reg::HEADER_CARDBUS);
    FakeConfigSpace::memory32_bar(cardbus, 0, 0xfc000000, 4096);
    Registry registry;
    registry.enumerate(config);
    REQUIRE(registry.devices().size() == 2);
    CHECK(kernel::pci::bar_count(reg::HEADER_BRIDGE) == 2);
    CHECK(registry.devices()[0].bar(1).size == 4096);
    CHECK_FALSE(registry.devices()[0].bar(2).is_present());
    CHECK_FALSE(registry.devices()[1].bar(0).is_present());
    CHECK(config.read8({0, 1, 0}, reg::PRIMARY_BUS) == 0); // untouched
}

TEST_CASE("pci: command bits are set with 16-bit writes", "[pci]") {
    FakeConfigSpace config;
    auto& nic = add_e1000(config, {0, 3, 0});
    FakeConfigSpace::command(nic, 0);
    nic.bytes[reg::STATUS + 1] = 0x80; // a write-1-to-clear status bit that must survive
    Registry registry;
    registry.enumerate(config);
    PciDevice& device = registry.devices()[0];

    device.enable_memory_space();
    CHECK(device.command() == reg::COMMAND_MEMORY_SPACE);
    device.enable_io_space();
    device.enable_bus_mastering();
    CHECK(device.command() ==
          (reg::COMMAND_MEMORY_SPACE | reg::COMMAND_IO_SPACE | reg::COMMAND_BUS_MASTER));
    device.disable_bus_mastering();
    CHECK(device.command() == (reg::COMMAND_MEMORY_SPACE | reg::COMMAND_IO_SPACE));
    CHECK(config.dword_command_writes == 0);
    CHECK(device.read8(reg::STATUS + 1) == 0x80);
}

TEST_CASE("pci: find by id and by class walk every match", "[pci]") {
    FakeConfigSpace config;
    add_e1000(config, {0, 3, 0});
    config.add({0, 4, 0}, 0x8086, 0x7010, 0x01, 0x01);
    add_e1000(config, {0, 5, 0});
    config.add({0, 6, 0}, 0x10ec, 0x8139, 0x02, 0x00);
    Registry registry;
    registry.enumerate(config);

    PciDevice* first = registry.find_by_id(0x8086, 0x100e);
    REQUIRE(first);
    CHECK(first->address() == Address{0, 3, 0});
    PciDevice* second = registry.find_by_id(0x8086, 0x100e, first);
    REQUIRE(second);
    CHECK(second->address() == Address{0, 5, 0});
    CHECK(registry.find_by_id(0x8086, 0x100e, second) == nullptr);
    CHECK(registry.find_by_id(0x8086, 0x1234) == nullptr);

    int network = 0;
    for (PciDevice* d = registry.find_by_class(0x02); d;
         d = registry.find_by_class(0x02, PciId::ANY, d))
        ++network;
    CHECK(network == 3);
    PciDevice* ide = registry.find_by_class(0x01, 0x01);
    REQUIRE(ide);
    CHECK(ide->device_id() == 0x7010);
    CHECK(registry.find_by_class(0x01, 0x06) == nullptr);
}

TEST_CASE("pci: the table holds MAX_DEVICES functions and counts the rest", "[pci]") {
    FakeConfigSpace config;
    for (u8 device = 0; device < 32; ++device) {
        for (u8 function = 0; function < 8; ++function)
            config.add({0, device, function}, 0x8086, u16(device * 8 + function), 0x02, 0x00,
                       reg::HEADER_MULTI_FUNCTION);
    }
    config.bridge({0, 31, 7}, 1); // beyond the table, still followed
    config.add({1, 0, 0}, 0x1234, 0x5678, 0x02, 0x00);
    Registry registry;
    registry.enumerate(config);
    CHECK(registry.devices().size() == Registry::MAX_DEVICES);
    CHECK(registry.dropped_devices() == 256 + 1 - Registry::MAX_DEVICES);
}

namespace {

struct ProbeLog {
    std::vector<std::string> calls;
    bool fail = false;
} g_probe_log;

nk::ErrorOr probe_nic(PciDevice& device) {
    g_probe_log.calls.push_back("nic " + line_of(device).substr(0, 7));
    if (g_probe_log.fail)
        return nk::Error::NoDevice;
    device.enable_bus_mastering();
    return {};
}

nk::ErrorOr probe_storage(PciDevice& device) {
    g_probe_log.calls.push_back("storage " + line_of(device).substr(0, 7));
    return {};
}

nk::ErrorOr probe_any_network(PciDevice& device) {
    g_probe_log.calls.push_back("fallback " + line_of(device).substr(0, 7));
    return {};
}

constexpr PciId NIC_IDS[] = {{0x8086, 0x100e}, {0x8086, 0x100f}};
const PciDriver NIC_DRIVER = {"e1000", NIC_IDS, probe_nic};
constexpr PciId STORAGE_IDS[] = {{PciId::ANY, PciId::ANY, 0x01, 0x01}};
const PciDriver STORAGE_DRIVER = {"ide", STORAGE_IDS, probe_storage};
constexpr PciId NETWORK_IDS[] = {{PciId::ANY, PciId::ANY, 0x02}};
const PciDriver NETWORK_DRIVER = {"netfallback", NETWORK_IDS, probe_any_network};

} // namespace

TEST_CASE("pci: drivers registered before enumeration are probed by it", "[pci]") {
    g_probe_log = {};
    FakeConfigSpace config;
    add_e1000(config, {0, 3, 0});
    config.add({0, 1, 1}, 0x8086, 0x7010, 0x01, 0x01); // function 0 absent: not found
    config.add({0, 4, 0}, 0x8086, 0x7010, 0x01, 0x01);
    FakeConfigSpace::command(add_e1000(config, {0, 5, 0}), 0);
    Registry registry;
    REQUIRE(registry.register_driver(NIC_DRIVER).has_value());
    REQUIRE(registry.register_driver(STORAGE_DRIVER).has_value());
    CHECK(g_probe_log.calls.empty());
    registry.enumerate(config);

    CHECK(g_probe_log.calls ==
          std::vector<std::string>{"nic 00:03.0", "storage 00:04.0", "nic 00:05.0"});
    CHECK(registry.find_by_id(0x8086, 0x100e)->driver() == &NIC_DRIVER);
    CHECK(registry.find_by_class(0x01, 0x01)->driver() == &STORAGE_DRIVER);
    CHECK((config.read16({0, 5, 0}, reg::COMMAND) & reg::COMMAND_BUS_MASTER));
    CHECK(registry.drivers().size() == 2);
}

TEST_CASE("pci: a driver registered later is probed at once; failures leave devices free",
          "[pci]") {
    g_probe_log = {};
    FakeConfigSpace config;
    add_e1000(config, {0, 3, 0});
    config.add({0, 6, 0}, 0x10ec, 0x8139, 0x02, 0x00);
    Registry registry;
    registry.enumerate(config);
    CHECK(g_probe_log.calls.empty());

    g_probe_log.fail = true;
    REQUIRE(registry.register_driver(NIC_DRIVER).has_value());
    CHECK(g_probe_log.calls == std::vector<std::string>{"nic 00:03.0"});
    CHECK(registry.devices()[0].driver() == nullptr);

    g_probe_log.calls.clear();
    REQUIRE(registry.register_driver(NETWORK_DRIVER).has_value());
    CHECK(g_probe_log.calls == std::vector<std::string>{"fallback 00:03.0", "fallback 00:06.0"});
    CHECK(registry.devices()[0].driver() == &NETWORK_DRIVER);
    CHECK(registry.devices()[1].driver() == &NETWORK_DRIVER);

    // Bound devices are not offered again; a second registration of the same driver is refused.
    g_probe_log.calls.clear();
    REQUIRE(registry.register_driver(STORAGE_DRIVER).has_value());
    CHECK(registry.register_driver(NIC_DRIVER).error() == nk::Error::Exists);
    CHECK(g_probe_log.calls.empty());

    const PciDriver no_probe = {"broken", NIC_IDS, nullptr};
    CHECK(registry.register_driver(no_probe).error() == nk::Error::Invalid);
}

TEST_CASE("pci: the driver table is bounded", "[pci]") {
    static PciDriver drivers[Registry::MAX_DRIVERS + 1];
    Registry registry;
    for (auto& driver : drivers)
        driver = {"d", NIC_IDS, probe_storage};
    for (nk::usize i = 0; i < Registry::MAX_DRIVERS; ++i)
        REQUIRE(registry.register_driver(drivers[i]).has_value());
    CHECK(registry.register_driver(drivers[Registry::MAX_DRIVERS]).error() == nk::Error::Busy);
}

TEST_CASE("pci: listing lines follow the documented format", "[pci]") {
    FakeConfigSpace config;
    config.add({0, 0, 0}, 0x8086, 0x1237, 0x06, 0x00, 0, 0x02);
    auto& isa = config.add({0, 1, 0}, 0x8086, 0x7000, 0x06, 0x01, reg::HEADER_MULTI_FUNCTION);
    FakeConfigSpace::interrupt(isa, 0, 0);
    auto& ide = config.add({0, 1, 1}, 0x8086, 0x7010, 0x01, 0x01);
    FakeConfigSpace::io_bar(ide, 4, 0xc040, 16);
    auto& vga = config.add({0, 2, 0}, 0x1234, 0x1111, 0x03, 0x00, 0, 0x02);
    FakeConfigSpace::memory32_bar(vga, 0, 0xfd000000, 16 * 1024 * 1024, true);
    FakeConfigSpace::memory32_bar(vga, 2, 0xfebd0000, 4096);
    add_e1000(config, {0, 3, 0});
    auto& unrouted = config.add({0, 4, 0}, 0x1b36, 0x000d, 0x0c, 0x03, 0, 0x01);
    FakeConfigSpace::interrupt(unrouted, 0xff, 1);
    FakeConfigSpace::memory64_bar(unrouted, 0, 0x0000008000000000ull, 2 * nk::GiB, true);
    config.add({0, 5, 0}, 0xabcd, 0x0001, 0x42, 0x00);
    config.bridge({0, 6, 0}, 0);

    Registry registry;
    registry.enumerate(config);
    const char* expected = "00:00.0 8086:1237 Host bridge (rev 02)\n"
                           "00:01.0 8086:7000 ISA bridge (rev 00)\n"
                           "00:01.1 8086:7010 IDE interface (rev 00) bar4 io 0xc040 16\n"
                           "00:02.0 1234:1111 VGA compatible controller (rev 02) bar0 mem "
                           "0xfd000000 16M pref bar2 mem 0xfebd0000 4K\n"
                           "00:03.0 8086:100e Ethernet controller (rev 03) irq 11 bar0 mem "
                           "0xfebc0000 128K bar1 io 0xc000 64\n"
                           "00:04.0 1b36:000d USB controller (rev 01) bar0 mem64 0x8000000000 2G "
                           "pref\n"
                           "00:05.0 abcd:0001 Unknown class (rev 00)\n"
                           "00:06.0 8086:244e PCI bridge (rev 00)\n";
    char buffer[2048];
    nk::usize length = registry.format_listing(buffer, sizeof buffer);
    CHECK(std::string(buffer) == expected);
    CHECK(length == std::strlen(expected));

    // A short buffer gets whole lines only.
    char small[90];
    length = registry.format_listing(small, sizeof small);
    CHECK(std::string(small) == "00:00.0 8086:1237 Host bridge (rev 02)\n"
                                "00:01.0 8086:7000 ISA bridge (rev 00)\n");
    CHECK(length == std::strlen(small));
    CHECK(registry.format_listing(small, 1) == 0);
    CHECK(small[0] == '\0');
}

TEST_CASE("pci: format_device_line truncates like snprintf", "[pci]") {
    FakeConfigSpace config;
    add_e1000(config, {0, 3, 0});
    Registry registry;
    registry.enumerate(config);
    char tiny[8];
    nk::usize full = kernel::pci::format_device_line(registry.devices()[0], tiny, sizeof tiny);
    CHECK(std::string(tiny) == "00:03.0");
    CHECK(full == line_of(registry.devices()[0]).size());
    CHECK(kernel::pci::format_device_line(registry.devices()[0], nullptr, 0) == full);
}

TEST_CASE("pci: class names fall back from subclass to class", "[pci]") {
    using kernel::pci::class_name;
    CHECK(std::string(class_name(0x02, 0x00)) == "Ethernet controller");
    CHECK(std::string(class_name(0x02, 0x07)) == "Network controller");
    CHECK(std::string(class_name(0x01, 0x01)) == "IDE interface");
    CHECK(std::string(class_name(0x06, 0x04)) == "PCI bridge");
    CHECK(std::string(class_name(0x06, 0x33)) == "Bridge");
    CHECK(std::string(class_name(0x03, 0x00)) == "VGA compatible controller");
    CHECK(std::string(class_name(0x77, 0x00)) == "Unknown class");
    CHECK(std::string(class_name(0xff, 0x00)) == "Unassigned class");
}
