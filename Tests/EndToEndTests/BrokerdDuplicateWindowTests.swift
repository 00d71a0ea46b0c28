import Foundation
import Testing

/// `brokerd --duplicate-window`: how long a message id is remembered, the retry horizon of the outbox pattern.
@Suite("brokerd --duplicate-window", .serialized)
struct BrokerdDuplicateWindowTests {
    @Test("a retry within the window is a duplicate; the same id after the window is stored again")
    func retryAfterTheWindowIsStoredAgain() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--duplicate-window", "3s"]
        )
        defer { broker.kill() }
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "outbox", "--partitions", "1"]
        )
        #expect(created.status == 0, "\(created.standardError)")
        func send() async throws -> String {
            let run = try await runTool(
                "producer",
                ["--broker", broker.address, "--topic", "outbox", "--partition", "0", "--msg-id", "order-1", "v"]
            )
            #expect(run.status == 0, "\(run.standardError)")
            return run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        await #expect(try send() == "outbox/0@0")
        // Retried until the window (3 s on the broker's clock) has passed; bounded.
        var answers: [String] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let answer = try await send()
            answers.append(answer)
            if answer != "duplicate of outbox/0@0" { break }
            try? await Task.sleep(for: .seconds(0.2))
        }
        #expect(answers.count >= 2, "the first retry, sent at once, was not a duplicate: \(answers)")
        #expect(answers.last == "outbox/0@1", "answers: \(answers)")
        #expect(answers.dropLast().allSatisfy { $0 == "duplicate of outbox/0@0" }, "answers: \(answers)")
    }

    @Test("a window that is not positive, or longer than the bound, is refused with the flag named")
    func invalidWindows() async throws {
        let directory = try TemporaryDirectory()
        for value in ["0s", "-5s", "3000", "7d1ms", "604800001ms", "8d", "soon"] {
            let run = try await runTool(
                "brokerd",
                [
                    "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", directory.path + "/d",
                    "--duplicate-window", value,
                ]
            )
            #expect(run.status == 64, "\(value): \(run.standardError)")
            #expect(run.standardError.contains("--duplicate-window"), "\(value): \(run.standardError)")
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/d"))
        }
    }
}
