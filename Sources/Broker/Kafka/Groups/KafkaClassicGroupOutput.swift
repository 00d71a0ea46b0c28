/// An answer the coordinator hands to the listener to send: to a JoinGroup or SyncGroup, immediate or delayed.
public enum KafkaClassicGroupOutput: Sendable, Hashable {
    /// Answer the JoinGroup request named by the token.
    case respondJoin(KafkaGroupRequestToken, KafkaClassicGroup.JoinResponse)
    /// Answer the SyncGroup request named by the token.
    case respondSync(KafkaGroupRequestToken, KafkaClassicGroup.SyncResponse)

    /// The token of the request this output answers.
    public var token: KafkaGroupRequestToken {
        switch self {
        case .respondJoin(let token, _), .respondSync(let token, _): token
        }
    }
}
