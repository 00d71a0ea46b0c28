import Broker
import Foundation
import Testing

@Suite("Error messages clients see")
struct BrokerErrorTextTests {
    @Test("a Foundation file error becomes the path and the system's reason, without Foundation's text")
    func foundationFileError() {
        let underlying = NSError(domain: NSPOSIXErrorDomain, code: Int(ENAMETOOLONG))
        let error = CocoaError(
            .fileWriteInvalidFileName,
            userInfo: [NSFilePathErrorKey: "/data/.deleted-x", NSUnderlyingErrorKey: underlying]
        )
        let message = BrokerError(error).message
        #expect(!message.contains("NSCocoaErrorDomain") && !message.contains("Error Domain"), "\(message)")
        #expect(message.contains("/data/.deleted-x"), "\(message)")
        #expect(message.contains("File name too long"), "\(message)")
    }

    @Test("a Foundation error without a system error still reads as a sentence")
    func foundationErrorWithoutCause() {
        let message = BrokerError(CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "/nowhere"])).message
        #expect(!message.contains("NSCocoaErrorDomain") && !message.contains("Error Domain"), "\(message)")
        #expect(message.contains("/nowhere"), "\(message)")
    }
}
