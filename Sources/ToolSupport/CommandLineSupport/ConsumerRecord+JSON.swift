import BrokerClient
import NIOCore
import RecordCodec

extension ConsumerRecord {
    /// The record as one JSON Lines line (without the newline), fields in this order:
    /// ```
    /// {"topic":"orders","partition":0,"offset":42,"timestamp":1714564800000,"key":"k","value":"v",
    ///  "headers":[{"key":"h","value":"x"}]}
    /// ```
    /// `key` and `value` are JSON strings when the bytes are valid UTF-8; otherwise the field is
    /// named `key_base64` / `value_base64` and holds base64. A missing key or a null value is
    /// `null`. Headers are an array of `{"key","value"}` objects in record order, so repeated
    /// header keys survive; a header value follows the same UTF-8/base64/null rule.
    public func jsonLine(deliveryCount: Int? = nil) -> String {
        var json = "{\"topic\":"
        JSONText.appendString(topic, to: &json)
        json += ",\"partition\":\(partition),\"offset\":\(offset),\"timestamp\":\(timestamp),"
        JSONText.appendBytes(named: "key", key, to: &json)
        json += ","
        JSONText.appendBytes(named: "value", value, to: &json)
        json += ",\"headers\":["
        for (index, header) in headers.enumerated() {
            if index > 0 { json += "," }
            json += "{\"key\":"
            JSONText.appendString(header.key, to: &json)
            json += ","
            JSONText.appendBytes(named: "value", header.value, to: &json)
            json += "}"
        }
        json += "]"
        if let deliveryCount { json += ",\"delivery_count\":\(deliveryCount)" }
        json += "}"
        return json
    }
}

/// JSON string escaping (RFC 8259), without Foundation.
enum JSONText {
    /// Appends `"name":"text"` for UTF-8 bytes, `"name_base64":"…"` otherwise, `"name":null` for nil.
    static func appendBytes(named name: String, _ bytes: ByteBuffer?, to json: inout String) {
        guard let bytes else {
            json += "\"\(name)\":null"
            return
        }
        if let text = String(validating: bytes.readableBytesView, as: UTF8.self) {
            json += "\"\(name)\":"
            appendString(text, to: &json)
        } else {
            json += "\"\(name)_base64\":\"\(Base64.encode(bytes.readableBytesView))\""
        }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    static func appendString(_ text: String, to json: inout String) {
        json += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case let scalar where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }
}
