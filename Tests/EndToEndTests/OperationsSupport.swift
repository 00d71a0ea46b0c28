import Foundation
import ProcessTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `executable` (a path) to completion; bounded by a timeout.
func runProcess(_ executable: String, _ arguments: [String], timeoutSeconds: Double = 60) async throws -> ToolRun {
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["SWIFT_BACKTRACE"] = "enable=no"
    process.environment = environment
    return try await runToCompletion(
        process,
        timeoutSeconds: timeoutSeconds,
        describedAs: "\(executable) \(arguments.joined(separator: " "))"
    )
}

/// A listening TCP socket on 127.0.0.1 that keeps its port busy until closed.
final class BusyPort {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 1) == 0
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw CrashTestError("cannot open a listening socket") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

/// One parsed `/metrics` answer.
struct Scrape {
    /// `# HELP` text per metric family.
    var help: [String: String] = [:]
    /// `# TYPE` per metric family.
    var types: [String: String] = [:]
    /// Every sample line: `name{labels}` → value.
    var samples: [(series: String, value: Double)] = []

    init(_ text: String) {
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst("# HELP ".count)
                let name = rest.prefix { $0 != " " }
                help[String(name)] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count >= 4 { types[String(parts[2])] = String(parts[3]) }
            } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " ") {
                samples.append((String(line[..<space]), Double(line[line.index(after: space)...]) ?? .nan))
            }
        }
    }

    /// The value of the first series starting with `prefix` (a name, optionally with `{labels`).
    func value(_ prefix: String) -> Double? {
        samples.first { $0.series == prefix || $0.series.hasPrefix(prefix.contains("{") ? prefix : prefix + "{") }?
            .value
    }

    /// The series whose text contains `fragment`.
    func series(containing fragment: String) -> [String] {
        samples.map(\.series).filter { $0.contains(fragment) }
    }
}

/// A plain TCP connection to 127.0.0.1:`port` that sends nothing (a client holding a descriptor).
final class IdleConnection {
    let descriptor: Int32

    init(port: Int) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard descriptor >= 0, connected else { throw CrashTestError("cannot connect to 127.0.0.1:\(port)") }
    }

    deinit { close(descriptor) }

    /// Whether the peer closed the connection within `seconds` (bounded wait).
    func isClosedByPeer(within seconds: Double) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, Int32(seconds * 1000)) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) <= 0
    }
}

/// What the operations tests ask of a running `brokerd`.
extension BrokerdProcess {
    /// The soft and hard descriptor limits of the running process, from `/proc/PID/limits`.
    func descriptorLimits() throws -> (soft: String, hard: String) {
        let text = try String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else {
            throw CrashTestError("no 'Max open files' in /proc/PID/limits")
        }
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        return (String(fields[0]), String(fields[1]))
    }

    /// `GET http://ADDRESS/PATH` with curl.
    func get(_ path: String) async throws -> String {
        let run = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "30", "http://\(metricsAddress)\(path)"])
        guard run.status == 0 else { throw CrashTestError("curl failed: \(run.standardError)") }
        return run.standardOutput
    }
}
