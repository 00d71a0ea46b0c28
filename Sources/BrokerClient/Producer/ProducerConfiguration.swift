import RecordCodec

/// How a ``Producer`` batches, acknowledges and retries.
public struct ProducerConfiguration: Sendable {
    /// How far a batch must get before the broker answers.
    public var acks: AcknowledgementLevel = .durable
    /// A batch is sent once its records take this many bytes (it may hold a single larger record).
    public var batchBytes: Int = 256 << 10
    /// How long a batch waits for more records before it is sent anyway (5 ms by default). A
    /// `send` waits for its batch, so each of a series of sequential `send` calls takes at least
    /// this long; `enqueue` many records and await them afterwards to send faster.
    public var linger: Duration = .milliseconds(5)
    /// `send` suspends while more than this many bytes of records wait to be sent or acknowledged.
    public var maxBufferedBytes: Int = 32 << 20
    /// Whether batches carry a producer id and sequence numbers, so that the broker drops a batch
    /// that a retry delivers twice.
    public var isIdempotent: Bool = true
    /// How many times a batch is sent again after a connection failure or a transient broker error.
    public var maxRetries: Int = 5
    /// The wait before the first retry; it doubles after each.
    public var retryBackoff: Duration = .milliseconds(100)
    /// How long the broker may wait for durability before answering `requestTimedOut`.
    public var produceTimeout: Duration = .seconds(30)

    /// How long a record accepted while ``Producer/run()`` is not running waits for it to start:
    /// after this the record (and every other one not yet sent) fails with `notRunning`. It covers
    /// the moment between starting `run()` in a task and that task's first step; a producer
    /// whose `run()` is never started fails its records after this wait instead of hanging.
    public var startTimeout: Duration = .seconds(5)

    /// The longest message id `enqueue` accepts, in bytes: the broker's `maxMessageIDBytes`
    /// (1 KiB by default). The broker refuses a whole batch for one longer id, so the producer
    /// refuses that record alone, before it joins a batch with other callers' records.
    public var maxMessageIDBytes: Int = 1024

    /// How each batch's records are compressed before they are sent: ``RecordCompression/none``
    /// (the default) or ``RecordCompression/gzip`` (smaller requests and stored batches, for the
    /// CPU of one deflate per batch here and one inflate per read on the broker and consumers).
    /// Only codecs in ``RecordCompression/supported`` are accepted (`Producer.init` checks).
    public var compression: RecordCompression = .none

    /// The defaults.
    public init() {}
}
