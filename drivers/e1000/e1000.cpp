// e1000: the driver of Intel's 8254x gigabit Ethernet controllers as an extension of the net
// class — QEMU's default NIC, the 82540EM (8086:100E), and the 82545EM (100F), which programs the
// same way. The 82543GC (1004) is accepted too: it predates the manual followed here and has no
// EERD (its address comes from RAL0/RAH0); untested. One controller, registered as eth0.
//
// init is the whole bring-up, global reset included (e1000_controller.cpp, SDM chapter 14), so
// a restart after a crash is a fresh start on a device in a known state: the same code path as
// the first load. Interrupts are enabled last, once the handler is installed.
//
// Receive: the interrupt handler reads ICR (which acknowledges it), takes every descriptor the
// device has finished, checks what the device wrote (it is untrusted input: length, EOP, the
// errors byte) and hands the good frames to the kernel in batches of up to NOOKS_NET_BATCH_MAX
// with one nk_netif_rx_batch each — for an isolated driver every call is a domain crossing, so
// crossings per frame is what costs — then gives the descriptors back (RDT). Transmit copies the
// frame into the next descriptor's DMA buffer and moves TDT; a full ring is -NK_EBUSY, never a
// wait.
//
// Load parameters: irq_rate=N (most interrupts per second, ITR; default 8000, 0 for no
// moderation), trace=1 (log every register write).
#include "e1000_controller.h"

#include <nooks/extension.h>
#include <nooks/kernel_api.h>
#include <nooks/net.h>
#include <nooks/support.h>
#include <stdarg.h>

