/// A first-in first-out queue of at most `capacity` elements between async producers and one consumer.
///
/// `push` suspends while the queue is full (back-pressure towards the connections), `pop` suspends while
/// it is empty; `finish` lets the consumer drain what is queued and then returns `nil`.
public actor BoundedQueue<Element: Sendable> {
    public let capacity: Int
    private var items: [Element] = []
    private var head = 0
    private var finished = false
    private var waitingProducers: [CheckedContinuation<Void, Never>] = []
    private var waitingConsumer: CheckedContinuation<Element?, Never>?

    public init(capacity: Int) {
        precondition(capacity >= 1, "a bounded queue holds at least one element")
        self.capacity = capacity
    }

    /// Elements waiting.
    public var count: Int { items.count - head }

    /// Appends `element`, waiting while the queue is full. Returns false (dropping it) after `finish`.
    @discardableResult
    public func push(_ element: Element) async -> Bool {
        while count >= capacity && !finished {
            await withCheckedContinuation { waitingProducers.append($0) }
        }
        guard !finished else { return false }
        if let consumer = waitingConsumer {
            waitingConsumer = nil
            consumer.resume(returning: element)
        } else {
            items.append(element)
        }
        return true
    }

    /// The oldest element, waiting while the queue is empty; `nil` once finished and drained.
    public func pop() async -> Element? {
        if count == 0 {
            if finished { return nil }
            return await withCheckedContinuation { waitingConsumer = $0 }
        }
        let element = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        if !waitingProducers.isEmpty { waitingProducers.removeFirst().resume() }
        return element
    }

    /// No more pushes: the consumer drains what is queued, then `pop` returns `nil`.
    public func finish() {
        finished = true
        waitingConsumer?.resume(returning: nil)
        waitingConsumer = nil
        for producer in waitingProducers { producer.resume() }
        waitingProducers.removeAll()
    }
}
