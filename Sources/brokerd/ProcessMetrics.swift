import CAllocatorStatistics
import Foundation
import Prometheus

#if canImport(Glibc)
import Glibc
#endif

/// Prometheus's standard process metrics (`process_*`), the C allocator's (`sluice_heap_*`) and
/// `sluice_build_info`, read from `/proc` and `mallinfo2` when `/metrics` is scraped.
///
/// The heap figures tell a leak from memory the allocator keeps: resident memory that rises while
/// `sluice_heap_allocated_bytes` stays flat is free memory glibc holds in its arenas
/// (`sluice_heap_free_bytes`), not live objects.
final class ProcessMetrics: @unchecked Sendable {
    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let openDescriptors: Gauge
    private let maxDescriptors: Gauge
    private let startTime: Gauge
    private let cpuSeconds: Counter
    /// `nil` where the C library cannot tell (not glibc 2.33 or later).
    private let heap: (held: Gauge, allocated: Gauge, free: Gauge)?
    /// CPU seconds already added to `cpuSeconds` (a counter only goes up by increments), under `lock`.
    private var reportedCPUSeconds: Double = 0
    private let lock = NSLock()

    init(registry: PrometheusCollectorRegistry, version: String) {
        residentMemory = registry.makeGauge(
            descriptor: Self.descriptor("process_resident_memory_bytes", "Resident memory size in bytes.")
        )
        virtualMemory = registry.makeGauge(
            descriptor: Self.descriptor("process_virtual_memory_bytes", "Virtual memory size in bytes.")
        )
        openDescriptors = registry.makeGauge(
            descriptor: Self.descriptor("process_open_fds", "Number of open file descriptors.")
        )
        maxDescriptors = registry.makeGauge(
            descriptor: Self.descriptor(
                "process_max_fds",
                "Maximum number of open file descriptors (the soft RLIMIT_NOFILE)."
            )
        )
        startTime = registry.makeGauge(
            descriptor: Self.descriptor(
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds."
            )
        )
        cpuSeconds = registry.makeCounter(
            descriptor: Self.descriptor("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
        )
        if sluice_allocator_statistics_read().isAvailable != 0 {
            heap = (
                held: registry.makeGauge(
                    descriptor: Self.descriptor(
                        "sluice_heap_held_bytes",
                        "Bytes the C allocator holds from the system (glibc mallinfo2 arena + hblkhd)."
                    )
                ),
                allocated: registry.makeGauge(
                    descriptor: Self.descriptor(
                        "sluice_heap_allocated_bytes",
                        "Bytes in allocated C-heap chunks: live objects (mallinfo2 uordblks + hblkhd)."
                    )
                ),
                free: registry.makeGauge(
                    descriptor: Self.descriptor(
                        "sluice_heap_free_bytes",
                        "Free bytes the C allocator keeps in its arenas for reuse (mallinfo2 fordblks)."
                    )
                )
            )
        } else {
            heap = nil
        }
        let build = registry.makeGauge(
            descriptor: Self.descriptor(
                "sluice_build_info",
                "Always 1; the label carries the version of this brokerd build."
            ),
            labels: [("version", version)]
        )
        build.set(to: 1.0)
        update()
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Reads `/proc/self` and updates every metric.
    func update() {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = Self.statFields(), stat.count > 21, ticks > 0 {
            // Fields after "pid (comm)": index 0 is field 3 (state) of proc(5).
            let userTicks = Double(stat[11]) ?? 0
            let systemTicks = Double(stat[12]) ?? 0
            let startTicks = Double(stat[19]) ?? 0
            virtualMemory.set(Double(stat[20]) ?? 0)
            residentMemory.set((Double(stat[21]) ?? 0) * pageSize)
            if let bootTime = Self.bootTime() { startTime.set(bootTime + startTicks / ticks) }
            let total = (userTicks + systemTicks) / ticks
            lock.lock()
            let increment = max(0, total - reportedCPUSeconds)
            reportedCPUSeconds = max(reportedCPUSeconds, total)
            lock.unlock()
            if increment > 0 { cpuSeconds.increment(by: increment) }
        }
        if let heap {
            let statistics = sluice_allocator_statistics_read()
            heap.held.set(Double(statistics.heldBytes))
            heap.allocated.set(Double(statistics.allocatedBytes))
            heap.free.set(Double(statistics.freeBytes))
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openDescriptors.set(Double(descriptors.count))
        }
        var limit = rlimit()
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        if getrlimit(resource, &limit) == 0 {
            maxDescriptors.set(limit.rlim_cur == rlim_t.max ? Double(Int64.max) : Double(limit.rlim_cur))
        }
    }

    /// The fields of `/proc/self/stat` after the command name.
    private static func statFields() -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: end)...].split(separator: " ")
    }

    /// The system's boot time (`btime` in `/proc/stat`), seconds since the epoch.
    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