namespace {

using namespace e1000;

constexpr uint16_t INTEL = 0x8086;
struct KnownController {
    uint16_t device;
    const char* name;
    bool has_eerd;
};
constexpr KnownController CONTROLLERS[] = {
    {0x100e, "82540EM", true}, {0x100f, "82545EM", true}, {0x1004, "82543GC", false}};

// One driver drives every 8254x it can claim, up to MAX_NICS: eth0, eth1...
constexpr unsigned MAX_NICS = 2;
constexpr uint32_t MTU = 1500;
constexpr uint32_t RX_RING = 256;
constexpr uint32_t TX_RING = 256;
constexpr uint32_t DEFAULT_INTERRUPT_RATE = 8000;
constexpr uint32_t MAX_INTERRUPT_RATE = 1000000;
// The device's clear-on-read counters are folded into 64-bit totals this often (and whenever
// the status is asked for): GORC's and GOTC's low halves wrap at 4 GiB, 34 s at line rate.
constexpr uint64_t STATISTICS_PERIOD_MS = 10000;
// The causes the driver handles (13.4.20): a stored frame, an overrun, the free part of the
// receive ring running low, a link change. Not TXDW: transmit() frees finished descriptors
// itself, so an interrupt per written-back descriptor would only add crossings (measured on a
// burst of 480 frames: 884 crossings with it, 643 without).
constexpr uint32_t HANDLED_INTERRUPTS =
    mask(Interrupt::RXT0, Interrupt::RXO, Interrupt::RXDMT0, Interrupt::LSC);
constexpr uint32_t RECEIVE_INTERRUPTS = mask(Interrupt::RXT0, Interrupt::RXO, Interrupt::RXDMT0);
constexpr uint8_t TRANSMIT_COMMAND = uint8_t(mask(TxCommand::EOP, TxCommand::IFCS, TxCommand::RS));

// What the driver counts itself (`ext stats`, and the log when it stops).
struct Counters {
    uint64_t interrupts;
    uint64_t interrupts_not_ours; // a shared line: ICR read 0
    uint64_t rx_frames;           // handed to the kernel
    uint64_t rx_bytes;
    uint64_t rx_batches; // nk_netif_rx_batch calls
    uint64_t rx_largest_batch;
    uint64_t rx_length_errors;   // outside 14..1518 bytes
    uint64_t rx_crc_errors;      // RDESC.ERRORS CE
    uint64_t rx_frame_errors;    // SE, SEQ, CXE, RXE
    uint64_t rx_checksum_errors; // IPE, TCPE
    uint64_t rx_fragments;       // a frame over several buffers (no EOP): never expected
    uint64_t rx_unregistered;    // good frames before eth0 was registered or after it went
    uint64_t rx_overruns;        // ICR.RXO
    uint64_t rx_low_descriptors; // ICR.RXDMT0
    uint64_t rx_rescheduled;     // a handler that left work for the next interrupt
    uint64_t tx_frames;
    uint64_t tx_bytes;
    uint64_t tx_calls;   // transmit() and transmit_batch() calls that queued frames
    uint64_t tx_batches; // of them, transmit_batch()
    uint64_t tx_ring_full;
    uint64_t tx_invalid; // a bad length from the kernel
    uint64_t tx_failed;  // excess or late collisions reported in TDESC.STA
    uint64_t link_changes;
};

struct Nic {
    char name[8]; // eth0, eth1...
    const KnownController* model;
    nk_pci_device pci;
    nk_mmio_handle mmio;
    uint64_t mmio_address;
    RegisterWindow registers;
    unsigned irq;
    nk_irq_handle irq_handle;
    nk_timer_handle statistics_timer;
    // Read by the interrupt handler: set once eth0 is registered, cleared before it goes.
    nk_netdev_handle volatile netdev;
    nooks_net_rx_area rx_area;        // isolated: where received frames wait for the kernel
    volatile bool rx_area_registered; // else each batch goes out with nk_netif_rx_batch
    uint8_t mac[MAC_LENGTH];
    const char* mac_source;
    uint32_t interrupt_rate;
    ReceiveRing rx; // only the interrupt handler touches it once interrupts are on
    TransmitRing tx;
    nk_spinlock statistics_lock; // `device`: the timer, the status and exit
    bool discarding;             // dropping the rest of a frame that spans buffers
    Counters counters;
    DeviceStatistics device;
};

constinit Nic g_nics[MAX_NICS] = {};
unsigned g_nic_count = 0;

// ---- Receive

// Whether the frame in a finished descriptor may go to the kernel; counts why not.
bool acceptable(Nic& nic, const ReceivedBuffer& buffer) {
    Counters& counters = nic.counters;
    bool end_of_packet = has(buffer.status, RxStatus::EOP);
    if (nic.discarding) { // the rest of a frame counted already
        nic.discarding = !end_of_packet;
        return false;
    }
    if (!end_of_packet) {
        // With 2 KiB buffers and long packets off the device never splits a frame (RCTL.LPE).
        ++counters.rx_fragments;
        nic.discarding = true;
        return false;
    }
    if (buffer.errors) {
        if (has(buffer.errors, RxError::CE))
            ++counters.rx_crc_errors;
        else if (buffer.errors & mask(RxError::IPE, RxError::TCPE))
            ++counters.rx_checksum_errors;
        else
            ++counters.rx_frame_errors;
        return false;
    }
    if (buffer.length < MIN_FRAME || buffer.length > MAX_FRAME) {
        ++counters.rx_length_errors;
        return false;
    }
    return true;
}

// A batch handed to the kernel, counted (frames per batch is frames per crossing).
void count_batch(Counters& counters, const nooks_net_frame* batch, uint32_t count) {
    ++counters.rx_batches;
    counters.rx_frames += count;
    for (uint32_t i = 0; i < count; ++i)
        counters.rx_bytes += batch[i].length;
    if (count > counters.rx_largest_batch)
        counters.rx_largest_batch = count;
}

// Every descriptor taken so far goes back to the device.
void give_back(Nic& nic) {
    long tail = nic.rx.give_back();
    if (tail >= 0)
        nic.registers.write(reg::RDT, uint32_t(tail));
}

// Hands `count` frames to the kernel in one call (it copies them before returning), then gives
// their descriptors back.
void deliver(Nic& nic, const nooks_net_frame* batch, uint32_t count) {
    if (count > 0) {
        if (nk_netdev_handle netdev = nic.netdev) {
            nk_netif_rx_batch(netdev, batch, count);
            count_batch(nic.counters, batch, count);
        } else {
            nic.counters.rx_unregistered += count;
        }
    }
    give_back(nic);
}

// Isolated: one batch per interrupt left in the receive area (nk_netif_rx_area), which the
// kernel takes as this handler's crossing returns — no call out of the handler. Its descriptors
// go back to the device at the next interrupt, once the kernel has emptied the area.
void receive_into_area(Nic& nic) {
    nooks_net_rx_area& area = nic.rx_area;
    if (area.count != 0) {
        // Not taken yet (the kernel takes it as every handler's crossing returns): come back
        // for the ring once it has been.
        nic.registers.write(reg::ICS, mask(Interrupt::RXT0));
        return;
    }
    give_back(nic); // the last batch's: the kernel has taken it
    uint32_t batched = 0;
    while (batched < NOOKS_NET_BATCH_MAX && nic.rx.ready()) {
        ReceivedBuffer buffer = nic.rx.take();
        if (!acceptable(nic, buffer))
            continue;
        area.frames[batched++] = {buffer.data, buffer.length, 0};
    }
    if (batched) {
        count_batch(nic.counters, area.frames, batched);
        area.count = batched; // last: the kernel reads the frames once it sees the count
    }
    if (nic.rx.ready()) {
        ++nic.counters.rx_rescheduled;
        nic.registers.write(reg::ICS, mask(Interrupt::RXT0));
    }
}

// Every finished descriptor, at most one ring's worth per interrupt so the handler stays short;
// what is left raises the interrupt again (ICS) instead of waiting for the next frame.
void receive(Nic& nic) {
    if (nic.rx_area_registered) {
        receive_into_area(nic);
        return;
    }
    nooks_net_frame batch[NOOKS_NET_BATCH_MAX];
    uint32_t batched = 0;
    uint32_t budget = nic.rx.count();
    for (; budget > 0 && nic.rx.ready(); --budget) {
        ReceivedBuffer buffer = nic.rx.take();
        if (!acceptable(nic, buffer))
            continue;
        batch[batched++] = {buffer.data, buffer.length, 0};
        if (batched == NOOKS_NET_BATCH_MAX) {
            deliver(nic, batch, batched);
            batched = 0;
        }
    }
    if (batched)
        deliver(nic, batch, batched);
    else
        give_back(nic); // dropped frames' descriptors
    if (budget == 0 && nic.rx.ready()) {
        ++nic.counters.rx_rescheduled;
        nic.registers.write(reg::ICS, mask(Interrupt::RXT0));
    }
}

// ---- Transmit

// Frees the descriptors the device has sent.
void reclaim(Nic& nic) {
    Reclaimed reclaimed = nic.tx.reclaim();
    nic.counters.tx_failed += reclaimed.failed;
}

nk_status transmit(void* device, const void* frame, size_t length) {
    Nic& nic = *static_cast<Nic*>(device);
    if (!frame || length < MIN_FRAME || length > MAX_FRAME) {
        ++nic.counters.tx_invalid;
        return -NK_EINVAL;
    }
    // Only transmit() touches the transmit ring, and the kernel calls it one at a time (net.h):
    // no lock, so no interrupt of the device's is held back and replayed by a crossing.
    reclaim(nic);
    long tail = nic.tx.enqueue(frame, uint32_t(length), TRANSMIT_COMMAND);
    if (tail >= 0) {
        nic.registers.write(reg::TDT, uint32_t(tail));
        ++nic.counters.tx_calls;
        ++nic.counters.tx_frames;
        nic.counters.tx_bytes += length;
    } else {
        ++nic.counters.tx_ring_full;
    }
    return tail >= 0 ? 0 : tail;
}

// Several frames, one crossing and one TDT write: the device sees the whole batch at once.
nk_status transmit_batch(void* device, const nooks_net_frame* frames, uint32_t count) {
    Nic& nic = *static_cast<Nic*>(device);
    if (!frames || count > NOOKS_NET_BATCH_MAX)
        return -NK_EINVAL;
    reclaim(nic);
    uint32_t taken = 0;
    long tail = -1;
    for (; taken < count; ++taken) {
        const nooks_net_frame& frame = frames[taken];
        if (!frame.data || frame.length < MIN_FRAME || frame.length > MAX_FRAME) {
            ++nic.counters.tx_invalid;
            if (taken == 0)
                return -NK_EINVAL;
            break;
        }
        long queued = nic.tx.enqueue(frame.data, frame.length, TRANSMIT_COMMAND);
        if (queued < 0) {
            ++nic.counters.tx_ring_full;
            break;
        }
        tail = queued;
        ++nic.counters.tx_frames;
        nic.counters.tx_bytes += frame.length;
    }
    if (tail >= 0) {
        nic.registers.write(reg::TDT, uint32_t(tail));
        ++nic.counters.tx_calls;
        ++nic.counters.tx_batches;
    }
    return taken ? nk_status(taken) : -NK_EBUSY;
}

// ---- Interrupts, link, statistics

void report_link(Nic& nic) {
    LinkState link = link_state(nic.registers);
    if (nk_netdev_handle netdev = nic.netdev)
        nk_netif_link(netdev, link.up ? 1 : 0);
    if (link.up)
        nk_log("%s: link up, %u Mb/s %s duplex\n", nic.name, unsigned(link.mbps),
               link.full_duplex ? "full" : "half");
    else
        nk_log("%s: link down\n", nic.name);
}

int handle_interrupt(void* context) {
    Nic& nic = *static_cast<Nic*>(context);
    // Reading ICR acknowledges every cause in it (13.4.17). Zero: another device on a shared
    // line. All ones: the device no longer answers (nothing in it can be believed).
    uint32_t cause = nic.registers.read(reg::ICR);
    if (cause == 0 || cause == ALL_INTERRUPTS) {
        ++nic.counters.interrupts_not_ours;
        return 0;
    }
    ++nic.counters.interrupts;
    if (has(cause, Interrupt::LSC)) {
        ++nic.counters.link_changes;
        if (link_state(nic.registers).up)
            set_collision_distance(nic.registers);
        report_link(nic);
    }
    if (has(cause, Interrupt::RXO))
        ++nic.counters.rx_overruns;
    if (has(cause, Interrupt::RXDMT0))
        ++nic.counters.rx_low_descriptors;
    if (cause & RECEIVE_INTERRUPTS)
        receive(nic);

    return 1;
}

void harvest(Nic& nic) {
    unsigned long flags = nk_spin_lock_irqsave(&nic.statistics_lock);
    harvest_statistics(nic.registers, nic.device);
    nk_spin_unlock_irqrestore(&nic.statistics_lock, flags);
}

void harvest_timer(void* context) {
    harvest(*static_cast<Nic*>(context));
}

// ---- Status text

struct ModerationText {
    char text[40];
};
ModerationText moderation(const Nic& nic) {
    ModerationText out = {"no interrupt moderation"};
    if (nic.interrupt_rate)
        nk_snprintf(out.text, sizeof out.text, "at most %u interrupts/s",
                    unsigned(nic.interrupt_rate));
    return out;
}

struct Text {
    char* buffer;
    size_t size;
    size_t used;

