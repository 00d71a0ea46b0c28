import Broker
import BrokerProtocol
import NIOCore
import Testing

/// The broker answers `brokerStatus` v0 with the v0 body (an older client decodes it exactly)
/// v1 with the operations figures, v2 with the fired schedules' lateness as well.
@Suite struct BrokerStatusVersionServingTests {
    @Test("v0 is answered without the operations figures, v1 with them, v2 with the lateness too")
    func servedPerVersion() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            for (version, correlationID) in [(UInt16(0), UInt32(1)), (1, 2), (2, 3)] {
                var buffer = ByteBuffer()
                RequestFrame(
                    header: RequestHeader(apiKey: .brokerStatus, apiVersion: version, correlationID: correlationID),
                    body: BrokerStatusRequest().encoded()
                ).write(into: &buffer)
                try await connection.sendRaw(Array(buffer.readableBytesView))
                let frame = try await connection.response(correlationID)
                #expect(frame.errorCode == .none)
                let status = try BrokerStatusResponse.decode(frame.body, version: version)
                #expect(
                    status.scheduleLateness
                        == (version >= 2 ? .init(schedulesFired: 0, totalMilliseconds: 0, maxMilliseconds: 0) : nil)
                )
                if version == 0 {
                    #expect(status.operations == nil)
                } else {
                    #expect(
                        status.operations
                            == .init(
                                groupCount: 0,
                                groupLag: 0,
                                inFlight: 0,
                                redeliveries: 0,
                                deadLetters: 0,
                                deadLettersHeld: 0,
                                pendingSchedules: 0,
                                kafkaConnections: 0,
                                kafkaGroupCount: 0
                            )
                    )
                }
            }
        }
    }
}
