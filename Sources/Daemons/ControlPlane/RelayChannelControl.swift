import Foundation
import Link
import Synchronization

/// The relay's channel as it may change while the relay runs (`PUT /channel`, `POST /channel/schedule`):
/// every frame takes the channel of the moment it is relayed, so a change takes effect from the next
/// frame on.
public final class RelayChannelControl: Sendable {
    private struct State {
        var settings: ChannelSettings?
        var channel: RelayChannel
        var schedule: SNRSchedule?
        var scheduleStart = ContinuousClock.now
        /// The channel at the schedule's last SNR (rebuilt only when that SNR changes).
        var scheduled: (dB: Double, channel: RelayChannel)?
        var version = 1
    }

    private let state: Mutex<State>

    /// A channel set by its settings (what `semcom relay` builds): it can be changed.
    /// - Throws: settings that make no channel, or a schedule whose SNRs do not with these settings.
    public init(settings: ChannelSettings, schedule: SNRSchedule? = nil) throws(ChannelSettingsError) {
        if let schedule { try Self.check(schedule, with: settings) }
        state = Mutex(State(settings: settings, channel: try settings.makeChannel(), schedule: schedule))
    }

    /// Whether every SNR of `schedule` makes a channel with `settings` (so that the schedule never has to
    /// fall back at run time): refused at start and at the API instead.
    static func check(_ schedule: SNRSchedule, with settings: ChannelSettings) throws(ChannelSettingsError) {
        // Every point is validated like the flags; a channel is built at the lowest and highest SNR only (a
        // schedule may have 100000 points, and the SNR enters the channel only through that validation).
        let extremes = [schedule.points.min { $0.dB < $1.dB }, schedule.points.max { $0.dB < $1.dB }].compactMap { $0 }
        for (index, point) in (schedule.points + extremes).enumerated() {
            var scheduled = settings
            scheduled.snrDB = point.dB
            do {
                try scheduled.validate()
                if index >= schedule.points.count { _ = try scheduled.makeChannel() }
            } catch {
                throw ChannelSettingsError(field: "points", message: "at \(point.seconds) s: \(error.message)")
            }
        }
    }

    /// A fixed channel (benchmarks, tests): `update` is refused.
    public init(fixed channel: RelayChannel) {
        state = Mutex(State(settings: nil, channel: channel))
    }

    /// The channel for a frame relayed now.
    public var channel: RelayChannel {
        state.withLock { state in
            guard let schedule = state.schedule, let settings = state.settings else { return state.channel }
            let dB = schedule.snr(at: (ContinuousClock.now - state.scheduleStart) / .seconds(1))
            if let cached = state.scheduled, cached.dB == dB { return cached.channel }
            var scheduled = settings
            scheduled.snrDB = dB
            // Every SNR of the schedule was checked with these settings when either was set (`check`).
            let channel = (try? scheduled.makeChannel()) ?? state.channel
            state.scheduled = (dB, channel)
            return channel
        }
    }

    /// The channel as `GET /channel` shows it at one moment.
    public struct Snapshot: Sendable {
        public var settings: ChannelSettings?
        public var schedule: SNRSchedule?
        /// Seconds since the schedule started.
        public var scheduleElapsed: Double?
        /// The SNR a frame relayed now meets, dB.
        public var effectiveSNRDB: Double
        /// Incremented by every change.
        public var version: Int
    }

    public var snapshot: Snapshot {
        let current = channel
        return state.withLock { state in
            Snapshot(
                settings: state.settings, schedule: state.schedule,
                scheduleElapsed: state.schedule.map { _ in (ContinuousClock.now - state.scheduleStart) / .seconds(1) },
                effectiveSNRDB: current.setting.dB, version: state.version)
        }
    }

    /// Why a change was not made.
    public enum ChangeError: Error, Sendable, Equatable {
        /// The new settings are not acceptable.
        case invalid(ChannelSettingsError)
        /// The relay's channel is fixed (not built from settings).
        case fixed
        /// The channel changed since the version the caller read (`If-Match`): nothing was changed.
        case stale(current: Int)
    }

    /// Changes the settings of this moment atomically: `change` sees the settings as they are when it runs,
    /// so two concurrent partial changes both take effect. With `expectedVersion`, the change is made only if
    /// the version is still that one (optimistic concurrency: `If-Match`). A schedule, if any, keeps driving
    /// the SNR. Returns the settings as changed.
    @discardableResult
    public func change(
        expectedVersion: Int? = nil,
        _ change: (ChannelSettings) throws(ChannelSettingsError) -> ChannelSettings
    ) throws(ChangeError) -> ChannelSettings {
        try state.withLock { state throws(ChangeError) -> ChannelSettings in
            guard let current = state.settings else { throw .fixed }
            if let expectedVersion, expectedVersion != state.version { throw .stale(current: state.version) }
            let next: ChannelSettings
            let channel: RelayChannel
            do throws(ChannelSettingsError) {
                next = try change(current)
                channel = try next.makeChannel()
                if let schedule = state.schedule { try Self.check(schedule, with: next) }
            } catch {
                throw .invalid(error)
            }
            state.settings = next
            state.channel = channel
            state.scheduled = nil
            state.version += 1
            return next
        }
    }

    /// Replaces the whole setting (a schedule, if any, keeps driving the SNR).
    public func update(_ settings: ChannelSettings) throws(ChannelSettingsError) {
        do {
            try change { _ in settings }
        } catch {
            switch error {
            case .invalid(let invalid): throw invalid
            case .fixed, .stale: throw ChannelSettingsError(field: "channel", message: "this relay's channel is fixed")
            }
        }
    }

    /// Starts `schedule` now (nil: back to the fixed SNR of the settings).
    /// - Throws: a schedule whose SNRs make no channel with the settings; nothing changes then.
    public func setSchedule(_ schedule: SNRSchedule?) throws(ChannelSettingsError) {
        try state.withLock { state throws(ChannelSettingsError) in
            if let schedule, let settings = state.settings { try Self.check(schedule, with: settings) }
            state.schedule = schedule
            state.scheduleStart = .now
            state.scheduled = nil
            state.version += 1
        }
    }
}
