import Imaging
import SemanticWire
import Testing

@testable import Daemons

/// The sessions' protocol decisions, without sockets: messages in, actions out.
@Suite("Session state machines")
struct SessionStateTests {
    static let frame = try! MapFrame.digital(
        frameID: 7, name: "s", map: LabelMap(width: 4, height: 2, ids: [UInt8](repeating: 1, count: 8)), classCount: 19)

    @Test("server: HELLO opens the session for its origin; then frames, LOST and BYE go to the service")
    func serverOpens() {
        var session = ServerSession(role: .receiver, peerName: "receiver@test")
        let offer = Hello.offer(role: .sender, peerName: "sender@test", origin: "cam-1")
        guard case .control(.greet(let answer, let hello)) = session.receive(.hello(offer)) else {
            Issue.record("HELLO not answered")
            return
        }
        #expect(hello == offer && answer.role == .receiver && answer.minVersion == answer.maxVersion)
        #expect(session.origin == "cam-1")
        #expect(session.receive(.mapFrame(Self.frame)) == .frame(Self.frame))
        let lost = Lost(frameID: 7, attempts: 3, name: "s", text: "gave up")
        #expect(session.receive(.lost(lost)) == .lost(lost))
        let bye = Bye(reason: .done, text: "done")
        #expect(session.receive(.bye(bye)) == .bye(bye))
    }

    @Test("server: anything before HELLO, a second HELLO, an ACK from a client are refused with unexpected-message")
    func serverRefuses() {
        var fresh = ServerSession(role: .relay, peerName: "relay@test")
        guard case .control(.refuse(let early, _)) = fresh.receive(.mapFrame(Self.frame)) else {
            Issue.record("a frame before HELLO was not refused")
            return
        }
        #expect(early.code == .unexpectedMessage && !fresh.isOpen)
        var open = ServerSession(role: .relay, peerName: "relay@test")
        _ = open.receive(.hello(.offer(role: .sender, peerName: "s", origin: "o")))
        for message: WireMessage in [
            .hello(.offer(role: .sender, peerName: "s", origin: "o")),
            .ack(Ack(frameID: 1, attempt: 0, status: .accepted)),
        ] {
            guard case .control(.refuse(let error, _)) = open.receive(message) else {
                Issue.record("\(message.type) was not refused")
                continue
            }
            #expect(error.code == .unexpectedMessage)
        }
    }

    @Test("server: no common version is refused with unsupported-version; the client's ERROR just closes")
    func serverVersionsAndErrors() {
        var session = ServerSession(role: .receiver, peerName: "r")
        let future = Hello(minVersion: 9, maxVersion: 9, role: .sender, peerName: "s", origin: "o")
        guard case .control(.refuse(let error, _)) = session.receive(.hello(future)) else {
            Issue.record("HELLO v9 accepted")
            return
        }
        #expect(error.code == .unsupportedVersion && !session.isOpen)
        let peer = ErrorMessage(code: .internal, text: "boom")
        #expect(session.receive(.error(peer)) == .control(.peerError(peer)))
    }

    @Test("sender: the HELLO answer opens; BYE exchanged when finished ends the connection finished")
    func senderHappyPath() {
        let start = ContinuousClock.now
        var session = SenderSession(now: start, helloTimeout: .seconds(10), shutdownGrace: .seconds(2))
        #expect(session.deadline == start + .seconds(10) && !session.isOpen)
        let answer = Hello.answer(version: 1, role: .receiver, peerName: "r")
        #expect(session.receive(.hello(answer), finished: false, idle: false) == .connected(answer))
        #expect(session.isOpen && session.deadline == nil)
        let ack = Ack(frameID: 7, attempt: 0, status: .accepted)
        #expect(session.receive(.ack(ack), finished: false, idle: false) == .acknowledged(ack))
        session.sentBye(at: start)
        #expect(session.deadline == start + .seconds(2) && !session.isOpen)
        guard
            case .end(.finished, nil, _) = session.receive(
                .bye(Bye(reason: .done, text: "")), finished: true, idle: true)
        else {
            Issue.record("the BYE exchange did not finish the session")
            return
        }
    }

