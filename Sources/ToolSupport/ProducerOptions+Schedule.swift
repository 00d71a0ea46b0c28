import ArgumentParser
import BrokerClient
import BrokerProtocol

/// `producer --delay/--at/--schedule-id`: scheduled messages (delayed delivery).
extension ProducerOptions {
    /// The placeholder of `--schedule-id` replaced by each message's key.
    static let keyPlaceholder = "{key}"

    /// When the messages are due, for `--delay` or `--at`; `nil` for an ordinary produce (or a
    /// value ``validate()`` refuses).
    var deliveryTime: DeliveryTime? {
        if let delay, let duration = DurationSyntax.parse(delay) { return .after(duration) }
        if let at, let time = TimeSyntax.parse(at) { return .at(epochMilliseconds: time) }
        return nil
    }

    /// Whether the messages are scheduled rather than produced.
    var isScheduled: Bool { delay != nil || at != nil }

    /// Whether every message gets the same schedule id: `--schedule-id` without `{key}`, or with
    /// `{key}` and one `--key` for all. Such an id names one message.
    var hasOneScheduleID: Bool {
        guard let scheduleID else { return false }
        return !scheduleID.contains(Self.keyPlaceholder) || keySeparator == nil
    }

    /// The schedule id of a message with `key`: `--schedule-id` with `{key}` replaced.
    /// - Throws: ``ClientError`` `invalidArgument` when the id needs a key that is missing or not
    ///   UTF-8, or comes out empty or over 1,024 bytes.
    func scheduleID(forKey key: ByteBuffer?) throws -> String? {
        guard let template = scheduleID else { return nil }
        var id = template
        if template.contains(Self.keyPlaceholder) {
            guard let key else {
                throw ClientError(.invalidArgument, "--schedule-id has {key} but the message has no key")
            }
            guard let text = String(validating: key.readableBytesView, as: UTF8.self) else {
                throw ClientError(.invalidArgument, "the key is not UTF-8, so it cannot go into --schedule-id")
            }
            id = template.replacing(Self.keyPlaceholder, with: text)
        }
        if let problem = ScheduleLimits.problem(withScheduleID: id) {
            throw ClientError(.invalidArgument, "--schedule-id \(id.count > 80 ? "…" : id): \(problem)")
        }
        return id
    }

    /// The checks of the scheduling flags, part of ``validate()``.
    func validateSchedule() throws {
        if let delay {
            guard DurationSyntax.parse(delay) != nil else {
                throw ValidationError("--delay \(delay) is not a duration: \(DurationSyntax.expected)")
            }
        }
        if let at {
            guard let time = TimeSyntax.parse(at) else {
                throw ValidationError("--at \(at) is not a time: \(TimeSyntax.expected)")
            }
            if time < 0 { throw ValidationError("--at \(at) is before 1970") }
        }
        if delay != nil, at != nil {
            throw ValidationError("--delay and --at do not go together: give one of them")
        }
        guard isScheduled else {
            if scheduleID != nil { throw ValidationError("--schedule-id needs --delay or --at") }
            return
        }
        if messageID != nil {
            throw ValidationError(
                "--msg-id does not go with --delay or --at: a scheduled message is named by its --schedule-id "
                    + "(scheduling the same id again replaces the pending message instead of adding a copy)"
            )
        }
        if acks == .none {
            throw ValidationError(
                "--acks none does not go with --delay or --at: the broker would not answer with the schedule id "
                    + "and time that producer prints"
            )
        }
        guard let scheduleID else { return }
        if scheduleID.isEmpty { throw ValidationError("--schedule-id must not be empty") }
        if scheduleID.contains(Self.keyPlaceholder), key == nil, keySeparator == nil {
            throw ValidationError("--schedule-id has {key} but the messages have no key: give --key or --key-separator")
        }
        if !scheduleID.contains(Self.keyPlaceholder), let problem = ScheduleLimits.problem(withScheduleID: scheduleID) {
            throw ValidationError("--schedule-id: \(problem)")
        }
        if hasOneScheduleID, values.count > 1 {
            throw ValidationError(Self.oneScheduleIDMessage("\(values.count) values were given"))
        }
    }

    /// Why one schedule id cannot name several messages, and what to do instead.
    static func oneScheduleIDMessage(_ what: String) -> String {
        "--schedule-id names one message, but \(what): put {key} in it (e.g. 'order-timeout:{key}') and give "
            + "each message its key with --key-separator"
    }
}
