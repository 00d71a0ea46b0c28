import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if os(Linux)
private let descriptorResource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
private let descriptorResource = RLIMIT_NOFILE
#endif

/// The process's file-descriptor limit (`RLIMIT_NOFILE`), which `brokerd` raises from the soft
/// to the hard limit at start: the usual soft limit of 1,024 is far below what a broker needs.
enum DescriptorLimit {
    /// What raising the limit did.
    struct Outcome {
        /// The soft limit found at start.
        var before: Int
        /// The soft limit now in force.
        var after: Int
        /// Why the limit could not be raised, if it could not.
        var failure: String?
    }

    /// Raises the soft limit to the hard limit (capped by the kernel's `fs.nr_open` when the hard
    /// limit is unlimited).
    static func raiseSoftLimit() -> Outcome {
        var limit = rlimit()
        guard getrlimit(descriptorResource, &limit) == 0 else {
            return Outcome(before: 1024, after: 1024, failure: String(cString: strerror(errno)))
        }
        let before = clamp(limit.rlim_cur)
        var target = limit.rlim_max
        if target == rlim_t.max { target = rlim_t(kernelMaximum()) }
        guard target > limit.rlim_cur else { return Outcome(before: before, after: before) }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(descriptorResource, &raised) == 0 else {
            return Outcome(before: before, after: before, failure: String(cString: strerror(errno)))
        }
        return Outcome(before: before, after: clamp(target))
    }

    private static func clamp(_ value: rlim_t) -> Int {
        value == rlim_t.max || value > rlim_t(Int32.max) ? Int(Int32.max) : Int(value)
    }

    /// `/proc/sys/fs/nr_open`, the most descriptors a process may have (1,048,576 if unreadable).
    private static func kernelMaximum() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/fs/nr_open", encoding: .utf8)) ?? ""
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0 > 0 ? $0 : nil } ?? 1 << 20
    }
}
