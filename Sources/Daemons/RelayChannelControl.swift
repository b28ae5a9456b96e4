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
    public init(settings: ChannelSettings, schedule: SNRSchedule? = nil) throws(ChannelSettingsError) {
        state = Mutex(State(settings: settings, channel: try settings.makeChannel(), schedule: schedule))
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

    /// Replaces the whole setting (a schedule, if any, keeps driving the SNR).
    public func update(_ settings: ChannelSettings) throws(ChannelSettingsError) {
        let channel = try settings.makeChannel()
        try state.withLock { state throws(ChannelSettingsError) in
            guard state.settings != nil else {
                throw ChannelSettingsError(field: "channel", message: "this relay's channel is fixed")
            }
            state.settings = settings
            state.channel = channel
            state.scheduled = nil
            state.version += 1
        }
    }

    /// Starts `schedule` now (nil: back to the fixed SNR of the settings).
    public func setSchedule(_ schedule: SNRSchedule?) {
        state.withLock { state in
            state.schedule = schedule
            state.scheduleStart = .now
            state.scheduled = nil
            state.version += 1
        }
    }
}