    @Test("sender: deadlines — no HELLO answer is a lost connection; no BYE answer stops; neither before its time")
    func senderDeadlines() {
        let start = ContinuousClock.now
        var session = SenderSession(now: start, helloTimeout: .seconds(10), shutdownGrace: .seconds(2))
        #expect(session.expire(now: start + .seconds(9), finished: false) == nil)
        guard case .end(.lost, nil, _) = session.expire(now: start + .seconds(10), finished: false) else {
            Issue.record("the HELLO wait did not expire")
            return
        }
        _ = session.receive(.hello(.answer(version: 1, role: .receiver, peerName: "r")), finished: false, idle: false)
        #expect(session.expire(now: start + .seconds(100), finished: false) == nil)  // open: no deadline
        session.sentBye(at: start)
        guard case .end(.stopped, nil, _) = session.expire(now: start + .seconds(3), finished: false) else {
            Issue.record("the BYE wait did not expire")
            return
        }
    }

    @Test("sender: an unasked BYE is answered and reconnects; the idle timeout waits for work; other ERRORs reconnect")
    func senderEnds() {
        var session = SenderSession(now: .now, helloTimeout: .seconds(10), shutdownGrace: .seconds(2))
        _ = session.receive(.hello(.answer(version: 1, role: .receiver, peerName: "r")), finished: false, idle: false)
        guard
            case .end(.lost, .bye?, _) = session.receive(
                .bye(Bye(reason: .shuttingDown, text: "")), finished: false, idle: false)
        else {
            Issue.record("the peer's BYE was not answered")
            return
        }
        let timeout = ErrorMessage(code: .timeout, text: "idle")
        guard case .end(.idle, nil, _) = session.receive(.error(timeout), finished: false, idle: true) else {
            Issue.record("an idle timeout with nothing outstanding is not .idle")
            return
        }
        guard case .end(.lost, nil, _) = session.receive(.error(timeout), finished: false, idle: false) else {
            Issue.record("a timeout with frames outstanding is not a lost connection")
            return
        }
        guard
            case .end(.lost, .error(let refusal)?, _) = session.receive(
                .mapFrame(Self.frame), finished: false, idle: false)
        else {
            Issue.record("a MAP_FRAME to a sender was not refused")
            return
        }
        #expect(refusal.code == .unexpectedMessage)
    }

    @Test("sender: a server speaking no common version is refused with unsupported-version")
    func senderVersion() {
        var session = SenderSession(now: .now, helloTimeout: .seconds(10), shutdownGrace: .seconds(2))
        let future = Hello(minVersion: 9, maxVersion: 9, role: .receiver, peerName: "r", origin: "")
        guard case .end(.lost, .error(let error)?, _) = session.receive(.hello(future), finished: false, idle: false)
        else {
            Issue.record("HELLO v9 accepted")
            return
        }
        #expect(error.code == .unsupportedVersion && !session.isConnected)
    }

    @Test("relay downstream: nothing is forwarded before HELLO's answer; a common version opens, answers pass back")
    func downstreamOpens() {
        var session = DownstreamSession()
        #expect(!session.isOpen)
        let answer = Hello.answer(version: 1, role: .receiver, peerName: "receiver@test")
        #expect(session.receive(.hello(answer)) == .opened(answer, version: 1) && session.isOpen)
        let ack = WireMessage.ack(Ack(frameID: 7, attempt: 0, status: .accepted))
        #expect(session.receive(ack) == .answer(ack))
    }

    @Test("relay downstream: no common version, an answer before HELLO, BYE and ERROR end both sides")
    func downstreamEnds() {
        var future = DownstreamSession()
        guard
            case .end(_, let reply?, let upstream?) = future.receive(
                .hello(Hello(minVersion: 9, maxVersion: 9, role: .receiver, peerName: "r", origin: "")))
        else {
            Issue.record("an unknown version was accepted")
            return
        }
        if case .error(let error) = reply {
            #expect(error.code == .unsupportedVersion)
        } else {
            Issue.record("no ERROR")
        }
        if case .error = upstream {} else { Issue.record("upstream not told") }
        var early = DownstreamSession()
        guard
            case .end(_, .error(let unexpected)?, nil) = early.receive(
                .ack(Ack(frameID: 1, attempt: 0, status: .accepted)))
        else {
            Issue.record("an ACK before HELLO was forwarded")
            return
        }
        #expect(unexpected.code == .unexpectedMessage)
        var open = DownstreamSession()
        _ = open.receive(.hello(.answer(version: 1, role: .receiver, peerName: "r")))
        guard case .end(_, nil, .bye?) = open.receive(.bye(Bye(reason: .done, text: "bye"))) else {
            Issue.record("downstream's BYE not passed upstream")
            return
        }
        guard case .end(let note, .error(let timeout)?, nil) = DownstreamSession.helloTimedOut(after: .seconds(10))
        else {
            Issue.record("no timeout ERROR")
            return
        }
        #expect(timeout.code == .timeout && note.level == .warning)
    }
}
