import BrokerClient
import Testing
import ToolSupport

@Suite struct CommandLineSyntaxTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("5m", .seconds(300)),
        ("2h", .seconds(7200)), ("7d", .seconds(604_800)), ("0s", .zero),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationSyntax.parse(text) == expected)
    }

    @Test(arguments: ["", "5", "ms", "1.5s", "-3s", "5 m", "10w", "5M", "s5", "99999999999999999d"])
    func rejectsBadDurations(text: String) {
        #expect(DurationSyntax.parse(text) == nil)
    }

    @Test func formatsDurationsInTheLargestExactUnit() {
        #expect(DurationSyntax.format(.seconds(604_800)) == "7d")
        #expect(DurationSyntax.format(.seconds(90)) == "90s")
        #expect(DurationSyntax.format(.milliseconds(1500)) == "1500ms")
    }

    @Test(arguments: [
        ("1714564800000", Int64(1_714_564_800_000)),
        ("2024-05-01T12:00:00Z", 1_714_564_800_000),
        ("2024-05-01t12:00:00z", 1_714_564_800_000),
        ("2024-05-01 12:00:00Z", 1_714_564_800_000),
        ("2024-05-01T14:00:00+02:00", 1_714_564_800_000),
        ("2024-05-01T07:30:00-04:30", 1_714_564_800_000),
        ("2024-05-01T12:00:00.25Z", 1_714_564_800_250),
        ("2024-05-01T12:00:00.123456Z", 1_714_564_800_123),
        ("1970-01-01T00:00:00Z", 0),
        ("2000-02-29T00:00:00Z", 951_782_400_000),
    ])
    func parsesTimes(text: String, expected: Int64) {
        #expect(TimeSyntax.parse(text) == expected)
    }

    @Test(arguments: [
        "", "yesterday", "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+2:00", "2024-05-01T12:00:00Zjunk",
        "12abc",
    ])
    func rejectsBadTimes(text: String) {
        #expect(TimeSyntax.parse(text) == nil)
    }

    @Test func parsesStartPositions() {
        #expect(StartPositionSyntax.parse("earliest") == .earliest)
        #expect(StartPositionSyntax.parse("latest") == .latest)
        #expect(StartPositionSyntax.parse("0") == .offset(0))
        #expect(StartPositionSyntax.parse("123456") == .offset(123_456))
        #expect(StartPositionSyntax.parse("1714564800000") == .timestamp(1_714_564_800_000))
        #expect(StartPositionSyntax.parse("@42") == .timestamp(42))
        #expect(StartPositionSyntax.parse("2024-05-01T12:00:00Z") == .timestamp(1_714_564_800_000))
        #expect(StartPositionSyntax.parse("first") == nil)
        #expect(StartPositionSyntax.parse("-1") == .fromEnd(1))
        #expect(StartPositionSyntax.parse("-") == nil)
        #expect(StartPositionSyntax.parse("-x") == nil)
        #expect(StartPositionSyntax.parse("@") == nil)
    }

    @Test func parsesHeaders() {
        let header = HeaderSyntax.parse("trace=a=b")
        #expect(header?.key == "trace")
        #expect(header?.value.map { String(buffer: $0) } == "a=b")
        #expect(HeaderSyntax.parse("empty=")?.value?.readableBytes == 0)
        #expect(HeaderSyntax.parse("novalue") == nil)
        #expect(HeaderSyntax.parse("=value") == nil)
    }

    @Test func parsesBrokerAddresses() throws {
        #expect(BrokerAddress(parsing: "127.0.0.1:7420") == BrokerAddress(host: "127.0.0.1", port: 7420))
        #expect(BrokerAddress(parsing: "broker.example:1") == BrokerAddress(host: "broker.example", port: 1))
        #expect(BrokerAddress(parsing: "[::1]:7420") == BrokerAddress(host: "::1", port: 7420))
        #expect(BrokerAddress(parsing: "[::1]:7420")?.description == "[::1]:7420")
        for bad in ["", "host", ":7420", "host:", "host:0", "host:65536", "host:x", "::1:7420", "[::1]7420"] {
            #expect(BrokerAddress(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func resolvesTheBrokerOptionThenTheEnvironmentThenTheDefault() throws {
        let environment = ["SLUICE_BROKER": "10.0.0.1:9000"]
        #expect(try BrokerOptionSyntax.resolve("h:1", environment: environment) == BrokerAddress(host: "h", port: 1))
        #expect(
            try BrokerOptionSyntax.resolve(nil, environment: environment) == BrokerAddress(host: "10.0.0.1", port: 9000)
        )
        #expect(try BrokerOptionSyntax.resolve(nil, environment: [:]) == .default)
        #expect(throws: ClientError.self) { try BrokerOptionSyntax.resolve(nil, environment: ["SLUICE_BROKER": "x"]) }
        #expect(throws: ClientError.self) { try BrokerOptionSyntax.resolve("nope", environment: [:]) }
    }

    @Test func splitsLines() throws {
        var splitter = LineSplitter()
        #expect(try splitter.append(Array("a\r\nb\n\nc".utf8)) == [Array("a".utf8), Array("b".utf8), []])
        #expect(try splitter.append(Array("d\n".utf8)) == [Array("cd".utf8)])
        #expect(try splitter.finish() == nil)
        _ = try splitter.append(Array("tail".utf8))
        #expect(try splitter.finish() == Array("tail".utf8))
    }

    @Test func splitsKeyAndValueAtTheFirstSeparator() {
        let split = LineSplitter.splitKey(Array("k::v::w".utf8), separator: Array("::".utf8))
        #expect(split?.key == Array("k".utf8))
        #expect(split?.value == Array("v::w".utf8))
        #expect(LineSplitter.splitKey(Array("::v".utf8), separator: Array("::".utf8))?.key == [])
        #expect(LineSplitter.splitKey(Array("kv".utf8), separator: Array("::".utf8)) == nil)
    }
}