    __attribute__((format(printf, 2, 3))) void add(const char* format, ...) {
        if (used + 1 >= size)
            return;
        va_list args;
        va_start(args, format);
        int wrote = nk_vsnprintf(buffer + used, size - used, format, args);
        va_end(args);
        if (wrote > 0)
            used = used + size_t(wrote) < size ? used + size_t(wrote) : size - 1;
    }
};

// Several lines for `ext stats e1000` (the net class's status op): the link, receive (with
// frames per rx batch: frames per crossing), transmit, interrupts and the device's own counters.
nk_status format_status(void* device, char* buffer, size_t size) {
    if (!buffer || size == 0)
        return -NK_EINVAL;
    Nic& nic = *static_cast<Nic*>(device);
    const Counters& c = nic.counters;
    Text text = {buffer, size, 0};
    buffer[0] = 0;
    char mac[18];
    format_mac(nic.mac, mac, sizeof mac);
    LinkState link = link_state(nic.registers);
    text.add("%s %s (%s, IRQ %u): link %s", nic.name, mac, nic.model->name, nic.irq,
             link.up ? "up" : "down");
    if (link.up)
        text.add(", %u Mb/s %s duplex", unsigned(link.mbps), link.full_duplex ? "full" : "half");
    uint64_t per_batch_x100 = c.rx_batches ? c.rx_frames * 100 / c.rx_batches : 0;
    text.add("\nrx: %lu frames, %lu bytes in %lu batches: %lu.%02lu frames per rx batch "
             "(largest %lu)\n",
             (unsigned long)c.rx_frames, (unsigned long)c.rx_bytes, (unsigned long)c.rx_batches,
             (unsigned long)(per_batch_x100 / 100), (unsigned long)(per_batch_x100 % 100),
             (unsigned long)c.rx_largest_batch);
    text.add("rx dropped: length %lu, crc %lu, frame %lu, checksum %lu, fragments %lu, "
             "unregistered %lu; overruns %lu, ring low %lu, rescheduled %lu\n",
             (unsigned long)c.rx_length_errors, (unsigned long)c.rx_crc_errors,
             (unsigned long)c.rx_frame_errors, (unsigned long)c.rx_checksum_errors,
             (unsigned long)c.rx_fragments, (unsigned long)c.rx_unregistered,
             (unsigned long)c.rx_overruns, (unsigned long)c.rx_low_descriptors,
             (unsigned long)c.rx_rescheduled);
    text.add("tx: %lu frames, %lu bytes in %lu calls (%lu batches): %lu.%02lu frames per tx call\n",
             (unsigned long)c.tx_frames, (unsigned long)c.tx_bytes, (unsigned long)c.tx_calls,
             (unsigned long)c.tx_batches,
             (unsigned long)(c.tx_calls ? c.tx_frames / c.tx_calls : 0),
             (unsigned long)(c.tx_calls ? c.tx_frames * 100 / c.tx_calls % 100 : 0));
    text.add("tx problems: ring full %lu, invalid %lu, failed %lu; in flight %u\n",
             (unsigned long)c.tx_ring_full, (unsigned long)c.tx_invalid, (unsigned long)c.tx_failed,
             unsigned(nic.tx.in_flight()));
    text.add("interrupts: %lu (not ours %lu), %s; link changes %lu\n", (unsigned long)c.interrupts,
             (unsigned long)c.interrupts_not_ours, moderation(nic).text,
             (unsigned long)c.link_changes);
    harvest(nic);
    const DeviceStatistics& d = nic.device;
    text.add("device: GPRC %lu GPTC %lu GORC %lu GOTC %lu TPR %lu TPT %lu MPC %lu RNBC %lu "
             "CRCERRS %lu ALGNERRC %lu SYMERRS %lu RXERRC %lu RLEC %lu RUC %lu ROC %lu COLC %lu",
             (unsigned long)d.good_packets_received, (unsigned long)d.good_packets_transmitted,
             (unsigned long)d.good_octets_received, (unsigned long)d.good_octets_transmitted,
             (unsigned long)d.total_packets_received, (unsigned long)d.total_packets_transmitted,
             (unsigned long)d.missed_packets, (unsigned long)d.no_buffers,
             (unsigned long)d.crc_errors, (unsigned long)d.alignment_errors,
             (unsigned long)d.symbol_errors, (unsigned long)d.receive_errors,
             (unsigned long)d.length_errors, (unsigned long)d.undersize, (unsigned long)d.oversize,
             (unsigned long)d.collisions);
    return 0;
}

void log_status(Nic& nic) {
    char text[1024];
    if (format_status(&nic, text, sizeof text) < 0)
        return;
    for (char* line = text; *line;) {
        char* end = strchr(line, '\n');
        if (end)
            *end = 0;
        nk_log("%s\n", line);
        if (!end)
            break;
        line = end + 1;
    }
}

// ---- Net-class operations

// Link up as the kernel sees it: the receiver and interrupts on. init left them on already, and
// RCTL is written only when the receiver is off: QEMU's e1000 model stops receiving for a whole
// second after every RCTL write (its flush_queue_timer), which would add a second to every
// restart, where the kernel opens the device again right after init.
nk_status open(void* device) {
    Nic& nic = *static_cast<Nic*>(device);
    if (!has(nic.registers.read(reg::RCTL), Rctl::EN))
        nic.registers.set(reg::RCTL, mask(Rctl::EN));
    nic.registers.write(reg::IMS, HANDLED_INTERRUPTS);
    return 0;
}

void stop(void* device) {
    Nic& nic = *static_cast<Nic*>(device);
    nic.registers.write(reg::IMC, ALL_INTERRUPTS);
    nic.registers.clear(reg::RCTL, mask(Rctl::EN));
    nic.registers.flush();
}

const nooks_net_ops g_ops = {open, stop, transmit, format_status, transmit_batch};

// ---- Bring-up and teardown

nk_status read_parameters(Nic& nic) {
    nic.interrupt_rate = DEFAULT_INTERRUPT_RATE;
    char value[16];
    if (nk_param("irq_rate", value, sizeof value) >= 0) {
        uint64_t rate = 0;
        const char* end = nk_parse_decimal(value, MAX_INTERRUPT_RATE, &rate);
        if (!end || *end) {
            nk_log("irq_rate=%s: expected 0 (no moderation) to %u interrupts per second\n", value,
                   unsigned(MAX_INTERRUPT_RATE));
            return -NK_EINVAL;
        }
        nic.interrupt_rate = uint32_t(rate);
    }
    if (nk_param("trace", value, sizeof value) >= 0)
        nic.registers.set_tracing(strcmp(value, "0") != 0);
    return 0;
}

nk_status claim(Nic& nic) {
    for (const KnownController& known : CONTROLLERS) {
        if (nk_pci_claim(INTEL, known.device, &nic.pci) == 0) {
            nic.model = &known;
            return 0;
        }
    }
    nic.pci = nullptr;
    return -NK_ENODEV;
}

nk_status map_registers(Nic& nic) {
    nk_pci_bar bar = {};
    nk_status status = nk_pci_get_bar(nic.pci, 0, &bar);
    if (status < 0 || bar.is_io || bar.address == 0 || bar.size < REGISTER_WINDOW_BYTES) {
        nk_log("BAR0 is not a %u KiB memory BAR\n", unsigned(REGISTER_WINDOW_BYTES / 1024));
        return -NK_ENODEV;
    }
    volatile void* base = nk_ioremap(bar.address, REGISTER_WINDOW_BYTES, &nic.mmio);
    if (!base)
        return -NK_ENOMEM;
    nic.mmio_address = bar.address;
    nic.registers.attach(base, REGISTER_WINDOW_BYTES);
    return 0;
}

// The EEPROM is the source of truth; RAL0/RAH0 (loaded from it at reset) when EERD is missing
// or fails.
nk_status read_mac(Nic& nic) {
    if (nic.model->has_eerd) {
        nk_status status = read_mac_from_eeprom(nic.registers, nic.mac);
        if (status == 0) {
            nic.mac_source = "EEPROM";
            return 0;
        }
        nk_log("EERD: %s; trying RAL0/RAH0\n",
               status == -NK_ETIMEDOUT ? "no answer" : "not a unicast address");
    }
    if (read_mac_from_receive_address(nic.registers, nic.mac) == 0) {
        nic.mac_source = "RAL0/RAH0";
        return 0;
    }
    nk_log("no valid Ethernet address in the EEPROM or RAL0/RAH0\n");
    return -NK_EIO;
}

// Reset and configure, in the manual's order (chapter 14), interrupts last.
nk_status start(Nic& nic) {
    nk_status status = map_registers(nic);
    if (status < 0)
        return status;
    // A restarted driver finds the device as the crashed one left it, bus mastering turned off
    // by the kernel: it is reset before bus mastering goes on again, so it never DMAs into
    // memory the old incarnation owned. Memory decoding off (all ones) means a device nobody
    // has set up since power-up: it must be enabled first to be reached at all.
    if (nic.registers.read(reg::STATUS) == 0xffffffffu)
        nk_pci_enable(nic.pci);
    status = reset(nic.registers);
    if (status < 0)
        return status;
    nk_pci_enable(nic.pci);

    status = read_mac(nic);
    if (status < 0)
        return status;
    configure_link_and_filters(nic.registers, nic.mac);
    clear_statistics(nic.registers);

    status = nic.rx.allocate(RX_RING);
    if (status == 0)
        status = nic.tx.allocate(TX_RING);
    if (status < 0) {
        nk_log("no DMA memory for the rings\n");
        return status;
    }
    nic.rx.reset();
    nic.tx.reset();
    configure_receive(nic.registers, nic.rx);
    configure_transmit(nic.registers, nic.tx);
    set_interrupt_rate(nic.registers, nic.interrupt_rate);

    nk_status line = nk_pci_irq_line(nic.pci);
    if (line < 0) {
        nk_log("no interrupt line\n");
        return line;
    }
    nic.irq = unsigned(line);
    status = nk_request_irq(nic.irq, handle_interrupt, &nic, &nic.irq_handle);
    if (status < 0) {
        nk_log("IRQ %u: cannot install the handler (%ld)\n", nic.irq, status);
        return status;
    }
    status = nk_timer_start(STATISTICS_PERIOD_MS, 1, harvest_timer, &nic, &nic.statistics_timer);
    if (status < 0)
        return status;
    nic.registers.write(reg::IMS, HANDLED_INTERRUPTS);

    nooks_net_device_info info = {};
    nk_strlcpy(info.name, nic.name, sizeof info.name);
    memcpy(info.mac, nic.mac, MAC_LENGTH);
    info.mtu = MTU;
    nk_netdev_handle netdev = nullptr;
    status = nk_netdev_register(&info, &g_ops, &nic, &netdev);
    if (status < 0) {
        nk_log("%s: cannot register (%ld)\n", nic.name, status);
        return status;
    }
    nic.netdev = netdev;
    // Isolated, the kernel takes received frames from the area after each interrupt crossing
    // (one crossing per interrupt); natively there is no crossing to save (-NK_ENOSYS).
    nic.rx_area_registered = nk_netif_rx_area(netdev, &nic.rx_area) == 0;
    return 0;
}

// Releases whatever start() got, in the reverse order; safe on a half-done start.
void teardown(Nic& nic, bool report) {
    if (nic.registers.attached())
        nic.registers.write(reg::IMC, ALL_INTERRUPTS);
    if (nk_netdev_handle netdev = nic.netdev) {
        nic.netdev = nullptr; // first: the handler must not pass a handle that is going
        nk_netdev_unregister(netdev);
    }
    if (nic.irq_handle)
        nk_free_irq(nic.irq_handle);
    nic.irq_handle = nullptr;
    if (nic.statistics_timer)
        nk_timer_cancel(nic.statistics_timer);
    nic.statistics_timer = nullptr;
    if (report && nic.registers.attached())
        log_status(nic);
    // The device is reset before its rings are freed and its bus mastering is turned off (the
    // claim's release) before the memory goes, so no DMA can land in freed memory.
    if (nic.registers.attached() && reset(nic.registers) < 0)
        nk_log("the device did not reset; its bus mastering goes off with the claim\n");
    if (nic.mmio)
        nk_iounmap(nic.mmio);
    nic.mmio = nullptr;
    nic.registers.detach();
    if (nic.pci)
        nk_pci_release(nic.pci);
    nic.pci = nullptr;
    nic.rx.release();
    nic.tx.release();
}

// Every controller it can claim, in the order the kernel found them: the first must start;
// one after it that does not is released and the others go on.
nk_status e1000_init() {
    g_nic_count = 0;
    for (unsigned index = 0; index < MAX_NICS; ++index) {
        Nic& nic = g_nics[index];
        nic = Nic{};
        nk_snprintf(nic.name, sizeof nic.name, "eth%u", index);
        nk_status status = read_parameters(nic);
        if (status < 0)
            return status;
        status = claim(nic);
        if (status < 0) {
            if (index > 0)
                break;
            nk_log("no free 8254x controller (8086:100e, 100f or 1004)\n");
            return status;
        }
        status = start(nic);
        if (status < 0) {
            teardown(nic, false);
            if (index == 0) {
                return status;
            }
            nk_log("%s: not started (%ld)\n", nic.name, status);
            break;
        }
        char mac[18];
        format_mac(nic.mac, mac, sizeof mac);
        nk_log("%s: %s at 0x%lx, IRQ %u, MAC %s (%s), rings %u/%u, %s\n", nic.name, nic.model->name,
               (unsigned long)nic.mmio_address, nic.irq, mac, nic.mac_source,
               unsigned(nic.rx.count()), unsigned(nic.tx.count()), moderation(nic).text);
        report_link(nic);
        g_nic_count = index + 1;
    }
    return 0;
}

void e1000_exit() {
    for (unsigned index = g_nic_count; index-- > 0;)
        teardown(g_nics[index], true);
    g_nic_count = 0;
}

} // namespace

NOOKS_MODULE("e1000", NOOKS_CLASS_NET, e1000_init, e1000_exit, &g_ops);
